"""Discipline evaluations: form definitions as data, content validation and the signing lifecycle.

CLINICAL.md section 7 gives each discipline's focus. A GUI builds the form from ``FORMS``;
``validate_values`` checks content for a draft (types and ranges only) or for signing (also
every required field). Lifecycle: a draft is signed by a user of the form's own discipline; a
signed evaluation is frozen; it changes only through an amendment, a new version that points to
the one it amends (which stays visible and stays in force until the amendment is signed).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal
from enum import StrEnum
from typing import Any

from carecoord.domain.diagnoses import Diagnosis
from carecoord.domain.enums import Discipline, Origin
from carecoord.domain.errors import Problem, ValidationFailed, errors_only, raise_if_errors
from carecoord.domain.ranges import (
    DIASTOLIC_MMHG,
    DISTANCE_KM,
    HEART_RATE_PER_MIN,
    LONG_TEXT,
    RESPIRATORY_RATE_PER_MIN,
    SYSTOLIC_MMHG,
    TEMPERATURE_C,
    WEIGHT_KG,
    Span,
    text_problems,
)
from carecoord.domain.scales import ScaleKind, read_decimal, scale_from_dict
from carecoord.domain.screening import BOLUS_DOSES_MCG
from carecoord.domain.settings import ClinicSettings
from carecoord.domain.units import format_number


class FieldKind(StrEnum):
    TEXT = "text"
    CHOICE = "choice"
    NUMBER = "number"
    SCALE = "scale"


class Recommendation(StrEnum):
    PROCEED_TO_SCREENING = "proceed_to_screening"
    PROCEED_TO_IMPLANT = "proceed_to_implant"
    NOT_RECOMMENDED = "not_recommended"
    NEEDS_MORE_INFORMATION = "needs_more_information"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()

    @property
    def needs_reason(self) -> bool:
        return self in (Recommendation.NOT_RECOMMENDED, Recommendation.NEEDS_MORE_INFORMATION)


@dataclass(frozen=True)
class FieldSpec:
    """One field of a form, described as data for the GUI."""

    key: str
    label: str
    kind: FieldKind
    required_for_signing: bool = False
    section: str = ""
    help: str = ""
    choices: tuple[tuple[str, str], ...] = ()  # (stored value, label)
    unit: str = ""
    minimum: Decimal | None = None
    maximum: Decimal | None = None
    scale: ScaleKind | None = None
    # The value's physiological range (carecoord.domain.ranges): refused outside, a warning
    # outside its usual part.
    span: Span | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "label": self.label,
            "kind": self.kind.value,
            "required_for_signing": self.required_for_signing,
            "section": self.section,
            "help": self.help,
            "choices": [list(c) for c in self.choices],
            "unit": self.unit,
            "minimum": None if self.minimum is None else str(self.minimum),
            "maximum": None if self.maximum is None else str(self.maximum),
            "scale": None if self.scale is None else self.scale.value,
            "span": None
            if self.span is None
            else {"low": str(self.span.low), "high": str(self.span.high)},
        }


@dataclass(frozen=True)
class EvaluationForm:
    discipline: Discipline
    title: str
    fields: tuple[FieldSpec, ...]

    @property
    def scales(self) -> tuple[ScaleKind, ...]:
        return tuple(f.scale for f in self.fields if f.scale is not None)

    def field(self, key: str) -> FieldSpec:
        for spec in self.fields:
            if spec.key == key:
                return spec
        raise KeyError(key)

    @property
    def required_keys(self) -> tuple[str, ...]:
        return tuple(f.key for f in self.fields if f.required_for_signing)


def _text(key: str, label: str, section: str, required: bool = True, help: str = "") -> FieldSpec:
    return FieldSpec(key, label, FieldKind.TEXT, required, section, help)


def _scale(kind: ScaleKind, key: str, section: str, required: bool = False) -> FieldSpec:
    return FieldSpec(key, kind.label, FieldKind.SCALE, required, section, scale=kind)


def _choice(
    key: str, label: str, section: str, choices: Iterable[tuple[str, str]], required: bool = True
) -> FieldSpec:
    return FieldSpec(key, label, FieldKind.CHOICE, required, section, choices=tuple(choices))


_ZERO = Decimal(0)
_COMMON = (
    _text("findings", "Findings", "Conclusion"),
    _choice(
        "recommendation",
        "Recommendation",
        "Conclusion",
        [(r.value, r.label) for r in Recommendation],
    ),
    _text(
        "recommendation_reason",
        "Reason for the recommendation",
        "Conclusion",
        required=False,
        help="Required when not recommended or when more information is needed.",
    ),
)

_SCREENING_ROUTES = (
    ("bolus_lumbar_puncture", "Bolus by lumbar puncture"),
    ("continuous_catheter", "Continuous trial by temporary catheter"),
    ("not_ordered", "Not ordered yet"),
)

FORMS: dict[Discipline, EvaluationForm] = {
    Discipline.PHYSIATRIST: EvaluationForm(
        Discipline.PHYSIATRIST,
        "Physiatrist evaluation",
        (
            _choice("diagnosis", "Diagnosis", "Diagnosis", [(d.value, d.label) for d in Diagnosis]),
            _text("diagnosis_details", "Diagnosis details", "Diagnosis", required=False),
            _choice(
                "origin", "Origin of spasticity", "Diagnosis", [(o.value, o.label) for o in Origin]
            ),
            _text(
                "oral_therapy",
                "Oral therapy",
                "Oral therapy",
                help="Your conclusion on the oral trials recorded for this patient.",
            ),
            _text("contraindications", "Contraindications", "Contraindications"),
            _text(
                "goals",
                "Patient's goals",
                "Goals",
                help="Mobility and positioning, daily activities, caregiver time, wheelchair "
                "tolerance, sleep, pain.",  # [5]
            ),
            _scale(ScaleKind.MAS, "mas", "Scales"),
            _scale(ScaleKind.PENN, "penn", "Scales"),
            _scale(ScaleKind.GAS, "gas", "Scales"),
            _scale(ScaleKind.GMFCS, "gmfcs", "Scales"),
            _scale(ScaleKind.PAIN_NRS, "pain", "Scales"),
            _choice("screening_route", "Screening order", "Screening", _SCREENING_ROUTES, False),
            FieldSpec(
                "screening_dose_mcg",
                "Screening bolus dose",
                FieldKind.NUMBER,
                False,
                "Screening",
                help="25, 50, 75 or 100 mcg.",  # [5][9][10][11]
                unit="mcg",
                minimum=min(BOLUS_DOSES_MCG),
                maximum=max(BOLUS_DOSES_MCG),
            ),
            _text("dose_plan", "Dose plan", "Screening", required=False),
            *_COMMON,
        ),
    ),
    Discipline.PHYSICAL_THERAPIST: EvaluationForm(
        Discipline.PHYSICAL_THERAPIST,
        "Physical therapy evaluation",
        (
            _text("tone", "Tone", "Tone"),
            _scale(ScaleKind.MAS, "mas", "Tone", required=True),
            _scale(ScaleKind.TARDIEU, "tardieu", "Tone"),
            _scale(ScaleKind.PENN, "penn", "Tone"),
            _text("range_of_motion", "Range of motion", "Function"),
            _text("strength", "Strength", "Function"),
            _text("transfers", "Transfers", "Function"),
            _text("gait", "Gait", "Function"),
            _text("positioning", "Positioning", "Function"),
            _scale(ScaleKind.GMFCS, "gmfcs", "Scales"),
            _scale(ScaleKind.GAS, "gas", "Scales"),
            *_COMMON,
        ),
    ),
    Discipline.OCCUPATIONAL_THERAPIST: EvaluationForm(
        Discipline.OCCUPATIONAL_THERAPIST,
        "Occupational therapy evaluation",
        (
            _text("upper_limb", "Upper limb", "Function"),
            _text("daily_activities", "Daily activities", "Function"),
            _text("seating", "Seating", "Function"),
            _scale(ScaleKind.MAS, "mas", "Scales"),
            _scale(ScaleKind.FIM, "fim", "Scales"),
            _scale(ScaleKind.BARTHEL, "barthel", "Scales"),
            _scale(ScaleKind.GAS, "gas", "Scales"),
            *_COMMON,
        ),
    ),
    Discipline.NURSE: EvaluationForm(
        Discipline.NURSE,
        "Nursing evaluation",
        (
            FieldSpec(
                "systolic_mmhg",
                "Systolic pressure",
                FieldKind.NUMBER,
                True,
                "Vital signs",
                unit="mmHg",
                minimum=_ZERO,
                span=SYSTOLIC_MMHG,
            ),
            FieldSpec(
                "diastolic_mmhg",
                "Diastolic pressure",
                FieldKind.NUMBER,
                True,
                "Vital signs",
                unit="mmHg",
                minimum=_ZERO,
                span=DIASTOLIC_MMHG,
            ),
            FieldSpec(
                "heart_rate_per_min",
                "Heart rate",
                FieldKind.NUMBER,
                True,
                "Vital signs",
                unit="/min",
                minimum=_ZERO,
                span=HEART_RATE_PER_MIN,
            ),
            FieldSpec(
                "respiratory_rate_per_min",
                "Respiratory rate",
                FieldKind.NUMBER,
                False,
                "Vital signs",
                unit="/min",
                minimum=_ZERO,
                span=RESPIRATORY_RATE_PER_MIN,
            ),
            FieldSpec(
                "temperature_c",
                "Temperature",
                FieldKind.NUMBER,
                False,
                "Vital signs",
                unit="°C",
                minimum=_ZERO,
                span=TEMPERATURE_C,
            ),
            FieldSpec(
                "weight_kg",
                "Weight",
                FieldKind.NUMBER,
                True,
                "Body",
                unit="kg",
                minimum=_ZERO,
                span=WEIGHT_KG,
            ),
            _text("skin_and_infection", "Skin and infection", "Body"),
            _text("bladder_and_bowel", "Bladder and bowel", "Body"),
            _text("medicines", "Medicines", "Medicines"),
            _text(
                "allergies",
                "Allergies",
                "Medicines",
                help="Write “none known” when there are none.",
            ),
            _text("teaching", "Teaching", "Teaching"),
            _scale(ScaleKind.PAIN_NRS, "pain", "Scales"),
            *_COMMON,
        ),
    ),
    Discipline.SOCIAL_WORKER: EvaluationForm(
        Discipline.SOCIAL_WORKER,
        "Social work evaluation",
        (
            _text("caregiver", "Caregiver", "Support"),
            _text("transport", "Transport to refill visits", "Access"),
            FieldSpec(
                "distance_km",
                "Distance to the clinic",
                FieldKind.NUMBER,
                False,
                "Access",
                unit="km",
                minimum=_ZERO,
                span=DISTANCE_KM,
            ),
            _choice(
                "adherence",
                "Adherence",
                "Access",
                [("good", "Good"), ("some_concerns", "Some concerns"), ("poor", "Poor")],
            ),
            _text("adherence_notes", "Adherence notes", "Access", required=False),
            _text("coverage", "Coverage", "Coverage"),
            *_COMMON,
        ),
    ),
}


def form_for(discipline: Discipline) -> EvaluationForm:
    return FORMS[Discipline(discipline)]


def required_disciplines(settings: ClinicSettings) -> tuple[Discipline, ...]:
    """The disciplines whose signed evaluation the candidacy rule requires (a setting)."""
    out: list[Discipline] = []
    for part in settings.required_evaluation_disciplines.split(","):
        if part.strip():
            d = Discipline(part.strip())
            if d not in out:
                out.append(d)
    return tuple(out)


# ---------------------------------------------------------------------------------------------
# Content validation.


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or value == {}


def validate_values(
    form: EvaluationForm, values: Mapping[str, Any], *, for_signing: bool
) -> list[Problem]:
    """Problems with a form's content; a draft needs only well-formed values."""
    problems: list[Problem] = []
    known = {f.key for f in form.fields}
    for key in values:
        if key not in known:
            problems.append(Problem(key, f"“{key}” is not a field of the {form.title.lower()}."))
    for spec in form.fields:
        value = values.get(spec.key)
        if _empty(value):
            if for_signing and spec.required_for_signing:
                problems.append(Problem(spec.key, f"{spec.label}: required to sign."))
            continue
        problems.extend(_check_value(spec, value))
    recommendation = values.get("recommendation")
    if (
        for_signing
        and recommendation in {r.value for r in Recommendation if r.needs_reason}
        and _empty(values.get("recommendation_reason"))
    ):
        problems.append(
            Problem(
                "recommendation_reason",
                f"Say why: “{Recommendation(recommendation).label}” needs a reason.",
            )
        )
    if form.discipline is Discipline.PHYSIATRIST:
        problems.extend(_check_screening_order(values, for_signing))
    if form.discipline is Discipline.NURSE:
        s, d = values.get("systolic_mmhg"), values.get("diastolic_mmhg")
        if not _empty(s) and not _empty(d):
            sink: list[Problem] = []
            sv = read_decimal(s, "systolic_mmhg", "Systolic", sink)
            dv = read_decimal(d, "diastolic_mmhg", "Diastolic", sink)
            if sv is not None and dv is not None and dv >= sv:
                problems.append(Problem("diastolic_mmhg", "Diastolic must be below systolic."))
    return problems


