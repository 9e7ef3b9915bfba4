"""Daylight saving in refill dates (CLINICAL.md section 5, "Clock-change days").

Each local day is summed over its real hours (23 or 25) in the clinic's zone: the skipped hour
delivers nothing, the repeated hour twice. The conservative margin is the rounding down of the
final day only, so the same delivery gives the same date whatever program history produced it,
and the vendor cross-check accepts the 24-hour-day date a programmer prints for such a fill.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from fractions import Fraction
from zoneinfo import ZoneInfo

from hypothesis import assume, given
from hypothesis import strategies as st

from carecoord.domain.program import (
    Program,
    PumpMode,
    Step,
    continuous_program,
    local_midnight,
)
from carecoord.domain.refills import (
    ProgramPeriod,
    RefillVisit,
    _checked_periods,
    _delivered_ml,
    forecast_refill,
    programmer_alarm_dates,
    validate_refill_visit,
)
from carecoord.domain.settings import ClinicSettings
from tests.domain.pump_examples import example2

D = Decimal
PARIS = ZoneInfo("Europe/Paris")  # 29 Mar 2026 has 23 hours, 25 Oct 2026 has 25
CHICAGO = ZoneInfo("America/Chicago")  # 8 Mar 2026 has 23 hours, 1 Nov 2026 has 25
UTC = ZoneInfo("UTC")
SETTINGS = ClinicSettings(max_refill_interval_days=400)


def hourly(mcg_per_hour: str) -> Program:
    return continuous_program(D(500), D(mcg_per_hour))


# ------------------------------------------------------------------- worked example 2 and DST


def test_worked_example_2_across_spring_forward_counts_the_real_23_hours():
    """Example 2 filled on 10 Mar in Paris: 29 Mar skips 02:00-03:00 at 20 mcg/h (340 mcg,
    0.68 mL that day). 19 days x 0.72 + 0.68 + 5 x 0.72 = 17.96 mL at the end of 3 Apr, so the
    18 mL are reached during 4 Apr: the same alarm date as 25 full days, due 30 Mar."""
    fill = dt.date(2026, 3, 10)
    paris = forecast_refill(fill, D(20), example2(), PARIS, ClinicSettings())
    assert paris.alarm_date == dt.date(2026, 4, 4)
    assert paris.due_date == dt.date(2026, 3, 30)
    assert forecast_refill(fill, D(20), example2(), UTC, ClinicSettings()).alarm_date == (
        dt.date(2026, 4, 4)
    )


def test_worked_example_2_across_fall_back_counts_the_repeated_hour_twice():
    """Filled on 10 Oct: 25 Oct repeats 02:00-03:00 at 20 mcg/h (380 mcg, 0.76 mL). 15 x 0.72
    + 0.76 + 8 x 0.72 = 17.32 mL by the end of 2 Nov; reached during 3 Nov, a day before the
    date of 24-hour days (exactly 25 days: 4 Nov)."""
    fill = dt.date(2026, 10, 10)
    assert forecast_refill(fill, D(20), example2(), PARIS, SETTINGS).alarm_date == dt.date(
        2026, 11, 3
    )
    assert forecast_refill(fill, D(20), example2(), UTC, SETTINGS).alarm_date == dt.date(
        2026, 11, 4
    )


def test_spring_forward_day_delivers_23_hours_not_24():
    """0.04 mL an hour from 20 Mar with 9.58 mL usable: 24-hour days reach it on 29 Mar
    (9.6 mL by its end); in Paris 29 Mar delivers 0.92 mL (9.56 mL), so it is reached on
    30 Mar. The real hours, not an assumed extra hour."""
    program = hourly("20")
    fill = dt.date(2026, 3, 20)
    volume = D(2) + D("9.58")
    assert forecast_refill(fill, volume, program, UTC, SETTINGS).alarm_date == dt.date(2026, 3, 29)
    assert forecast_refill(fill, volume, program, PARIS, SETTINGS).alarm_date == dt.date(
        2026, 3, 30
    )


def test_reaching_the_alarm_exactly_at_the_end_of_the_23_hour_day_gives_the_next_date():
    """9.56 mL usable = 9 x 0.96 + 0.92 exactly at the end of 29 Mar: the alarm is 30 Mar."""
    fill = dt.date(2026, 3, 20)
    volume = D(2) + D("9.56")
    assert forecast_refill(fill, volume, hourly("20"), PARIS, SETTINGS).alarm_date == dt.date(
        2026, 3, 30
    )


def test_a_program_change_inside_the_short_day_counts_no_hour_twice():
    """The same program confirmed again at 15:00 on the 23-hour day changes nothing: before,
    the hour after that day's midnight was counted twice and the alarm came a day earlier."""
    fill = dt.date(2026, 3, 20)
    volume = D(2) + D("9.58")
    again = dt.datetime(2026, 3, 29, 15, tzinfo=PARIS)
    periods = [
        ProgramPeriod(local_midnight(fill, PARIS), hourly("20")),
        ProgramPeriod(again, hourly("20")),
    ]
    single = forecast_refill(fill, volume, hourly("20"), PARIS, SETTINGS)
    split = forecast_refill(fill, volume, periods, PARIS, SETTINGS)
    assert single.alarm_date == split.alarm_date == dt.date(2026, 3, 30)


