"""The pump program: parsing, validation in words, derived doses, DST hours, text, dict form."""

import datetime as dt
import json
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from carecoord.domain.errors import Severity, ValidationFailed, errors_only
from carecoord.domain.program import (
    OneTimeBolus,
    PeriodicBolus,
    Program,
    PumpMode,
    RateUnit,
    Step,
    WeekdaySchedule,
    clock_words,
    continuous_program,
    days_to_alarm,
    describe_program,
    dose_on_date_mcg,
    dose_per_day_by_weekday,
    dose_per_day_mcg,
    hourly_doses,
    parse_clock_time,
    parse_rate,
    parse_step,
    stopped_program,
    validate_concentration,
    validate_program,
    volume_on_date_ml,
    volume_per_day_ml,
)
from tests.domain.pump_examples import example2, synchromed

D = Decimal
PARIS = ZoneInfo("Europe/Paris")
NEW_YORK = ZoneInfo("America/New_York")


def messages(problems, severity=Severity.ERROR) -> str:
    return " | ".join(p.message for p in problems if p.severity is severity)


# ---------------------------------------------------------------------------- clock times


@pytest.mark.parametrize(
    ("text", "minutes"), [("00:00", 0), ("07:00", 420), ("7:30", 450), ("23:59", 1439)]
)
def test_clock_times_are_read_as_minutes(text, minutes):
    """HH:MM (or H:MM) between 00:00 and 23:59 is a step start."""
    assert parse_clock_time(text) == minutes


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("24:00", "24:00 is the end of the day"),
        ("25:00", "There is no 25:00"),
        ("07:75", "Minutes go from 00 to 59"),
        ("7h", "like 07:00"),
        ("", "like 07:00"),
    ],
)
def test_impossible_clock_times_are_refused_in_words(text, fragment):
    """24:00, 25:00 and malformed times are refused with a sentence the user understands."""
    with pytest.raises(ValidationFailed) as caught:
        parse_clock_time(text)
    assert fragment in str(caught.value)


def test_clock_words_for_the_handout():
    """Times on a handout read "midnight", "noon", "7 am", "10:30 pm"."""
    assert [clock_words(m) for m in (0, 720, 420, 1320, 1350, 30, 1440)] == [
        "midnight",
        "noon",
        "7 am",
        "10 pm",
        "10:30 pm",
        "12:30 am",
        "midnight",
    ]


# ---------------------------------------------------------------------------- typed rates


def test_rate_with_comma_is_read_in_a_comma_locale():
    """ "12,5" is 12.5 mcg/h where the locale writes decimals with a comma (units.parse_decimal)."""
    assert parse_rate("12,5", decimal_separator=",") == D("12.5")
    step = parse_step("07:00", "0,72", RateUnit.ML_PER_DAY, decimal_separator=",")
    assert step == Step(420, D("0.72"), RateUnit.ML_PER_DAY)


def test_rate_with_comma_is_refused_in_a_point_locale():
    """A comma in a point locale is never guessed."""
    with pytest.raises(ValidationFailed, match="uses a comma"):
        parse_rate("12,5")


@pytest.mark.parametrize("text", ["0", "-3", "0,0"])
def test_zero_or_negative_typed_rate_is_refused(text):
    """A typed rate must be above zero."""
    with pytest.raises(ValidationFailed, match="above zero"):
        parse_rate(text, decimal_separator=",")


def test_parse_step_reports_both_fields_at_once():
    """A form with a bad time and a bad rate gets both messages, each tied to its field."""
    with pytest.raises(ValidationFailed) as caught:
        parse_step("25:00", "abc", field_prefix="steps[1]")
    assert [p.field for p in caught.value.problems] == ["steps[1].start", "steps[1].rate"]


# ---------------------------------------------------------------------------- conversions


def test_dose_rate_gives_exact_volume_rate():
    """20 mcg/h at 500 mcg/mL is exactly 0.96 mL/day."""
    step = Step(0, D(20))
    assert step.volume_ml_per_day(D(500)) == D("0.96")
    assert step.dose_mcg_per_hour(D(500)) == D(20)


def test_volume_rate_gives_exact_dose_rate():
    """0.72 mL/day at 500 mcg/mL is exactly 15 mcg/h."""
    step = Step(0, D("0.72"), RateUnit.ML_PER_DAY)
    assert step.dose_mcg_per_hour(D(500)) == D(15)
    assert step.volume_ml_per_day(D(500)) == D("0.72")


