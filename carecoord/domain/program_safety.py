"""Safety rules for a proposed program against the active one, the device and the patient.

Severities (errors.Severity): ERROR refuses; NEEDS_REASON is allowed only with a written reason
from the physiatrist; WARNING is shown. ``check_program`` returns every problem;
``blocking_problems`` tells the service what still stops the approval given a reason.

Titration limits [6][10] (CLINICAL.md section 3), as the size of the change in dose per day:

    phase          spinal origin         cerebral origin
    after implant  +10 % to +30 % a day  +5 % to +15 % a day
    maintenance    up to 40 %            up to 20 %

The upper end of each range is the limit; a change beyond it needs a reason. The limit applies to
decreases as well as increases (a large cut risks withdrawal [3]). With weekday schedules the
change is compared weekday by weekday and the largest one counts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction

from carecoord.domain.devices import DeviceModel
from carecoord.domain.enums import Origin
from carecoord.domain.errors import Problem, Severity, errors_only
from carecoord.domain.exact import dec, frac
from carecoord.domain.program import (
    WEEKDAY_NAMES,
    Program,
    PumpMode,
    RateUnit,
    Step,
    clock_text,
    dose_per_day_by_weekday,
    validate_program,
    volume_per_day_ml,
)
from carecoord.domain.units import (
    format_concentration,
    format_mcg,
    format_mcg_per_day,
    format_mcg_per_hour,
    format_ml,
    format_number,
)


class Phase(StrEnum):
    AFTER_IMPLANT = "after_implant"
    MAINTENANCE = "maintenance"

    @property
    def label(self) -> str:
        return "after implant" if self is Phase.AFTER_IMPLANT else "maintenance"


# Titration limit, percent change of dose per day [6][10].
TITRATION_LIMIT_PERCENT: dict[tuple[Phase, Origin], Decimal] = {
    (Phase.AFTER_IMPLANT, Origin.SPINAL): Decimal(30),
    (Phase.AFTER_IMPLANT, Origin.CEREBRAL): Decimal(15),
    (Phase.MAINTENANCE, Origin.SPINAL): Decimal(40),
    (Phase.MAINTENANCE, Origin.CEREBRAL): Decimal(20),
}
# Usual maintenance dose ranges, mcg/day [2][10][11].
USUAL_RANGE_MCG_PER_DAY: dict[Origin, tuple[Decimal, Decimal]] = {
    Origin.SPINAL: (Decimal(300), Decimal(800)),
    Origin.CEREBRAL: (Decimal(90), Decimal(700)),
}
CHILD_RANGE_MCG_PER_DAY = (Decimal(24), Decimal(1199))  # children under 12 [2][10][11]
CHILD_AGE_LIMIT_YEARS = 12  # [2][10][11]
ADULT_HIGH_DOSE_MCG_PER_DAY = Decimal(2000)  # "adults up to about 2000 mcg/day" [2][10][11]
NO_INCREASE_AFTER_IMPLANT = dt.timedelta(hours=24)  # no increase in the first 24 h [10]
ONE_INCREASE_PER = dt.timedelta(hours=24)  # at most one change per 24 h [6][10]


@dataclass(frozen=True)
class PatientContext:
    """What the rules need to know about the patient."""

    origin: Origin
    age_years: int
    phase: Phase
    implanted_at: dt.datetime | None = None  # timezone-aware


def usual_range_mcg_per_day(patient: PatientContext) -> tuple[Decimal, Decimal]:
    if patient.age_years < CHILD_AGE_LIMIT_YEARS:
        return CHILD_RANGE_MCG_PER_DAY
    return USUAL_RANGE_MCG_PER_DAY[patient.origin]


def titration_limit_percent(patient: PatientContext) -> Decimal:
    return TITRATION_LIMIT_PERCENT[(patient.phase, patient.origin)]


def _daily_doses(program: Program) -> dict[int, Fraction]:
    return {wd: frac(v) for wd, v in dose_per_day_by_weekday(program).items()}


def largest_change_percent(active: Program, proposed: Program) -> Decimal | None:
    """Signed percent change of dose per day with the largest size over the weekdays.

    None when the active program delivers nothing on some weekday (no percentage exists).
    """
    before, after = _daily_doses(active), _daily_doses(proposed)
    changes = []
    for weekday in range(7):
        if before[weekday] == 0:
            return None
        changes.append((after[weekday] - before[weekday]) * 100 / before[weekday])
    return dec(max(changes, key=abs))


def is_increase(active: Program | None, proposed: Program) -> bool:
    """True when any weekday's dose per day goes up."""
    if active is None:
        return False
    before, after = _daily_doses(active), _daily_doses(proposed)
    return any(after[wd] > before[wd] for wd in range(7))


