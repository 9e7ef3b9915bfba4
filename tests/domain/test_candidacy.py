"""The candidacy rule: every status, its reasons and records, precedence and checklist."""

import datetime as dt
from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from carecoord.domain.candidacy import (
    STATUS_PRECEDENCE,
    CandidacySnapshot,
    CandidacyStatus,
    ItemState,
    PatientFacts,
    RecordKind,
    RecordRef,
    assess_candidacy,
)
from carecoord.domain.contraindications import Contraindication, ContraindicationScreen
from carecoord.domain.decisions import DecisionKind, TeamDecision
from carecoord.domain.diagnoses import Diagnosis
from carecoord.domain.enums import Discipline, Origin
from carecoord.domain.evaluations import new_draft, sign, start_amendment
from carecoord.domain.oral_therapy import make_oral_trial
from carecoord.domain.screening import AdverseEvent, AdverseEventRecord, NextAction
from carecoord.domain.settings import ClinicSettings, ScreeningResponseRule
from tests.domain.builders import T0, bolus, complete_values, negative_bolus, positive_bolus

S = CandidacyStatus
TODAY = dt.date(2026, 3, 20)
NOW = dt.datetime(2026, 3, 1, 10, tzinfo=dt.UTC)
SETTINGS = ClinicSettings()
H = dt.timedelta(hours=1)


def signed(discipline: Discipline, id, recommendation="proceed_to_screening"):
    draft = new_draft(discipline, "u", complete_values(discipline, recommendation), id=id)
    return sign(draft, user_id="u", user_discipline=discipline, when=NOW)


def screen(id=1, **present) -> ContraindicationScreen:
    answers = {c: False for c in Contraindication}
    answers.update({Contraindication(k): v for k, v in present.items()})
    return ContraindicationScreen(id, TODAY, answers)


def decision(kind, **kw) -> TeamDecision:
    return TeamDecision(id=99, patient_id=1, kind=kind, decided_on=TODAY, **kw)


EVALS = tuple(signed(d, id=10 + i) for i, d in enumerate(Discipline))
BACLOFEN = make_oral_trial("baclofen", "80", "60", "ineffective", id=21)


def ready(**changes) -> CandidacySnapshot:
    snapshot = CandidacySnapshot(
        patient=PatientFacts(1, dt.date(1980, 5, 1), Diagnosis.SPINAL_CORD_INJURY),
        today=TODAY,
        evaluations=EVALS,
        oral_trials=(BACLOFEN,),
        contraindication_screen=screen(),
        screening_trials=(positive_bolus(50, id=31),),
    )
    return replace(snapshot, **changes)


def refs(assessment):
    return [r.ref for r in assessment.reasons]


# --- Every status ------------------------------------------------------------------------


def test_ready_for_team_review_when_everything_is_met():
    """Complete work-up, exhausted oral therapy, no contraindication, positive screen: ready."""
    a = assess_candidacy(ready(), SETTINGS)
    assert a.status is S.READY_FOR_TEAM_REVIEW
    assert a.other_blockers == () and a.warnings == ()
    assert len(a.reasons) == 1 and a.reasons[0].ref == RecordRef(RecordKind.SCREENING_TRIAL, 31)
    states = {i.key: i.state for i in a.checklist}
    assert states.pop("team_decision") is ItemState.NOT_MET
    assert set(states.values()) == {ItemState.MET}
    assert a.screening_next_step.action is NextAction.POSITIVE


def test_evaluations_missing_names_each_missing_discipline():
    """A missing evaluation points to the discipline; a draft points to the draft's record."""
    nurse_draft = new_draft(Discipline.NURSE, "u", {}, id=77)
    evals = tuple(
        e for e in EVALS if e.discipline not in (Discipline.NURSE, Discipline.SOCIAL_WORKER)
    )
    a = assess_candidacy(ready(evaluations=(*evals, nurse_draft)), SETTINGS)
    assert a.status is S.EVALUATIONS_MISSING
    assert refs(a) == [
        RecordRef(RecordKind.EVALUATION, 77, "nurse"),
        RecordRef(RecordKind.EVALUATION, None, "social_worker"),
    ]
    assert "draft, not signed" in a.reasons[0].words
    assert "No social worker evaluation" in a.reasons[1].words