def _check_value(spec: FieldSpec, value: Any) -> list[Problem]:
    problems: list[Problem] = []
    if spec.kind is FieldKind.TEXT:
        problems.extend(text_problems(spec.key, spec.label, value, max_length=LONG_TEXT))
    elif spec.kind is FieldKind.CHOICE:
        allowed = [c[0] for c in spec.choices]
        if value not in allowed:
            problems.append(
                Problem(
                    spec.key,
                    f"{spec.label}: choose one of {', '.join(c[1] for c in spec.choices)}.",
                )
            )
    elif spec.kind is FieldKind.NUMBER:
        number = read_decimal(value, spec.key, spec.label, problems)
        if number is not None and spec.span is not None:
            problems.extend(spec.span.problems(spec.key, number))
        elif number is not None:
            unit = f" {spec.unit}" if spec.unit else ""
            if spec.minimum is not None and number < spec.minimum:
                problems.append(
                    Problem(
                        spec.key,
                        f"{spec.label} must be at least {format_number(spec.minimum)}{unit}.",
                    )
                )
            if spec.maximum is not None and number > spec.maximum:
                problems.append(
                    Problem(
                        spec.key,
                        f"{spec.label} must be at most {format_number(spec.maximum)}{unit}.",
                    )
                )
    elif spec.kind is FieldKind.SCALE:
        try:
            scale_from_dict(value, expected=spec.scale)
        except ValidationFailed as exc:
            problems.extend(Problem(f"{spec.key}.{p.field}", p.message) for p in exc.problems)
    return problems