def check_program(
    proposed: Program,
    *,
    active: Program | None = None,
    device: DeviceModel | None = None,
    patient: PatientContext | None = None,
    now: dt.datetime | None = None,
    recent_increases: Sequence[dt.datetime] = (),
) -> list[Problem]:
    """Every problem with approving ``proposed``.

    ``recent_increases``: when earlier dose increases were programmed (aware datetimes);
    with ``now`` they give the one-increase-per-24-h rule [6][10].
    """
    problems = validate_program(proposed, device)
    if errors_only(problems):
        return problems  # derived doses of a refused program mean nothing
    if active is not None and errors_only(validate_program(active)):
        active = None  # an unreadable active program cannot be compared
    if proposed.mode is PumpMode.STOPPED:
        problems.append(
            Problem(
                "mode",
                "Stopping the pump needs a reason: say why and how the patient is covered.",
                Severity.NEEDS_REASON,
            )
        )
        problems.append(
            Problem(
                "mode",
                # Withdrawal signs and course [2][3][31][32].
                "A stopped pump delivers no baclofen. Watch for withdrawal: itching, tingling, "
                "return of spasticity, fever, blood-pressure changes, fast heart rate, "
                "confusion; it can progress over 24-72 hours and be life-threatening.",
                Severity.WARNING,
            )
        )
    else:
        if patient is not None:
            problems.extend(_dose_range_problems(proposed, patient))
    if active is not None:
        problems.extend(_change_problems(active, proposed, patient, now, recent_increases))
    return problems


def _dose_range_problems(proposed: Program, patient: PatientContext) -> list[Problem]:
    problems: list[Problem] = []
    low, high = usual_range_mcg_per_day(patient)
    doses = dose_per_day_by_weekday(proposed)
    smallest, largest = min(doses.values()), max(doses.values())
    who = (
        f"children under {CHILD_AGE_LIMIT_YEARS}"
        if patient.age_years < CHILD_AGE_LIMIT_YEARS
        else patient.origin.label.lower()
    )
    usual = f"{format_number(low)}-{format_number(high)} mcg/day for {who}"
    if largest > high:
        problems.append(
            Problem(
                "dose_per_day",
                f"{format_mcg_per_day(largest)} is above the usual maintenance range ({usual}).",
                Severity.WARNING,
            )
        )
    if smallest < low:
        problems.append(
            Problem(
                "dose_per_day",
                f"{format_mcg_per_day(smallest)} is below the usual maintenance range ({usual}).",
                Severity.WARNING,
            )
        )
    if patient.age_years >= CHILD_AGE_LIMIT_YEARS and largest > ADULT_HIGH_DOSE_MCG_PER_DAY:
        problems.append(
            Problem(
                "dose_per_day",
                f"{format_mcg_per_day(largest)} is above about "
                f"{format_mcg_per_day(ADULT_HIGH_DOSE_MCG_PER_DAY)}, the high end for adults.",
                Severity.WARNING,
            )
        )
    return problems


def _change_problems(
    active: Program,
    proposed: Program,
    patient: PatientContext | None,
    now: dt.datetime | None,
    recent_increases: Sequence[dt.datetime],
) -> list[Problem]:
    problems: list[Problem] = []
    if proposed.concentration_mcg_per_ml != active.concentration_mcg_per_ml and (
        not proposed.bridge_bolus_note.strip()
    ):
        problems.append(
            Problem(
                "bridge_bolus_note",
                f"The concentration changes from "
                f"{format_concentration(active.concentration_mcg_per_ml)} to "
                f"{format_concentration(proposed.concentration_mcg_per_ml)}: say how the bridge "
                "bolus delivers the old drug still in the pump and catheter.",  # [6]
                Severity.ERROR,
            )
        )
    if proposed.mode is PumpMode.STOPPED or active.mode is PumpMode.STOPPED:
        return problems  # restarting or stopping: no percentage to compare
    increase = is_increase(active, proposed)
    change = largest_change_percent(active, proposed)
    if patient is not None and change is not None:
        limit = titration_limit_percent(patient)
        if abs(change) > limit:
            direction = "rise" if change > 0 else "cut"
            problems.append(
                Problem(
                    "dose_per_day",
                    f"A {format_number(abs(change), 1)} % {direction} in dose per day is beyond "
                    f"the {format_number(limit)} % limit for {patient.origin.label.lower()} "
                    f"{patient.phase.label}: give the reason.",
                    Severity.NEEDS_REASON,
                )
            )
    if increase and now is not None:
        if (
            patient is not None
            and patient.phase is Phase.AFTER_IMPLANT
            and patient.implanted_at is not None
            and now - patient.implanted_at < NO_INCREASE_AFTER_IMPLANT
        ):
            problems.append(
                Problem(
                    "dose_per_day",
                    # [10]
                    "No dose increase in the first 24 hours after implant: give the reason.",
                    Severity.NEEDS_REASON,
                )
            )
        recent = [t for t in recent_increases if dt.timedelta(0) <= now - t < ONE_INCREASE_PER]
        if recent:
            problems.append(
                Problem(
                    "dose_per_day",
                    "The dose was already increased in the last 24 hours; at most one change a "
                    "day: give the reason.",  # [6][10]
                    Severity.NEEDS_REASON,
                )
            )
    return problems


