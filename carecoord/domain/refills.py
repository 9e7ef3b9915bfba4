"""Refill dates, expected residual volume and refill-visit checks (CLINICAL.md section 5).

Dates are conservative: consumption is counted from the start (00:00) of the fill date, day by
day over local calendar dates, each with its real volume (flex steps, weekday schedules,
daylight-saving days of 23 or 25 hours, periodic boluses). The alarm date is the fill date plus
the whole days until the reservoir reaches the alarm volume, rounded down; reaching it exactly at
the end of day N gives fill date + N. Sums are exact (see ``exact``): a rounded running total
could move a date by a day.

A patient's history of programs is a list of ``ProgramPeriod``: each program is in force from
its ``effective_from`` instant until the next one. Volumes between two instants are integrated
over those periods (per wall-clock piece, so per hour and better), with a one-time bolus given
at the start of its period.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction
from itertools import pairwise

from carecoord.domain.devices import DeviceModel
from carecoord.domain.errors import Problem, Severity
from carecoord.domain.exact import dec, frac
from carecoord.domain.program import (
    MAX_CONCENTRATION_MCG_PER_ML,
    Program,
    PumpMode,
    day_mcg_exact,
    delivered_mcg_exact,
    local_midnight,
    require_valid,
    zone,
)
from carecoord.domain.ranges import (
    MAX_ANY_RESERVOIR_ML,
    MAX_LOT_SHELF_YEARS,
    date_problems,
    years_after,
)
from carecoord.domain.settings import ClinicSettings
from carecoord.domain.units import format_concentration, format_date, format_ml, format_number

# Days simulated when looking for the alarm date. The due date never needs more than the
# stability or clinic limit plus the margin; the alarm date beyond this horizon is None.
DEFAULT_HORIZON_DAYS = 1100


@dataclass(frozen=True)
class ProgramPeriod:
    """A program in force from ``effective_from`` (timezone-aware) until the next period."""

    effective_from: dt.datetime
    program: Program


class DueLimit(StrEnum):
    """Which limit set the refill due date."""

    ALARM = "alarm"  # alarm date minus the booking margin [20]
    STABILITY = "stability"  # drug stability in the pump [22]
    CLINIC_MAXIMUM = "clinic_maximum"  # clinic maximum interval (setting)

    @property
    def label(self) -> str:
        return {
            DueLimit.ALARM: "Low-reservoir alarm",
            DueLimit.STABILITY: "Drug stability",
            DueLimit.CLINIC_MAXIMUM: "Clinic maximum interval",
        }[self]


class AlarmVolumeSource(StrEnum):
    """Where the alarm volume used for the dates comes from."""

    PATIENT = "patient"  # the patient's own setting [21]
    CLINIC = "clinic"  # the clinic setting (default 2 mL [21])
    DEVICE = "device"  # the pump's own refill point (Prometra 3.0 mL [27])


@dataclass(frozen=True)
class AlarmVolume:
    """The alarm volume the dates use, where it comes from, and a warning when the patient's
    own setting is below the pump's refill point (and so not used)."""

    volume_ml: Decimal
    source: AlarmVolumeSource
    patient_ml: Decimal | None
    device_ml: Decimal | None
    warning: str = ""

    @property
    def words(self) -> str:
        """ "Alarm volume 3 mL (the pump's own refill point)" for a screen."""
        where = {
            AlarmVolumeSource.PATIENT: "this patient's own setting",
            AlarmVolumeSource.CLINIC: "clinic setting",
            AlarmVolumeSource.DEVICE: "the pump's own refill point",
        }[self.source]
        return f"Alarm volume {format_ml(self.volume_ml)} ({where})"