def test_required_disciplines_setting_narrows_the_work_up():
    """A clinic requiring only the physiatrist is satisfied by that evaluation alone."""
    only_md = SETTINGS.with_changes(required_evaluation_disciplines="physiatrist")
    snapshot = ready(evaluations=(EVALS[0],))
    assert assess_candidacy(snapshot, only_md).status is S.READY_FOR_TEAM_REVIEW
    assert assess_candidacy(snapshot, SETTINGS).status is S.EVALUATIONS_MISSING


def test_missing_contraindication_screen_and_patient_facts_are_missing_work_up():
    """No screen, no birth date or no diagnosis and origin: evaluations missing, with refs."""
    a = assess_candidacy(
        ready(
            contraindication_screen=None,
            patient=PatientFacts(1, None, None),
            evaluations=EVALS[1:],  # no physiatrist: origin unknown too
        ),
        SETTINGS,
    )
    assert a.status is S.EVALUATIONS_MISSING
    got = set(refs(a))
    assert RecordRef(RecordKind.CONTRAINDICATION_SCREEN, None) in got
    assert {
        RecordRef(RecordKind.PATIENT, 1, d) for d in ("diagnosis", "origin", "birth_date")
    } <= got
    assert RecordRef(RecordKind.EVALUATION, None, "physiatrist") in got


def test_unassessed_absolute_item_is_missing_work_up_not_contraindication():
    """An absolute item left unanswered is missing work-up pointing at the screen."""
    answers = dict(screen().answers)
    del answers[Contraindication.SYSTEMIC_INFECTION]
    a = assess_candidacy(
        ready(contraindication_screen=ContraindicationScreen(5, TODAY, answers)), SETTINGS
    )
    assert a.status is S.EVALUATIONS_MISSING
    assert refs(a) == [
        RecordRef(RecordKind.CONTRAINDICATION_SCREEN, 5, "not_assessed:systemic_infection")
    ]


def test_oral_therapy_not_exhausted_without_trials():
    """No oral trial: not exhausted, pointing at the (missing) oral trial record."""
    a = assess_candidacy(ready(oral_trials=()), SETTINGS)
    assert a.status is S.ORAL_THERAPY_NOT_EXHAUSTED
    assert refs(a) == [RecordRef(RecordKind.ORAL_TRIAL, None)]


def test_oral_therapy_not_exhausted_points_at_the_low_dose_trial():
    """A trial far below the usual maximum is named as the reason."""
    low = make_oral_trial("baclofen", "30", "30", "ineffective", id=22)
    a = assess_candidacy(ready(oral_trials=(low,)), SETTINGS)
    assert a.status is S.ORAL_THERAPY_NOT_EXHAUSTED
    assert RecordRef(RecordKind.ORAL_TRIAL, 22) in refs(a)
    assert any("reached only 30 mg" in r.words for r in a.reasons)


@pytest.mark.parametrize(
    "item", ["baclofen_hypersensitivity", "urinary_infection", "non_healing_wound", "ms_relapse"]
)
def test_contraindicated_by_screen_item(item):
    """An absolute item or acute event present: contraindicated, pointing at the screen."""
    a = assess_candidacy(ready(contraindication_screen=screen(7, **{item: True})), SETTINGS)
    assert a.status is S.CONTRAINDICATED
    assert refs(a) == [RecordRef(RecordKind.CONTRAINDICATION_SCREEN, 7, item)]