def test_non_terminating_rate_keeps_an_exact_daily_total():
    """0.5 mL/day at 500 mcg/mL is 10.41666... mcg/h but exactly 250 mcg/day."""
    program = continuous_program(D(500), D("0.5"), RateUnit.ML_PER_DAY)
    assert str(Step(0, D("0.5"), RateUnit.ML_PER_DAY).dose_mcg_per_hour(D(500))).startswith(
        "10.41666"
    )
    assert dose_per_day_mcg(program) == D(250)
    assert volume_per_day_ml(program) == D("0.5")


# ---------------------------------------------------------------------------- worked example 2


def test_worked_example_2_dose_and_volume_per_day():
    """140 + 180 + 40 = 360 mcg/day, 0.72 mL/day, 18 / 0.72 = 25 days (CLINICAL.md 5, ex. 2)."""
    program = example2()
    assert validate_program(program) == []
    assert dose_per_day_mcg(program) == D(360)
    assert volume_per_day_ml(program) == D("0.72")
    assert days_to_alarm(program, D(20), D(2)) == D(25)


def test_days_to_alarm_edge_cases():
    """No delivery gives None; a reservoir already at the alarm volume gives 0 days."""
    assert days_to_alarm(stopped_program(D(500)), D(20), D(2)) is None
    assert days_to_alarm(example2(), D(2), D(2)) == D(0)


def test_normal_day_has_24_hours_summing_to_the_dose_per_day():
    """On an ordinary date every clock hour is listed once and they add up to 360 mcg."""
    hours = hourly_doses(example2(), dt.date(2026, 6, 10), PARIS)
    assert [h.label for h in hours] == [f"{h:02d}:00" for h in range(24)]
    assert [h.dose_mcg for h in hours] == [D(20)] * 7 + [D(12)] * 15 + [D(20)] * 2
    assert sum(h.dose_mcg for h in hours) == D(360)


# ---------------------------------------------------------------------------- daylight saving


@pytest.mark.parametrize(
    ("zone", "day"),
    [(PARIS, dt.date(2026, 3, 29)), (NEW_YORK, dt.date(2026, 3, 8))],
)
def test_spring_forward_day_skips_the_02_hour(zone, day):
    """Spring forward: 23 hours, 02:00-03:00 never happens, so 20 mcg less (340 mcg)."""
    hours = hourly_doses(example2(), day, zone)
    assert len(hours) == 23
    assert "02:00" not in [h.label for h in hours]
    assert dose_on_date_mcg(example2(), day, zone) == D(340)
    assert volume_on_date_ml(example2(), day, zone) == D("0.68")


@pytest.mark.parametrize(
    ("zone", "day", "repeated"),
    [(PARIS, dt.date(2026, 10, 25), "02:00"), (NEW_YORK, dt.date(2026, 11, 1), "01:00")],
)
def test_fall_back_day_repeats_an_hour(zone, day, repeated):
    """Fall back: 25 hours, the repeated wall-clock hour delivers twice (380 mcg)."""
    hours = hourly_doses(example2(), day, zone)
    labels = [h.label for h in hours]
    assert len(hours) == 25
    assert labels.count(repeated) == 1 and f"{repeated} (again)" in labels
    assert dose_on_date_mcg(example2(), day, zone) == D(380)


def test_dst_shifts_steps_by_wall_clock_in_new_york():
    """A step starting at 03:00 still starts at 03:00 local time on the spring-forward day."""
    program = Program(D(1000), PumpMode.FLEX, (Step(0, D(10)), Step(180, D(40))))
    hours = {h.label: h.dose_mcg for h in hourly_doses(program, dt.date(2026, 3, 8), NEW_YORK)}
    assert hours["01:00"] == D(10) and hours["03:00"] == D(40)
    assert sum(hours.values()) == D(10) * 2 + D(40) * 21


# ---------------------------------------------------------------------------- weekdays, boluses


def weekend_program() -> Program:
    return Program(
        D(500),
        PumpMode.FLEX,
        (Step(0, D(20)), Step(420, D(12)), Step(1320, D(20))),
        weekday_schedules=(
            WeekdaySchedule(5, (Step(0, D(15)),)),
            WeekdaySchedule(6, (Step(0, D(15)),)),
        ),
    )