def _check_screening_order(values: Mapping[str, Any], for_signing: bool) -> list[Problem]:
    problems: list[Problem] = []
    route, dose = values.get("screening_route"), values.get("screening_dose_mcg")
    if not _empty(dose):
        sink: list[Problem] = []
        number = read_decimal(dose, "screening_dose_mcg", "Dose", sink)
        if number is not None and number not in BOLUS_DOSES_MCG:
            problems.append(
                Problem("screening_dose_mcg", "A screening bolus is 25, 50, 75 or 100 mcg.")
            )
        if route != "bolus_lumbar_puncture":
            problems.append(Problem("screening_dose_mcg", "A bolus dose goes with a bolus order."))
    elif for_signing and route == "bolus_lumbar_puncture":
        problems.append(Problem("screening_dose_mcg", "Give the dose of the screening bolus."))
    return problems


def normalized_values(form: EvaluationForm, values: Mapping[str, Any]) -> dict[str, Any]:
    """JSON-ready content (numbers as exact text, scales re-dumped); raises on errors."""
    raise_if_errors(validate_values(form, values, for_signing=False))
    out: dict[str, Any] = {}
    for spec in form.fields:
        value = values.get(spec.key)
        if _empty(value):
            continue
        if spec.kind is FieldKind.NUMBER:
            out[spec.key] = str(read_decimal(value, spec.key, spec.label, []))
        elif spec.kind is FieldKind.SCALE:
            out[spec.key] = scale_from_dict(value).to_dict()
        elif spec.kind is FieldKind.TEXT:
            out[spec.key] = value.strip()
        else:
            out[spec.key] = value
    return out


