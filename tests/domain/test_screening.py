"""Screening trial: allowed doses, response rules, protocol warnings, escalation (CLINICAL.md 2)."""

import datetime as dt
import json
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from carecoord.domain.enums import Origin
from carecoord.domain.errors import ValidationFailed
from carecoord.domain.scales import MAS_LABELS
from carecoord.domain.screening import (
    AdverseEvent,
    AdverseEventRecord,
    NextAction,
    ResponseStatus,
    ScreeningAssessment,
    ScreeningRoute,
    ScreeningTrial,
    VitalSigns,
    evaluate_response,
    response_threshold,
    sequence_warnings,
    suggest_next_step,
    trial_warnings,
)
from carecoord.domain.settings import ClinicSettings, ScreeningResponseRule
from tests.domain.builders import T0, VITALS, bolus, mas, negative_bolus, positive_bolus

DEFAULT = ClinicSettings()
TWO = DEFAULT.with_changes(screening_response_rule=ScreeningResponseRule.MAS_MEAN_2)
BY_ORIGIN = DEFAULT.with_changes(screening_response_rule=ScreeningResponseRule.MAS_BY_ORIGIN)
H = dt.timedelta(hours=1)


# --- The record --------------------------------------------------------------------------


@pytest.mark.parametrize("dose", [25, 50, 75, 100])
def test_bolus_accepts_the_four_ladder_doses(dose):
    """A screening bolus is 25, 50, 75 or 100 mcg [5][9][10][11]."""
    assert bolus(dose).dose_mcg == dose


@pytest.mark.parametrize("dose", [500, 60, 0, -50, 125, "50.5"])
def test_bolus_refuses_other_doses(dose):
    """A dose such as 500 mcg (a tenfold slip) or 60 mcg is refused."""
    with pytest.raises(ValidationFailed, match="not allowed") as info:
        ScreeningTrial(1, "bolus_lumbar_puncture", T0, dose_mcg=dose)
    assert info.value.problems[0].field == "dose_mcg"


def test_route_fields_must_match():
    """A bolus has no daily dose; a continuous trial needs a positive daily dose and duration."""
    with pytest.raises(ValidationFailed, match="choose one route"):
        ScreeningTrial(1, ScreeningRoute.BOLUS, T0, dose_mcg=50, dose_mcg_per_day=100)
    with pytest.raises(ValidationFailed) as info:
        ScreeningTrial(1, ScreeningRoute.CONTINUOUS, T0, dose_mcg=50, dose_mcg_per_day=0)
    assert {p.field for p in info.value.problems} == {
        "dose_mcg_per_day",
        "duration_hours",
        "dose_mcg",
    }


def test_times_must_be_timezone_aware_and_ordered():
    """Naive times are refused; baseline before the dose; post-dose after it."""
    with pytest.raises(ValidationFailed, match="time zone"):
        ScreeningTrial(1, ScreeningRoute.BOLUS, dt.datetime(2026, 1, 1, 9), dose_mcg=50)
    with pytest.raises(ValidationFailed, match="baseline must be taken before"):
        ScreeningTrial(
            1, ScreeningRoute.BOLUS, T0, dose_mcg=50, baseline=ScreeningAssessment(T0 + H, mas("3"))
        )
    with pytest.raises(ValidationFailed, match="after the dose"):
        ScreeningTrial(
            1, ScreeningRoute.BOLUS, T0, dose_mcg=50, post_dose=(ScreeningAssessment(T0, mas("3")),)
        )


def test_assessment_needs_mas_or_vitals_and_vitals_are_checked():
    """An assessment records grades or vitals; vitals are positive and consistent."""
    with pytest.raises(ValidationFailed, match="Ashworth grades or the vital signs"):
        ScreeningAssessment(T0)
    with pytest.raises(ValidationFailed, match="below systolic"):
        VitalSigns(systolic_mmhg=80, diastolic_mmhg=90)
    with pytest.raises(ValidationFailed, match="100"):
        VitalSigns(oxygen_saturation_percent=101)
    with pytest.raises(ValidationFailed, match="at least one"):
        VitalSigns()


