"""Ranges of every clinical number, date window and text: refused outside in words, a warning
when unusual; the absurd values of a safety probe are each refused."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from carecoord.domain import ranges
from carecoord.domain.decisions import check_decision
from carecoord.domain.enums import Discipline
from carecoord.domain.errors import Severity, ValidationFailed, errors_only
from carecoord.domain.evaluations import form_for, validate_values
from carecoord.domain.goals import check_goal
from carecoord.domain.refills import RefillVisit, impossible_amounts, validate_refill_visit
from carecoord.domain.screening import VitalSigns
from carecoord.domain.settings import ClinicSettings, validate_settings
from carecoord.domain.units import format_ml, format_number

D = Decimal
TODAY = dt.date(2026, 12, 2)


def severities(problems) -> set[Severity]:
    return {p.severity for p in problems}


@pytest.mark.parametrize(
    ("span", "absurd", "unusual", "normal"),
    [
        (ranges.SYSTOLIC_MMHG, D(10) ** 12, D(220), D(120)),
        (ranges.DIASTOLIC_MMHG, D(5), D(30), D(80)),
        (ranges.HEART_RATE_PER_MIN, D("0.0001"), D(35), D(72)),
        (ranges.RESPIRATORY_RATE_PER_MIN, D(0), D(6), D(14)),
        (ranges.TEMPERATURE_C, D(1000), D("34.2"), D("36.8")),
        (ranges.WEIGHT_KG, D(100000), D(300), D(70)),
        (ranges.GAS_WEIGHT, D(10) ** 12, D(20), D(1)),
        (ranges.OXYGEN_SATURATION_PERCENT, D(101), D(85), D(98)),
    ],
)
def test_each_span_refuses_the_absurd_warns_the_unusual_and_accepts_the_normal(
    span, absurd, unusual, normal
):
    """Outside the range: an error naming the label and the allowed range; outside its usual
    part: a warning; inside: nothing."""
    refused = span.problems("f", absurd)
    assert severities(refused) == {Severity.ERROR}
    assert span.label in refused[0].message and "not possible" in refused[0].message
    assert severities(span.problems("f", unusual)) == {Severity.WARNING}
    assert span.problems("f", normal) == []
    assert span.problems("f", None) == []
    assert severities(span.problems("f", D("NaN"))) == {Severity.ERROR}


@given(st.decimals(allow_nan=False, allow_infinity=False))
def test_a_span_never_raises_and_refuses_exactly_outside_its_bounds(value):
    """Any finite number, however long, gets an answer; errors exactly outside low..high."""
    span = ranges.SYSTOLIC_MMHG
    problems = span.problems("systolic", value)
    refused = bool(errors_only(problems))
    assert refused == (not span.low <= value <= span.high)


def test_alarm_volume_range_is_half_a_millilitre_to_the_reservoir():
    """CLINICAL.md section 5: 2 mL recommended; below it a warning; 0.0000001 mL and more than
    the reservoir refused."""
    span = ranges.alarm_volume_span(D(20))
    assert severities(span.problems("a", D("0.0000001"))) == {Severity.ERROR}
    assert severities(span.problems("a", D("0.4"))) == {Severity.ERROR}
    assert severities(span.problems("a", D(1))) == {Severity.WARNING}
    assert span.problems("a", D(2)) == []
    assert span.problems("a", D(4)) == []
    assert severities(span.problems("a", D("20.1"))) == {Severity.ERROR}
    assert ranges.alarm_volume_span(None).high == ranges.MAX_ANY_RESERVOIR_ML


def test_text_refuses_control_characters_surrogates_and_megabytes_but_keeps_newlines():
    assert ranges.text_problems("n", "The note", "line 1\n\tline 2", max_length=100) == []
    for bad in ("a\x00b", "a\x1bb", "a\x7fb", "a\ud800b", "\udfff"):
        (problem,) = ranges.text_problems("n", "The note", bad, max_length=100)
        assert "retype it" in problem.message
    (long,) = ranges.text_problems("n", "The note", "x" * 1_000_001, max_length=4000)
    assert "too long (1,000,001 characters; at most 4,000)" in long.message
    assert ranges.text_problems("n", "The lot", "a\nb", max_length=9, multiline=False)
    assert ranges.text_problems("n", "The lot", 5, max_length=9)[0].message == (
        "The lot must be text."
    )
    assert ranges.without_bad_characters("a\x00b\ud800c") == "a b c"


def test_date_windows_refuse_year_one_and_year_9999():
    _earliest, latest = ranges.plan_window(TODAY)
    assert latest == dt.date(2028, 12, 2)
    assert ranges.date_problems("d", "The meeting", dt.date(1, 1, 1), latest=latest)
    assert "too far ahead" in (
        ranges.date_problems("d", "The meeting", dt.date(9999, 12, 31), latest=latest)[0].message
    )
    assert ranges.date_problems("d", "The meeting", TODAY, latest=latest) == []
    assert ranges.years_after(dt.date(2028, 2, 29), 1) == dt.date(2029, 2, 28)


def test_deferral_further_than_five_years_is_refused():
    assert check_decision("defer", reason="r", defer_until=dt.date(2027, 6, 1), today=TODAY) == []
    (problem,) = check_decision("defer", reason="r", defer_until=dt.date(9999, 1, 1), today=TODAY)
    assert problem.field == "defer_until" and "too far ahead" in problem.message


def test_nurse_evaluation_refuses_the_probe_values_and_warns_on_unusual_ones():
    """Blood pressure 10^12 mmHg, heart rate 0.0001/min, weight 100,000 kg, 1000 degrees."""
    form = form_for(Discipline.NURSE)
    absurd = {
        "systolic_mmhg": "1000000000000",
        "diastolic_mmhg": "80",
        "heart_rate_per_min": "0.0001",
        "temperature_c": "1000",
        "weight_kg": "100000",
        "respiratory_rate_per_min": "0",
    }
    errors = errors_only(validate_values(form, absurd, for_signing=False))
    assert {p.field for p in errors} >= {
        "systolic_mmhg",
        "heart_rate_per_min",
        "temperature_c",
        "weight_kg",
    }
    unusual = {"systolic_mmhg": "210", "diastolic_mmhg": "80", "heart_rate_per_min": "160"}
    problems = validate_values(form, unusual, for_signing=False)
    assert errors_only(problems) == []
    assert {p.field for p in problems} == {"systolic_mmhg", "heart_rate_per_min"}
    nul = validate_values(form, {"teaching": "a\x00"}, for_signing=False)
    assert [p.field for p in nul] == ["teaching"]


def test_screening_vitals_refuse_999999_over_5():
    with pytest.raises(ValidationFailed) as exc:
        VitalSigns(systolic_mmhg=D(999999), diastolic_mmhg=D(5))
    assert {p.field for p in exc.value.problems} >= {"systolic_mmhg", "diastolic_mmhg"}
    # Low pressure and slow breathing are what a screening watches for: kept.
    assert VitalSigns(systolic_mmhg=D(75), respiratory_rate_per_min=D(6)).systolic_mmhg == 75


def test_goal_weight_of_10_to_the_12_is_refused():
    assert check_goal("sleep", "Sleep through", "1") == []
    (problem,) = check_goal("sleep", "Sleep through", "1000000000000")
    assert problem.field == "weight" and problem.severity is Severity.ERROR
    assert check_goal("sleep", "x\x00", "1")[0].field == "description"


def test_settings_out_of_range_are_refused_in_words():
    """-5 days, 0 minutes, 10^9 minutes, a fraction of 7."""
    assert validate_settings(ClinicSettings()) == []
    bad = ClinicSettings(
        refill_margin_days=-5,
        idle_lock_minutes=10**9,
        oral_near_max_fraction=D(7),
        drug_stability_days=400,
        alarm_volume_ml=D("0.0000001"),
    )
    fields = {p.field for p in validate_settings(bad)}
    assert fields == {
        "refill_margin_days",
        "idle_lock_minutes",
        "oral_near_max_fraction",
        "drug_stability_days",
        "alarm_volume_ml",
    }
    assert validate_settings(ClinicSettings(idle_lock_minutes=0))[0].message == (
        "The screen lock time must be from 1 to 480 minutes, not 0."
    )


@pytest.mark.parametrize("raw", ["", "abc", "²", "1e5", "NaN", "12,5"])
def test_unreadable_stored_settings_name_the_setting(raw):
    """A decimal or whole-number setting of "" or "abc" is refused with its name, not a
    decimal.InvalidOperation."""
    with pytest.raises(ValidationFailed) as exc:
        ClinicSettings.from_dict({"alarm_volume_ml": raw, "due_soon_days": raw})
    assert {p.field for p in exc.value.problems} == {"alarm_volume_ml", "due_soon_days"}
    assert "Alarm volume: enter a number" in str(exc.value)


def _visit(**changes) -> RefillVisit:
    values = dict(
        refill_at=dt.datetime(2026, 12, 1, 10, tzinfo=dt.UTC),
        measured_residual_ml=D("4.9"),
        volume_discarded_ml=D("4.9"),
        volume_added_ml=D(20),
        concentration_mcg_per_ml=D(500),
        lot="A1",
        lot_expiry=dt.date(2027, 6, 1),
    )
    values.update(changes)
    return RefillVisit(**values)


def _validate(visit: RefillVisit):
    return validate_refill_visit(
        visit,
        reservoir_ml=D(20),
        implant_date=dt.date(2026, 1, 1),
        now=dt.datetime(2026, 12, 2, tzinfo=dt.UTC),
        tz="UTC",
        active_program=None,
    )


def test_a_29_digit_volume_is_refused_before_anything_is_computed_with_it():
    huge = D("1" * 29)
    for name in ("measured_residual_ml", "volume_discarded_ml", "volume_added_ml"):
        problems = _validate(_visit(**{name: huge}))
        assert [p.field for p in problems] == [name]
        assert "not a possible volume" in problems[0].message
    assert impossible_amounts(_visit(concentration_mcg_per_ml=D(10) ** 30))
    assert impossible_amounts(_visit()) == []


def test_lot_expiry_more_than_five_years_after_the_refill_is_refused():
    assert _validate(_visit()) == []
    (problem,) = _validate(_visit(lot_expiry=dt.date(9999, 1, 1)))
    assert problem.field == "lot_expiry" and "too far ahead" in problem.message


def test_format_number_of_a_very_long_number_does_not_raise():
    """Decimal's default 28 digits raised InvalidOperation on quantize."""
    assert format_ml(D("1" * 29)) == "1" * 29 + " mL"
    assert format_number(D("12345678901234567890123456789.125"), 2).endswith(".13")
