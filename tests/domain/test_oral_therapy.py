"""Oral trials and the "oral therapy exhausted" rule (CLINICAL.md section 1)."""

from decimal import Decimal

import pytest

from carecoord.domain.errors import Severity, ValidationFailed
from carecoord.domain.oral_therapy import (
    GUIDANCE,
    OralAgent,
    OralTrial,
    check_oral_trial,
    make_oral_trial,
    oral_therapy_exhausted,
)
from carecoord.domain.settings import ClinicSettings

SETTINGS = ClinicSettings()


def test_guidance_matches_clinical_reference():
    """Usual maximum daily doses: baclofen 80, tizanidine 24-36, dantrolene 400, diazepam 40-60."""
    assert GUIDANCE[OralAgent.BACLOFEN].upper_max_mg_per_day == 80
    assert GUIDANCE[OralAgent.TIZANIDINE].upper_max_mg_per_day == 36
    assert GUIDANCE[OralAgent.TIZANIDINE].reference_max_mg_per_day == 24
    assert GUIDANCE[OralAgent.DANTROLENE].upper_max_mg_per_day == 400
    assert GUIDANCE[OralAgent.DANTROLENE].stop_if_no_benefit_days == 45
    assert GUIDANCE[OralAgent.DIAZEPAM].reference_max_mg_per_day == 40
    assert GUIDANCE[OralAgent.DIAZEPAM].upper_max_mg_per_day == 60
    assert "40-60 mg a day" in GUIDANCE[OralAgent.DIAZEPAM].words


def test_valid_trial_round_trips():
    """A trial is built from typed text and survives the dict round trip."""
    trial = make_oral_trial("baclofen", "80", "60", "ineffective", id=7)
    assert trial.highest_daily_dose_mg == Decimal(80)
    assert OralTrial.from_dict(trial.to_dict()) == trial
    assert trial.words == "Baclofen up to 80 mg a day for 60 days: ineffective"


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (("aspirin", "80", "60", "ineffective"), "agent"),
        (("baclofen", "0", "60", "ineffective"), "highest_daily_dose_mg"),
        (("baclofen", "-5", "60", "ineffective"), "highest_daily_dose_mg"),
        (("baclofen", "abc", "60", "ineffective"), "highest_daily_dose_mg"),
        (("baclofen", "80", "0", "ineffective"), "duration_days"),
        (("baclofen", "80", "60", "great"), "outcome"),
        (("baclofen", "80", "60", "not_tolerated"), "side_effects"),
        (("other", "10", "60", "ineffective"), "other_agent_name"),
    ],
)
def test_invalid_trials_are_refused_on_the_right_field(args, field):
    """Unknown agent, non-positive dose or duration, unknown outcome, intolerance without
    side effects and an unnamed other agent are each refused on their field."""
    with pytest.raises(ValidationFailed) as info:
        make_oral_trial(*args)
    assert field in {p.field for p in info.value.problems}


def test_dose_above_usual_maximum_is_a_warning_not_a_refusal():
    """120 mg baclofen (some clinics go that high) warns but is accepted."""
    problems = check_oral_trial("baclofen", "120", "30", "partial")
    assert [p.severity for p in problems] == [Severity.WARNING]
    assert make_oral_trial("baclofen", "120", "30", "partial").highest_daily_dose_mg == 120


def test_dantrolene_past_45_days_without_benefit_warns():
    """Dantrolene is stopped if there is no benefit by 45 days [35]."""
    assert check_oral_trial("dantrolene", "400", "45", "ineffective") == []
    problems = check_oral_trial("dantrolene", "400", "46", "ineffective")
    assert problems[0].field == "duration_days" and problems[0].severity is Severity.WARNING


def test_no_trials_is_not_exhausted():
    """With no oral trial recorded oral therapy is not exhausted."""
    verdict = oral_therapy_exhausted([], SETTINGS)
    assert not verdict.exhausted and verdict.words == "No oral trial recorded."


@pytest.mark.parametrize(
    ("agent", "dose", "outcome", "exhausted"),
    [
        ("baclofen", "80", "ineffective", True),  # at the maximum
        ("baclofen", "60", "partial", True),  # 0.75 x 80 = 60: near
        ("baclofen", "59.9", "ineffective", False),  # below near
        ("baclofen", "20", "not_tolerated", True),  # intolerance at any dose
        ("baclofen", "80", "effective", False),  # works
        ("tizanidine", "18", "ineffective", True),  # 0.75 x 24
        ("tizanidine", "17", "ineffective", False),
        ("diazepam", "30", "partial", True),  # 0.75 x 40
        ("dantrolene", "299", "ineffective", False),
    ],
)
def test_exhausted_rule_near_maximum_or_intolerance(agent, dose, outcome, exhausted):
    """Default rule: one agent at or near its usual maximum (setting 0.75) or not tolerated."""
    trial = make_oral_trial(agent, dose, "30", outcome, side_effects="sedation")
    assert oral_therapy_exhausted([trial], SETTINGS).exhausted is exhausted


def test_near_fraction_is_a_setting():
    """A clinic that wants the full maximum sets oral_near_max_fraction to 1."""
    trial = make_oral_trial("baclofen", "60", "30", "ineffective")
    strict = SETTINGS.with_changes(oral_near_max_fraction=Decimal(1))
    assert oral_therapy_exhausted([trial], SETTINGS).exhausted
    assert not oral_therapy_exhausted([trial], strict).exhausted


def test_min_agents_counts_distinct_agents():
    """Two trials of the same agent count once when the clinic requires two agents."""
    two = SETTINGS.with_changes(min_oral_agents_tried=2)
    b1 = make_oral_trial("baclofen", "80", "30", "ineffective")
    b2 = make_oral_trial("baclofen", "80", "60", "ineffective")
    t = make_oral_trial("tizanidine", "10", "14", "not_tolerated", side_effects="hypotension")
    assert not oral_therapy_exhausted([b1, b2], two).exhausted
    verdict = oral_therapy_exhausted([b1, t], two)
    assert verdict.exhausted and verdict.agents_counted == (
        OralAgent.BACLOFEN,
        OralAgent.TIZANIDINE,
    )


def test_other_agent_counts_only_when_not_tolerated():
    """An agent without a usual maximum on file counts only for intolerance."""
    g = make_oral_trial("other", "3600", "30", "ineffective", other_agent_name="Gabapentin")
    assert g.agent_name == "Gabapentin"
    assert not oral_therapy_exhausted([g], SETTINGS).exhausted
    g2 = make_oral_trial(
        "other", "900", "30", "not_tolerated", other_agent_name="Gabapentin", side_effects="dizzy"
    )
    assert oral_therapy_exhausted([g2], SETTINGS).exhausted


def test_verdict_words_read_naturally():
    """“2 agents tried without success (1 needed)”, not “2 of 1 agents needed”."""
    from carecoord.domain.oral_therapy import make_oral_trial, oral_therapy_exhausted
    from carecoord.domain.settings import ClinicSettings

    trials = [
        make_oral_trial("baclofen", "80", 90, "ineffective"),
        make_oral_trial("tizanidine", "12", 30, "not_tolerated", side_effects="Drowsy"),
    ]
    verdict = oral_therapy_exhausted(trials, ClinicSettings())
    assert verdict.words == "Oral therapy exhausted: 2 agents tried without success (1 needed)."
    partial = oral_therapy_exhausted(trials[:1], ClinicSettings(min_oral_agents_tried=2))
    assert partial.words == ("Oral therapy not exhausted: 1 agent tried without success, 2 needed.")
