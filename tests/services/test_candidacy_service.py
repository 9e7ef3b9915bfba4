"""Oral trials, the contraindication screen, goals, screening trials and the candidacy status
computed from the stored record (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from carecoord.domain.candidacy import CandidacyStatus, ItemState, RecordKind
from carecoord.domain.contraindications import Contraindication
from carecoord.domain.enums import Discipline
from carecoord.domain.screening import NextAction
from carecoord.services import candidacy
from carecoord.services.errors import ConflictError, PermissionDenied, ValidationFailed
from carecoord.store.models import AuditEvent
from carecoord.store.models_candidacy import ScreeningAssessmentRow, ScreeningTrialRow
from tests.services.pathway_builders import (
    MAS_BASELINE,
    add_patient,
    mas,
    screening,
    sign_all,
    work_up,
)

NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)


def test_oral_trial_above_usual_maximum_is_a_warning_with_guidance(db, team):
    with db.session() as s:
        p = add_patient(s, team.physiatrist)
        view = candidacy.record_oral_trial(
            s,
            team.physiatrist,
            p.id,
            agent="baclofen",
            highest_daily_dose_mg="120",
            duration_days=60,
            outcome="ineffective",
        )
        assert "above the usual maximum" in view.warnings[0].message
        assert "usual maximum 80 mg a day" in view.guidance
        with pytest.raises(ValidationFailed, match="side effects"):
            candidacy.record_oral_trial(
                s,
                team.physiatrist,
                p.id,
                agent="tizanidine",
                highest_daily_dose_mg="12",
                duration_days=30,
                outcome="not_tolerated",
            )
        with pytest.raises(PermissionDenied, match="physiatrist or a nurse"):
            candidacy.record_oral_trial(
                s,
                team.pt,
                p.id,
                agent="baclofen",
                highest_daily_dose_mg="80",
                duration_days=60,
                outcome="ineffective",
            )
        assert len(candidacy.list_oral_trials(s, team.pt, p.id)) == 1
        updated = candidacy.update_oral_trial(
            s,
            team.physiatrist,
            view.id,
            view.version,
            agent="baclofen",
            highest_daily_dose_mg="80",
            duration_days=60,
            outcome="ineffective",
        )
        with pytest.raises(ConflictError):
            candidacy.update_oral_trial(
                s,
                team.nurse,
                view.id,
                view.version,
                agent="baclofen",
                highest_daily_dose_mg="90",
                duration_days=60,
                outcome="ineffective",
            )
        candidacy.retire_oral_trial(s, team.nurse, updated.id, updated.version, "Wrong patient")
        assert candidacy.list_oral_trials(s, team.pt, p.id) == []


def test_screening_dose_of_500_mcg_is_refused_with_nothing_saved(db, team):
    with db.session() as s:
        p = add_patient(s, team.nurse)
        events = s.scalar(select(func.count(AuditEvent.id)))
        with pytest.raises(ValidationFailed, match="500 mcg is not allowed"):
            candidacy.record_screening_trial(
                s,
                team.nurse,
                p.id,
                route="bolus_lumbar_puncture",
                given_at=NOW,
                dose_mcg="500",
                baseline={"taken_at": NOW - dt.timedelta(minutes=20), "mas": MAS_BASELINE},
            )
        assert s.scalar(select(func.count(ScreeningTrialRow.id))) == 0
        assert s.scalar(select(func.count(ScreeningAssessmentRow.id))) == 0
        assert s.scalar(select(func.count(AuditEvent.id))) == events


def test_bad_assessment_is_refused_whole(db, team):
    """A MAS of “1-” or a post-dose time before the dose adds nothing to the trial."""
    with db.session() as s:
        p = add_patient(s, team.nurse)
        t = screening(s, team.nurse, p.id, 50, NOW - dt.timedelta(hours=6))
        with pytest.raises(ValidationFailed, match="1-"):
            candidacy.add_assessment(
                s,
                team.nurse,
                t.id,
                t.version,
                {"taken_at": NOW - dt.timedelta(hours=5), "mas": mas("1-", "2", "2")},
            )
        with pytest.raises(ValidationFailed, match="after the dose"):
            candidacy.add_assessment(
                s,
                team.nurse,
                t.id,
                t.version,
                {"taken_at": NOW - dt.timedelta(hours=7), "mas": mas("1", "2", "2")},
            )
        assert s.scalar(select(func.count(ScreeningAssessmentRow.id))) == 1  # the baseline


def test_negative_50_then_positive_75_suggests_the_ladder(db, team):
    with db.session() as s:
        p = add_patient(s, team.nurse)
        start = NOW - dt.timedelta(days=2)
        summary = candidacy.screening_summary(s, team.nurse, p.id)
        assert summary.next_step.action is NextAction.START
        assert "50 mcg" in summary.next_step.words
        screening(s, team.nurse, p.id, 50, start, "3 3 2", "3 2 2", "3 3 2")
        summary = candidacy.screening_summary(s, team.nurse, p.id)
        assert summary.trials[0].response.status.value == "negative"
        assert summary.next_step.action is NextAction.ESCALATE
        assert summary.next_step.dose_mcg == 75
        t = screening(
            s, team.nurse, p.id, 75, start + dt.timedelta(days=1), "2 2 1", "1 1 1", "1+ 2 1"
        )
        summary = candidacy.screening_summary(s, team.nurse, p.id)
        assert t.response.status.value == "positive"
        assert summary.next_step.action is NextAction.POSITIVE
        with pytest.raises(ConflictError):
            candidacy.add_adverse_event(s, team.nurse, t.id, t.version - 1, event="headache")
        t = candidacy.add_adverse_event(
            s, team.nurse, t.id, t.version, event="headache", details="Mild, settled with rest"
        )
        assert t.trial.adverse_events[0].words == "Headache: Mild, settled with rest"


def test_candidacy_status_follows_the_record_with_reasons_pointing_to_it(db, team):
    """Missing evaluations, then oral therapy, then screening needed, then ready for review."""
    with db.session() as s:
        p = add_patient(s, team.nurse)
        a = candidacy.candidacy(s, team.pt, p.id)
        assert a.status is CandidacyStatus.EVALUATIONS_MISSING
        missing = {r.ref.detail for r in a.reasons if r.ref.kind is RecordKind.EVALUATION}
        assert missing == {d.value for d in Discipline}
        sign_all(s, team, p.id)
        candidacy.save_screen(
            s,
            team.physiatrist,
            p.id,
            answers={c.value: False for c in Contraindication},
            assessed_on=dt.date.today(),
        )
        a = candidacy.candidacy(s, team.pt, p.id)
        assert a.status is CandidacyStatus.ORAL_THERAPY_NOT_EXHAUSTED
        trial = candidacy.record_oral_trial(
            s,
            team.physiatrist,
            p.id,
            agent="baclofen",
            highest_daily_dose_mg="40",
            duration_days=90,
            outcome="ineffective",
        )
        a = candidacy.candidacy(s, team.pt, p.id)
        assert any(r.ref.id == trial.id for r in a.reasons)
        candidacy.update_oral_trial(
            s,
            team.physiatrist,
            trial.id,
            trial.version,
            agent="baclofen",
            highest_daily_dose_mg="80",
            duration_days=90,
            outcome="ineffective",
        )
        a = candidacy.candidacy(s, team.pt, p.id)
        assert a.status is CandidacyStatus.SCREENING_NEEDED
        t = screening(
            s, team.nurse, p.id, 50, NOW - dt.timedelta(hours=5), "2 2 1", "1 1 1", "1 2 1"
        )
        a = candidacy.candidacy(s, team.pt, p.id)
        assert a.status is CandidacyStatus.READY_FOR_TEAM_REVIEW
        assert a.reasons[0].ref.id == t.id
        states = {i.key: i.state for i in a.checklist}
        assert states["screening"] is ItemState.MET and states["oral_therapy"] is ItemState.MET
        assert [r.patient for r in candidacy.ready_for_review(s, team.pt)] == ["RIVERA, Ana"]


def test_contraindication_present_and_conflicting_screens(db, team):
    with db.session() as s:
        p = add_patient(s, team.nurse)
        sign_all(s, team, p.id)
        work_up(s, team, p.id)
        first = candidacy.latest_screen(s, team.pt, p.id)
        answers = {c.value: False for c in Contraindication}
        answers[Contraindication.URINARY_INFECTION.value] = True
        with pytest.raises(ConflictError):
            candidacy.save_screen(
                s, team.nurse, p.id, answers=answers, assessed_on=dt.date.today(), based_on_id=None
            )
        candidacy.save_screen(
            s,
            team.nurse,
            p.id,
            answers=answers,
            assessed_on=dt.date.today(),
            based_on_id=first.id,
        )
        a = candidacy.candidacy(s, team.pt, p.id)
        assert a.status is CandidacyStatus.CONTRAINDICATED
        assert "urinary infection" in a.reasons[0].words


def test_goals_are_scored_with_gas(db, team):
    with db.session() as s:
        p = add_patient(s, team.nurse)
        g1 = candidacy.add_goal(s, team.nurse, p.id, area="sleep", description="Sleeps 6 hours")
        g2 = candidacy.add_goal(
            s, team.nurse, p.id, area="caregiver_time", description="Dressing in 15 min", weight="2"
        )
        with pytest.raises(ValidationFailed):
            candidacy.add_goal(s, team.nurse, p.id, area="sleep", description="  ")
        with pytest.raises(ValidationFailed, match="from -2 to 2"):
            candidacy.score_goal(s, team.nurse, g1.id, g1.version, 3)
        candidacy.score_goal(s, team.nurse, g1.id, g1.version, 0)
        assert "1 of 2" in candidacy.list_goals(s, team.nurse, p.id).words
        candidacy.score_goal(s, team.nurse, g2.id, g2.version, "0")
        assert candidacy.list_goals(s, team.nurse, p.id).t_score == 50