# ---------------------------------------------------------------------------------------------
# Lifecycle.


class EvaluationStatus(StrEnum):
    DRAFT = "draft"
    SIGNED = "signed"

    @property
    def label(self) -> str:
        return self.value.capitalize()


@dataclass(frozen=True)
class Evaluation:
    """One version of one discipline's evaluation of a patient."""

    id: int | str | None
    discipline: Discipline
    status: EvaluationStatus = EvaluationStatus.DRAFT
    values: Mapping[str, Any] = field(default_factory=dict)
    author_id: int | str | None = None
    version: int = 1
    amends_id: int | str | None = None  # the version this one amends
    amendment_reason: str = ""
    signed_by: int | str | None = None
    signed_at: dt.datetime | None = None

    @property
    def form(self) -> EvaluationForm:
        return form_for(self.discipline)

    @property
    def recommendation(self) -> Recommendation | None:
        value = self.values.get("recommendation")
        return Recommendation(value) if value in set(Recommendation) else None

    @property
    def is_amendment(self) -> bool:
        return self.amends_id is not None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "discipline": self.discipline.value,
            "status": self.status.value,
            "values": dict(self.values),
            "author_id": self.author_id,
            "version": self.version,
            "amends_id": self.amends_id,
            "amendment_reason": self.amendment_reason,
            "signed_by": self.signed_by,
            "signed_at": self.signed_at.isoformat() if self.signed_at else None,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Evaluation:
        signed_at = data.get("signed_at")
        return cls(
            id=data.get("id"),
            discipline=Discipline(data["discipline"]),
            status=EvaluationStatus(data.get("status", "draft")),
            values=dict(data.get("values") or {}),
            author_id=data.get("author_id"),
            version=int(data.get("version", 1)),
            amends_id=data.get("amends_id"),
            amendment_reason=data.get("amendment_reason") or "",
            signed_by=data.get("signed_by"),
            signed_at=dt.datetime.fromisoformat(signed_at) if signed_at else None,
        )