def test_weekday_schedule_changes_that_days_dose():
    """A weekday with its own schedule gets its own dose (Saturday 380 mcg, others 360)."""
    program = Program(
        D(500),
        PumpMode.FLEX,
        (Step(0, D(20)), Step(420, D(12)), Step(1320, D(20))),
        weekday_schedules=(WeekdaySchedule(5, (Step(0, D(10)), Step(600, D(20)))),),
    )
    doses = dose_per_day_by_weekday(program)
    assert doses[0] == D(360)
    assert doses[5] == D(100) + D(280)
    assert dose_on_date_mcg(program, dt.date(2026, 6, 13), PARIS) == D(380)  # a Saturday
    assert dose_per_day_mcg(program) == D(360)  # the everyday schedule


def test_periodic_bolus_adds_to_the_hours_it_falls_in():
    """A 50 mcg bolus over 30 min at 08:00 adds 50 to the 08:00 hour; over 60 min at 08:30 it
    splits 25/25 between 08:00 and 09:00."""
    program = Program(
        D(500),
        PumpMode.PERIODIC_BOLUS,
        (Step(0, D(10)),),
        periodic_bolus=PeriodicBolus(D(50), 30, (480, 1200)),
    )
    assert validate_program(program) == []
    hours = {h.label: h.dose_mcg for h in hourly_doses(program, dt.date(2026, 6, 10), PARIS)}
    assert hours["08:00"] == D(60) and hours["20:00"] == D(60) and hours["09:00"] == D(10)
    assert dose_per_day_mcg(program) == D(340)
    split = Program(
        D(500),
        PumpMode.PERIODIC_BOLUS,
        (Step(0, D(10)),),
        periodic_bolus=PeriodicBolus(D(50), 60, (510,)),
    )
    hours = {h.label: h.dose_mcg for h in hourly_doses(split, dt.date(2026, 6, 10), PARIS)}
    assert hours["08:00"] == D(35) and hours["09:00"] == D(35)


def test_periodic_bolus_in_skipped_hour_is_not_given_and_repeated_hour_twice():
    """Wall-clock model: a 02:15 bolus is lost on spring-forward and given twice on fall-back."""
    program = Program(
        D(500),
        PumpMode.PERIODIC_BOLUS,
        (Step(0, D(10)),),
        periodic_bolus=PeriodicBolus(D(50), 15, (135,)),
    )
    assert dose_on_date_mcg(program, dt.date(2026, 6, 10), PARIS) == D(290)
    assert dose_on_date_mcg(program, dt.date(2026, 3, 29), PARIS) == D(230)
    assert dose_on_date_mcg(program, dt.date(2026, 10, 25), PARIS) == D(350)


def test_one_time_bolus_is_not_part_of_the_dose_per_day():
    """A one-time bolus is given once; the daily dose is the basal schedule's."""
    program = Program(
        D(500), PumpMode.ONE_TIME_BOLUS, (Step(0, D(15)),), one_time_bolus=OneTimeBolus(D(100), 60)
    )
    assert validate_program(program) == []
    assert dose_per_day_mcg(program) == D(360)


def test_stopped_program_delivers_nothing():
    """Stopped: zero dose, zero volume, every hour zero."""
    program = stopped_program(D(500))
    assert dose_per_day_mcg(program) == 0
    assert all(h.dose_mcg == 0 for h in hourly_doses(program, dt.date(2026, 6, 10), PARIS))


# ---------------------------------------------------------------------------- validation


def test_unsorted_steps_are_refused():
    """Steps out of time order are refused, saying which time comes after which."""
    program = Program(D(500), PumpMode.FLEX, (Step(0, D(20)), Step(1320, D(20)), Step(420, D(12))))
    text = messages(validate_program(program))
    assert "not in time order: 07:00 comes after 22:00" in text


def test_duplicate_step_times_are_refused():
    """Two steps at the same time overlap and are refused."""
    program = Program(D(500), PumpMode.FLEX, (Step(0, D(20)), Step(420, D(12)), Step(420, D(14))))
    assert "Two steps (every day) start at 07:00" in messages(validate_program(program))


def test_first_step_must_start_at_midnight():
    """A schedule covers 24 h, so its first step starts at 00:00."""
    program = Program(D(500), PumpMode.FLEX, (Step(60, D(20)), Step(420, D(12))))
    problems = validate_program(program)
    assert "first step (every day) starts at 01:00" in messages(problems)
    assert problems[0].field == "steps[0].start"