def choose_alarm_volume(
    settings: ClinicSettings,
    device: DeviceModel | None = None,
    patient_alarm_volume_ml: Decimal | None = None,
) -> AlarmVolume:
    """The alarm volume every screen, command and handout uses for the dates (CLINICAL.md
    sections 4 and 5).

    The patient's own setting [21] replaces the clinic setting, but never goes below the pump's
    own refill point (Prometra computes its "next refill" at 3.0 mL [27]): a smaller volume
    would give a later date than the pump itself, so the larger one is used and a warning says
    why. Without a patient setting: the larger of the clinic setting and the device's default,
    for the same reason (the larger volume gives the earlier, safer date).
    """
    device_ml = None if device is None else device.default_alarm_volume_ml
    if patient_alarm_volume_ml is not None:
        if device_ml is not None and patient_alarm_volume_ml < device_ml:
            return AlarmVolume(
                device_ml,
                AlarmVolumeSource.DEVICE,
                patient_alarm_volume_ml,
                device_ml,
                warning=(
                    f"This patient's alarm volume ({format_ml(patient_alarm_volume_ml)}) is "
                    f"below the pump's own refill point ({device.name if device else 'pump'}: "
                    f"{format_ml(device_ml)}), so the dates use {format_ml(device_ml)}."
                ),
            )
        return AlarmVolume(
            patient_alarm_volume_ml, AlarmVolumeSource.PATIENT, patient_alarm_volume_ml, device_ml
        )
    if device_ml is not None and device_ml > settings.alarm_volume_ml:
        return AlarmVolume(device_ml, AlarmVolumeSource.DEVICE, None, device_ml)
    return AlarmVolume(settings.alarm_volume_ml, AlarmVolumeSource.CLINIC, None, device_ml)


def alarm_volume_for(
    settings: ClinicSettings,
    device: DeviceModel | None = None,
    patient_alarm_volume_ml: Decimal | None = None,
) -> Decimal:
    """The alarm volume the dates use (see ``choose_alarm_volume``)."""
    return choose_alarm_volume(settings, device, patient_alarm_volume_ml).volume_ml


# --------------------------------------------------------------------------------------------
# Volumes over program periods


