"""Team meetings: agenda proposal and carry-over, attendance and quorum, decisions with who was
present, the patient's status following, and the whole path from referral to approval."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from carecoord.domain.candidacy import CandidacyStatus
from carecoord.domain.enums import PatientStatus
from carecoord.domain.meetings import AgendaOrigin, ItemOutcome, MeetingStatus
from carecoord.services import audit, candidacy, meetings, patients
from carecoord.services.errors import ConflictError, PermissionDenied, ValidationFailed
from carecoord.store.models import AuditEvent
from carecoord.store.models_candidacy import TeamDecisionRow
from tests.services.pathway_builders import add_patient, screening, sign_all, work_up

NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)
TODAY = dt.date.today()


def _ready_patient(s, team, mrn, family="Rivera"):
    p = add_patient(s, team.nurse, mrn=mrn, family_name=family)
    sign_all(s, team, p.id)
    work_up(s, team, p.id)
    screening(s, team.nurse, p.id, 50, NOW - dt.timedelta(hours=5), "2 2 1", "1 1 1", "1 1 1")
    return p


def _everyone(team):
    return [a.user_id for a in (team.physiatrist, team.pt, team.ot, team.nurse, team.social_worker)]


def test_whole_path_from_referral_to_approved_for_implant(db, team):
    """Referral, five signed evaluations, negative 50 and positive 75 mcg, meeting, approval;
    the candidacy status changes at each step and every step is in the audit."""
    with db.session() as s:
        p = add_patient(s, team.nurse, mrn="PATH-1")
        seen = [candidacy.candidacy(s, team.nurse, p.id).status]
        sign_all(s, team, p.id)
        work_up(s, team, p.id)
        seen.append(candidacy.candidacy(s, team.nurse, p.id).status)
        start = NOW - dt.timedelta(days=2)
        screening(s, team.nurse, p.id, 50, start, "3 3 2", "3 2 2", "3 3 2")
        seen.append(candidacy.candidacy(s, team.nurse, p.id).status)
        screening(s, team.nurse, p.id, 75, start + dt.timedelta(days=1), "2 2 1", "1 1 1", "1 2 1")
        seen.append(candidacy.candidacy(s, team.nurse, p.id).status)
        m = meetings.schedule_meeting(s, team.nurse, held_on=TODAY, starts_at="14:00")
        assert [(a.patient_id, a.origin) for a in m.agenda] == [(p.id, AgendaOrigin.READY)]
        m = meetings.set_attendance(s, team.nurse, m.id, m.version, _everyone(team))
        assert m.quorum.met
        m = meetings.record_decision(s, team.physiatrist, m.id, m.version, p.id, "approve_implant")
        seen.append(candidacy.candidacy(s, team.nurse, p.id).status)
        assert seen == [
            CandidacyStatus.EVALUATIONS_MISSING,
            CandidacyStatus.SCREENING_NEEDED,
            CandidacyStatus.SCREENING_NEEDED,
            CandidacyStatus.READY_FOR_TEAM_REVIEW,
            CandidacyStatus.APPROVED,
        ]
        assert patients.get_patient(s, team.nurse, p.id).status is PatientStatus.CANDIDATE
        assert m.agenda[0].outcome is ItemOutcome.DISCUSSED
        assert m.agenda[0].decision.startswith("Approve implant on")
        history = candidacy.decision_history(s, team.nurse, p.id)
        assert "present: Dr Maria Doe (Physiatrist), Priya Patel" in history[-1]
        history = audit.patient_history(s, team.nurse, p.id)
        summaries = " | ".join(e.summary for e in history)
        for words in (
            "Registered patient",
            "Signed the social work evaluation",
            "Screening trial: 50 mcg bolus",
            "Screening trial: 75 mcg bolus",
            "Team decision: Approve implant",
            "Status Evaluating → Candidate",
        ):
            assert words in summaries
        assert audit.verify(s).ok


def test_decision_without_a_reason_and_without_quorum_is_refused(db, team):
    with db.session() as s:
        p = _ready_patient(s, team, "Q-1")
        m = meetings.schedule_meeting(s, team.nurse, held_on=TODAY)
        with pytest.raises(ValidationFailed, match="No quorum"):
            meetings.record_decision(s, team.physiatrist, m.id, m.version, p.id, "approve_implant")
        m = meetings.set_attendance(s, team.nurse, m.id, m.version, _everyone(team))
        with pytest.raises(ValidationFailed, match="needs a reason"):
            meetings.record_decision(s, team.physiatrist, m.id, m.version, p.id, "decline")
        with pytest.raises(ValidationFailed, match="date to review"):
            meetings.record_decision(
                s, team.physiatrist, m.id, m.version, p.id, "defer", reason="Wait for MRI"
            )
        with pytest.raises(PermissionDenied, match="Only a physiatrist"):
            meetings.record_decision(s, team.nurse, m.id, m.version, p.id, "approve_implant")
        assert s.scalar(select(func.count(TeamDecisionRow.id))) == 0
        assert patients.get_patient(s, team.nurse, p.id).status is PatientStatus.EVALUATING
        m = meetings.record_decision(
            s,
            team.physiatrist,
            m.id,
            m.version,
            p.id,
            "defer",
            reason="Wait for the MRI",
            defer_until=TODAY + dt.timedelta(days=30),
        )
        assert candidacy.candidacy(s, team.nurse, p.id).status is CandidacyStatus.DEFERRED


def test_approving_a_patient_not_ready_needs_a_reason(db, team):
    with db.session() as s:
        p = add_patient(s, team.nurse, mrn="NR-1")
        m = meetings.schedule_meeting(s, team.nurse, held_on=TODAY)
        m = meetings.add_to_agenda(s, team.nurse, m.id, m.version, p.id)
        m = meetings.set_attendance(s, team.nurse, m.id, m.version, _everyone(team))
        problems = meetings.decision_check(s, team.physiatrist, m.id, p.id, "approve_implant")
        assert "write why the team approves anyway" in problems[0].message
        with pytest.raises(ValidationFailed):
            meetings.record_decision(s, team.physiatrist, m.id, m.version, p.id, "approve_implant")
        m = meetings.record_decision(
            s, team.physiatrist, m.id, m.version, p.id, "decline", reason="Goals met with therapy"
        )
        assert patients.get_patient(s, team.nurse, p.id).status is PatientStatus.DECLINED


def test_finishing_moves_undiscussed_patients_to_the_next_meeting(db, team):
    with db.session() as s:
        a = _ready_patient(s, team, "F-1", "Abbott")
        b = _ready_patient(s, team, "F-2", "Bauer")
        first = meetings.schedule_meeting(s, team.nurse, held_on=TODAY)
        assert {x.patient_id for x in first.agenda} == {a.id, b.id}
        second = meetings.schedule_meeting(s, team.nurse, held_on=TODAY + dt.timedelta(days=14))
        assert second.agenda == ()  # already waiting on the first meeting
        first = meetings.set_attendance(s, team.nurse, first.id, first.version, _everyone(team))
        first = meetings.record_decision(
            s, team.physiatrist, first.id, first.version, a.id, "approve_implant"
        )
        with pytest.raises(ConflictError):
            meetings.finish_meeting(s, team.nurse, first.id, first.version - 1)
        result = meetings.finish_meeting(s, team.nurse, first.id, first.version)
        assert result.carried == (b.id,)
        assert result.finished.status is MeetingStatus.FINISHED
        assert [(x.patient_id, x.origin) for x in result.next_meeting.agenda] == [
            (b.id, AgendaOrigin.CARRIED_OVER)
        ]
        outcomes = {x.patient_id: x.outcome for x in result.finished.agenda}
        assert outcomes[b.id] is ItemOutcome.CARRIED_FORWARD
        with pytest.raises(ValidationFailed, match="finished"):
            meetings.set_attendance(s, team.nurse, first.id, result.finished.version, [])
        assert meetings.next_meeting(s, team.pt).id == second.id


def test_carried_over_when_no_meeting_was_planned(db, team):
    with db.session() as s:
        a = _ready_patient(s, team, "C-1")
        m = meetings.schedule_meeting(s, team.nurse, held_on=TODAY)
        meetings.finish_meeting(s, team.nurse, m.id, m.version)
        nxt = meetings.schedule_meeting(s, team.nurse, held_on=TODAY + dt.timedelta(days=7))
        assert [(x.patient_id, x.origin) for x in nxt.agenda] == [(a.id, AgendaOrigin.CARRIED_OVER)]


def test_schedule_refuses_past_dates_and_bad_times(db, team):
    with db.session() as s:
        with pytest.raises(ValidationFailed, match="past"):
            meetings.schedule_meeting(s, team.nurse, held_on=TODAY - dt.timedelta(days=1))
        with pytest.raises(ValidationFailed, match="not a time"):
            meetings.schedule_meeting(s, team.nurse, held_on=TODAY, starts_at="25:99")
        assert meetings.list_meetings(s, team.nurse) == []
        assert s.scalar(select(func.count(AuditEvent.id))) == 0


def test_candidate_card_has_everything_for_the_shared_screen(db, team):
    with db.session() as s:
        p = add_patient(s, team.nurse, mrn="CARD-1")
        sign_all(s, team, p.id)
        work_up(s, team, p.id)
        screening(s, team.nurse, p.id, 50, NOW - dt.timedelta(hours=5), "2 2 1", "1 1 1", "1 2 1")
        card = meetings.candidate_card(s, team.nurse, p.id)
        assert card.diagnosis.startswith("Spinal cord injury")
        assert card.goals == ("Mobility and positioning: Transfers with one helper",)
        assert card.scales[0].before == "2.67" and card.scales[0].after == "1"
        assert all(line.words == "Proceed to screening" for line in card.recommendations)
        assert card.candidacy.status is CandidacyStatus.READY_FOR_TEAM_REVIEW


def test_a_patient_not_yet_discussed_can_be_taken_off_the_agenda(db, team):
    with db.session() as s:
        p = add_patient(s, team.nurse, mrn="OFF-1")
        m = meetings.schedule_meeting(s, team.nurse, held_on=TODAY)
        m = meetings.add_to_agenda(s, team.nurse, m.id, m.version, p.id)
        with pytest.raises(ValidationFailed, match="Say why"):
            meetings.remove_from_agenda(s, team.nurse, m.id, m.version, p.id, " ")
        m = meetings.remove_from_agenda(s, team.nurse, m.id, m.version, p.id, "Added by mistake")
        assert m.agenda == ()
        with pytest.raises(ValidationFailed, match="not on this agenda"):
            meetings.remove_from_agenda(s, team.nurse, m.id, m.version, p.id, "again")
        assert "Added by mistake" in audit.patient_history(s, team.nurse, p.id)[0].summary


def test_two_workstations_deciding_at_once_one_is_told_to_reload(db, team):
    """Both screens show the same meeting version; the second decision is a conflict and
    nothing of it is stored."""
    with db.session() as s:
        a = _ready_patient(s, team, "W-1", "Abbott")
        b = _ready_patient(s, team, "W-2", "Bauer")
        m = meetings.schedule_meeting(s, team.nurse, held_on=TODAY)
        m = meetings.set_attendance(s, team.nurse, m.id, m.version, _everyone(team))
    with db.session() as first:
        meetings.record_decision(first, team.physiatrist, m.id, m.version, a.id, "approve_implant")
    # The second screen still shows the version read before the first decision.
    with db.session() as second, pytest.raises(ConflictError, match="while you were editing"):
        meetings.record_decision(
            second, team.physiatrist, m.id, m.version, b.id, "approve_screening"
        )
    with db.session() as s:
        assert s.scalar(select(func.count(TeamDecisionRow.id))) == 1
        view = meetings.get_meeting(s, team.nurse, m.id)
        assert [x.outcome for x in view.agenda] == [ItemOutcome.DISCUSSED, ItemOutcome.PENDING]