@pytest.mark.parametrize(("minute", "shown"), [(1440, "24:00"), (1500, "25:00"), (-5, "-5")])
def test_step_at_24_or_25_oclock_is_refused(minute, shown):
    """A step built with a start of 24:00 or later (or negative) is refused in words."""
    program = Program(D(500), PumpMode.FLEX, (Step(0, D(20)), Step(minute, D(12))))
    assert f"starts at {shown}: a step starts between 00:00 and 23:59" in messages(
        validate_program(program)
    )


@pytest.mark.parametrize("rate", [D(0), D(-1)])
@pytest.mark.parametrize("mode", [PumpMode.CONTINUOUS, PumpMode.FLEX])
def test_zero_or_negative_rate_is_refused(rate, mode):
    """Every step of a delivering mode needs a rate above zero."""
    program = Program(D(500), mode, (Step(0, rate),))
    assert "the rate must be above zero" in messages(validate_program(program))


def test_mode_shape_is_enforced():
    """Continuous has one step; stopped has none; weekdays only for flex-like modes."""
    two = Program(D(500), PumpMode.CONTINUOUS, (Step(0, D(1)), Step(60, D(2))))
    assert "exactly one rate" in messages(validate_program(two))
    stopped = Program(D(500), PumpMode.STOPPED, (Step(0, D(1)),))
    assert "stopped pump has no rates" in messages(validate_program(stopped))
    empty = Program(D(500), PumpMode.FLEX, ())
    assert "has no steps" in messages(validate_program(empty))
    weekday = Program(
        D(500), PumpMode.CONTINUOUS, (Step(0, D(1)),), (WeekdaySchedule(0, (Step(0, D(2)),)),)
    )
    assert "Only a flexible schedule can differ by weekday" in messages(validate_program(weekday))


def test_single_step_flex_only_warns():
    """A flex schedule with one rate is allowed, with a hint to use simple continuous."""
    problems = validate_program(Program(D(500), PumpMode.FLEX, (Step(0, D(15)),)))
    assert errors_only(problems) == []
    assert "simple continuous" in messages(problems, Severity.WARNING)


def test_weekday_schedules_are_validated_per_day():
    """A weekday's own schedule follows the same rules, named by its day; days are unique."""
    program = Program(
        D(500),
        PumpMode.FLEX,
        (Step(0, D(20)),),
        weekday_schedules=(
            WeekdaySchedule(5, (Step(60, D(10)),)),
            WeekdaySchedule(5, (Step(0, D(10)),)),
            WeekdaySchedule(9, (Step(0, D(10)),)),
        ),
    )
    text = messages(validate_program(program))
    assert "first step (Saturday) starts at 01:00" in text
    assert "Saturday has two schedules" in text
    assert "Unknown weekday 9" in text


@pytest.mark.parametrize(
    ("bolus", "fragment"),
    [
        (PeriodicBolus(D(0), 30, (480,)), "bolus dose must be above zero"),
        (PeriodicBolus(D(50), 0, (480,)), "at least 1 minute"),
        (PeriodicBolus(D(50), 30, ()), "at least one bolus start"),
        (PeriodicBolus(D(50), 30, (1430,)), "run past midnight"),
        (PeriodicBolus(D(50), 30, (480, 490)), "before the previous one has finished"),
        (PeriodicBolus(D(50), 30, (600, 480)), "different and in time order"),
        (PeriodicBolus(D(50), 30, (1440,)), "between 00:00 and 23:59"),
    ],
)
def test_invalid_periodic_bolus_is_refused(bolus, fragment):
    """Periodic bolus settings must make sense: dose, duration, times within the day."""
    program = Program(D(500), PumpMode.PERIODIC_BOLUS, (Step(0, D(10)),), periodic_bolus=bolus)
    assert fragment in messages(validate_program(program))