def test_adverse_events_from_the_list_and_other_needs_words():
    """Adverse events come from the CLINICAL.md list [5]; 'other' must be described."""
    assert {e.value for e in AdverseEvent} >= {
        "headache",
        "nausea",
        "vomiting",
        "urinary_retention",
        "low_blood_pressure",
        "sedation",
        "seizure",
        "slowed_breathing",
    }
    with pytest.raises(ValidationFailed, match="Describe"):
        AdverseEventRecord(AdverseEvent.OTHER)
    with pytest.raises(ValidationFailed):
        AdverseEventRecord("hiccups")


def test_trial_round_trips_through_json():
    """A full trial (assessments, vitals, events) survives JSON text."""
    trial = ScreeningTrial(
        5,
        ScreeningRoute.BOLUS,
        T0,
        dose_mcg=Decimal(75),
        baseline=ScreeningAssessment(T0 - H, mas("3", "1+"), VITALS),
        post_dose=(ScreeningAssessment(T0 + 2 * H, mas("2", "1")),),
        adverse_events=(AdverseEventRecord(AdverseEvent.HEADACHE, T0 + H, "mild"),),
    )
    back = ScreeningTrial.from_dict(json.loads(json.dumps(trial.to_dict())))
    assert back == trial


# --- The response rule -------------------------------------------------------------------


def test_thresholds_for_the_three_settings():
    """1 point [41]; 2 points [40]; 2 spinal / 1 cerebral [39]."""
    assert response_threshold(DEFAULT, None) == 1
    assert response_threshold(TWO, Origin.CEREBRAL) == 2
    assert response_threshold(BY_ORIGIN, Origin.SPINAL) == 2
    assert response_threshold(BY_ORIGIN, Origin.CEREBRAL) == 1
    assert response_threshold(BY_ORIGIN, None) is None


@pytest.mark.parametrize(
    ("post", "default", "two", "spinal", "cerebral"),
    [
        (("2", "2"), "positive", "negative", "negative", "positive"),  # reduction 1
        (("2", "3"), "negative", "negative", "negative", "negative"),  # 0.5
        (("1", "1"), "positive", "positive", "positive", "positive"),  # 2
        (("1", "2"), "positive", "negative", "negative", "positive"),  # 1.5
        (("4", "4"), "negative", "negative", "negative", "negative"),  # worse
    ],
)
def test_response_under_each_rule(post, default, two, spinal, cerebral):
    """Mean MAS reduction over the groups judged against each rule's threshold."""
    trial = bolus(50, baseline=("3", "3"), post=((1, post), (2, post)))
    assert evaluate_response(trial, Origin.SPINAL, DEFAULT).status.value == default
    assert evaluate_response(trial, Origin.SPINAL, TWO).status.value == two
    assert evaluate_response(trial, Origin.SPINAL, BY_ORIGIN).status.value == spinal
    assert evaluate_response(trial, Origin.CEREBRAL, BY_ORIGIN).status.value == cerebral


def test_by_origin_without_origin_cannot_judge():
    """The origin rule needs the origin of spasticity."""
    response = evaluate_response(positive_bolus(), None, BY_ORIGIN)
    assert response.status is ResponseStatus.INCOMPLETE and "origin" in response.words


def test_best_post_dose_assessment_decides():
    """Peak effect: the best assessment counts, not the last [41][42]."""
    trial = bolus(50, post=((1, ("3", "2")), (2, ("2", "1")), (4, ("3", "3"))))
    response = evaluate_response(trial, None, DEFAULT)
    assert response.status is ResponseStatus.POSITIVE
    assert response.best.reduction == Decimal("1.5") and response.best.taken_at == T0 + 2 * H
    assert [r.reduction for r in response.reductions] == [Decimal("0.5"), Decimal("1.5"), 0]