def test_flex_step_in_the_skipped_hour_is_not_delivered():
    """A bolus-like step only from 02:00 to 03:00 delivers nothing on the spring day in Chicago."""
    program = Program(
        D(500),
        PumpMode.FLEX,
        (Step(0, D(10)), Step(120, D(100)), Step(180, D(10))),
    )
    day = dt.date(2026, 3, 8)
    start, end = local_midnight(day, CHICAGO), local_midnight(day + dt.timedelta(days=1), CHICAGO)
    used = _delivered_ml([ProgramPeriod(start, program)], start, end, CHICAGO)
    assert used == Fraction(23 * 10, 500)  # 23 real hours at 10 mcg/h, none at 100 mcg/h


# ---------------------------------------------------------------------- vendor cross-check


def _visit(programmer_date: dt.date) -> RefillVisit:
    return RefillVisit(
        refill_at=dt.datetime(2026, 3, 20, 10, tzinfo=PARIS),
        measured_residual_ml=D(2),
        volume_discarded_ml=D(2),
        volume_added_ml=D("11.58"),
        concentration_mcg_per_ml=D(500),
        lot="A1",
        lot_expiry=dt.date(2027, 1, 1),
        programmer_alarm_date=programmer_date,
    )


def _problems(programmer_date: dt.date, accepted: frozenset[dt.date]) -> list[str]:
    problems = validate_refill_visit(
        _visit(programmer_date),
        reservoir_ml=D(20),
        implant_date=dt.date(2025, 1, 1),
        now=dt.datetime(2026, 3, 20, 12, tzinfo=PARIS),
        tz=PARIS,
        active_program=hourly("20"),
        our_alarm_date=dt.date(2026, 3, 30),
        also_accepted_alarm_dates=accepted,
    )
    return [p.field for p in problems]


def test_programmer_date_by_24_hour_days_is_no_mismatch_for_a_fill_spanning_the_change():
    """Ours is 30 Mar (real hours), the programmer's 29 Mar (24-hour days): both accepted;
    a date off by more is still a mismatch."""
    accepted = programmer_alarm_dates(
        dt.date(2026, 3, 20), D("11.58"), hourly("20"), PARIS, SETTINGS
    )
    assert accepted == {dt.date(2026, 3, 29), dt.date(2026, 3, 30)}
    assert "programmer_alarm_date" not in _problems(dt.date(2026, 3, 29), accepted)
    assert "programmer_alarm_date" not in _problems(dt.date(2026, 3, 30), accepted)
    assert "programmer_alarm_date" in _problems(dt.date(2026, 4, 2), accepted)
    assert "programmer_alarm_date" in _problems(dt.date(2026, 3, 29), frozenset())


def test_without_a_clock_change_only_our_date_is_accepted():
    accepted = programmer_alarm_dates(dt.date(2026, 6, 1), D(20), example2(), PARIS, SETTINGS)
    assert accepted == {dt.date(2026, 6, 26)}  # 18 / 0.72 = 25 days


# ------------------------------------------------------------------------------- properties

ZONES = st.sampled_from([PARIS, CHICAGO, ZoneInfo("Australia/Sydney"), UTC])
# Fill dates from a few weeks before to just after the 2026 changes of these zones.
FILLS = st.dates(dt.date(2026, 2, 10), dt.date(2026, 4, 10)) | st.dates(
    dt.date(2026, 9, 15), dt.date(2026, 11, 10)
)
RATES = st.decimals(min_value=D("0.5"), max_value=D(60), places=1)


@st.composite
def flex_programs(draw) -> Program:
    starts = sorted(draw(st.sets(st.integers(1, 23), max_size=4)))
    steps = tuple(Step(hour * 60, draw(RATES)) for hour in [0, *starts])
    mode = PumpMode.FLEX if len(steps) > 1 else PumpMode.CONTINUOUS
    return Program(draw(st.sampled_from([D(500), D(1000), D(2000)])), mode, steps)


@given(
    program=flex_programs(),
    tz=ZONES,
    fill=FILLS,
    volume=st.decimals(min_value=D("2.5"), max_value=D(40), places=2),
    splits=st.lists(st.integers(1, 60 * 24 * 40), min_size=1, max_size=4, unique=True),
)
def test_same_delivery_gives_the_same_date_whatever_the_program_history(
    program, tz, fill, volume, splits
):
    """The program confirmed again (unchanged) at any instants: the same alarm date."""
    start = local_midnight(fill, tz)
    periods = [ProgramPeriod(start, program)] + [
        ProgramPeriod(start + dt.timedelta(minutes=m), program) for m in splits
    ]
    single = forecast_refill(fill, volume, program, tz, SETTINGS)
    history = forecast_refill(fill, volume, periods, tz, SETTINGS)
    assert single.alarm_date == history.alarm_date


@given(
    program=flex_programs(),
    tz=ZONES,
    fill=FILLS,
    volume=st.decimals(min_value=D("2.5"), max_value=D(40), places=2),
)
def test_alarm_date_is_the_first_local_date_the_real_delivery_reaches_the_alarm_volume(
    program, tz, fill, volume
):
    """Delivered from the fill date's 00:00 to the alarm date's 00:00 (real time) is short of
    the usable volume, or exactly it; by the end of the alarm date it is reached: never a
    later date than the truth, and never more than the rounding down early."""
    forecast = forecast_refill(fill, volume, program, tz, SETTINGS)
    if forecast.alarm_date is None:  # beyond the simulated horizon: no date is invented
        assume(False)
    periods = _checked_periods([ProgramPeriod(local_midnight(fill, tz), program)])
    usable = Fraction(volume) - 2

    def used_until(day: dt.date) -> Fraction:
        return _delivered_ml(periods, local_midnight(fill, tz), local_midnight(day, tz), tz)

    before = used_until(forecast.alarm_date)
    by_end = used_until(forecast.alarm_date + dt.timedelta(days=1))
    assert before <= usable and (before == usable or by_end > usable)