def test_bolus_settings_must_match_the_mode():
    """A bolus mode needs its bolus, and a bolus needs its mode."""
    assert "Set the periodic bolus" in messages(
        validate_program(Program(D(500), PumpMode.PERIODIC_BOLUS, (Step(0, D(10)),)))
    )
    assert "Set the one-time bolus" in messages(
        validate_program(Program(D(500), PumpMode.ONE_TIME_BOLUS, (Step(0, D(10)),)))
    )
    stray = Program(D(500), PumpMode.FLEX, (Step(0, D(10)),), one_time_bolus=OneTimeBolus(D(10), 0))
    assert "needs the one-time bolus mode" in messages(validate_program(stray))
    bad = Program(
        D(500), PumpMode.ONE_TIME_BOLUS, (Step(0, D(10)),), one_time_bolus=OneTimeBolus(D(-1), 0)
    )
    text = messages(validate_program(bad))
    assert "bolus dose must be above zero" in text and "at least 1 minute" in text


@pytest.mark.parametrize("value", [D(50), D(500), D(1000), D(2000)])
def test_market_concentrations_pass_silently(value):
    """50, 500, 1000 and 2000 mcg/mL are on the market [13][14][63]."""
    assert validate_concentration(value) == []


@pytest.mark.parametrize("value", [D(300), D("1500"), D("0.5")])
def test_other_concentrations_warn_dilution(value):
    """Another concentration is allowed as a dilution, with a warning."""
    (problem,) = validate_concentration(value)
    assert problem.severity is Severity.WARNING and "dilution" in problem.message


@pytest.mark.parametrize("value", [D(0), D(-500), D(2001), D("NaN"), None])
def test_impossible_concentrations_are_refused(value):
    """0, negative, above 2000 mcg/mL (or missing) is refused."""
    (problem,) = validate_concentration(value)
    assert problem.severity is Severity.ERROR


def test_only_baclofen_is_programmed():
    """The drug is intrathecal baclofen."""
    program = Program(D(500), PumpMode.CONTINUOUS, (Step(0, D(10)),), drug="morphine")
    assert "baclofen only" in messages(validate_program(program))


def test_device_step_limit_and_modes():
    """More steps than the device allows is refused; an unsupported confirmed mode too."""
    steps = tuple(Step(i * 60, D(10)) for i in range(14))
    program = Program(D(500), PumpMode.FLEX, steps)
    assert "has 14 steps; the SynchroMed II 20 mL allows at most 13" in messages(
        validate_program(program, synchromed())
    )
    assert (
        errors_only(validate_program(Program(D(500), PumpMode.FLEX, steps[:13]), synchromed()))
        == []
    )
    limited = synchromed(modes=frozenset({PumpMode.STOPPED, PumpMode.CONTINUOUS}))
    assert "does not support flexible schedule" in messages(validate_program(example2(), limited))


def test_unconfirmed_device_limits_only_warn():
    """Unknown step limit or unconfirmed mode list gives warnings, not refusals."""
    prometra = synchromed(
        name="Prometra II 20 mL",
        modes=frozenset({PumpMode.STOPPED, PumpMode.CONTINUOUS}),
        max_steps_per_day=None,
        unconfirmed=frozenset({"modes", "max_steps_per_day"}),
    )
    problems = validate_program(example2(), prometra)
    assert errors_only(problems) == []
    warnings = messages(problems, Severity.WARNING)
    assert "does not confirm" in warnings and "no confirmed step limit" in warnings


def test_device_minimum_rate_when_known():
    """Once an administrator enters a minimum rate, slower steps are refused."""
    device = synchromed(min_rate_ml_per_day=D("0.048"))
    slow = continuous_program(D(2000), D("0.04"), RateUnit.ML_PER_DAY)
    assert "below the SynchroMed II 20 mL minimum" in messages(validate_program(slow, device))
    assert errors_only(validate_program(example2(), device)) == []


def test_derived_values_refuse_an_invalid_program():
    """No dose is computed from a program that validation refuses."""
    with pytest.raises(ValidationFailed):
        dose_per_day_mcg(Program(D(500), PumpMode.FLEX, (Step(60, D(10)),)))


# ---------------------------------------------------------------------------- text


def test_handout_text_in_words():
    """ "From 10 pm to 7 am: 20 micrograms an hour", merging steps across midnight."""
    lines = describe_program(example2())
    assert lines == [
        "Baclofen 500 micrograms per millilitre",
        "From 7 am to 10 pm: 12 micrograms an hour",
        "From 10 pm to 7 am: 20 micrograms an hour",
        "In total: 360 micrograms a day",
    ]
    assert not any("ug" in line.replace("micrograms", "") or "µg" in line for line in lines)


