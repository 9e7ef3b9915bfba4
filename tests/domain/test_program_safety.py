"""Safety rules for a proposed program, and the side-by-side program diff."""

import datetime as dt
from decimal import Decimal

import pytest

from carecoord.domain.enums import Origin
from carecoord.domain.errors import Severity, errors_only
from carecoord.domain.program import (
    OneTimeBolus,
    PeriodicBolus,
    Program,
    PumpMode,
    RateUnit,
    Step,
    WeekdaySchedule,
    continuous_program,
    stopped_program,
)
from carecoord.domain.program_safety import (
    PatientContext,
    Phase,
    ProgramDifference,
    blocking_problems,
    check_program,
    diff_programs,
    is_increase,
    largest_change_percent,
    titration_limit_percent,
    usual_range_mcg_per_day,
)
from tests.domain.pump_examples import example2, synchromed

D = Decimal
NOW = dt.datetime(2026, 6, 10, 12, 0, tzinfo=dt.UTC)
ADULT_SPINAL = PatientContext(Origin.SPINAL, 40, Phase.MAINTENANCE)


def per_day(mcg_per_day: str, concentration: str = "500") -> Program:
    """A continuous program giving exactly ``mcg_per_day`` (typed as mL/day)."""
    volume = D(mcg_per_day) / D(concentration)
    return continuous_program(D(concentration), volume, RateUnit.ML_PER_DAY)


def of(problems, severity):
    return [p for p in problems if p.severity is severity]


# ---------------------------------------------------------------------------- dose ranges


@pytest.mark.parametrize(
    ("origin", "age", "low", "high"),
    [
        (Origin.SPINAL, 40, 300, 800),
        (Origin.CEREBRAL, 40, 90, 700),
        (Origin.SPINAL, 11, 24, 1199),
        (Origin.CEREBRAL, 8, 24, 1199),
        (Origin.CEREBRAL, 12, 90, 700),
    ],
)
def test_usual_ranges_by_origin_and_age(origin, age, low, high):
    """Spinal 300-800, cerebral 90-700, under 12: 24-1199 mcg/day [2][10][11]."""
    assert usual_range_mcg_per_day(PatientContext(origin, age, Phase.MAINTENANCE)) == (
        D(low),
        D(high),
    )


@pytest.mark.parametrize(
    ("dose", "patient", "fragment"),
    [
        ("900", ADULT_SPINAL, "above the usual maintenance range (300-800 mcg/day for spinal"),
        ("200", ADULT_SPINAL, "below the usual maintenance range"),
        ("80", PatientContext(Origin.CEREBRAL, 30, Phase.MAINTENANCE), "90-700"),
        ("1200", PatientContext(Origin.SPINAL, 8, Phase.MAINTENANCE), "children under 12"),
    ],
)
def test_dose_outside_usual_range_is_a_warning_never_a_refusal(dose, patient, fragment):
    """Outside the usual range warns; the program can still be approved."""
    problems = check_program(per_day(dose), patient=patient)
    assert fragment in " ".join(p.message for p in of(problems, Severity.WARNING))
    assert blocking_problems(problems) == []


def test_adult_dose_above_2000_warns_twice_but_is_allowed():
    """Above about 2000 mcg/day (adults) is a warning too, not a refusal."""
    problems = check_program(per_day("2100", "2000"), patient=ADULT_SPINAL)
    warnings = " ".join(p.message for p in of(problems, Severity.WARNING))
    assert "above about 2000 mcg/day" in warnings and "above the usual" in warnings
    assert errors_only(problems) == []


def test_dose_in_range_has_no_warning():
    """A usual dose raises nothing."""
    assert check_program(per_day("400"), patient=ADULT_SPINAL) == []


# ---------------------------------------------------------------------------- titration