def test_contraindicated_by_recent_brain_injury():
    """TBI less than a year ago: contraindicated until the anniversary [1][3]."""
    patient = PatientFacts(
        1, dt.date(1990, 1, 1), Diagnosis.TRAUMATIC_BRAIN_INJURY, injury_date=dt.date(2025, 6, 1)
    )
    a = assess_candidacy(ready(patient=patient), SETTINGS)
    assert a.status is S.CONTRAINDICATED
    assert refs(a) == [RecordRef(RecordKind.PATIENT, 1, "tbi_wait")]
    assert "1 Jun 2026" in a.reasons[0].words
    later = assess_candidacy(ready(patient=patient, today=dt.date(2026, 6, 1)), SETTINGS)
    assert later.status is S.READY_FOR_TEAM_REVIEW


def test_contraindicated_under_four_unless_a_reason_is_written():
    """Under 4 years blocks; with the physiatrist's written reason it only warns [2]."""
    child = PatientFacts(1, dt.date(2023, 1, 1), Diagnosis.CEREBRAL_PALSY, low_start_dose=True)
    a = assess_candidacy(ready(patient=child), SETTINGS)
    assert a.status is S.CONTRAINDICATED and refs(a) == [
        RecordRef(RecordKind.PATIENT, 1, "young_age")
    ]
    reasoned = replace(screen(), young_age_reason="Severe generalised spasticity")
    b = assess_candidacy(ready(patient=child, contraindication_screen=reasoned), SETTINGS)
    assert b.status is S.READY_FOR_TEAM_REVIEW
    assert [w.ref.detail for w in b.warnings] == ["young_age"]


def test_relative_contraindication_warns_or_blocks_by_setting():
    """Relative items warn by default (checklist 'Check'); the clinic may make them block."""
    snapshot = ready(contraindication_screen=screen(8, no_refill_access=True))
    a = assess_candidacy(snapshot, SETTINGS)
    assert a.status is S.READY_FOR_TEAM_REVIEW
    assert [w.ref for w in a.warnings] == [
        RecordRef(RecordKind.CONTRAINDICATION_SCREEN, 8, "no_refill_access")
    ]
    assert {i.key: i.state for i in a.checklist}["contraindications"] is ItemState.WARNING
    strict = SETTINGS.with_changes(relative_contraindications_block=True)
    assert assess_candidacy(snapshot, strict).status is S.CONTRAINDICATED


def test_screening_needed_when_no_trial_suggests_the_start_dose():
    """No trial yet: screening needed with 50 mcg, or 25 mcg for a low-start patient."""
    a = assess_candidacy(ready(screening_trials=()), SETTINGS)
    assert a.status is S.SCREENING_NEEDED and "50 mcg" in a.reasons[0].words
    assert a.reasons[0].ref == RecordRef(RecordKind.SCREENING_TRIAL, None)
    low = replace(ready().patient, low_start_dose=True)
    b = assess_candidacy(ready(screening_trials=(), patient=low), SETTINGS)
    assert "25 mcg" in b.reasons[0].words


def test_screening_needed_while_escalation_is_pending():
    """Negative at 50 mcg: screening still needed, next 75 mcg, pointing at the 50 mcg trial."""
    a = assess_candidacy(ready(screening_trials=(negative_bolus(50, id=41),)), SETTINGS)
    assert a.status is S.SCREENING_NEEDED
    assert a.reasons[0].ref == RecordRef(RecordKind.SCREENING_TRIAL, 41)
    assert a.screening_next_step.dose_mcg == 75


def test_escalation_then_positive_is_ready():
    """Negative 50 then positive 75 makes the patient ready for review."""
    trials = (negative_bolus(50, id=41), positive_bolus(75, id=42, given_at=T0 + 24 * H))
    a = assess_candidacy(ready(screening_trials=trials), SETTINGS)
    assert a.status is S.READY_FOR_TEAM_REVIEW
    assert a.reasons[0].ref == RecordRef(RecordKind.SCREENING_TRIAL, 42)


