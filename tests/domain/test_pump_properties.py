"""Property tests of the pump domain: sums agree, invalid schedules never pass, exact parsing."""

import datetime as dt
import math
from decimal import Decimal
from fractions import Fraction
from itertools import pairwise
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from carecoord.domain.errors import ValidationFailed, errors_only
from carecoord.domain.program import (
    PeriodicBolus,
    Program,
    PumpMode,
    RateUnit,
    Step,
    WeekdaySchedule,
    day_mcg_exact,
    dose_per_day_exact,
    dose_per_day_mcg,
    hourly_doses,
    hourly_doses_exact,
    parse_rate,
    validate_program,
)
from carecoord.domain.refills import forecast_refill
from carecoord.domain.settings import ClinicSettings

PARIS = ZoneInfo("Europe/Paris")
UTC = ZoneInfo("UTC")
NORMAL_DAY = dt.date(2026, 6, 10)
SPRING = dt.date(2026, 3, 29)
FALL = dt.date(2026, 10, 25)

concentrations = st.one_of(
    st.sampled_from([Decimal(50), Decimal(500), Decimal(1000), Decimal(2000)]),
    st.decimals(min_value=1, max_value=2000, places=1),
)
rates = st.decimals(min_value=Decimal("0.001"), max_value=100, places=3)
units = st.sampled_from(list(RateUnit))


@st.composite
def schedules(draw, max_steps: int = 13) -> tuple[Step, ...]:
    """A valid day schedule: first step at 00:00, increasing starts, positive rates."""
    later = draw(st.sets(st.integers(1, 1439), max_size=max_steps - 1))
    return tuple(Step(start, draw(rates), draw(units)) for start in [0, *sorted(later)])


@st.composite
def programs(draw) -> Program:
    """A valid flex or periodic-bolus program, sometimes with weekday schedules."""
    steps = draw(schedules())
    weekdays = draw(st.sets(st.integers(0, 6), max_size=3))
    overrides = tuple(WeekdaySchedule(day, draw(schedules(4))) for day in sorted(weekdays))
    concentration = draw(concentrations)
    if draw(st.booleans()):
        start = draw(st.integers(0, 1380))
        bolus = PeriodicBolus(
            draw(st.decimals(min_value=1, max_value=200, places=2)),
            draw(st.integers(1, 1440 - start)),
            (start,),
        )
        return Program(concentration, PumpMode.PERIODIC_BOLUS, steps, overrides, bolus)
    return Program(concentration, PumpMode.FLEX, steps, overrides)


@settings(deadline=None)
@given(programs(), st.sampled_from([PARIS, UTC, ZoneInfo("America/New_York")]))
def test_dose_per_day_equals_the_sum_of_hourly_doses_on_a_normal_day(program, zone):
    """On an ordinary day the 24 hourly doses add up exactly to that weekday's dose per day."""
    exact = hourly_doses_exact(program, NORMAL_DAY, zone)
    assert len(exact) == 24
    assert sum(exact, Fraction(0)) == dose_per_day_exact(program, NORMAL_DAY.weekday())
    shown = sum(h.dose_mcg for h in hourly_doses(program, NORMAL_DAY, zone))
    assert abs(shown - dose_per_day_mcg(program, NORMAL_DAY.weekday())) < Decimal("1e-20")


@settings(deadline=None)
@given(programs())
def test_dst_days_differ_by_exactly_the_skipped_or_repeated_hour(program):
    """Spring forward loses the 02:00 wall hour; fall back gains it once more (Paris)."""

    def two_oclock(day: dt.date) -> Fraction:
        # The dose of the 02:00-03:00 wall hour on a normal day with the same weekday.
        same_weekday = NORMAL_DAY + dt.timedelta(days=(day.weekday() - NORMAL_DAY.weekday()) % 7)
        return hourly_doses_exact(program, same_weekday, PARIS)[2]

    spring_normal = dose_per_day_exact(program, SPRING.weekday())
    fall_normal = dose_per_day_exact(program, FALL.weekday())
    assert day_mcg_exact(program, SPRING, PARIS) == spring_normal - two_oclock(SPRING)
    assert day_mcg_exact(program, FALL, PARIS) == fall_normal + two_oclock(FALL)


steps_anyhow = st.lists(
    st.builds(
        Step,
        st.integers(-120, 1600),
        st.decimals(min_value=-5, max_value=50, places=2),
        units,
    ),
    max_size=6,
)


@given(steps_anyhow, concentrations)
def test_no_invalid_schedule_is_accepted_and_no_valid_one_refused(steps, concentration):
    """A flex schedule passes exactly when it starts at 00:00, increases, stays within the day
    and has positive rates."""
    starts = [s.start_minute for s in steps]
    valid = (
        bool(steps)
        and starts[0] == 0
        and all(0 <= m < 1440 for m in starts)
        and all(a < b for a, b in pairwise(starts))
        and all(s.rate > 0 for s in steps)
    )
    problems = errors_only(validate_program(Program(concentration, PumpMode.FLEX, tuple(steps))))
    assert (problems == []) is valid


@given(st.decimals(min_value=Decimal("0.001"), max_value=10000, places=3))
def test_rates_typed_with_a_comma_are_read_exactly(value):
    """In a comma locale "12,345" reads as 12.345 exactly; in a point locale it is refused."""
    text = format(value, "f").replace(".", ",")
    assert parse_rate(text, decimal_separator=",") == value
    assert parse_rate(format(value, "f"), decimal_separator=",") == value
    if "," in text:
        try:
            parse_rate(text)
        except ValidationFailed:
            pass
        else:  # pragma: no cover - the property failed
            raise AssertionError(f"{text!r} was guessed in a point locale")


@settings(deadline=None)
@given(programs())
def test_every_valid_program_round_trips_through_its_dict(program):
    """to_dict/from_dict loses nothing."""
    assert Program.from_dict(program.to_dict()) == program


@settings(deadline=None, max_examples=60)
@given(
    schedules(),
    st.sampled_from([Decimal(500), Decimal(1000), Decimal(2000), Decimal(300), Decimal(700)]),
    st.decimals(min_value=2, max_value=40, places=2),
)
def test_alarm_date_is_whole_days_rounded_down(steps, concentration, volume):
    """On identical days the alarm comes floor((volume - alarm) / mL a day) days after filling,
    computed without any rounding drift."""
    program = Program(concentration, PumpMode.FLEX, steps)
    per_day = dose_per_day_exact(program) / Fraction(concentration)
    usable = Fraction(volume) - 2
    if per_day == 0 or usable / per_day > 1000:
        return
    forecast = forecast_refill(dt.date(2026, 5, 4), volume, program, UTC, ClinicSettings())
    assert forecast.days_to_alarm == max(0, math.floor(usable / per_day))
