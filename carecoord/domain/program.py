"""The pump program: drug, concentration, mode, steps and boluses, and what it delivers.

A program (CLINICAL.md section 4) is a drug (baclofen), a concentration in mcg/mL, a mode and
either steps (start time, rate) or bolus settings. The pump itself is not part of the program:
the patient's pump record links the device; rules that need the device take it as an argument.

Schedule model
--------------
* A day schedule is a list of steps sorted by start time. The first step starts at 00:00 and each
  step runs until the next one starts, the last until 24:00, so every schedule covers the whole
  day with no gap. A step carries the rate the clinician typed, either a dose rate (mcg/h) or a
  volume rate (mL/day); the other is derived exactly from the concentration.
* ``continuous`` has exactly one step (00:00, the rate). ``flex`` has one or more steps and may
  give some weekdays their own schedule. ``periodic_bolus`` and ``one_time_bolus`` have a basal
  schedule (same rules as flex) plus their bolus. ``stopped`` has no steps and no bolus.
* Boluses are additive: a bolus is delivered on top of the basal rate, spread evenly over its
  duration. A periodic bolus starts at given clock times every day and must finish by 24:00. A
  one-time bolus is delivered once, starting when the program takes effect; it is not part of
  the dose per day (see ``refills`` for the volume it uses).

Wall-clock model (daylight saving)
----------------------------------
The schedule follows the local wall clock of the clinic's time zone (CLINICAL.md section 4, [6]:
"compute per clock hour"). On a spring-forward day the skipped wall-clock hour delivers nothing
and the day has 23 hours; on a fall-back day the repeated wall-clock hour delivers twice and the
day has 25 hours. So that day's total differs from the nominal dose per day. Periodic boluses
follow the same rule (a bolus in a skipped hour is not given, one in a repeated hour is given
twice). ``hourly_doses`` lists every real hour of a local date with its local start time.

All sums are exact (see ``exact``): results are Decimal, exact whenever they terminate.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction
from functools import lru_cache
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from carecoord.domain.errors import Problem, Severity, ValidationFailed, raise_if_errors
from carecoord.domain.exact import dec, frac
from carecoord.domain.units import (
    QuantityError,
    format_concentration,
    format_mcg,
    format_mcg_per_day,
    format_mcg_per_hour,
    format_ml,
    format_number,
    parse_decimal,
)

if TYPE_CHECKING:
    from carecoord.domain.devices import DeviceModel

MINUTES_PER_DAY = 1440
DRUG_BACLOFEN = "baclofen"
# Concentrations on the market [13][14][63]; others are dilutions.
MARKET_CONCENTRATIONS_MCG_PER_ML = frozenset(Decimal(c) for c in ("50", "500", "1000", "2000"))
# Highest confirmed concentration [13][14][63].
MAX_CONCENTRATION_MCG_PER_ML = Decimal("2000")
WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
PROGRAM_FORMAT = 1  # version of the to_dict() layout


class PumpMode(StrEnum):
    """Pump modes (CLINICAL.md section 4, [6][17][64])."""

    STOPPED = "stopped"
    CONTINUOUS = "continuous"
    FLEX = "flex"
    PERIODIC_BOLUS = "periodic_bolus"
    ONE_TIME_BOLUS = "one_time_bolus"

    @property
    def label(self) -> str:
        return _MODE_LABELS[self]


_MODE_LABELS = {
    PumpMode.STOPPED: "Stopped",
    PumpMode.CONTINUOUS: "Simple continuous",
    PumpMode.FLEX: "Flexible schedule",
    PumpMode.PERIODIC_BOLUS: "Periodic bolus",
    PumpMode.ONE_TIME_BOLUS: "One-time bolus",
}
# Modes whose basal rate comes from steps.
_MODES_WITH_STEPS = frozenset(
    {PumpMode.CONTINUOUS, PumpMode.FLEX, PumpMode.PERIODIC_BOLUS, PumpMode.ONE_TIME_BOLUS}
)
# Modes that may give some weekdays their own schedule (SynchroMed flex [6][17][64]).
_MODES_WITH_WEEKDAYS = frozenset({PumpMode.FLEX, PumpMode.PERIODIC_BOLUS, PumpMode.ONE_TIME_BOLUS})


class RateUnit(StrEnum):
    """The unit the clinician typed a step's rate in."""

    MCG_PER_HOUR = "mcg_per_hour"
    ML_PER_DAY = "ml_per_day"

    @property
    def label(self) -> str:
        return "mcg/h" if self is RateUnit.MCG_PER_HOUR else "mL/day"


# --------------------------------------------------------------------------------------------
# Clock times


_CLOCK = re.compile(r"^(\d{1,2}):(\d{2})$")


def parse_clock_time(text: str, *, field_name: str = "start") -> int:
    """Minutes after midnight of a step start typed as HH:MM (00:00 <= t < 24:00)."""
    cleaned = text.strip()
    match = _CLOCK.match(cleaned)
    if not match:
        raise ValidationFailed.single(
            field_name, f"Write the start time as hours and minutes, like 07:00 (not “{cleaned}”)."
        )
    hours, minutes = int(match.group(1)), int(match.group(2))
    if minutes > 59:
        raise ValidationFailed.single(field_name, f"Minutes go from 00 to 59 (“{cleaned}”).")
    if hours == 24 and minutes == 0:
        raise ValidationFailed.single(
            field_name,
            "24:00 is the end of the day, not a start time: the day's first step starts at 00:00.",
        )
    if hours > 23:
        raise ValidationFailed.single(
            field_name, f"There is no {cleaned}: a step starts between 00:00 and 23:59."
        )
    return hours * 60 + minutes