def test_screening_negative_after_100_mcg():
    """No response at 50, 75 and 100 mcg: screening negative, pointing at the 100 mcg trial."""
    trials = tuple(
        negative_bolus(d, id=50 + i, given_at=T0 + i * 24 * H) for i, d in enumerate((50, 75, 100))
    )
    a = assess_candidacy(ready(screening_trials=trials), SETTINGS)
    assert a.status is S.SCREENING_NEGATIVE
    assert refs(a) == [RecordRef(RecordKind.SCREENING_TRIAL, 52)]


def test_response_rule_by_origin_uses_the_resolved_origin():
    """With the 2 spinal / 1 cerebral rule, a 1.5 reduction is ready for a cerebral patient
    and needs escalation for a spinal one."""
    by_origin = SETTINGS.with_changes(screening_response_rule=ScreeningResponseRule.MAS_BY_ORIGIN)
    trial = bolus(50, baseline=("3", "3"), post=((1, ("2", "1")), (2, ("2", "1")), (4, ("2", "2"))))
    spinal = assess_candidacy(ready(screening_trials=(trial,)), by_origin)
    assert spinal.origin is Origin.SPINAL and spinal.status is S.SCREENING_NEEDED
    cerebral_patient = PatientFacts(
        1, dt.date(1980, 5, 1), Diagnosis.STROKE, origin=Origin.CEREBRAL
    )
    cerebral = assess_candidacy(
        ready(screening_trials=(trial,), patient=cerebral_patient), by_origin
    )
    assert cerebral.status is S.READY_FOR_TEAM_REVIEW


def test_approved_declined_deferred_follow_the_latest_decision():
    """Approve implant, decline and a future deferral set their statuses, pointing at it."""
    ref = RecordRef(RecordKind.TEAM_DECISION, 99)
    approved = assess_candidacy(
        ready(latest_decision=decision(DecisionKind.APPROVE_IMPLANT)), SETTINGS
    )
    assert approved.status is S.APPROVED and refs(approved) == [ref]
    declined = assess_candidacy(
        ready(latest_decision=decision(DecisionKind.DECLINE, reason="Goals not met")), SETTINGS
    )
    assert declined.status is S.DECLINED and "Goals not met" in declined.reasons[0].words
    deferred = assess_candidacy(
        ready(
            latest_decision=decision(
                DecisionKind.DEFER, reason="Wound", defer_until=TODAY + dt.timedelta(days=30)
            )
        ),
        SETTINGS,
    )
    assert deferred.status is S.DEFERRED and refs(deferred) == [ref]


def test_a_passed_deferral_falls_through_with_a_warning():
    """Once the review date has come the ordinary rules apply again, with a warning."""
    d = decision(DecisionKind.DEFER, reason="Wound", defer_until=TODAY)
    a = assess_candidacy(ready(latest_decision=d), SETTINGS)
    assert a.status is S.READY_FOR_TEAM_REVIEW
    assert any("Deferral ended" in w.words for w in a.warnings)


def test_approve_screening_decision_does_not_change_the_status():
    """Approving screening is recorded in the checklist; the rules still decide the status."""
    a = assess_candidacy(
        ready(screening_trials=(), latest_decision=decision(DecisionKind.APPROVE_SCREENING)),
        SETTINGS,
    )
    assert a.status is S.SCREENING_NEEDED
    assert {i.key: i.state for i in a.checklist}["team_decision"] is ItemState.WARNING


# --- Precedence --------------------------------------------------------------------------


def test_contraindication_overrides_an_approval():
    """Safety first: an active infection after approval shows contraindicated."""
    snapshot = ready(
        contraindication_screen=screen(systemic_infection=True),
        latest_decision=decision(DecisionKind.APPROVE_IMPLANT),
    )
    a = assess_candidacy(snapshot, SETTINGS)
    assert a.status is S.CONTRAINDICATED
    assert [r.status for r in a.other_blockers] == [S.APPROVED]