def test_screen_text_is_short():
    """The short form uses mcg and 24-hour times."""
    assert describe_program(example2(), long=False)[1:3] == [
        "07:00–22:00: 12 mcg/h",
        "22:00–07:00: 20 mcg/h",
    ]


def test_text_for_continuous_stopped_weekdays_and_boluses():
    """Every mode reads as a sentence: all day, stopped, weekday groups, boluses."""
    assert describe_program(continuous_program(D(500), D(15)))[1] == (
        "All day: 15 micrograms an hour"
    )
    assert describe_program(stopped_program(D(500)))[1].startswith("The pump is stopped")
    lines = describe_program(weekend_program())
    assert "Monday to Friday:" in lines and "Saturday and Sunday:" in lines
    assert "In total: 360 micrograms a day" in lines
    bolus = Program(
        D(500),
        PumpMode.PERIODIC_BOLUS,
        (Step(0, D(10)),),
        periodic_bolus=PeriodicBolus(D(50), 30, (480, 1200)),
    )
    assert "Extra doses (boluses): 50 micrograms at 8 am and 8 pm, each over 30 minutes" in (
        describe_program(bolus)
    )
    one = Program(
        D(500), PumpMode.ONE_TIME_BOLUS, (Step(0, D(10)),), one_time_bolus=OneTimeBolus(D(80), 60)
    )
    assert any("80 micrograms given once, over 1 hour" in line for line in describe_program(one))


# ---------------------------------------------------------------------------- dict form


ALL_PROGRAMS = [
    example2(),
    weekend_program(),
    stopped_program(D(50)),
    continuous_program(D("1500"), D("0.125"), RateUnit.ML_PER_DAY),
    Program(
        D(500),
        PumpMode.PERIODIC_BOLUS,
        (Step(0, D("10.5")),),
        periodic_bolus=PeriodicBolus(D(50), 30, (480, 1200)),
    ),
    Program(
        D(1000),
        PumpMode.ONE_TIME_BOLUS,
        (Step(0, D(10)),),
        one_time_bolus=OneTimeBolus(D("75.5"), 45),
        bridge_bolus_note="Bridge bolus 0.26 mL programmed",
    ),
]


@pytest.mark.parametrize("program", ALL_PROGRAMS)
def test_program_round_trips_through_json_text(program):
    """to_dict() is JSON-ready (Decimals as strings) and from_dict() gives the same program."""
    text = json.dumps(program.to_dict())
    assert Program.from_dict(json.loads(text)) == program
    assert '"concentration_mcg_per_ml": "' in text


def test_dict_form_is_readable():
    """Times are "HH:MM", rates are decimal text with their unit."""
    data = example2().to_dict()
    assert data["steps"][1] == {"start": "07:00", "rate": "12", "unit": "mcg_per_hour"}
    assert data["mode"] == "flex" and data["format"] == 1


def test_from_dict_refuses_malformed_data_listing_every_problem():
    """Broken stored data is refused with each field named."""
    data = example2().to_dict()
    data["concentration_mcg_per_ml"] = 500.5
    data["mode"] = "turbo"
    data["steps"][1]["start"] = "25:00"
    data["steps"][2]["unit"] = "drops"
    with pytest.raises(ValidationFailed) as caught:
        Program.from_dict(data)
    fields = {p.field for p in caught.value.problems}
    assert fields == {"concentration_mcg_per_ml", "mode", "steps[1].start", "steps[2].unit"}


def test_from_dict_refuses_unknown_format():
    """A layout from a newer version is not guessed at."""
    data = example2().to_dict()
    data["format"] = 99
    with pytest.raises(ValidationFailed, match="format"):
        Program.from_dict(data)


def test_from_dict_loads_a_clinically_invalid_program_as_saved():
    """Loading is structural only; clinical validation is a separate call."""
    data = example2().to_dict()
    data["steps"][0]["rate"] = "0"
    program = Program.from_dict(data)
    assert errors_only(validate_program(program))


def test_lists_become_tuples_so_programs_compare_and_hash():
    """A program built with lists equals one built with tuples and can be cached."""
    with_lists = Program(
        D(500), PumpMode.FLEX, [Step(0, D(20)), Step(420, D(12)), Step(1320, D(20))]
    )  # type: ignore[arg-type]
    assert with_lists == example2() and hash(with_lists) == hash(example2())