@dataclass(frozen=True)
class Permission:
    allowed: bool
    reason: str = ""

    def __bool__(self) -> bool:
        return self.allowed


_OK = Permission(True)


def new_draft(
    discipline: Discipline,
    author_id: int | str | None,
    values: Mapping[str, Any] | None = None,
    *,
    id: int | str | None = None,
) -> Evaluation:
    form = form_for(discipline)
    return Evaluation(
        id=id,
        discipline=Discipline(discipline),
        values=normalized_values(form, values or {}),
        author_id=author_id,
    )


def may_edit(evaluation: Evaluation, user_discipline: Discipline) -> Permission:
    if evaluation.status is EvaluationStatus.SIGNED:
        return Permission(False, "A signed evaluation is frozen; change it with an amendment.")
    if Discipline(user_discipline) is not evaluation.discipline:
        return Permission(
            False, f"Only a {evaluation.discipline.label.lower()} edits this evaluation."
        )
    return _OK


def update_draft(
    evaluation: Evaluation, values: Mapping[str, Any], user_discipline: Discipline
) -> Evaluation:
    """New content for a draft; refuses frozen evaluations and other disciplines."""
    permission = may_edit(evaluation, user_discipline)
    if not permission:
        raise ValidationFailed.single("status", permission.reason)
    return replace(evaluation, values=normalized_values(evaluation.form, values))