def clock_text(minute: int) -> str:
    """HH:MM of a minute of the day (1440 shows as 24:00, the end of the day)."""
    return f"{minute // 60:02d}:{minute % 60:02d}"


def clock_words(minute: int) -> str:
    """A time of day in words for a handout: "midnight", "noon", "7 am", "10:30 pm"."""
    minute %= MINUTES_PER_DAY
    if minute == 0:
        return "midnight"
    if minute == 720:
        return "noon"
    hours, mins = divmod(minute, 60)
    suffix = "am" if hours < 12 else "pm"
    hour12 = hours % 12 or 12
    return f"{hour12} {suffix}" if mins == 0 else f"{hour12}:{mins:02d} {suffix}"


# --------------------------------------------------------------------------------------------
# Value types


@dataclass(frozen=True)
class Step:
    """One step of a day schedule: from ``start_minute`` until the next step starts.

    ``rate`` is what the clinician typed, in ``unit``; the other unit is derived exactly.
    Construction never refuses: ``validate_program`` reports problems in words.
    """

    start_minute: int
    rate: Decimal
    unit: RateUnit = RateUnit.MCG_PER_HOUR

    @property
    def start_text(self) -> str:
        return clock_text(self.start_minute)

    def dose_mcg_per_hour(self, concentration_mcg_per_ml: Decimal) -> Decimal:
        return dec(self.exact_mcg_per_hour(concentration_mcg_per_ml))

    def volume_ml_per_day(self, concentration_mcg_per_ml: Decimal) -> Decimal:
        return dec(self.exact_ml_per_day(concentration_mcg_per_ml))

    def exact_mcg_per_hour(self, concentration_mcg_per_ml: Decimal) -> Fraction:
        if self.unit is RateUnit.MCG_PER_HOUR:
            return frac(self.rate)
        return frac(self.rate) * frac(concentration_mcg_per_ml) / 24

    def exact_ml_per_day(self, concentration_mcg_per_ml: Decimal) -> Fraction:
        if self.unit is RateUnit.ML_PER_DAY:
            return frac(self.rate)
        return frac(self.rate) * 24 / frac(concentration_mcg_per_ml)


@dataclass(frozen=True)
class WeekdaySchedule:
    """A weekday's own steps (0 = Monday ... 6 = Sunday), replacing the everyday steps."""

    weekday: int
    steps: tuple[Step, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "steps", tuple(self.steps))


@dataclass(frozen=True)
class PeriodicBolus:
    """A bolus of ``dose_mcg`` over ``duration_minutes``, starting at each of ``start_minutes``."""

    dose_mcg: Decimal
    duration_minutes: int
    start_minutes: tuple[int, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "start_minutes", tuple(self.start_minutes))


@dataclass(frozen=True)
class OneTimeBolus:
    """A single bolus given when the program takes effect (e.g. a bridge bolus)."""

    dose_mcg: Decimal
    duration_minutes: int


