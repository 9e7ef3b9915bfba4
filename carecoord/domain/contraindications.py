"""Contraindication screen (CLINICAL.md section 1) and the age and brain-injury timing rules.

A screen answers each listed item present / absent. Absolute items and acute events block
screening and implant; relative items warn (or block when the clinic's setting says so); an item
left unanswered is "not assessed": it blocks for absolute and acute items, warns for relative.
Patient-derived rules: age under ``min_age_years`` [2] needs a written reason; a traumatic brain
injury less than ``tbi_wait_years`` ago [1][3] blocks until its anniversary.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from carecoord.domain.diagnoses import Diagnosis
from carecoord.domain.errors import Problem, raise_if_errors
from carecoord.domain.settings import ClinicSettings
from carecoord.domain.units import format_date


class ContraindicationKind(StrEnum):
    ABSOLUTE = "absolute"
    ACUTE = "acute"  # do not screen now; reassess when it has resolved
    RELATIVE = "relative"

    @property
    def label(self) -> str:
        return {
            ContraindicationKind.ABSOLUTE: "Absolute",
            ContraindicationKind.ACUTE: "Acute event: do not screen now",
            ContraindicationKind.RELATIVE: "Relative",
        }[self]


class Contraindication(StrEnum):
    # Absolute [3][4][5].
    BACLOFEN_HYPERSENSITIVITY = "baclofen_hypersensitivity"
    SYSTEMIC_INFECTION = "systemic_infection"
    URINARY_INFECTION = "urinary_infection"
    NON_HEALING_WOUND = "non_healing_wound"
    BODY_TOO_SMALL = "body_too_small"
    SPINAL_ANOMALY = "spinal_anomaly"
    # Acute events [3][4][5].
    MS_RELAPSE = "ms_relapse"
    OTHER_ACUTE_EVENT = "other_acute_event"
    # Relative, from one payer policy [39][8].
    ATHETOSIS = "athetosis"
    AUTONOMIC_DYSREFLEXIA = "autonomic_dysreflexia"
    PSYCHOTIC_DISORDER = "psychotic_disorder"
    POOR_ADHERENCE = "poor_adherence"
    NO_REFILL_ACCESS = "no_refill_access"

    @property
    def kind(self) -> ContraindicationKind:
        return _KINDS[self]

    @property
    def label(self) -> str:
        return _LABELS[self]


_A, _C, _R = (
    ContraindicationKind.ABSOLUTE,
    ContraindicationKind.ACUTE,
    ContraindicationKind.RELATIVE,
)
_KINDS = {
    Contraindication.BACLOFEN_HYPERSENSITIVITY: _A,
    Contraindication.SYSTEMIC_INFECTION: _A,
    Contraindication.URINARY_INFECTION: _A,
    Contraindication.NON_HEALING_WOUND: _A,
    Contraindication.BODY_TOO_SMALL: _A,
    Contraindication.SPINAL_ANOMALY: _A,
    Contraindication.MS_RELAPSE: _C,
    Contraindication.OTHER_ACUTE_EVENT: _C,
    Contraindication.ATHETOSIS: _R,
    Contraindication.AUTONOMIC_DYSREFLEXIA: _R,
    Contraindication.PSYCHOTIC_DISORDER: _R,
    Contraindication.POOR_ADHERENCE: _R,
    Contraindication.NO_REFILL_ACCESS: _R,
}
_LABELS = {
    Contraindication.BACLOFEN_HYPERSENSITIVITY: "Hypersensitivity to baclofen",
    Contraindication.SYSTEMIC_INFECTION: "Active systemic infection",
    Contraindication.URINARY_INFECTION: "Active urinary infection",
    Contraindication.NON_HEALING_WOUND: "Non-healing wound",
    Contraindication.BODY_TOO_SMALL: "Body too small for the pump",
    Contraindication.SPINAL_ANOMALY: "Spinal anomaly preventing catheter placement",
    Contraindication.MS_RELAPSE: "Multiple sclerosis relapse",
    Contraindication.OTHER_ACUTE_EVENT: "Other acute event",
    Contraindication.ATHETOSIS: "More than mild athetosis",
    Contraindication.AUTONOMIC_DYSREFLEXIA: "History of autonomic dysreflexia",
    Contraindication.PSYCHOTIC_DISORDER: "Psychotic disorder",
    Contraindication.POOR_ADHERENCE: "Poor adherence",
    Contraindication.NO_REFILL_ACCESS: "No way to attend refill visits",
}


@dataclass(frozen=True)
class ContraindicationScreen:
    """The physiatrist's answers: item -> True (present) / False (absent); missing = not assessed.

    ``young_age_reason`` is the written justification for screening a child younger than the
    clinic's minimum age [2]; without it the age rule blocks.
    """

    id: int | str | None
    assessed_on: dt.date
    answers: Mapping[Contraindication, bool] = field(default_factory=dict)
    notes: str = ""
    young_age_reason: str = ""

    def __post_init__(self) -> None:
        problems: list[Problem] = []
        answers: dict[Contraindication, bool] = {}
        for key, value in dict(self.answers).items():
            try:
                item = Contraindication(key)
            except ValueError:
                problems.append(Problem(f"answers.{key}", f"“{key}” is not a listed item."))
                continue
            if not isinstance(value, bool):
                problems.append(Problem(f"answers.{key}", f"{item.label}: answer yes or no."))
                continue
            answers[item] = value
        if not isinstance(self.assessed_on, dt.date):
            problems.append(Problem("assessed_on", "Enter the date of the screen."))
        raise_if_errors(problems)
        object.__setattr__(self, "answers", answers)

    @property
    def present(self) -> tuple[Contraindication, ...]:
        return tuple(c for c in Contraindication if self.answers.get(c) is True)

    @property
    def not_assessed(self) -> tuple[Contraindication, ...]:
        return tuple(c for c in Contraindication if c not in self.answers)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "assessed_on": self.assessed_on.isoformat(),
            "answers": {c.value: v for c, v in self.answers.items()},
            "notes": self.notes,
            "young_age_reason": self.young_age_reason,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ContraindicationScreen:
        return cls(
            id=data.get("id"),
            assessed_on=dt.date.fromisoformat(data["assessed_on"]),
            answers=dict(data.get("answers") or {}),
            notes=data.get("notes") or "",
            young_age_reason=data.get("young_age_reason") or "",
        )


class FindingEffect(StrEnum):
    BLOCKS = "blocks"
    WARNS = "warns"


@dataclass(frozen=True)
class ContraindicationFinding:
    # A Contraindication value, "not_assessed:<value>", "young_age", "tbi_wait" or
    # "tbi_injury_date_missing".
    code: str
    effect: FindingEffect
    words: str
    until: dt.date | None = None  # when a time rule stops applying


def add_years(day: dt.date, years: int) -> dt.date:
    """Same calendar day ``years`` later; 29 February becomes 1 March."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, month=3, day=1)


