"""Patient record rules: what a valid patient looks like, checked field by field."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal

from carecoord.domain.enums import Origin, PatientStatus, Sex
from carecoord.domain.errors import Problem, Severity
from carecoord.domain.ranges import has_bad_characters

MAX_NAME_LENGTH = 120
MAX_MRN_LENGTH = 32
MAX_TEXT_LENGTH = 2000
# Plausible body weight bounds in kg: a premature newborn to the heaviest recorded people.
MIN_WEIGHT_KG = Decimal("0.5")
MAX_WEIGHT_KG = Decimal("650")
# A date of birth this far back is a typing error (no living patient is older).
MAX_AGE_YEARS = 125
MRN_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9\-/.]*$")

# Allowed moves between statuses; retiring is always possible and reversible by an admin edit.
ALLOWED_STATUS_CHANGES: dict[PatientStatus, frozenset[PatientStatus]] = {
    s: frozenset(PatientStatus) for s in PatientStatus
}


@dataclass
class PatientInput:
    """What a user types into the patient editor (already split into typed fields)."""

    mrn: str = ""
    family_name: str = ""
    given_names: str = ""
    date_of_birth: dt.date | None = None
    sex: Sex = Sex.UNKNOWN
    weight_kg: Decimal | None = None
    diagnosis: str = ""
    origin: Origin | None = None
    injury_level: str = ""
    injury_date: dt.date | None = None
    phone: str = ""
    email: str = ""
    address: str = ""
    caregiver_name: str = ""
    caregiver_phone: str = ""
    preferred_language: str = "en"
    allergies: str = ""
    status: PatientStatus = PatientStatus.REFERRED
    notes: str = ""
    extra: dict[str, str] = field(default_factory=dict)


def clean_text(value: str) -> str:
    """Trim and normalise text so that search and uniqueness see what the user meant."""
    return unicodedata.normalize("NFC", value.strip())


def search_key(*parts: str) -> str:
    """Lower-case, accent-free text for search-as-you-type ("Zoë" is found by "zoe")."""
    text = " ".join(parts).casefold()
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


_WORD_SPLIT = re.compile(r"[^0-9a-z]+")
MAX_TOKEN_LENGTH = 64


def search_tokens(family_name: str, given_names: str, mrn: str) -> set[str]:
    """The words a patient is found by: each name word (also without its punctuation and split
    at it: "O'Brien" gives o'brien, obrien, o, brien) and the record number whole and in parts."""
    tokens: set[str] = set()
    for word in search_key(family_name, given_names, mrn).split():
        tokens.add(word)
        tokens.add(_WORD_SPLIT.sub("", word))
        tokens.update(_WORD_SPLIT.split(word))
    return {t[:MAX_TOKEN_LENGTH] for t in tokens if t}


def query_terms(text: str) -> list[str]:
    """What a user typed, as terms that must each begin one of the patient's search tokens."""
    return [t[:MAX_TOKEN_LENGTH] for t in search_key(text).split()]


def prefix_upper_bound(term: str) -> str | None:
    """The smallest text after every text that begins with ``term``, so that a prefix search is
    the range ``term <= token < bound`` (None: no upper bound). The next code point skips the
    surrogates, which cannot be stored, and a last character of U+10FFFF carries over."""
    while term:
        last = ord(term[-1])
        if last < 0x10FFFF:
            following = 0xE000 if 0xD800 <= last + 1 <= 0xDFFF else last + 1
            return term[:-1] + chr(following)
        term = term[:-1]
    return None


def age_on(date_of_birth: dt.date, on: dt.date) -> int:
    years = on.year - date_of_birth.year
    if (on.month, on.day) < (date_of_birth.month, date_of_birth.day):
        years -= 1
    return years


def _check_text(problems: list[Problem], name: str, label: str, value: str, limit: int) -> None:
    if len(value) > limit:
        problems.append(
            Problem(name, f"{label} is too long ({len(value)} characters; at most {limit}).")
        )
    # Control characters (other than tab and newlines) and broken surrogates never belong in
    # a record (carecoord.domain.ranges).
    if has_bad_characters(value):
        problems.append(Problem(name, f"{label} contains invisible control characters; retype it."))


def validate_patient(data: PatientInput, today: dt.date) -> list[Problem]:
    """Every problem with the record, each tied to its field, in the user's words."""
    problems: list[Problem] = []
    mrn = clean_text(data.mrn)
    if not mrn:
        problems.append(Problem("mrn", "Enter the medical record number."))
    elif len(mrn) > MAX_MRN_LENGTH:
        problems.append(
            Problem("mrn", f"The record number is too long (at most {MAX_MRN_LENGTH} characters).")
        )
    elif not MRN_PATTERN.match(mrn):
        problems.append(
            Problem("mrn", "The record number may contain only letters, digits, '-', '/' and '.'.")
        )
    if not clean_text(data.family_name):
        problems.append(Problem("family_name", "Enter the family name."))
    if not clean_text(data.given_names):
        problems.append(Problem("given_names", "Enter the given name(s)."))
    for name, label in (("family_name", "The family name"), ("given_names", "The given name")):
        _check_text(problems, name, label, getattr(data, name), MAX_NAME_LENGTH)
    for name, label in (
        ("diagnosis", "The diagnosis"),
        ("injury_level", "The level of injury"),
        ("phone", "The phone number"),
        ("email", "The email"),
        ("address", "The address"),
        ("caregiver_name", "The caregiver's name"),
        ("caregiver_phone", "The caregiver's phone"),
        ("allergies", "The allergies"),
        ("notes", "The notes"),
    ):
        _check_text(problems, name, label, getattr(data, name), MAX_TEXT_LENGTH)

    if data.date_of_birth is None:
        problems.append(Problem("date_of_birth", "Enter the date of birth."))
    elif data.date_of_birth > today:
        problems.append(Problem("date_of_birth", "The date of birth is in the future."))
    elif age_on(data.date_of_birth, today) > MAX_AGE_YEARS:
        problems.append(
            Problem(
                "date_of_birth",
                f"The date of birth makes the patient older than {MAX_AGE_YEARS}; check the year.",
            )
        )

    if data.weight_kg is not None and not (MIN_WEIGHT_KG <= data.weight_kg <= MAX_WEIGHT_KG):
        problems.append(
            Problem(
                "weight_kg",
                f"A weight of {data.weight_kg} kg is not possible; enter it in kilograms ({MIN_WEIGHT_KG}-{MAX_WEIGHT_KG}).",
            )
        )

    if data.origin is None and data.status is not PatientStatus.REFERRED:
        problems.append(
            Problem("origin", "Choose whether the spasticity is of spinal or cerebral origin.")
        )
    if (
        data.origin is Origin.SPINAL
        and not clean_text(data.injury_level)
        and data.status
        not in (PatientStatus.REFERRED, PatientStatus.RETIRED, PatientStatus.DECLINED)
    ):
        problems.append(
            Problem(
                "injury_level",
                "Enter the level of injury (for example T6): withdrawal risk is highest at T6 or above.",
                Severity.WARNING,
            )
        )
    if data.injury_date is not None:
        if data.injury_date > today:
            problems.append(Problem("injury_date", "The date of injury is in the future."))
        elif data.date_of_birth is not None and data.injury_date < data.date_of_birth:
            problems.append(
                Problem("injury_date", "The date of injury is before the date of birth.")
            )
    if data.email and "@" not in data.email:
        problems.append(Problem("email", "The email address needs an '@'."))
    lang = clean_text(data.preferred_language)
    if not re.fullmatch(r"[a-z]{2,3}(-[A-Za-z]{2,4})?", lang or "x"):
        problems.append(
            Problem("preferred_language", "Choose the preferred language from the list.")
        )
    return problems