def test_decline_outranks_contraindication():
    """A declined patient shows declined, with the contraindication as another blocker."""
    snapshot = ready(
        contraindication_screen=screen(systemic_infection=True),
        latest_decision=decision(DecisionKind.DECLINE, reason="Patient's choice"),
    )
    a = assess_candidacy(snapshot, SETTINGS)
    assert a.status is S.DECLINED and a.other_blockers[0].status is S.CONTRAINDICATED


def test_other_blockers_are_listed_in_precedence_order():
    """Every open reason is reported, ordered by precedence after the status's own."""
    snapshot = ready(evaluations=EVALS[:4], oral_trials=(), screening_trials=())
    a = assess_candidacy(snapshot, SETTINGS)
    assert a.status is S.EVALUATIONS_MISSING
    assert [r.status for r in a.other_blockers] == [
        S.ORAL_THERAPY_NOT_EXHAUSTED,
        S.SCREENING_NEEDED,
    ]
    assert a.all_blockers == a.reasons + a.other_blockers


SCREEN_STATES = {
    "none": (),
    "pending": (negative_bolus(50, id=61),),
    "negative": tuple(
        negative_bolus(d, id=70 + i, given_at=T0 + i * 24 * H) for i, d in enumerate((50, 75, 100))
    ),
    "positive": (positive_bolus(50, id=62),),
}
DECISIONS = {
    "none": None,
    "approve": decision(DecisionKind.APPROVE_IMPLANT),
    "decline": decision(DecisionKind.DECLINE, reason="r"),
    "defer": decision(DecisionKind.DEFER, reason="r", defer_until=TODAY + dt.timedelta(days=9)),
    "defer_past": decision(
        DecisionKind.DEFER, reason="r", defer_until=TODAY - dt.timedelta(days=1)
    ),
}


@given(
    evals_ok=st.booleans(),
    oral_ok=st.booleans(),
    contra=st.booleans(),
    screening=st.sampled_from(sorted(SCREEN_STATES)),
    decided=st.sampled_from(sorted(DECISIONS)),
)
def test_status_is_the_first_applicable_in_precedence(
    evals_ok, oral_ok, contra, screening, decided
):
    """For any combination, the status is the first in the documented precedence that applies."""
    snapshot = ready(
        evaluations=EVALS if evals_ok else EVALS[1:],
        oral_trials=(BACLOFEN,) if oral_ok else (),
        contraindication_screen=screen(spinal_anomaly=contra),
        screening_trials=SCREEN_STATES[screening],
        latest_decision=DECISIONS[decided],
    )
    applies = {
        S.DECLINED: decided == "decline",
        S.CONTRAINDICATED: contra,
        S.DEFERRED: decided == "defer",
        S.APPROVED: decided == "approve",
        S.SCREENING_NEGATIVE: screening == "negative",
        S.EVALUATIONS_MISSING: not evals_ok,
        S.ORAL_THERAPY_NOT_EXHAUSTED: not oral_ok,
        S.SCREENING_NEEDED: screening in ("none", "pending"),
        S.READY_FOR_TEAM_REVIEW: True,
    }
    expected = next(s for s in STATUS_PRECEDENCE if applies[s])
    a = assess_candidacy(snapshot, SETTINGS)
    assert a.status is expected
    assert a.reasons and all(r.status is expected for r in a.reasons)
    assert all(isinstance(r.ref, RecordRef) for r in a.all_blockers + a.warnings)


def test_every_status_is_reachable():
    """Each of the nine statuses is produced by some snapshot (guards the precedence list)."""
    seen = {
        assess_candidacy(s, SETTINGS).status
        for s in (
            ready(),
            ready(evaluations=()),
            ready(oral_trials=()),
            ready(contraindication_screen=screen(body_too_small=True)),
            ready(screening_trials=()),
            ready(screening_trials=SCREEN_STATES["negative"]),
            ready(latest_decision=DECISIONS["approve"]),
            ready(latest_decision=DECISIONS["decline"]),
            ready(latest_decision=DECISIONS["defer"]),
        )
    }
    assert seen == set(CandidacyStatus)


