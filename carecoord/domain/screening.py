"""The screening (test-dose) trial, its response rule and the next step (CLINICAL.md section 2).

Decisions documented here:
- A bolus by lumbar puncture must be one of 25, 50, 75 or 100 mcg [5][9][10][11]; anything else
  (500 mcg, 60 mcg) is refused. Escalation climbs this ladder one step at a time, at least 24 h
  apart [9][10]; no response at 100 mcg means not a candidate.
- A continuous catheter trial records a daily dose in mcg/day (positive; CLINICAL.md gives no
  range) and a duration; outside 48-72 h is a warning [41]. A negative continuous trial counts
  as a negative screen (it is the alternative to the bolus ladder, not a rung of it).
- The response compares each post-dose MAS assessment with the baseline over the muscle groups
  graded at both (matched by group and side); the best post-dose assessment decides [41].
- Times are timezone-aware datetimes.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any

from carecoord.domain import ranges
from carecoord.domain.enums import Origin
from carecoord.domain.errors import (
    Problem,
    Severity,
    ValidationFailed,
    errors_only,
    raise_if_errors,
)
from carecoord.domain.scales import MasAssessment, read_decimal, read_enum
from carecoord.domain.settings import ClinicSettings, ScreeningResponseRule
from carecoord.domain.units import format_datetime, format_mcg, format_number

BOLUS_DOSES_MCG: tuple[Decimal, ...] = tuple(Decimal(d) for d in (25, 50, 75, 100))  # [5][9]
STANDARD_START_MCG = Decimal(50)  # [9][10]
LOW_START_MCG = Decimal(25)  # very small children, patients relying on tone [5][11]
ESCALATION_INTERVAL = dt.timedelta(hours=24)  # [9][10]
CONTINUOUS_MIN_HOURS, CONTINUOUS_MAX_HOURS = Decimal(48), Decimal(72)  # [41]
ASSESSMENT_WINDOW = dt.timedelta(hours=4)  # assess at least twice within 4 h [5]
MIN_ASSESSMENTS_IN_WINDOW = 2  # [5]
VITALS_WINDOW = dt.timedelta(hours=2)  # vital signs often during the first 2 h [5]
MIN_OBSERVATION = dt.timedelta(hours=4)  # observe 4-8 h after a bolus [9][10]


class ScreeningRoute(StrEnum):
    BOLUS = "bolus_lumbar_puncture"
    CONTINUOUS = "continuous_catheter"

    @property
    def label(self) -> str:
        if self is ScreeningRoute.BOLUS:
            return "Bolus by lumbar puncture"
        return "Continuous trial by temporary catheter"


class AdverseEvent(StrEnum):
    """Adverse events to record during screening [5]."""

    HEADACHE = "headache"
    NAUSEA = "nausea"
    VOMITING = "vomiting"
    URINARY_RETENTION = "urinary_retention"
    LOW_BLOOD_PRESSURE = "low_blood_pressure"
    SEDATION = "sedation"
    SEIZURE = "seizure"
    SLOWED_BREATHING = "slowed_breathing"
    OTHER = "other"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


def _aware(value: Any, field_name: str, what: str, problems: list[Problem]) -> dt.datetime | None:
    if not isinstance(value, dt.datetime):
        problems.append(Problem(field_name, f"Enter the {what}."))
        return None
    if value.tzinfo is None or value.utcoffset() is None:
        problems.append(Problem(field_name, f"The {what} must carry a time zone."))
        return None
    return value


def _dt_to_text(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _dt_from_text(value: Any) -> Any:
    return dt.datetime.fromisoformat(value) if isinstance(value, str) else value


VITAL_SPANS = {
    "systolic_mmhg": ranges.SYSTOLIC_MMHG,
    "diastolic_mmhg": ranges.DIASTOLIC_MMHG,
    "heart_rate_per_min": ranges.HEART_RATE_PER_MIN,
    "respiratory_rate_per_min": ranges.RESPIRATORY_RATE_PER_MIN,
    "oxygen_saturation_percent": ranges.OXYGEN_SATURATION_PERCENT,
    "temperature_c": ranges.TEMPERATURE_C,
}


@dataclass(frozen=True)
class VitalSigns:
    """Any subset of the usual vital signs; each must be a positive number."""

    systolic_mmhg: Decimal | None = None
    diastolic_mmhg: Decimal | None = None
    heart_rate_per_min: Decimal | None = None
    respiratory_rate_per_min: Decimal | None = None
    oxygen_saturation_percent: Decimal | None = None
    temperature_c: Decimal | None = None

    def __post_init__(self) -> None:
        problems: list[Problem] = []
        for name in self._names():
            raw = getattr(self, name)
            if raw in (None, ""):
                object.__setattr__(self, name, None)
                continue
            value = read_decimal(raw, name, name.replace("_", " ").capitalize(), problems)
            if value is not None and value <= 0:
                problems.append(Problem(name, "A vital sign must be more than 0."))
            elif value is not None:
                # Impossible readings are refused (carecoord.domain.ranges); unusual ones are
                # what a screening watches for, so they are kept without a fuss.
                problems.extend(errors_only(VITAL_SPANS[name].problems(name, value)))
            object.__setattr__(self, name, value)
        # A saturation is a percentage: 100 is a physical bound, not a clinical threshold.
        if self.oxygen_saturation_percent is not None and self.oxygen_saturation_percent > 100:
            problems.append(
                Problem("oxygen_saturation_percent", "Oxygen saturation cannot exceed 100 %.")
            )
        if (
            self.systolic_mmhg is not None
            and self.diastolic_mmhg is not None
            and self.diastolic_mmhg >= self.systolic_mmhg
        ):
            problems.append(Problem("diastolic_mmhg", "Diastolic pressure must be below systolic."))
        if all(getattr(self, n) is None for n in self._names()):
            problems.append(Problem("vitals", "Enter at least one vital sign."))
        raise_if_errors(problems)

    @staticmethod
    def _names() -> tuple[str, ...]:
        return (
            "systolic_mmhg",
            "diastolic_mmhg",
            "heart_rate_per_min",
            "respiratory_rate_per_min",
            "oxygen_saturation_percent",
            "temperature_c",
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            n: (str(getattr(self, n)) if getattr(self, n) is not None else None)
            for n in self._names()
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> VitalSigns:
        return cls(**{n: data.get(n) for n in cls._names()})


@dataclass(frozen=True)
class ScreeningAssessment:
    """One observation: when, MAS per muscle group, vital signs (either or both)."""

    taken_at: dt.datetime
    mas: MasAssessment | None = None
    vitals: VitalSigns | None = None
    note: str = ""

    def __post_init__(self) -> None:
        problems: list[Problem] = []
        _aware(self.taken_at, "taken_at", "time of the assessment", problems)
        mas, vitals = self.mas, self.vitals
        try:
            if isinstance(mas, Mapping):
                mas = MasAssessment.from_dict(mas)
            if isinstance(vitals, Mapping):
                vitals = VitalSigns.from_dict(vitals)
        except ValidationFailed as exc:
            problems.extend(exc.problems)
        if mas is None and vitals is None and not problems:
            problems.append(Problem("mas", "Record the Ashworth grades or the vital signs."))
        raise_if_errors(problems)
        object.__setattr__(self, "mas", mas)
        object.__setattr__(self, "vitals", vitals)

    def to_dict(self) -> dict[str, Any]:
        return {
            "taken_at": _dt_to_text(self.taken_at),
            "mas": self.mas.to_dict() if self.mas else None,
            "vitals": self.vitals.to_dict() if self.vitals else None,
            "note": self.note,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ScreeningAssessment:
        return cls(
            taken_at=_dt_from_text(data.get("taken_at")),
            mas=data.get("mas"),  # type: ignore[arg-type]
            vitals=data.get("vitals"),  # type: ignore[arg-type]
            note=data.get("note") or "",
        )


@dataclass(frozen=True)
class AdverseEventRecord:
    event: AdverseEvent
    at: dt.datetime | None = None
    details: str = ""

    def __post_init__(self) -> None:
        problems: list[Problem] = []
        event = read_enum(AdverseEvent, self.event, "event", "Adverse event", problems)
        if self.at is not None:
            _aware(self.at, "at", "time of the event", problems)
        if event is AdverseEvent.OTHER and not self.details.strip():
            problems.append(Problem("details", "Describe the adverse event."))
        raise_if_errors(problems)
        object.__setattr__(self, "event", event)

    @property
    def words(self) -> str:
        text = self.event.label
        if self.details.strip():
            text += f": {self.details.strip()}"
        return text

    def to_dict(self) -> dict[str, Any]:
        return {"event": self.event.value, "at": _dt_to_text(self.at), "details": self.details}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> AdverseEventRecord:
        return cls(data.get("event"), _dt_from_text(data.get("at")), data.get("details") or "")  # type: ignore[arg-type]


@dataclass(frozen=True)
class ScreeningTrial:
    """A test dose and its observations. Validates on construction (errors refuse)."""

    id: int | str | None
    route: ScreeningRoute
    given_at: dt.datetime
    dose_mcg: Decimal | None = None  # bolus
    dose_mcg_per_day: Decimal | None = None  # continuous trial
    duration_hours: Decimal | None = None  # continuous trial
    baseline: ScreeningAssessment | None = None
    post_dose: tuple[ScreeningAssessment, ...] = ()
    adverse_events: tuple[AdverseEventRecord, ...] = ()
    notes: str = ""

    def __post_init__(self) -> None:
        problems: list[Problem] = []
        route = read_enum(ScreeningRoute, self.route, "route", "Route", problems)
        given_at = _aware(self.given_at, "given_at", "time the dose was given", problems)
        dose = per_day = hours = None
        if route is ScreeningRoute.BOLUS:
            dose = read_decimal(self.dose_mcg, "dose_mcg", "Bolus dose", problems)
            if dose is not None and dose not in BOLUS_DOSES_MCG:
                allowed = ", ".join(format_number(d) for d in BOLUS_DOSES_MCG)
                problems.append(
                    Problem(
                        "dose_mcg",
                        f"A screening bolus is {allowed} mcg; {format_mcg(dose)} is not allowed.",
                    )
                )
            if self.dose_mcg_per_day is not None or self.duration_hours is not None:
                problems.append(
                    Problem("route", "A bolus has no daily dose or duration; choose one route.")
                )
        elif route is ScreeningRoute.CONTINUOUS:
            per_day = read_decimal(
                self.dose_mcg_per_day, "dose_mcg_per_day", "Daily dose", problems
            )
            if per_day is not None and per_day <= 0:
                problems.append(Problem("dose_mcg_per_day", "The daily dose must be more than 0."))
            hours = read_decimal(self.duration_hours, "duration_hours", "Duration", problems)
            if hours is not None and hours <= 0:
                problems.append(Problem("duration_hours", "The duration must be more than 0 h."))
            if self.dose_mcg is not None:
                problems.append(
                    Problem("dose_mcg", "A continuous trial has a daily dose, not a bolus dose.")
                )
        baseline = self._coerce_one(self.baseline, "baseline", problems)
        post = self._coerce_many(ScreeningAssessment, self.post_dose, "post_dose", problems)
        events = self._coerce_many(
            AdverseEventRecord, self.adverse_events, "adverse_events", problems
        )
        if given_at is not None:
            if baseline is not None and baseline.taken_at > given_at:
                problems.append(
                    Problem("baseline.taken_at", "The baseline must be taken before the dose.")
                )
            for index, a in enumerate(post):
                if a.taken_at <= given_at:
                    problems.append(
                        Problem(
                            f"post_dose[{index}].taken_at",
                            "A post-dose assessment must be after the dose was given.",
                        )
                    )
        raise_if_errors(problems)
        object.__setattr__(self, "route", route)
        object.__setattr__(self, "dose_mcg", dose)
        object.__setattr__(self, "dose_mcg_per_day", per_day)
        object.__setattr__(self, "duration_hours", hours)
        object.__setattr__(self, "baseline", baseline)
        object.__setattr__(self, "post_dose", tuple(sorted(post, key=lambda a: a.taken_at)))
        object.__setattr__(self, "adverse_events", events)

    @staticmethod
    def _coerce_one(value: Any, name: str, problems: list[Problem]) -> Any:
        if value is None or isinstance(value, ScreeningAssessment):
            return value
        try:
            return ScreeningAssessment.from_dict(value)
        except ValidationFailed as exc:
            problems.extend(Problem(f"{name}.{p.field}", p.message) for p in exc.problems)
            return None

    @staticmethod
    def _coerce_many(cls: Any, values: Iterable[Any], name: str, problems: list[Problem]) -> Any:
        out = []
        for index, value in enumerate(values or ()):
            if isinstance(value, cls):
                out.append(value)
                continue
            try:
                out.append(cls.from_dict(value))
            except ValidationFailed as exc:
                problems.extend(
                    Problem(f"{name}[{index}].{p.field}", p.message) for p in exc.problems
                )
        return tuple(out)

    @property
    def dose_words(self) -> str:
        if self.route is ScreeningRoute.BOLUS:
            return f"{format_mcg(self.dose_mcg or 0)} bolus"
        return (
            f"{format_number(self.dose_mcg_per_day or 0)} mcg/day continuous for "
            f"{format_number(self.duration_hours or 0)} h"
        )

    def to_dict(self) -> dict[str, Any]:
        def text(v: Decimal | None) -> str | None:
            return str(v) if v is not None else None

        return {
            "id": self.id,
            "route": self.route.value,
            "given_at": _dt_to_text(self.given_at),
            "dose_mcg": text(self.dose_mcg),
            "dose_mcg_per_day": text(self.dose_mcg_per_day),
            "duration_hours": text(self.duration_hours),
            "baseline": self.baseline.to_dict() if self.baseline else None,
            "post_dose": [a.to_dict() for a in self.post_dose],
            "adverse_events": [e.to_dict() for e in self.adverse_events],
            "notes": self.notes,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ScreeningTrial:
        return cls(
            id=data.get("id"),
            route=data.get("route"),  # type: ignore[arg-type]
            given_at=_dt_from_text(data.get("given_at")),
            dose_mcg=data.get("dose_mcg"),  # type: ignore[arg-type]
            dose_mcg_per_day=data.get("dose_mcg_per_day"),  # type: ignore[arg-type]
            duration_hours=data.get("duration_hours"),  # type: ignore[arg-type]
            baseline=data.get("baseline"),  # type: ignore[arg-type]
            post_dose=tuple(data.get("post_dose") or ()),
            adverse_events=tuple(data.get("adverse_events") or ()),
            notes=data.get("notes") or "",
        )


# ---------------------------------------------------------------------------------------------
# Response.


class ResponseStatus(StrEnum):
    POSITIVE = "positive"
    NEGATIVE = "negative"
    INCOMPLETE = "incomplete"  # cannot be judged yet

    @property
    def label(self) -> str:
        return {
            ResponseStatus.POSITIVE: "Positive response",
            ResponseStatus.NEGATIVE: "No response",
            ResponseStatus.INCOMPLETE: "Not yet judged",
        }[self]


@dataclass(frozen=True)
class AssessmentReduction:
    taken_at: dt.datetime
    reduction: Decimal  # mean MAS reduction over the matched groups (positive = less tone)
    groups: int


@dataclass(frozen=True)
class ScreeningResponse:
    status: ResponseStatus
    threshold: Decimal | None
    best: AssessmentReduction | None
    reductions: tuple[AssessmentReduction, ...]
    words: str


def response_threshold(settings: ClinicSettings, origin: Origin | None) -> Decimal | None:
    """Mean MAS reduction needed for a positive response; None when the origin is needed."""
    rule = settings.screening_response_rule
    if rule is ScreeningResponseRule.MAS_MEAN_1:
        return Decimal(1)  # [41]
    if rule is ScreeningResponseRule.MAS_MEAN_2:
        return Decimal(2)  # [40]
    if origin is None:
        return None
    return Decimal(2) if origin is Origin.SPINAL else Decimal(1)  # [39]


def _reduction(baseline: MasAssessment, post: MasAssessment) -> tuple[Decimal, Decimal, int] | None:
    """(sum of grade drops, mean drop, matched groups) or None when nothing matches."""
    base = baseline.by_key()
    drops = [base[key].value - r.value for key, r in post.by_key().items() if key in base]
    if not drops:
        return None
    total = sum(drops, Decimal(0))
    return total, total / len(drops), len(drops)


def evaluate_response(
    trial: ScreeningTrial, origin: Origin | None, settings: ClinicSettings
) -> ScreeningResponse:
    """Apply ``settings.screening_response_rule`` at the best post-dose assessment [39][40][41]."""
    threshold = response_threshold(settings, origin)
    if threshold is None:
        return ScreeningResponse(
            ResponseStatus.INCOMPLETE,
            None,
            None,
            (),
            "The response rule depends on the origin of spasticity: record spinal or cerebral.",
        )
    if trial.baseline is None or trial.baseline.mas is None:
        return ScreeningResponse(
            ResponseStatus.INCOMPLETE, threshold, None, (), "No baseline Ashworth grades."
        )
    reductions: list[AssessmentReduction] = []
    positive_found = False
    for assessment in trial.post_dose:
        if assessment.mas is None:
            continue
        result = _reduction(trial.baseline.mas, assessment.mas)
        if result is None:
            continue
        total, mean, groups = result
        reductions.append(AssessmentReduction(assessment.taken_at, mean, groups))
        # Compare the exact sum, not a rounded mean: mean >= t  <=>  sum >= t * n.
        if total >= threshold * groups:
            positive_found = True
    if not reductions:
        return ScreeningResponse(
            ResponseStatus.INCOMPLETE,
            threshold,
            None,
            (),
            "No post-dose Ashworth grades of the muscle groups graded at baseline.",
        )
    best = max(reductions, key=lambda r: (r.reduction, -r.taken_at.timestamp()))
    status = ResponseStatus.POSITIVE if positive_found else ResponseStatus.NEGATIVE
    verdict = "positive" if positive_found else "no response"
    words = (
        f"{trial.dose_words}: best mean Ashworth reduction {format_number(best.reduction, 2)} "
        f"at {format_datetime(best.taken_at)} over {best.groups} muscle groups; "
        f"{format_number(threshold)} needed: {verdict}."
    )
    return ScreeningResponse(status, threshold, best, tuple(reductions), words)


def trial_warnings(trial: ScreeningTrial) -> list[Problem]:
    """Protocol gaps that do not refuse the record but must be shown [5][9][10][41]."""
    warnings: list[Problem] = []
    if trial.baseline is None or trial.baseline.mas is None:
        warnings.append(
            Problem(
                "baseline",
                "No baseline Ashworth grades: the response cannot be judged.",
                Severity.WARNING,
            )
        )
    with_mas = [a for a in trial.post_dose if a.mas is not None]
    if trial.route is ScreeningRoute.BOLUS:
        early = [a for a in with_mas if a.taken_at - trial.given_at <= ASSESSMENT_WINDOW]
        if len(early) < MIN_ASSESSMENTS_IN_WINDOW:
            warnings.append(
                Problem(
                    "post_dose",
                    f"Only {len(early)} post-dose Ashworth assessment(s) within 4 h; "
                    f"assess at least {MIN_ASSESSMENTS_IN_WINDOW} times.",
                    Severity.WARNING,
                )
            )
        last = max((a.taken_at for a in trial.post_dose), default=None)
        if last is None or last - trial.given_at < MIN_OBSERVATION:
            warnings.append(
                Problem(
                    "post_dose",
                    "Observation shorter than 4 h after the bolus (observe 4-8 h).",
                    Severity.WARNING,
                )
            )
        vitals = [
            a
            for a in trial.post_dose
            if a.vitals is not None and a.taken_at - trial.given_at <= VITALS_WINDOW
        ]
        if not vitals:
            warnings.append(
                Problem(
                    "post_dose",
                    "No vital signs recorded in the first 2 h after the dose.",
                    Severity.WARNING,
                )
            )
    else:
        if len(with_mas) < MIN_ASSESSMENTS_IN_WINDOW:
            warnings.append(
                Problem(
                    "post_dose",
                    f"Fewer than {MIN_ASSESSMENTS_IN_WINDOW} post-dose Ashworth assessments.",
                    Severity.WARNING,
                )
            )
        hours = trial.duration_hours
        if hours is not None and not CONTINUOUS_MIN_HOURS <= hours <= CONTINUOUS_MAX_HOURS:
            warnings.append(
                Problem(
                    "duration_hours",
                    f"A continuous trial usually lasts 48-72 h, not {format_number(hours)} h.",
                    Severity.WARNING,
                )
            )
    if trial.baseline is not None and trial.baseline.mas is not None:
        base_keys = set(trial.baseline.mas.by_key())
        for index, a in enumerate(trial.post_dose):
            if a.mas is None:
                continue
            unmatched = [r.muscle_group for r in a.mas.ratings if r.key not in base_keys]
            if unmatched:
                warnings.append(
                    Problem(
                        f"post_dose[{index}].mas",
                        f"Not graded at baseline, left out of the response: "
                        f"{', '.join(unmatched)}.",
                        Severity.WARNING,
                    )
                )
    return warnings


def sequence_warnings(trials: Sequence[ScreeningTrial]) -> list[Problem]:
    """Escalation steps closer than 24 h apart, or skipping a rung of the ladder [9][10]."""
    warnings: list[Problem] = []
    boluses = sorted(
        (t for t in trials if t.route is ScreeningRoute.BOLUS), key=lambda t: t.given_at
    )
    for previous, current in itertools.pairwise(boluses):
        if current.given_at - previous.given_at < ESCALATION_INTERVAL:
            warnings.append(
                Problem(
                    "given_at",
                    f"{current.dose_words} given less than 24 h after {previous.dose_words}.",
                    Severity.WARNING,
                )
            )
        step = _next_dose(previous.dose_mcg)
        if current.dose_mcg is not None and step is not None and current.dose_mcg > step:
            warnings.append(
                Problem(
                    "dose_mcg",
                    f"{current.dose_words} skips the {format_mcg(step)} step.",
                    Severity.WARNING,
                )
            )
    return warnings


# ---------------------------------------------------------------------------------------------
# Next step.


class NextAction(StrEnum):
    START = "start"
    REASSESS = "reassess"  # the latest trial cannot be judged yet
    ESCALATE = "escalate"
    POSITIVE = "positive"  # present to the team
    NOT_A_CANDIDATE = "not_a_candidate"

    @property
    def label(self) -> str:
        return {
            NextAction.START: "Start screening",
            NextAction.REASSESS: "Complete the assessments",
            NextAction.ESCALATE: "Escalate the dose",
            NextAction.POSITIVE: "Positive: present to the team",
            NextAction.NOT_A_CANDIDATE: "Not a candidate",
        }[self]


@dataclass(frozen=True)
class NextStep:
    action: NextAction
    words: str
    dose_mcg: Decimal | None = None
    not_before: dt.datetime | None = None
    trial: ScreeningTrial | None = None  # the trial that decided it
    response: ScreeningResponse | None = None
    warnings: tuple[Problem, ...] = field(default_factory=tuple)


def _next_dose(dose: Decimal | None) -> Decimal | None:
    higher = [d for d in BOLUS_DOSES_MCG if dose is not None and d > dose]
    return higher[0] if higher else None


def start_dose(*, low_start: bool) -> Decimal:
    """50 mcg; 25 mcg for very small children or patients who rely on their tone [5][9][11]."""
    return LOW_START_MCG if low_start else STANDARD_START_MCG


def suggest_next_step(
    trials: Sequence[ScreeningTrial],
    origin: Origin | None,
    settings: ClinicSettings,
    *,
    low_start: bool = False,
) -> NextStep:
    """What to do next, judged on the latest trial (by time given)."""
    if not trials:
        dose = start_dose(low_start=low_start)
        return NextStep(
            NextAction.START,
            f"Start with a {format_mcg(dose)} bolus by lumbar puncture.",
            dose_mcg=dose,
        )
    latest = max(trials, key=lambda t: t.given_at)
    response = evaluate_response(latest, origin, settings)
    warnings = tuple(trial_warnings(latest)) + tuple(sequence_warnings(trials))
    if response.status is ResponseStatus.INCOMPLETE:
        return NextStep(
            NextAction.REASSESS, response.words, trial=latest, response=response, warnings=warnings
        )
    if response.status is ResponseStatus.POSITIVE:
        return NextStep(
            NextAction.POSITIVE, response.words, trial=latest, response=response, warnings=warnings
        )
    if latest.route is ScreeningRoute.CONTINUOUS:
        return NextStep(
            NextAction.NOT_A_CANDIDATE,
            f"No response to the continuous trial. {response.words}",
            trial=latest,
            response=response,
            warnings=warnings,
        )
    dose = _next_dose(latest.dose_mcg)
    if dose is None:
        return NextStep(
            NextAction.NOT_A_CANDIDATE,
            f"No response to {format_mcg(latest.dose_mcg or 0)}: not a candidate.",
            trial=latest,
            response=response,
            warnings=warnings,
        )
    not_before = latest.given_at + ESCALATION_INTERVAL
    return NextStep(
        NextAction.ESCALATE,
        f"No response to {format_mcg(latest.dose_mcg or 0)}: give {format_mcg(dose)} "
        f"no sooner than {format_datetime(not_before)}.",
        dose_mcg=dose,
        not_before=not_before,
        trial=latest,
        response=response,
        warnings=warnings,
    )