def test_one_plus_counts_one_and_a_half_in_the_response():
    """2 to 1+ is half a point; 2 to 1 is a point."""
    half = bolus(50, baseline=("2",), post=((1, ("1+",)), (2, ("1+",))))
    full = bolus(50, baseline=("2",), post=((1, ("1",)), (2, ("1+",))))
    assert evaluate_response(half, None, DEFAULT).status is ResponseStatus.NEGATIVE
    assert evaluate_response(full, None, DEFAULT).status is ResponseStatus.POSITIVE


def test_only_groups_graded_at_baseline_count_and_the_others_warn():
    """A post-dose group missing at baseline is left out of the mean, with a warning."""
    trial = bolus(50, baseline=("3",), post=((1, ("2", "0")), (2, ("2", "0"))))
    response = evaluate_response(trial, None, DEFAULT)
    assert response.best.groups == 1 and response.best.reduction == 1
    assert any("Not graded at baseline" in w.message for w in trial_warnings(trial))


def test_no_baseline_or_no_post_dose_grades_is_incomplete():
    """Without a baseline or post-dose grades the response is not judged."""
    no_base = ScreeningTrial(
        1, ScreeningRoute.BOLUS, T0, dose_mcg=50, post_dose=(ScreeningAssessment(T0 + H, mas("2")),)
    )
    assert evaluate_response(no_base, None, DEFAULT).status is ResponseStatus.INCOMPLETE
    only_vitals = bolus(50, post=())
    only_vitals = ScreeningTrial(
        1,
        ScreeningRoute.BOLUS,
        T0,
        dose_mcg=50,
        baseline=only_vitals.baseline,
        post_dose=(ScreeningAssessment(T0 + H, vitals=VITALS),),
    )
    assert evaluate_response(only_vitals, None, DEFAULT).status is ResponseStatus.INCOMPLETE


grade = st.sampled_from(MAS_LABELS)


@given(st.lists(st.tuples(grade, grade), min_size=1, max_size=3))
def test_positive_iff_mean_reduction_reaches_one(pairs):
    """Default rule: positive exactly when mean(baseline - post) >= 1, computed exactly."""
    value = {"0": 0, "1": 1, "1+": 1.5, "2": 2, "3": 3, "4": 4}
    base = tuple(b for b, _ in pairs)
    post = tuple(p for _, p in pairs)
    trial = bolus(50, baseline=base, post=((1, post),))
    expected = sum(value[b] - value[p] for b, p in pairs) >= len(pairs)
    assert (evaluate_response(trial, None, DEFAULT).status is ResponseStatus.POSITIVE) == expected


# --- Protocol warnings -------------------------------------------------------------------


def test_a_complete_bolus_has_no_warnings():
    """Baseline, three assessments within 4 h, vitals in the first 2 h: nothing to say."""
    assert trial_warnings(positive_bolus()) == []


def test_fewer_than_two_assessments_within_four_hours_warns():
    """Assess at least twice within 4 h of the dose [5]."""
    trial = bolus(50, post=((1, ("2", "2")), (5, ("2", "2"))))
    assert any("within 4 h" in w.message for w in trial_warnings(trial))
    ok = bolus(50, post=((1, ("2", "2")), (4, ("2", "2"))))
    assert not any("within 4 h" in w.message for w in trial_warnings(ok))


def test_short_observation_and_missing_early_vitals_warn():
    """Observe 4-8 h [9][10]; vital signs during the first 2 h [5]."""
    short = bolus(50, post=((1, ("2", "2")), (3, ("2", "2"))), vitals=False)
    messages = " ".join(w.message for w in trial_warnings(short))
    assert "shorter than 4 h" in messages and "first 2 h" in messages