def may_sign(evaluation: Evaluation, user_discipline: Discipline) -> Permission:
    """May a user of ``user_discipline`` sign this now? The reason says why not."""
    if evaluation.status is EvaluationStatus.SIGNED:
        return Permission(False, "Already signed.")
    if Discipline(user_discipline) is not evaluation.discipline:
        return Permission(
            False,
            f"Only a {evaluation.discipline.label.lower()} signs the "
            f"{evaluation.form.title.lower()}.",
        )
    if evaluation.is_amendment and not evaluation.amendment_reason.strip():
        return Permission(False, "An amendment needs a reason.")
    problems = errors_only(validate_values(evaluation.form, evaluation.values, for_signing=True))
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        return Permission(False, f"{problems[0].message}{more}")
    return _OK


def sign(
    evaluation: Evaluation,
    *,
    user_id: int | str,
    user_discipline: Discipline,
    when: dt.datetime,
) -> Evaluation:
    """The signed, frozen version; raises ValidationFailed with every problem when refused."""
    permission = may_sign(evaluation, user_discipline)
    if not permission:
        problems = errors_only(
            validate_values(evaluation.form, evaluation.values, for_signing=True)
        )
        raise ValidationFailed(problems or [Problem("status", permission.reason)])
    if when.tzinfo is None:
        raise ValidationFailed.single("signed_at", "The signing time must carry a time zone.")
    return replace(evaluation, status=EvaluationStatus.SIGNED, signed_by=user_id, signed_at=when)


def may_amend(
    evaluation: Evaluation,
    user_discipline: Discipline,
    all_versions: Iterable[Evaluation] = (),
) -> Permission:
    """Only a signed, latest version is amended, by its own discipline."""
    if evaluation.status is not EvaluationStatus.SIGNED:
        return Permission(False, "A draft is edited, not amended.")
    if Discipline(user_discipline) is not evaluation.discipline:
        return Permission(
            False, f"Only a {evaluation.discipline.label.lower()} amends this evaluation."
        )
    for other in all_versions:
        if other.amends_id is not None and other.amends_id == evaluation.id:
            state = "an amendment in draft" if other.status is EvaluationStatus.DRAFT else "amended"
            return Permission(False, f"This version already has {state}: amend the latest.")
    return _OK


def start_amendment(
    original: Evaluation,
    *,
    user_id: int | str,
    user_discipline: Discipline,
    reason: str,
    all_versions: Iterable[Evaluation] = (),
    id: int | str | None = None,
) -> Evaluation:
    """A new draft version carrying the original's content; the original stays unchanged."""
    permission = may_amend(original, user_discipline, all_versions)
    if not permission:
        raise ValidationFailed.single("status", permission.reason)
    if not reason.strip():
        raise ValidationFailed.single("amendment_reason", "Say why the evaluation is amended.")
    return Evaluation(
        id=id,
        discipline=original.discipline,
        values=dict(original.values),
        author_id=user_id,
        version=original.version + 1,
        amends_id=original.id,
        amendment_reason=reason.strip(),
    )


def superseded_ids(evaluations: Iterable[Evaluation]) -> set[int | str]:
    """Ids of signed versions replaced by a signed amendment."""
    return {
        e.amends_id
        for e in evaluations
        if e.status is EvaluationStatus.SIGNED and e.amends_id is not None
    }


def current_signed(evaluations: Iterable[Evaluation]) -> dict[Discipline, Evaluation]:
    """The evaluation in force per discipline: the latest signed one not superseded."""
    items = list(evaluations)
    replaced = superseded_ids(items)
    current: dict[Discipline, Evaluation] = {}
    for e in items:
        if e.status is not EvaluationStatus.SIGNED or e.id in replaced:
            continue
        best = current.get(e.discipline)
        key = (e.signed_at or dt.datetime.min.replace(tzinfo=dt.UTC), e.version)
        if best is None or key > (
            best.signed_at or dt.datetime.min.replace(tzinfo=dt.UTC),
            best.version,
        ):
            current[e.discipline] = e
    return current