def _as_instant(value: dt.date | dt.datetime, tz: dt.tzinfo) -> dt.datetime:
    """A datetime as given (must be aware); a plain date as the start of that local date."""
    if isinstance(value, dt.datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("Times must be timezone-aware.")
        return value.astimezone(dt.UTC)
    return local_midnight(value, tz)


def _checked_periods(periods: Sequence[ProgramPeriod]) -> list[ProgramPeriod]:
    if not periods:
        raise ValueError("No program in force: give at least one program period.")
    for period in periods:
        if period.effective_from.tzinfo is None or period.effective_from.utcoffset() is None:
            raise ValueError("A program period's effective_from must be timezone-aware.")
        require_valid(period.program)
    ordered = sorted(periods, key=lambda p: p.effective_from)
    for before, after in pairwise(ordered):
        if before.effective_from == after.effective_from:
            raise ValueError(
                f"Two programs take effect at the same instant ({after.effective_from})."
            )
    return ordered


def _delivered_ml(
    periods: list[ProgramPeriod],
    start: dt.datetime,
    end: dt.datetime,
    tz: dt.tzinfo,
    *,
    extend_first_back: bool = False,
) -> Fraction:
    """Exact mL delivered in real time [start, end) by the periods (already checked)."""
    total = Fraction(0)
    if end <= start:
        return total
    first_from = periods[0].effective_from.astimezone(dt.UTC)
    if start < first_from and not extend_first_back:
        raise ValueError(f"No program was in force at {start.isoformat()}.")
    for index, period in enumerate(periods):
        program = period.program
        begins = period.effective_from.astimezone(dt.UTC)
        ends = (
            periods[index + 1].effective_from.astimezone(dt.UTC)
            if index + 1 < len(periods)
            else None
        )
        window_start = start if index == 0 and extend_first_back else max(start, begins)
        window_end = end if ends is None else min(end, ends)
        concentration = frac(program.concentration_mcg_per_ml)
        if window_end > window_start:
            mcg = delivered_mcg_exact(program, window_start, window_end, tz)
            total += mcg / concentration
        bolus = program.one_time_bolus
        if program.mode is PumpMode.ONE_TIME_BOLUS and bolus is not None:
            # Given in real time from the start of the period, cut short by a new program.
            bolus_end = begins + dt.timedelta(minutes=bolus.duration_minutes)
            if ends is not None:
                bolus_end = min(bolus_end, ends)
            overlap = min(end, bolus_end) - max(start, begins)
            if overlap > dt.timedelta(0):
                share = Fraction(overlap // dt.timedelta(microseconds=1)) / (
                    bolus.duration_minutes * 60_000_000
                )
                total += frac(bolus.dose_mcg) * share / concentration
    return total


def volume_delivered_ml(
    periods: Sequence[ProgramPeriod],
    start: dt.date | dt.datetime,
    end: dt.date | dt.datetime,
    tz: dt.tzinfo | str,
) -> Decimal:
    """Volume the programs in force delivered between two instants (a date = its 00:00)."""
    tz = zone(tz)
    ordered = _checked_periods(periods)
    return dec(_delivered_ml(ordered, _as_instant(start, tz), _as_instant(end, tz), tz))


# --------------------------------------------------------------------------------------------
# Alarm and due dates


@dataclass(frozen=True)
class RefillForecast:
    """Low-reservoir alarm and refill due dates after a fill."""

    fill_date: dt.date
    volume_after_fill_ml: Decimal
    alarm_volume_ml: Decimal
    alarm_date: dt.date | None  # None: no delivery, or beyond the simulated horizon
    due_date: dt.date
    due_limit: DueLimit
    candidates: tuple[tuple[DueLimit, dt.date], ...]

    @property
    def days_to_alarm(self) -> int | None:
        return None if self.alarm_date is None else (self.alarm_date - self.fill_date).days

    @property
    def days_to_due(self) -> int:
        return (self.due_date - self.fill_date).days

    @property
    def due_reason(self) -> str:
        """Why the refill is due then, in words."""
        if self.due_limit is DueLimit.ALARM and self.alarm_date is not None:
            margin = (self.alarm_date - self.due_date).days
            return f"{margin} days before the low-reservoir alarm ({format_date(self.alarm_date)})"
        if self.due_limit is DueLimit.STABILITY:
            return f"drug stability limit of {self.days_to_due} days"
        return f"clinic maximum interval of {self.days_to_due} days"


def forecast_refill(
    fill_date: dt.date,
    volume_after_fill_ml: Decimal,
    programs: Program | Sequence[ProgramPeriod],
    tz: dt.tzinfo | str,
    settings: ClinicSettings,
    *,
    alarm_volume_ml: Decimal | None = None,
    horizon_days: int = DEFAULT_HORIZON_DAYS,
) -> RefillForecast:
    """Alarm date and refill due date = earliest of (alarm - margin, fill + stability days,
    fill + clinic maximum), with the limit that won (ties: alarm, then stability) [20][22].

    ``programs``: one program in force throughout, or program periods (a later change is
    followed; the first period also covers the fill date from 00:00, so a program set during
    the refill visit counts for the whole fill date). ``alarm_volume_ml`` defaults to the
    clinic setting; see ``alarm_volume_for``.
    """
    tz = zone(tz)
    alarm_ml = settings.alarm_volume_ml if alarm_volume_ml is None else alarm_volume_ml
    usable = frac(volume_after_fill_ml) - frac(alarm_ml)
    horizon = max(
        horizon_days,
        settings.drug_stability_days + settings.refill_margin_days,
        settings.max_refill_interval_days + settings.refill_margin_days,
    )
    alarm_date = _alarm_date(fill_date, usable, programs, tz, horizon)
    candidates: list[tuple[DueLimit, dt.date]] = []
    if alarm_date is not None:
        candidates.append(
            (DueLimit.ALARM, alarm_date - dt.timedelta(days=settings.refill_margin_days))
        )
    candidates.append(
        (DueLimit.STABILITY, fill_date + dt.timedelta(days=settings.drug_stability_days))
    )
    candidates.append(
        (DueLimit.CLINIC_MAXIMUM, fill_date + dt.timedelta(days=settings.max_refill_interval_days))
    )
    due_limit, due_date = min(candidates, key=lambda c: c[1])  # min keeps the first of ties
    return RefillForecast(
        fill_date=fill_date,
        volume_after_fill_ml=volume_after_fill_ml,
        alarm_volume_ml=alarm_ml,
        alarm_date=alarm_date,
        due_date=due_date,
        due_limit=due_limit,
        candidates=tuple(candidates),
    )


def _alarm_date(
    fill_date: dt.date,
    usable: Fraction,
    programs: Program | Sequence[ProgramPeriod],
    tz: dt.tzinfo,
    horizon: int,
) -> dt.date | None:
    if usable <= 0:
        return fill_date  # already at or below the alarm volume
    if isinstance(programs, Program):
        require_valid(programs)
        single: Program | None = programs
        periods: list[ProgramPeriod] = []
    else:
        periods = _checked_periods(programs)
        single = periods[0].program if len(periods) == 1 else None
    used = Fraction(0)
    for offset in range(horizon):
        day = fill_date + dt.timedelta(days=offset)
        # Each local day over its real hours (CLINICAL.md section 5, "Clock-change days": 23 or
        # 25 hours; a flex step in the skipped hour is not delivered, one in the repeated hour
        # is delivered twice). Consecutive days tile real time exactly, so the same delivery
        # gives the same date whatever program history produced it; the conservative margin
        # is the rounding down below, not an assumed extra hour.
        if single is not None and single.mode is not PumpMode.ONE_TIME_BOLUS:
            used += day_mcg_exact(single, day, tz) / frac(single.concentration_mcg_per_ml)
        else:
            start = local_midnight(day, tz)
            end = local_midnight(day + dt.timedelta(days=1), tz)
            used += _delivered_ml(periods, start, end, tz, extend_first_back=True)
        if used >= usable:
            # Reached during this day, or exactly at its end (then the next date).
            return day + dt.timedelta(days=1) if used == usable else day
    return None


def programmer_alarm_dates(
    fill_date: dt.date,
    volume_after_fill_ml: Decimal,
    programs: Program | Sequence[ProgramPeriod],
    tz: dt.tzinfo | str,
    settings: ClinicSettings,
    *,
    alarm_volume_ml: Decimal | None = None,
) -> frozenset[dt.date]:
    """Alarm dates a vendor programmer may print for this fill without anything being wrong:
    ours (each local day over its real hours), and the one counted in days of 24 hours on the
    fill date's clock, which is what a programmer gives when the fill spans a daylight-saving
    change (CLINICAL.md section 4, "Daylight-saving changes can shift flex steps", and
    section 5). A programmer date outside these is a mismatch worth checking [55]. Only the
    cross-check uses the second date: the dates shown and stored are always ours.
    """
    tz = zone(tz)
    ours = forecast_refill(
        fill_date, volume_after_fill_ml, programs, tz, settings, alarm_volume_ml=alarm_volume_ml
    ).alarm_date
    offset = dt.datetime.combine(fill_date, dt.time(12), tzinfo=tz).utcoffset()
    fixed = dt.timezone(offset or dt.timedelta(0))
    plain = forecast_refill(
        fill_date, volume_after_fill_ml, programs, fixed, settings, alarm_volume_ml=alarm_volume_ml
    ).alarm_date
    return frozenset(d for d in (ours, plain) if d is not None)


# --------------------------------------------------------------------------------------------
# Residual volume at a refill


def discrepancy_threshold_ml(reservoir_ml: Decimal, settings: ClinicSettings) -> Decimal:
    """Allowed difference between measured and expected residual [24]: the 20 mL setting for
    reservoirs up to 20 mL, the 40 mL setting for larger ones."""
    if reservoir_ml <= 20:  # 20 mL pump [15][26]
        return settings.discrepancy_threshold_20ml
    return settings.discrepancy_threshold_40ml


def expected_residual_ml(
    volume_after_previous_fill_ml: Decimal,
    previous_fill_at: dt.date | dt.datetime,
    refill_at: dt.date | dt.datetime,
    periods: Sequence[ProgramPeriod],
    tz: dt.tzinfo | str,
) -> Decimal:
    """Volume after the previous refill minus the volume delivered since by the programs in
    force (changes between refills included). Negative means the pump would have run dry.

    A plain date stands for the start of that local date; give both as dates or both as
    datetimes so the interval is what you mean.
    """
    tz = zone(tz)
    ordered = _checked_periods(periods)
    used = _delivered_ml(ordered, _as_instant(previous_fill_at, tz), _as_instant(refill_at, tz), tz)
    return dec(frac(volume_after_previous_fill_ml) - used)


@dataclass(frozen=True)
class ResidualCheck:
    """Measured against expected residual at a refill, flagged beyond the threshold [24]."""

    expected_ml: Decimal  # may be negative: the programs would have emptied the pump
    measured_ml: Decimal
    difference_ml: Decimal  # measured - expected: negative = less drug left than expected
    threshold_ml: Decimal
    flagged: bool

    @property
    def would_have_run_dry(self) -> bool:
        return self.expected_ml < 0

    @property
    def message(self) -> str:
        """In words for the refill form."""
        if not self.flagged:
            return (
                f"Measured {format_ml(self.measured_ml)}, expected "
                f"{format_ml(self.expected_ml)}: within {format_ml(self.threshold_ml)}."
            )
        if self.would_have_run_dry:
            return (
                f"Measured {format_ml(self.measured_ml)}, but by the programs in force the pump "
                "would have run empty before today. Check the last refill and program dates "
                "before refilling."
            )
        direction = "less" if self.difference_ml < 0 else "more"
        return (
            f"Measured {format_ml(self.measured_ml)} but expected "
            f"{format_ml(self.expected_ml)}: {format_ml(abs(self.difference_ml))} {direction} "
            f"than expected, more than the {format_ml(self.threshold_ml)} allowed. Investigate "
            "before refilling."
        )


def check_residual(
    expected_ml: Decimal, measured_ml: Decimal, reservoir_ml: Decimal, settings: ClinicSettings
) -> ResidualCheck:
    """Flag a measured residual that differs from the expected one by more than the threshold."""
    difference = measured_ml - expected_ml
    threshold = discrepancy_threshold_ml(reservoir_ml, settings)
    return ResidualCheck(
        expected_ml=expected_ml,
        measured_ml=measured_ml,
        difference_ml=difference,
        threshold_ml=threshold,
        flagged=abs(difference) > threshold,
    )


# --------------------------------------------------------------------------------------------
# Refill visit


@dataclass(frozen=True)
class RefillVisit:
    """What the nurse enters at a refill (CLINICAL.md section 5, "Record at each refill")."""

    refill_at: dt.datetime  # timezone-aware
    measured_residual_ml: Decimal
    volume_discarded_ml: Decimal
    volume_added_ml: Decimal
    concentration_mcg_per_ml: Decimal
    lot: str
    lot_expiry: dt.date
    programmer_alarm_date: dt.date | None = None

    @property
    def volume_after_ml(self) -> Decimal:
        """New reservoir volume: residual left in the pump plus the volume added."""
        return self.measured_residual_ml - self.volume_discarded_ml + self.volume_added_ml


def impossible_amounts(visit: RefillVisit) -> list[Problem]:
    """Volumes no pump holds and concentrations above the highest on the market: refused
    before anything is computed with them (a 29-digit volume cannot be computed exactly)."""
    problems: list[Problem] = []
    for field_name, words, value in (
        ("measured_residual_ml", "The measured residual", visit.measured_residual_ml),
        ("volume_discarded_ml", "The volume discarded", visit.volume_discarded_ml),
        ("volume_added_ml", "The volume added", visit.volume_added_ml),
    ):
        if not Decimal(value).is_finite() or abs(value) > MAX_ANY_RESERVOIR_ML:
            problems.append(
                Problem(
                    field_name,
                    f"{words} is not a possible volume: no pump holds more than "
                    f"{format_ml(MAX_ANY_RESERVOIR_ML)}.",
                )
            )
    concentration = visit.concentration_mcg_per_ml
    if not concentration.is_finite() or concentration > MAX_CONCENTRATION_MCG_PER_ML:
        # CLINICAL.md section 3: 2000 mcg/mL is the highest confirmed; others are dilutions.
        problems.append(
            Problem(
                "concentration_mcg_per_ml",
                "The concentration is above the highest on the market "
                f"({format_concentration(MAX_CONCENTRATION_MCG_PER_ML)}).",
            )
        )
    return problems


def validate_refill_visit(
    visit: RefillVisit,
    *,
    reservoir_ml: Decimal,
    implant_date: dt.date,
    now: dt.datetime,
    tz: dt.tzinfo | str,
    active_program: Program | None,
    new_program: Program | None = None,
    our_alarm_date: dt.date | None = None,
    also_accepted_alarm_dates: frozenset[dt.date] = frozenset(),
) -> list[Problem]:
    """Every problem of a refill visit: errors refuse the save, warnings are shown.

    ``new_program``: the program change made at this visit, if any. ``our_alarm_date``:
    CareCoord's alarm date for the new fill, compared with the vendor programmer's [55];
    ``also_accepted_alarm_dates``: other dates the programmer may rightly print for the same
    fill (see ``programmer_alarm_dates``), which are no mismatch.
    """
    problems: list[Problem] = []

    def refuse(field_name: str, message: str) -> None:
        problems.append(Problem(field_name, message, Severity.ERROR))

    tz = zone(tz)
    if visit.refill_at.tzinfo is None or visit.refill_at.utcoffset() is None:
        raise ValueError("refill_at must be timezone-aware")
    refill_day = visit.refill_at.astimezone(tz).date()
    if refill_day < implant_date:
        refuse(
            "refill_at",
            f"The refill date {format_date(refill_day)} is before the implant "
            f"({format_date(implant_date)}).",
        )
    if visit.refill_at > now:
        refuse("refill_at", "The refill is dated in the future.")
    impossible = impossible_amounts(visit)
    if impossible:
        # The other checks compute with these numbers; one with 29 digits cannot be computed.
        return problems + impossible
    amounts = (
        ("measured_residual_ml", "measured residual", visit.measured_residual_ml),
        ("volume_discarded_ml", "volume discarded", visit.volume_discarded_ml),
        ("volume_added_ml", "volume added", visit.volume_added_ml),
    )
    negative = False
    for field_name, words, value in amounts:
        if value < 0:
            refuse(field_name, f"The {words} cannot be negative.")
            negative = True
    if visit.measured_residual_ml > reservoir_ml:
        refuse(
            "measured_residual_ml",
            f"The measured residual {format_ml(visit.measured_residual_ml)} is more than the "
            f"reservoir holds ({format_ml(reservoir_ml)}).",
        )
    if visit.volume_discarded_ml > visit.measured_residual_ml:
        refuse(
            "volume_discarded_ml",
            "More volume is discarded than was measured in the pump.",
        )
    if not negative and visit.volume_after_ml > reservoir_ml:
        refuse(
            "volume_added_ml",
            f"Adding {format_ml(visit.volume_added_ml)} would put "
            f"{format_ml(visit.volume_after_ml)} in a {format_ml(reservoir_ml)} reservoir.",
        )
    if not visit.lot.strip():
        refuse("lot", "Enter the lot number of the drug.")
    if visit.lot_expiry < refill_day:
        refuse(
            "lot_expiry",
            f"The lot expired on {format_date(visit.lot_expiry)}, before the refill.",
        )
    else:
        problems.extend(
            date_problems(
                "lot_expiry",
                "The lot's expiry",
                visit.lot_expiry,
                latest=years_after(refill_day, MAX_LOT_SHELF_YEARS),
            )
        )
    if visit.concentration_mcg_per_ml <= 0:
        refuse("concentration_mcg_per_ml", "The concentration must be above zero.")
    program_concentration = (
        new_program.concentration_mcg_per_ml
        if new_program is not None
        else (None if active_program is None else active_program.concentration_mcg_per_ml)
    )
    if (
        program_concentration is not None
        and visit.concentration_mcg_per_ml != program_concentration
    ):
        if new_program is None:
            refuse(
                "concentration_mcg_per_ml",
                f"The drug added is {format_concentration(visit.concentration_mcg_per_ml)} but "
                f"the active program is for {format_concentration(program_concentration)}: "
                "a concentration change needs a program change (with a bridge bolus).",
            )
        else:
            refuse(
                "concentration_mcg_per_ml",
                f"The drug added is {format_concentration(visit.concentration_mcg_per_ml)} but "
                f"the new program is for {format_concentration(program_concentration)}.",
            )
    if (
        active_program is not None
        and visit.concentration_mcg_per_ml != active_program.concentration_mcg_per_ml
        and visit.measured_residual_ml - visit.volume_discarded_ml > 0
    ):
        refuse(
            "volume_discarded_ml",
            f"{format_ml(visit.measured_residual_ml - visit.volume_discarded_ml)} of the old "
            f"{format_concentration(active_program.concentration_mcg_per_ml)} drug would stay "
            "in the pump: empty the reservoir before filling another concentration.",
        )
    if (
        visit.programmer_alarm_date is not None
        and visit.programmer_alarm_date != our_alarm_date
        and visit.programmer_alarm_date not in also_accepted_alarm_dates
    ):
        problems.append(
            Problem(
                "programmer_alarm_date",
                f"The programmer's alarm date ({format_date(visit.programmer_alarm_date)}) "
                f"differs from CareCoord's ({format_date(our_alarm_date)}): check the "
                "program, concentration and volumes entered on both.",
                Severity.WARNING,
            )
        )
    return problems


def describe_fill(visit: RefillVisit) -> str:
    """One line for a refill list: "Filled to 20 mL of 500 mcg/mL (lot A1)"."""
    return (
        f"Filled to {format_ml(visit.volume_after_ml)} of "
        f"{format_concentration(visit.concentration_mcg_per_ml)} (lot {visit.lot.strip()}), "
        f"{format_number(visit.volume_added_ml)} mL added"
    )