def test_continuous_trial_duration_outside_48_to_72_h_warns():
    """A continuous catheter trial runs 48-72 h [41]."""
    base = ScreeningAssessment(T0 - H, mas("3", "3"))
    post = tuple(ScreeningAssessment(T0 + h * H, mas("2", "2")) for h in (12, 24))

    def trial(hours):
        return ScreeningTrial(
            2,
            ScreeningRoute.CONTINUOUS,
            T0,
            dose_mcg_per_day=100,
            duration_hours=hours,
            baseline=base,
            post_dose=post,
        )

    assert trial_warnings(trial(48)) == []
    assert any("48-72" in w.message for w in trial_warnings(trial(24)))
    assert any("48-72" in w.message for w in trial_warnings(trial(96)))


def test_sequence_warns_when_closer_than_24_h_or_skipping_a_step():
    """Escalate one step at a time, 24 h apart [9][10]."""
    first = negative_bolus(50, id=1)
    too_soon = negative_bolus(75, given_at=T0 + 20 * H, id=2)
    skip = negative_bolus(100, given_at=T0 + 24 * H, id=3)
    assert "less than 24 h" in sequence_warnings([first, too_soon])[0].message
    assert "skips the 75 mcg step" in sequence_warnings([first, skip])[0].message
    assert sequence_warnings([first, negative_bolus(75, given_at=T0 + 24 * H)]) == []


# --- Next step ---------------------------------------------------------------------------


def test_start_with_50_or_25_for_small_children_and_tone_reliant_patients():
    """Start at 50 mcg; 25 mcg for very small children or patients who rely on tone [5][11]."""
    assert suggest_next_step([], None, DEFAULT).dose_mcg == 50
    step = suggest_next_step([], None, DEFAULT, low_start=True)
    assert step.action is NextAction.START and step.dose_mcg == 25


def test_escalation_negative_50_then_positive_75():
    """No response to 50: 75 mcg 24 h later; a response to 75 is positive [9][10]."""
    first = negative_bolus(50, id=1)
    step = suggest_next_step([first], None, DEFAULT)
    assert step.action is NextAction.ESCALATE
    assert step.dose_mcg == 75 and step.not_before == T0 + 24 * H
    second = positive_bolus(75, given_at=T0 + 24 * H, id=2)
    step = suggest_next_step([first, second], None, DEFAULT)
    assert step.action is NextAction.POSITIVE and step.trial is second


def test_full_ladder_to_not_a_candidate():
    """50, 75, 100 all negative: not a candidate [9][10]."""
    trials = [negative_bolus(d, given_at=T0 + i * 24 * H, id=i) for i, d in enumerate((50, 75))]
    step = suggest_next_step(trials, None, DEFAULT)
    assert step.action is NextAction.ESCALATE and step.dose_mcg == 100
    trials.append(negative_bolus(100, given_at=T0 + 48 * H, id=3))
    step = suggest_next_step(trials, None, DEFAULT)
    assert step.action is NextAction.NOT_A_CANDIDATE and "100 mcg" in step.words


def test_escalation_from_25_goes_to_50():
    """The ladder from a 25 mcg start climbs to 50 mcg."""
    step = suggest_next_step([negative_bolus(25)], None, DEFAULT)
    assert step.action is NextAction.ESCALATE and step.dose_mcg == 50


def test_incomplete_latest_trial_asks_for_assessments():
    """A trial with no post-dose grades yet asks to complete the assessments."""
    step = suggest_next_step([bolus(50, post=())], None, DEFAULT)
    assert step.action is NextAction.REASSESS


def test_negative_continuous_trial_is_not_a_candidate():
    """A negative continuous trial ends screening (it is not a rung of the bolus ladder)."""
    trial = ScreeningTrial(
        9,
        ScreeningRoute.CONTINUOUS,
        T0,
        dose_mcg_per_day=100,
        duration_hours=48,
        baseline=ScreeningAssessment(T0 - H, mas("3")),
        post_dose=(
            ScreeningAssessment(T0 + 24 * H, mas("3")),
            ScreeningAssessment(T0 + 40 * H, mas("3")),
        ),
    )
    step = suggest_next_step([trial], None, DEFAULT)
    assert step.action is NextAction.NOT_A_CANDIDATE and "continuous" in step.words