# --- Warnings and checklist --------------------------------------------------------------


def test_a_discipline_not_recommending_is_a_warning_for_the_team():
    """'Not recommended' from a signed evaluation does not block, but is flagged with its reason."""
    evals = (*EVALS[:4], signed(Discipline.SOCIAL_WORKER, 14, "not_recommended"))
    a = assess_candidacy(ready(evaluations=evals), SETTINGS)
    assert a.status is S.READY_FOR_TEAM_REVIEW
    assert a.warnings[0].ref == RecordRef(RecordKind.EVALUATION, 14, "social_worker")
    assert "Because." in a.warnings[0].words
    assert {i.key: i.state for i in a.checklist}["evaluation:social_worker"] is ItemState.WARNING


def test_amendment_in_draft_keeps_the_signed_version_in_force():
    """A pending amendment warns; the signed original still satisfies the work-up."""
    amendment = start_amendment(
        EVALS[1], user_id="u", user_discipline=Discipline.PHYSICAL_THERAPIST, reason="typo", id=88
    )
    a = assess_candidacy(ready(evaluations=(*EVALS, amendment)), SETTINGS)
    assert a.status is S.READY_FOR_TEAM_REVIEW
    assert a.warnings[0].ref == RecordRef(RecordKind.EVALUATION, 88, "physical_therapist")


def test_effective_oral_agent_and_serious_adverse_events_warn():
    """An oral agent recorded as effective, and a seizure during screening, are flagged."""
    effective = make_oral_trial("tizanidine", "24", "30", "effective", id=23)
    trial = replace(
        positive_bolus(50, id=31), adverse_events=(AdverseEventRecord(AdverseEvent.SEIZURE),)
    )
    a = assess_candidacy(
        ready(oral_trials=(BACLOFEN, effective), screening_trials=(trial,)), SETTINGS
    )
    assert a.status is S.READY_FOR_TEAM_REVIEW
    kinds = {(w.ref.kind, w.ref.id) for w in a.warnings}
    assert (RecordKind.ORAL_TRIAL, 23) in kinds and (RecordKind.SCREENING_TRIAL, 31) in kinds
    assert {i.key: i.state for i in a.checklist}["oral_therapy"] is ItemState.WARNING


def test_checklist_has_words_for_every_item():
    """Every checklist item has a label and words; colour is never the only signal."""
    a = assess_candidacy(ready(evaluations=(), oral_trials=(), screening_trials=()), SETTINGS)
    for item in a.checklist:
        assert item.label and item.words and item.state.label
    assert a.words.startswith("Evaluations missing: ")


def test_diagnosis_is_read_from_the_start_of_free_text():
    """The patient record's free-text diagnosis maps to the candidacy rule's diagnosis."""
    from carecoord.domain.diagnoses import Diagnosis, diagnosis_from_text

    assert diagnosis_from_text("Cerebral palsy, spastic diplegia") is Diagnosis.CEREBRAL_PALSY
    assert diagnosis_from_text("  traumatic  brain injury") is Diagnosis.TRAUMATIC_BRAIN_INJURY
    assert diagnosis_from_text("Hereditary spastic paraplegia") is Diagnosis.OTHER
    assert diagnosis_from_text("") is None and diagnosis_from_text(None) is None


def test_goal_checks_refuse_empty_words_and_out_of_range_scores():
    from carecoord.domain.goals import check_gas_score, check_goal

    assert check_goal("sleep", "Sleeps through the night", None) == []
    fields = {p.field for p in check_goal("nowhere", " ", "-1")}
    assert fields == {"area", "description", "weight"}
    assert check_gas_score(2) == [] and check_gas_score(-2) == []
    assert check_gas_score(3) and check_gas_score("+1") == [] and check_gas_score("x")