@pytest.mark.parametrize(
    ("phase", "origin", "limit"),
    [
        (Phase.AFTER_IMPLANT, Origin.SPINAL, 30),
        (Phase.AFTER_IMPLANT, Origin.CEREBRAL, 15),
        (Phase.MAINTENANCE, Origin.SPINAL, 40),
        (Phase.MAINTENANCE, Origin.CEREBRAL, 20),
    ],
)
def test_change_at_the_limit_is_fine_and_beyond_needs_a_reason(phase, origin, limit):
    """Titration limits [6][10]: a change at the limit is allowed, 1 % more needs a reason."""
    patient = PatientContext(origin, 40, phase)
    active = per_day("400")
    at_limit = per_day(str(400 * (100 + limit) // 100))
    beyond = per_day(str(400 * (101 + limit) // 100))
    assert titration_limit_percent(patient) == D(limit)
    assert of(check_program(at_limit, active=active, patient=patient), Severity.NEEDS_REASON) == []
    needs = of(check_program(beyond, active=active, patient=patient), Severity.NEEDS_REASON)
    assert len(needs) == 1 and f"beyond the {limit} % limit" in needs[0].message


def test_large_decrease_also_needs_a_reason():
    """A cut beyond the limit (withdrawal risk) needs a reason too."""
    needs = of(
        check_program(per_day("200"), active=per_day("400"), patient=ADULT_SPINAL),
        Severity.NEEDS_REASON,
    )
    assert len(needs) == 1 and "50 % cut" in needs[0].message


def test_change_percent_uses_the_largest_weekday_change():
    """With weekday schedules, the weekday that changes most is the one compared."""
    active = continuous_program(D(500), D(15))
    proposed = Program(
        D(500),
        PumpMode.FLEX,
        (Step(0, D(15)),),
        weekday_schedules=(WeekdaySchedule(6, (Step(0, D(24)),)),),
    )
    assert largest_change_percent(active, proposed) == D(60)
    assert is_increase(active, proposed)
    assert not is_increase(None, proposed)


def test_second_increase_within_24_hours_needs_a_reason():
    """At most one increase per 24 h [6][10]; one 25 h ago is fine."""
    active, proposed = per_day("400"), per_day("440")
    soon = check_program(
        proposed,
        active=active,
        patient=ADULT_SPINAL,
        now=NOW,
        recent_increases=[NOW - dt.timedelta(hours=23)],
    )
    assert any("already increased" in p.message for p in of(soon, Severity.NEEDS_REASON))
    later = check_program(
        proposed,
        active=active,
        patient=ADULT_SPINAL,
        now=NOW,
        recent_increases=[NOW - dt.timedelta(hours=25)],
    )
    assert of(later, Severity.NEEDS_REASON) == []


def test_decrease_soon_after_an_increase_is_not_a_second_increase():
    """The one-increase rule counts increases only."""
    problems = check_program(
        per_day("380"),
        active=per_day("400"),
        patient=ADULT_SPINAL,
        now=NOW,
        recent_increases=[NOW - dt.timedelta(hours=2)],
    )
    assert of(problems, Severity.NEEDS_REASON) == []


def test_no_increase_in_the_first_24_hours_after_implant():
    """An increase within 24 h of implant needs a reason [10]."""
    patient = PatientContext(
        Origin.SPINAL, 40, Phase.AFTER_IMPLANT, implanted_at=NOW - dt.timedelta(hours=20)
    )
    problems = check_program(per_day("220"), active=per_day("200"), patient=patient, now=NOW)
    assert any("first 24 hours" in p.message for p in of(problems, Severity.NEEDS_REASON))


# ---------------------------------------------------------------------------- other rules


def test_concentration_change_without_bridge_bolus_is_refused():
    """Changing concentration requires the bridge bolus to be noted [6]."""
    active = per_day("400", "500")
    proposed = per_day("400", "1000")
    problems = check_program(proposed, active=active, patient=ADULT_SPINAL)
    assert [p.field for p in errors_only(problems)] == ["bridge_bolus_note"]
    noted = Program(
        proposed.concentration_mcg_per_ml,
        proposed.mode,
        proposed.steps,
        bridge_bolus_note="Bridge bolus programmed for 0.26 mL catheter volume",
    )
    assert errors_only(check_program(noted, active=active, patient=ADULT_SPINAL)) == []


def test_stopping_the_pump_needs_a_reason_and_warns_of_withdrawal():
    """Stopped mode: a reason is required and withdrawal is spelled out [3]."""
    problems = check_program(stopped_program(D(500)), active=per_day("400"), patient=ADULT_SPINAL)
    assert len(of(problems, Severity.NEEDS_REASON)) == 1
    (warning,) = of(problems, Severity.WARNING)
    assert "withdrawal" in warning.message and "24-72 hours" in warning.message


def test_device_limits_are_checked():
    """Steps beyond the device's limit refuse the program."""
    steps = tuple(Step(i * 60, D(10)) for i in range(14))
    problems = check_program(Program(D(500), PumpMode.FLEX, steps), device=synchromed())
    assert any("at most 13" in p.message for p in errors_only(problems))


def test_refused_program_stops_before_dose_rules():
    """A structurally invalid program reports its errors without derived-dose noise."""
    bad = Program(D(500), PumpMode.FLEX, (Step(60, D(10)),))
    problems = check_program(bad, active=per_day("400"), patient=ADULT_SPINAL, now=NOW)
    assert problems and all(p.severity is not Severity.NEEDS_REASON for p in problems)


def test_blocking_problems_respects_the_reason():
    """Errors always block; needs-reason items block only until a reason is written."""
    problems = check_program(per_day("800"), active=per_day("400"), patient=ADULT_SPINAL)
    assert len(blocking_problems(problems)) == 1
    assert blocking_problems(problems, reason="  ") == blocking_problems(problems)
    assert blocking_problems(problems, reason="Severe spasms, discussed with team") == []


# ---------------------------------------------------------------------------- diff


def test_diff_of_identical_programs_is_empty():
    """No difference, no rows."""
    assert diff_programs(example2(), example2()) == []


def test_diff_lists_every_changed_field():
    """Concentration, mode, doses and each step appear with old and new text."""
    rows = {d.field: d for d in diff_programs(continuous_program(D(500), D(15)), example2())}
    assert rows["mode"] == ProgramDifference(
        "mode", "Mode", "Simple continuous", "Flexible schedule"
    )
    assert rows["steps.00:00"].old_text == "15 mcg/h (0.72 mL/day)"
    assert rows["steps.00:00"].new_text == "20 mcg/h (0.96 mL/day)"
    assert rows["steps.07:00"].old_text == "—" and rows["steps.07:00"].new_text.startswith("12")
    assert "dose_per_day" not in rows  # 360 mcg/day both


def test_diff_shows_removed_steps_and_new_program():
    """A removed step shows "—" on the new side; a first program diffs against nothing."""
    rows = {d.field: d for d in diff_programs(example2(), continuous_program(D(500), D(15)))}
    assert rows["steps.22:00"].new_text == "—"
    first = diff_programs(None, example2())
    assert [d.field for d in first][:4] == ["drug", "concentration", "mode", "dose_per_day"]
    assert all(d.old_text == "—" for d in first)


def test_diff_covers_weekdays_boluses_and_bridge_note():
    """Weekday steps, bolus settings and the bridge bolus note are compared too."""
    old = Program(
        D(500),
        PumpMode.PERIODIC_BOLUS,
        (Step(0, D(10)),),
        weekday_schedules=(WeekdaySchedule(5, (Step(0, D(12)),)),),
        periodic_bolus=PeriodicBolus(D(50), 30, (480,)),
    )
    new = Program(
        D(1000),
        PumpMode.ONE_TIME_BOLUS,
        (Step(0, D(10)),),
        one_time_bolus=OneTimeBolus(D(40), 20),
        bridge_bolus_note="bridge given",
    )
    rows = {d.field: d for d in diff_programs(old, new)}
    assert rows["weekday.5.00:00"].label == "Saturday from 00:00"
    assert rows["periodic_bolus.starts"].old_text == "08:00"
    assert rows["one_time_bolus.dose"].new_text == "40 mcg"
    assert rows["bridge_bolus_note"].new_text == "bridge given"
    assert rows["dose_per_day"].old_text == "290 mcg/day to 338 mcg/day"