@dataclass(frozen=True)
class Program:
    """A pump program. See the module docstring for the schedule and wall-clock model."""

    concentration_mcg_per_ml: Decimal
    mode: PumpMode
    steps: tuple[Step, ...] = ()
    weekday_schedules: tuple[WeekdaySchedule, ...] = ()
    periodic_bolus: PeriodicBolus | None = None
    one_time_bolus: OneTimeBolus | None = None
    drug: str = DRUG_BACLOFEN
    # Free text saying how the bridge bolus is given when the concentration changes [6].
    bridge_bolus_note: str = field(default="")

    def __post_init__(self) -> None:
        # Lists given by a caller become tuples: the program stays immutable and hashable.
        object.__setattr__(self, "steps", tuple(self.steps))
        object.__setattr__(self, "weekday_schedules", tuple(self.weekday_schedules))

    def steps_for(self, weekday: int) -> tuple[Step, ...]:
        """The steps in force on a weekday (0 = Monday): its own schedule or the everyday one."""
        for schedule in self.weekday_schedules:
            if schedule.weekday == weekday:
                return schedule.steps
        return self.steps

    @property
    def has_weekday_schedules(self) -> bool:
        return bool(self.weekday_schedules)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict; Decimals as strings, times as "HH:MM"."""
        return program_to_dict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Program:
        """Inverse of ``to_dict``; refuses malformed data with ValidationFailed."""
        return program_from_dict(data)


def stopped_program(concentration_mcg_per_ml: Decimal) -> Program:
    return Program(concentration_mcg_per_ml, PumpMode.STOPPED)


def continuous_program(
    concentration_mcg_per_ml: Decimal, rate: Decimal, unit: RateUnit = RateUnit.MCG_PER_HOUR
) -> Program:
    return Program(concentration_mcg_per_ml, PumpMode.CONTINUOUS, (Step(0, rate, unit),))


# --------------------------------------------------------------------------------------------
# Parsing typed values


def parse_rate(text: str, *, decimal_separator: str = ".", field_name: str = "rate") -> Decimal:
    """A typed rate, exactly (comma decimal only in a comma locale, see units.parse_decimal)."""
    try:
        value = parse_decimal(text, decimal_separator=decimal_separator, what="rate")
    except QuantityError as exc:
        raise ValidationFailed.single(field_name, str(exc)) from exc
    if value <= 0:
        raise ValidationFailed.single(field_name, "The rate must be above zero.")
    return value


def parse_step(
    start_text: str,
    rate_text: str,
    unit: RateUnit = RateUnit.MCG_PER_HOUR,
    *,
    decimal_separator: str = ".",
    field_prefix: str = "step",
) -> Step:
    """A step from form text; every problem of both fields is reported at once."""
    problems: list[Problem] = []
    start = rate = None
    try:
        start = parse_clock_time(start_text, field_name=f"{field_prefix}.start")
    except ValidationFailed as exc:
        problems.extend(exc.problems)
    try:
        rate = parse_rate(
            rate_text, decimal_separator=decimal_separator, field_name=f"{field_prefix}.rate"
        )
    except ValidationFailed as exc:
        problems.extend(exc.problems)
    if problems or start is None or rate is None:
        raise ValidationFailed(problems)
    return Step(start, rate, unit)


# --------------------------------------------------------------------------------------------
# Validation


def _error(field_name: str, message: str) -> Problem:
    return Problem(field_name, message, Severity.ERROR)


def _schedule_label(weekday: int | None) -> str:
    return "every day" if weekday is None else WEEKDAY_NAMES[weekday]


def _is_positive_decimal(value: object) -> bool:
    return isinstance(value, Decimal) and value.is_finite() and value > 0


def _validate_steps(
    steps: Sequence[Step],
    prefix: str,
    weekday: int | None,
    concentration: Decimal | None,
    device: DeviceModel | None,
) -> list[Problem]:
    problems: list[Problem] = []
    where = _schedule_label(weekday)
    if not steps:
        problems.append(_error(prefix, f"The schedule for {where} has no steps."))
        return problems
    for index, step in enumerate(steps):
        name = f"{prefix}[{index}]"
        if not isinstance(step.start_minute, int) or not 0 <= step.start_minute < MINUTES_PER_DAY:
            problems.append(
                _error(
                    f"{name}.start",
                    f"Step {index + 1} ({where}) starts at {_minute_or_raw(step.start_minute)}: "
                    "a step starts between 00:00 and 23:59.",
                )
            )
        if not isinstance(step.rate, Decimal) or not step.rate.is_finite():
            problems.append(_error(f"{name}.rate", f"Step {index + 1} ({where}) has no rate."))
        elif step.rate <= 0:
            problems.append(
                _error(
                    f"{name}.rate",
                    f"Step {index + 1} ({where}) has a rate of {format_number(step.rate)}: "
                    "the rate must be above zero (use the stopped mode to stop the pump).",
                )
            )
        elif (
            device is not None
            and device.min_rate_ml_per_day is not None
            and _is_positive_decimal(concentration)
            and step.exact_ml_per_day(concentration) < frac(device.min_rate_ml_per_day)
        ):
            problems.append(
                _error(
                    f"{name}.rate",
                    f"Step {index + 1} ({where}) delivers "
                    f"{format_ml(step.volume_ml_per_day(concentration), places=4)} a day, below "
                    f"the {device.name} minimum of {format_ml(device.min_rate_ml_per_day)} a day.",
                )
            )
    starts = [s.start_minute for s in steps if isinstance(s.start_minute, int)]
    if starts and starts[0] != 0:
        problems.append(
            _error(
                f"{prefix}[0].start",
                f"The first step ({where}) starts at {_minute_or_raw(starts[0])}: a schedule "
                "covers the whole day, so its first step starts at 00:00.",
            )
        )
    for index in range(1, len(starts)):
        before, this = starts[index - 1], starts[index]
        if this == before:
            problems.append(
                _error(
                    f"{prefix}[{index}].start",
                    f"Two steps ({where}) start at {_minute_or_raw(this)}: "
                    "each step needs its own start time.",
                )
            )
        elif this < before:
            problems.append(
                _error(
                    f"{prefix}[{index}].start",
                    f"The steps ({where}) are not in time order: {_minute_or_raw(this)} comes "
                    f"after {_minute_or_raw(before)}. Put the steps in order of start time.",
                )
            )
    limit = None if device is None else device.max_steps_per_day
    if device is not None and limit is not None and len(steps) > limit:
        problems.append(
            _error(
                prefix,
                f"The schedule for {where} has {len(steps)} steps; the {device.name} allows "
                f"at most {limit}.",
            )
        )
    return problems


def _minute_or_raw(minute: object) -> str:
    if isinstance(minute, int) and 0 <= minute <= 25 * 60:
        return clock_text(minute)
    return str(minute)


def _validate_periodic_bolus(bolus: PeriodicBolus) -> list[Problem]:
    problems: list[Problem] = []
    if not _is_positive_decimal(bolus.dose_mcg):
        problems.append(_error("periodic_bolus.dose", "The bolus dose must be above zero."))
    duration = bolus.duration_minutes
    if not isinstance(duration, int) or duration < 1:
        problems.append(
            _error("periodic_bolus.duration", "The bolus duration must be at least 1 minute.")
        )
        duration = 0
    if not bolus.start_minutes:
        problems.append(_error("periodic_bolus.starts", "Give at least one bolus start time."))
    previous_end: int | None = None
    previous_start: int | None = None
    for index, start in enumerate(bolus.start_minutes):
        name = f"periodic_bolus.starts[{index}]"
        if not isinstance(start, int) or not 0 <= start < MINUTES_PER_DAY:
            problems.append(
                _error(
                    name, f"A bolus starts between 00:00 and 23:59, not {_minute_or_raw(start)}."
                )
            )
            continue
        if start + duration > MINUTES_PER_DAY:
            problems.append(
                _error(
                    name,
                    f"The bolus at {clock_text(start)} would run past midnight: start it earlier "
                    "or make it shorter.",
                )
            )
        if previous_start is not None and start <= previous_start:
            problems.append(_error(name, "Bolus start times must be different and in time order."))
        elif previous_end is not None and start < previous_end:
            problems.append(
                _error(
                    name,
                    f"The bolus at {clock_text(start)} starts before the previous one has "
                    "finished.",
                )
            )
        previous_start, previous_end = start, start + duration
    return problems


def _validate_one_time_bolus(bolus: OneTimeBolus) -> list[Problem]:
    problems: list[Problem] = []
    if not _is_positive_decimal(bolus.dose_mcg):
        problems.append(_error("one_time_bolus.dose", "The bolus dose must be above zero."))
    if not isinstance(bolus.duration_minutes, int) or bolus.duration_minutes < 1:
        problems.append(
            _error("one_time_bolus.duration", "The bolus duration must be at least 1 minute.")
        )
    return problems


def validate_concentration(concentration: object) -> list[Problem]:
    """Refuse 0, negative or above 2000 mcg/mL; other than 50/500/1000/2000 warns "dilution"."""
    if not isinstance(concentration, Decimal) or not concentration.is_finite():
        return [_error("concentration", "Enter the concentration in mcg/mL.")]
    if concentration <= 0:
        return [_error("concentration", "The concentration must be above zero.")]
    if concentration > MAX_CONCENTRATION_MCG_PER_ML:  # highest confirmed [13][14][63]
        return [
            _error(
                "concentration",
                f"{format_concentration(concentration)} is above the highest confirmed "
                f"concentration, {format_concentration(MAX_CONCENTRATION_MCG_PER_ML)}.",
            )
        ]
    if concentration not in MARKET_CONCENTRATIONS_MCG_PER_ML:  # [13][14][63]
        return [
            Problem(
                "concentration",
                f"{format_concentration(concentration)} is not a marketed concentration "
                "(50, 500, 1000 or 2000 mcg/mL): it is a dilution. Check how it is prepared.",
                Severity.WARNING,
            )
        ]
    return []


def validate_program(program: Program, device: DeviceModel | None = None) -> list[Problem]:
    """Every problem of a program in the user's words: errors refuse, warnings inform.

    With a device, also checks its limits (steps a day, supported modes, minimum rate).
    A limit the catalog marks unconfirmed gives a warning instead of a refusal.
    """
    problems: list[Problem] = []
    if not isinstance(program.drug, str) or program.drug.strip().lower() != DRUG_BACLOFEN:
        problems.append(_error("drug", "CareCoord programs intrathecal baclofen only."))
    problems.extend(validate_concentration(program.concentration_mcg_per_ml))
    concentration = (
        program.concentration_mcg_per_ml
        if _is_positive_decimal(program.concentration_mcg_per_ml)
        else None
    )
    mode = program.mode
    if not isinstance(mode, PumpMode):
        problems.append(_error("mode", f"Unknown pump mode “{mode}”."))
        return problems
    if mode is PumpMode.STOPPED:
        if program.steps or program.weekday_schedules:
            problems.append(
                _error("steps", "A stopped pump has no rates: remove the steps or change mode.")
            )
    elif mode is PumpMode.CONTINUOUS:
        if len(program.steps) != 1:
            problems.append(
                _error(
                    "steps",
                    "A simple continuous program has exactly one rate for the whole day; "
                    "use the flexible schedule for several rates.",
                )
            )
        problems.extend(_validate_steps(program.steps, "steps", None, concentration, device))
    else:
        problems.extend(_validate_steps(program.steps, "steps", None, concentration, device))
        if mode is PumpMode.FLEX and len(program.steps) == 1 and not program.weekday_schedules:
            problems.append(
                Problem(
                    "steps",
                    "This flexible schedule has a single rate all day: a simple continuous "
                    "program says the same more plainly.",
                    Severity.WARNING,
                )
            )
    if program.weekday_schedules:
        if mode not in _MODES_WITH_WEEKDAYS:
            problems.append(
                _error(
                    "weekday_schedules",
                    f"Only a flexible schedule can differ by weekday, not {mode.label.lower()}.",
                )
            )
        seen: set[int] = set()
        for index, schedule in enumerate(program.weekday_schedules):
            prefix = f"weekday_schedules[{index}]"
            if not isinstance(schedule.weekday, int) or not 0 <= schedule.weekday <= 6:
                problems.append(_error(prefix, f"Unknown weekday {schedule.weekday!r}."))
                continue
            if schedule.weekday in seen:
                problems.append(
                    _error(
                        prefix,
                        f"{WEEKDAY_NAMES[schedule.weekday]} has two schedules; keep one.",
                    )
                )
            seen.add(schedule.weekday)
            if mode in _MODES_WITH_WEEKDAYS:
                problems.extend(
                    _validate_steps(
                        schedule.steps, f"{prefix}.steps", schedule.weekday, concentration, device
                    )
                )
    if program.periodic_bolus is not None:
        if mode is PumpMode.PERIODIC_BOLUS:
            problems.extend(_validate_periodic_bolus(program.periodic_bolus))
        else:
            problems.append(
                _error("periodic_bolus", "Periodic boluses need the periodic bolus mode.")
            )
    elif mode is PumpMode.PERIODIC_BOLUS:
        problems.append(_error("periodic_bolus", "Set the periodic bolus: dose, duration, times."))
    if program.one_time_bolus is not None:
        if mode is PumpMode.ONE_TIME_BOLUS:
            problems.extend(_validate_one_time_bolus(program.one_time_bolus))
        else:
            problems.append(
                _error("one_time_bolus", "A one-time bolus needs the one-time bolus mode.")
            )
    elif mode is PumpMode.ONE_TIME_BOLUS:
        problems.append(_error("one_time_bolus", "Set the one-time bolus: dose and duration."))
    if device is not None:
        problems.extend(_device_mode_problems(mode, device))
    return problems


def _device_mode_problems(mode: PumpMode, device: DeviceModel) -> list[Problem]:
    problems: list[Problem] = []
    if mode not in device.modes:
        if device.is_unconfirmed("modes"):
            problems.append(
                Problem(
                    "mode",
                    f"The catalog does not confirm that the {device.name} supports "
                    f"{mode.label.lower()}: check on the programmer.",
                    Severity.WARNING,
                )
            )
        else:
            problems.append(
                _error("mode", f"The {device.name} does not support {mode.label.lower()}.")
            )
    if (
        mode in _MODES_WITH_STEPS
        and mode is not PumpMode.CONTINUOUS
        and device.max_steps_per_day is None
    ):
        problems.append(
            Problem(
                "steps",
                f"The catalog has no confirmed step limit for the {device.name}: "
                "check that the programmer accepts this schedule.",
                Severity.WARNING,
            )
        )
    return problems


def require_valid(program: Program) -> None:
    """Raise ValidationFailed if the program has errors (warnings are allowed)."""
    raise_if_errors(validate_program(program))


# --------------------------------------------------------------------------------------------
# Delivery: exact integration over wall-clock minutes


def _segments(steps: Sequence[Step]) -> list[tuple[int, int, Step]]:
    """(start, end, step) for each step of a valid day schedule."""
    ends = [s.start_minute for s in steps[1:]] + [MINUTES_PER_DAY]
    return [(s.start_minute, end, s) for s, end in zip(steps, ends, strict=True)]


@lru_cache(maxsize=4096)
def wall_mcg(program: Program, weekday: int, start: Fraction, end: Fraction) -> Fraction:
    """Exact mcg the program delivers over wall-clock minutes [start, end) of a weekday.

    Basal steps plus periodic boluses; not the one-time bolus (see module docstring).
    """
    if program.mode is PumpMode.STOPPED or end <= start:
        return Fraction(0)
    concentration = program.concentration_mcg_per_ml
    total = Fraction(0)
    for seg_start, seg_end, step in _segments(program.steps_for(weekday)):
        overlap = min(end, seg_end) - max(start, seg_start)
        if overlap > 0:
            total += step.exact_mcg_per_hour(concentration) * overlap / 60
    bolus = program.periodic_bolus
    if program.mode is PumpMode.PERIODIC_BOLUS and bolus is not None:
        per_minute = frac(bolus.dose_mcg) / bolus.duration_minutes
        for bolus_start in bolus.start_minutes:
            overlap = min(end, bolus_start + bolus.duration_minutes) - max(start, bolus_start)
            if overlap > 0:
                total += per_minute * overlap
    return total


@dataclass(frozen=True)
class WallPiece:
    """A stretch of real time during which the wall clock runs without a jump."""

    local_date: dt.date
    wall_start: Fraction  # minutes after local midnight
    wall_end: Fraction
    utc_start: dt.datetime
    utc_end: dt.datetime


def _require_aware(value: dt.datetime, name: str) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime")


def local_midnight(day: dt.date, tz: dt.tzinfo) -> dt.datetime:
    """The real instant (UTC) when a local calendar date begins."""
    return dt.datetime.combine(day, dt.time(0), tzinfo=tz).astimezone(dt.UTC)


def _wall_minutes(local: dt.datetime) -> Fraction:
    seconds = local.hour * 3600 + local.minute * 60 + local.second
    return Fraction(seconds, 60) + Fraction(local.microsecond, 60_000_000)


def wall_pieces(start: dt.datetime, end: dt.datetime, tz: dt.tzinfo) -> Iterator[WallPiece]:
    """Split real time [start, end) at local midnights and UTC-offset changes."""
    _require_aware(start, "start")
    _require_aware(end, "end")
    cursor = start.astimezone(dt.UTC)
    stop = end.astimezone(dt.UTC)
    while cursor < stop:
        local = cursor.astimezone(tz)
        next_midnight = local_midnight(local.date() + dt.timedelta(days=1), tz)
        piece_end = min(stop, next_midnight)
        offset = local.utcoffset()
        if (piece_end - dt.timedelta(microseconds=1)).astimezone(tz).utcoffset() != offset:
            low, high = cursor, piece_end - dt.timedelta(microseconds=1)
            while high - low > dt.timedelta(microseconds=1):
                middle = low + (high - low) // 2
                if middle.astimezone(tz).utcoffset() == offset:
                    low = middle
                else:
                    high = middle
            piece_end = high
        wall_start = _wall_minutes(local)
        wall_end = wall_start + Fraction((piece_end - cursor) // dt.timedelta(microseconds=1)) / (
            60_000_000
        )
        yield WallPiece(local.date(), wall_start, wall_end, cursor, piece_end)
        cursor = piece_end


def delivered_mcg_exact(
    program: Program, start: dt.datetime, end: dt.datetime, tz: dt.tzinfo
) -> Fraction:
    """Exact mcg of basal and periodic boluses delivered in real time [start, end)."""
    total = Fraction(0)
    for piece in wall_pieces(start, end, tz):
        total += wall_mcg(program, piece.local_date.weekday(), piece.wall_start, piece.wall_end)
    return total


def _is_regular_day(day: dt.date, tz: dt.tzinfo) -> bool:
    begin = local_midnight(day, tz)
    finish = local_midnight(day + dt.timedelta(days=1), tz)
    return finish - begin == dt.timedelta(hours=24) and (
        begin.astimezone(tz).utcoffset()
        == (finish - dt.timedelta(microseconds=1)).astimezone(tz).utcoffset()
    )


def day_mcg_exact(program: Program, day: dt.date, tz: dt.tzinfo) -> Fraction:
    """Exact mcg delivered on a local calendar date (23, 24 or 25 hours)."""
    if _is_regular_day(day, tz):
        return wall_mcg(program, day.weekday(), Fraction(0), Fraction(MINUTES_PER_DAY))
    return delivered_mcg_exact(
        program, local_midnight(day, tz), local_midnight(day + dt.timedelta(days=1), tz), tz
    )


# --------------------------------------------------------------------------------------------
# Derived quantities


def _exact_dose_per_day(program: Program, weekday: int | None) -> Fraction:
    return wall_mcg(program, 0 if weekday is None else weekday, Fraction(0), Fraction(1440))


def dose_per_day_exact(program: Program, weekday: int | None = None) -> Fraction:
    """``dose_per_day_mcg`` as an exact fraction (for checks that must agree exactly)."""
    require_valid(program)
    if weekday is None:
        program = replace(program, weekday_schedules=())
    return _exact_dose_per_day(program, weekday)


def dose_per_day_mcg(program: Program, weekday: int | None = None) -> Decimal:
    """Nominal dose per 24-hour day (basal + periodic boluses) for a weekday (0 = Monday).

    Without a weekday, the everyday schedule (weekday schedules ignored). Raises
    ValidationFailed for an invalid program.
    """
    return dec(dose_per_day_exact(program, weekday))


def volume_per_day_ml(program: Program, weekday: int | None = None) -> Decimal:
    """Nominal volume per 24-hour day: dose per day / concentration."""
    dose = frac(dose_per_day_mcg(program, weekday))
    return dec(dose / frac(program.concentration_mcg_per_ml))


def dose_per_day_by_weekday(program: Program) -> dict[int, Decimal]:
    """Nominal dose per day for each weekday (0 = Monday ... 6 = Sunday)."""
    require_valid(program)
    return {wd: dec(_exact_dose_per_day(program, wd)) for wd in range(7)}


def dose_range_per_day_mcg(program: Program) -> tuple[Decimal, Decimal]:
    """Lowest and highest nominal dose per day over the week."""
    doses = dose_per_day_by_weekday(program).values()
    return min(doses), max(doses)


def dose_on_date_mcg(program: Program, day: dt.date, tz: dt.tzinfo | str) -> Decimal:
    """Dose delivered on a local calendar date, DST included (23 or 25 hours)."""
    require_valid(program)
    return dec(day_mcg_exact(program, day, zone(tz)))


def volume_on_date_ml(program: Program, day: dt.date, tz: dt.tzinfo | str) -> Decimal:
    require_valid(program)
    mcg = day_mcg_exact(program, day, zone(tz))
    return dec(mcg / frac(program.concentration_mcg_per_ml))


@dataclass(frozen=True)
class HourDose:
    """The dose of one real hour of a local date, labelled by its local start time."""

    start: dt.datetime  # timezone-aware, local; ``fold`` = 1 for the repeated hour
    dose_mcg: Decimal

    @property
    def label(self) -> str:
        """ "02:00", or "02:00 (again)" for the repeated hour of a fall-back day."""
        text = f"{self.start:%H:%M}"
        return f"{text} (again)" if self.start.fold else text


def hourly_doses(program: Program, day: dt.date, tz: dt.tzinfo | str) -> list[HourDose]:
    """Dose in every clock hour of a local calendar date: 24 entries, 23 or 25 on DST days."""
    require_valid(program)
    local_zone = zone(tz)
    begin = local_midnight(day, local_zone)
    finish = local_midnight(day + dt.timedelta(days=1), local_zone)
    result: list[HourDose] = []
    cursor = begin
    while cursor < finish:
        hour_end = min(finish, cursor + dt.timedelta(hours=1))
        mcg = delivered_mcg_exact(program, cursor, hour_end, local_zone)
        result.append(HourDose(cursor.astimezone(local_zone), dec(mcg)))
        cursor = hour_end
    return result


def hourly_doses_exact(program: Program, day: dt.date, tz: dt.tzinfo | str) -> list[Fraction]:
    """Like ``hourly_doses`` but exact fractions (for checks that sums agree exactly)."""
    require_valid(program)
    local_zone = zone(tz)
    begin = local_midnight(day, local_zone)
    finish = local_midnight(day + dt.timedelta(days=1), local_zone)
    result: list[Fraction] = []
    cursor = begin
    while cursor < finish:
        hour_end = min(finish, cursor + dt.timedelta(hours=1))
        result.append(delivered_mcg_exact(program, cursor, hour_end, local_zone))
        cursor = hour_end
    return result


def zone(tz: dt.tzinfo | str) -> dt.tzinfo:
    """A time zone object from itself or its IANA name ("Europe/Paris")."""
    return ZoneInfo(tz) if isinstance(tz, str) else tz


def days_to_alarm(
    program: Program, reservoir_ml: Decimal, alarm_volume_ml: Decimal, weekday: int | None = None
) -> Decimal | None:
    """Nominal days from a reservoir volume to the alarm volume: (volume - alarm) / mL a day.

    Exact (not rounded); None when the program delivers nothing. A reservoir at or below the
    alarm volume gives 0. For dates, use ``refills.forecast_refill`` (real days, DST, weekdays).
    """
    per_day = frac(volume_per_day_ml(program, weekday))
    if per_day == 0:
        return None
    usable = frac(reservoir_ml) - frac(alarm_volume_ml)
    if usable <= 0:
        return Decimal(0)
    return dec(usable / per_day)


# --------------------------------------------------------------------------------------------
# Text summary for the handout and the review screen


def _rate_text(mcg_per_hour: Fraction, long: bool) -> str:
    return format_mcg_per_hour(dec(mcg_per_hour), long=long)


def _schedule_lines(program: Program, steps: Sequence[Step], long: bool) -> list[str]:
    concentration = program.concentration_mcg_per_ml
    merged: list[list[Any]] = []  # [start, end, rate]
    for start, end, step in _segments(steps):
        rate = step.exact_mcg_per_hour(concentration)
        if merged and merged[-1][2] == rate:
            merged[-1][1] = end
        else:
            merged.append([start, end, rate])
    if len(merged) == 1:
        prefix = "All day" if long else "00:00–24:00"
        return [f"{prefix}: {_rate_text(merged[0][2], long)}"]
    if merged[0][2] == merged[-1][2]:  # same rate either side of midnight: one stretch
        first = merged.pop(0)
        merged[-1][1] = first[1]
    lines = []
    for start, end, rate in merged:
        if long:
            lines.append(
                f"From {clock_words(start)} to {clock_words(end)}: {_rate_text(rate, long)}"
            )
        else:
            lines.append(f"{clock_text(start)}–{clock_text(end % 1440)}: {_rate_text(rate, long)}")
    return lines


def _weekday_groups(program: Program) -> list[tuple[list[int], tuple[Step, ...]]]:
    groups: list[tuple[list[int], tuple[Step, ...]]] = []
    for weekday in range(7):
        steps = program.steps_for(weekday)
        for days, group_steps in groups:
            if group_steps == steps:
                days.append(weekday)
                break
        else:
            groups.append(([weekday], steps))
    return groups


def weekday_list_text(days: Sequence[int]) -> str:
    """ "Monday to Friday", "Saturday and Sunday", "Monday, Wednesday and Friday"."""
    if len(days) == 7:
        return "Every day"
    runs: list[list[int]] = []
    for day in days:
        if runs and runs[-1][-1] == day - 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    parts = []
    for run in runs:
        if len(run) >= 3:
            parts.append(f"{WEEKDAY_NAMES[run[0]]} to {WEEKDAY_NAMES[run[-1]]}")
        else:
            parts.extend(WEEKDAY_NAMES[d] for d in run)
    if len(parts) == 1:
        return parts[0]
    return ", ".join(parts[:-1]) + " and " + parts[-1]


def describe_program(program: Program, *, long: bool = True) -> list[str]:
    """The program in words, one line each; ``long`` for the handout ("micrograms").

    Example: ["Baclofen 500 micrograms per millilitre", "From 10 pm to 7 am: 20 micrograms an
    hour", "From 7 am to 10 pm: 12 micrograms an hour", "In total: 360 micrograms a day"].
    Raises ValidationFailed for an invalid program.
    """
    require_valid(program)
    lines = [f"Baclofen {format_concentration(program.concentration_mcg_per_ml, long=long)}"]
    if program.mode is PumpMode.STOPPED:
        lines.append("The pump is stopped: it delivers no baclofen.")
        return lines
    groups = _weekday_groups(program)
    for days, steps in groups:
        if len(groups) > 1:
            lines.append(f"{weekday_list_text(days)}:")
        lines.extend(_schedule_lines(program, steps, long))
    bolus = program.periodic_bolus
    if program.mode is PumpMode.PERIODIC_BOLUS and bolus is not None:
        times = [clock_words(m) if long else clock_text(m) for m in bolus.start_minutes]
        at = times[0] if len(times) == 1 else ", ".join(times[:-1]) + " and " + times[-1]
        lines.append(
            f"Extra doses (boluses): {format_mcg(bolus.dose_mcg, long=long)} at {at}, "
            f"each over {_minutes_text(bolus.duration_minutes)}"
        )
    one_time = program.one_time_bolus
    if program.mode is PumpMode.ONE_TIME_BOLUS and one_time is not None:
        lines.append(
            f"One extra dose of {format_mcg(one_time.dose_mcg, long=long)} given once, over "
            f"{_minutes_text(one_time.duration_minutes)}, when the pump is programmed"
        )
    doses = dose_per_day_by_weekday(program)
    low, high = min(doses.values()), max(doses.values())
    if low == high:
        lines.append(f"In total: {format_mcg_per_day(low, long=long)}")
    else:
        for days, _steps in groups:
            lines.append(
                f"In total on {weekday_list_text(days)}: "
                f"{format_mcg_per_day(doses[days[0]], long=long)}"
            )
    return lines


def _minutes_text(minutes: int) -> str:
    if minutes % 60 == 0:
        hours = minutes // 60
        return "1 hour" if hours == 1 else f"{hours} hours"
    return "1 minute" if minutes == 1 else f"{minutes} minutes"


# --------------------------------------------------------------------------------------------
# Plain dict form (JSON text in the store)


def _step_to_dict(step: Step) -> dict[str, Any]:
    return {"start": step.start_text, "rate": str(step.rate), "unit": step.unit.value}


def program_to_dict(program: Program) -> dict[str, Any]:
    bolus = program.periodic_bolus
    one_time = program.one_time_bolus
    return {
        "format": PROGRAM_FORMAT,
        "drug": program.drug,
        "concentration_mcg_per_ml": str(program.concentration_mcg_per_ml),
        "mode": program.mode.value,
        "steps": [_step_to_dict(s) for s in program.steps],
        "weekday_schedules": [
            {"weekday": w.weekday, "steps": [_step_to_dict(s) for s in w.steps]}
            for w in program.weekday_schedules
        ],
        "periodic_bolus": None
        if bolus is None
        else {
            "dose_mcg": str(bolus.dose_mcg),
            "duration_minutes": bolus.duration_minutes,
            "starts": [clock_text(m) for m in bolus.start_minutes],
        },
        "one_time_bolus": None
        if one_time is None
        else {"dose_mcg": str(one_time.dose_mcg), "duration_minutes": one_time.duration_minutes},
        "bridge_bolus_note": program.bridge_bolus_note,
    }


class _Reader:
    """Collects every structural problem of a stored dict instead of stopping at the first."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def fail(self, where: str, message: str) -> None:
        self.problems.append(_error(where, message))

    def decimal(self, data: Mapping[str, Any], key: str, where: str) -> Decimal:
        raw = data.get(key)
        if isinstance(raw, bool) or not isinstance(raw, str | int):
            self.fail(where, f"{where}: expected a decimal number as text, got {raw!r}.")
            return Decimal(0)
        try:
            value = Decimal(str(raw).strip())
        except ArithmeticError:
            self.fail(where, f"{where}: “{raw}” is not a number.")
            return Decimal(0)
        if not value.is_finite():
            self.fail(where, f"{where}: “{raw}” is not a finite number.")
            return Decimal(0)
        return value

    def integer(self, data: Mapping[str, Any], key: str, where: str) -> int:
        raw = data.get(key)
        if isinstance(raw, bool) or not isinstance(raw, int):
            self.fail(where, f"{where}: expected a whole number, got {raw!r}.")
            return 0
        return raw

    def clock(self, raw: Any, where: str) -> int:
        if not isinstance(raw, str):
            self.fail(where, f"{where}: expected a time as HH:MM, got {raw!r}.")
            return 0
        try:
            return parse_clock_time(raw, field_name=where)
        except ValidationFailed as exc:
            self.problems.extend(exc.problems)
            return 0

    def sequence(self, data: Mapping[str, Any], key: str, where: str) -> list[Any]:
        raw = data.get(key, [])
        if not isinstance(raw, list | tuple):
            self.fail(where, f"{where}: expected a list.")
            return []
        return list(raw)

    def mapping(self, raw: Any, where: str) -> Mapping[str, Any] | None:
        if not isinstance(raw, Mapping):
            self.fail(where, f"{where}: expected an object.")
            return None
        return raw

    def steps(self, items: Iterable[Any], where: str) -> tuple[Step, ...]:
        steps = []
        for index, item in enumerate(items):
            name = f"{where}[{index}]"
            entry = self.mapping(item, name)
            if entry is None:
                continue
            start = self.clock(entry.get("start"), f"{name}.start")
            rate = self.decimal(entry, "rate", f"{name}.rate")
            try:
                unit = RateUnit(entry.get("unit", RateUnit.MCG_PER_HOUR.value))
            except ValueError:
                self.fail(f"{name}.unit", f"{name}.unit: unknown unit {entry.get('unit')!r}.")
                unit = RateUnit.MCG_PER_HOUR
            steps.append(Step(start, rate, unit))
        return tuple(steps)


def program_from_dict(data: Mapping[str, Any]) -> Program:
    """Rebuild a program from ``program_to_dict`` output.

    Refuses malformed structure (ValidationFailed listing every problem). Clinical rules are
    not applied here: a stored program is loaded as it was saved; call ``validate_program``.
    """
    read = _Reader()
    if not isinstance(data, Mapping):
        raise ValidationFailed.single("program", "A stored program must be an object.")
    version = data.get("format", PROGRAM_FORMAT)
    if version != PROGRAM_FORMAT:
        raise ValidationFailed.single(
            "format", f"Stored program format {version!r} is not known to this version."
        )
    drug = data.get("drug", DRUG_BACLOFEN)
    if not isinstance(drug, str):
        read.fail("drug", "drug: expected text.")
        drug = DRUG_BACLOFEN
    concentration = read.decimal(data, "concentration_mcg_per_ml", "concentration_mcg_per_ml")
    try:
        mode = PumpMode(data.get("mode"))
    except ValueError:
        read.fail("mode", f"mode: unknown pump mode {data.get('mode')!r}.")
        mode = PumpMode.STOPPED
    steps = read.steps(read.sequence(data, "steps", "steps"), "steps")
    weekdays = []
    for index, item in enumerate(read.sequence(data, "weekday_schedules", "weekday_schedules")):
        name = f"weekday_schedules[{index}]"
        entry = read.mapping(item, name)
        if entry is None:
            continue
        weekday = read.integer(entry, "weekday", f"{name}.weekday")
        weekdays.append(
            WeekdaySchedule(
                weekday, read.steps(read.sequence(entry, "steps", name), f"{name}.steps")
            )
        )
    periodic = None
    if data.get("periodic_bolus") is not None:
        entry = read.mapping(data["periodic_bolus"], "periodic_bolus")
        if entry is not None:
            periodic = PeriodicBolus(
                read.decimal(entry, "dose_mcg", "periodic_bolus.dose_mcg"),
                read.integer(entry, "duration_minutes", "periodic_bolus.duration_minutes"),
                tuple(
                    read.clock(raw, f"periodic_bolus.starts[{i}]")
                    for i, raw in enumerate(read.sequence(entry, "starts", "periodic_bolus"))
                ),
            )
    one_time = None
    if data.get("one_time_bolus") is not None:
        entry = read.mapping(data["one_time_bolus"], "one_time_bolus")
        if entry is not None:
            one_time = OneTimeBolus(
                read.decimal(entry, "dose_mcg", "one_time_bolus.dose_mcg"),
                read.integer(entry, "duration_minutes", "one_time_bolus.duration_minutes"),
            )
    note = data.get("bridge_bolus_note", "")
    if not isinstance(note, str):
        read.fail("bridge_bolus_note", "bridge_bolus_note: expected text.")
        note = ""
    if read.problems:
        raise ValidationFailed(read.problems)
    return Program(
        concentration_mcg_per_ml=concentration,
        mode=mode,
        steps=steps,
        weekday_schedules=tuple(weekdays),
        periodic_bolus=periodic,
        one_time_bolus=one_time,
        drug=drug,
        bridge_bolus_note=note,
    )