def age_in_years(birth_date: dt.date, on: dt.date) -> int:
    years = on.year - birth_date.year
    if (on.month, on.day) < (birth_date.month, birth_date.day):
        years -= 1
    return years


def assess_contraindications(
    screen: ContraindicationScreen | None,
    *,
    today: dt.date,
    settings: ClinicSettings,
    birth_date: dt.date | None = None,
    diagnosis: Diagnosis | None = None,
    injury_date: dt.date | None = None,
) -> list[ContraindicationFinding]:
    """Everything that blocks or warns, from the screen and from the patient's facts.

    A missing screen is not a finding here: the candidacy rule reports it as missing work-up.
    """
    findings: list[ContraindicationFinding] = []
    if screen is not None:
        for item in screen.present:
            if item.kind is ContraindicationKind.RELATIVE:
                effect = (
                    FindingEffect.BLOCKS
                    if settings.relative_contraindications_block
                    else FindingEffect.WARNS
                )
                words = f"Relative contraindication: {item.label}."
            elif item.kind is ContraindicationKind.ACUTE:
                effect = FindingEffect.BLOCKS
                words = f"Acute event: {item.label}. Do not screen until it has resolved."
            else:
                effect = FindingEffect.BLOCKS
                words = f"Contraindication: {item.label}."
            findings.append(ContraindicationFinding(item.value, effect, words))
        for item in screen.not_assessed:
            effect = (
                FindingEffect.WARNS
                if item.kind is ContraindicationKind.RELATIVE
                else FindingEffect.BLOCKS
            )
            findings.append(
                ContraindicationFinding(
                    f"not_assessed:{item.value}", effect, f"Not assessed: {item.label}."
                )
            )
    if birth_date is not None and age_in_years(birth_date, today) < settings.min_age_years:
        until = add_years(birth_date, settings.min_age_years)
        if screen is not None and screen.young_age_reason.strip():
            findings.append(
                ContraindicationFinding(
                    "young_age",
                    FindingEffect.WARNS,
                    f"Younger than {settings.min_age_years} years: safety and efficacy not "
                    f"established. Reason given: {screen.young_age_reason.strip()}",
                    until,
                )
            )
        else:
            findings.append(
                ContraindicationFinding(
                    "young_age",
                    FindingEffect.BLOCKS,
                    f"Younger than {settings.min_age_years} years: safety and efficacy not "
                    f"established. The physiatrist must write a reason to go ahead.",
                    until,
                )
            )
    if diagnosis is Diagnosis.TRAUMATIC_BRAIN_INJURY:
        if injury_date is None:
            findings.append(
                ContraindicationFinding(
                    "tbi_injury_date_missing",
                    FindingEffect.BLOCKS,
                    "Enter the date of the brain injury: screening waits "
                    f"{_years(settings.tbi_wait_years)} after it.",
                )
            )
        else:
            until = add_years(injury_date, settings.tbi_wait_years)
            if today < until:
                findings.append(
                    ContraindicationFinding(
                        "tbi_wait",
                        FindingEffect.BLOCKS,
                        f"Brain injury on {format_date(injury_date)}: wait "
                        f"{_years(settings.tbi_wait_years)}, until {format_date(until)}.",
                        until,
                    )
                )
    return findings


def _years(n: int) -> str:
    return "1 year" if n == 1 else f"{n} years"