def blocking_problems(problems: Iterable[Problem], reason: str = "") -> list[Problem]:
    """What stops approval: errors always, needs-reason items while the reason is blank."""
    has_reason = bool(reason.strip())
    return [
        p
        for p in problems
        if p.severity is Severity.ERROR or (p.severity is Severity.NEEDS_REASON and not has_reason)
    ]


# --------------------------------------------------------------------------------------------
# Side-by-side differences


@dataclass(frozen=True)
class ProgramDifference:
    """One line of the review screen: what changed, before and after, in words."""

    field: str
    label: str
    old_text: str
    new_text: str


_MISSING = "—"


def _step_text(step: Step, program: Program) -> str:
    concentration = program.concentration_mcg_per_ml
    dose = format_mcg_per_hour(step.dose_mcg_per_hour(concentration))
    volume = format_ml(step.volume_ml_per_day(concentration), places=4) + "/day"
    if step.unit is RateUnit.ML_PER_DAY:
        return f"{volume} ({dose})"
    return f"{dose} ({volume})"


def _flatten(program: Program | None) -> dict[str, tuple[str, str]]:
    """field -> (label, text), in display order."""
    if program is None:
        return {}
    rows: dict[str, tuple[str, str]] = {
        "drug": ("Drug", program.drug.capitalize()),
        "concentration": ("Concentration", format_concentration(program.concentration_mcg_per_ml)),
        "mode": ("Mode", program.mode.label),
    }
    valid = not errors_only(validate_program(program))
    if valid:
        doses = dose_per_day_by_weekday(program)
        low, high = min(doses.values()), max(doses.values())
        dose_text = (
            format_mcg_per_day(low)
            if low == high
            else f"{format_mcg_per_day(low)} to {format_mcg_per_day(high)}"
        )
        rows["dose_per_day"] = ("Dose per day", dose_text)
        if low == high:
            rows["volume_per_day"] = (
                "Volume per day",
                format_ml(volume_per_day_ml(program), places=4) + "/day",
            )
    for step in program.steps:
        rows[f"steps.{step.start_text}"] = (
            f"Every day from {step.start_text}",
            _step_text(step, program),
        )
    for schedule in sorted(program.weekday_schedules, key=lambda s: s.weekday):
        day = WEEKDAY_NAMES[schedule.weekday] if 0 <= schedule.weekday <= 6 else "?"
        for step in schedule.steps:
            rows[f"weekday.{schedule.weekday}.{step.start_text}"] = (
                f"{day} from {step.start_text}",
                _step_text(step, program),
            )
    bolus = program.periodic_bolus
    if bolus is not None:
        rows["periodic_bolus.dose"] = ("Periodic bolus dose", format_mcg(bolus.dose_mcg))
        rows["periodic_bolus.duration"] = (
            "Periodic bolus duration",
            f"{bolus.duration_minutes} min",
        )
        rows["periodic_bolus.starts"] = (
            "Periodic bolus times",
            ", ".join(clock_text(m) for m in bolus.start_minutes),
        )
    one_time = program.one_time_bolus
    if one_time is not None:
        rows["one_time_bolus.dose"] = ("One-time bolus dose", format_mcg(one_time.dose_mcg))
        rows["one_time_bolus.duration"] = (
            "One-time bolus duration",
            f"{one_time.duration_minutes} min",
        )
    if program.bridge_bolus_note.strip():
        rows["bridge_bolus_note"] = ("Bridge bolus", program.bridge_bolus_note.strip())
    return rows


def diff_programs(old: Program | None, new: Program) -> list[ProgramDifference]:
    """Every difference between two programs, for a side-by-side review ("—" = none).

    Steps are matched by weekday and start time; a changed end time shows as the next
    step's start. Order: the new program's rows, then rows only the old one had.
    """
    before, after = _flatten(old), _flatten(new)
    keys = list(after) + [k for k in before if k not in after]
    differences = []
    for key in keys:
        old_label, old_text = before.get(key, ("", _MISSING))
        new_label, new_text = after.get(key, ("", _MISSING))
        if old_text != new_text:
            differences.append(ProgramDifference(key, new_label or old_label, old_text, new_text))
    return differences
