"""Team meetings: quorum, agenda, decisions and carrying patients forward."""

import datetime as dt
from dataclasses import replace

import pytest

from carecoord.domain.candidacy import CandidacyStatus
from carecoord.domain.decisions import DecisionKind, TeamDecision, check_decision, make_decision
from carecoord.domain.enums import Discipline
from carecoord.domain.errors import Severity, ValidationFailed
from carecoord.domain.meetings import (
    AgendaItem,
    AgendaOrigin,
    Attendee,
    ItemOutcome,
    Meeting,
    MeetingStatus,
    add_to_agenda,
    check_decision_against_candidacy,
    decision_problems,
    finish_meeting,
    mark_discussed,
    propose_agenda,
    quorum,
    record_decision,
    set_attendees,
)
from carecoord.domain.settings import ClinicSettings

S = CandidacyStatus
TODAY = dt.date(2026, 3, 20)
SETTINGS = ClinicSettings()
EVERYONE = tuple(Attendee(f"u{i}", d) for i, d in enumerate(Discipline))


def meeting(*patients, attendees=EVERYONE, held_on=TODAY, id=1) -> Meeting:
    return Meeting(id, held_on, agenda=tuple(AgendaItem(p) for p in patients), attendees=attendees)


def approve(patient_id=1, reason="") -> TeamDecision:
    return make_decision(
        DecisionKind.APPROVE_IMPLANT, patient_id=patient_id, today=TODAY, reason=reason, id=50
    )


# --- Quorum ------------------------------------------------------------------------------


def test_quorum_needs_one_member_per_discipline():
    """Default: one member of each discipline present; the missing ones are named."""
    assert quorum(EVERYONE, SETTINGS).met
    q = quorum(EVERYONE[:3], SETTINGS)
    assert not q.met and q.missing == (Discipline.NURSE, Discipline.SOCIAL_WORKER)
    assert "nurse, social worker" in q.words


def test_quorum_follows_required_disciplines_and_can_be_switched_off():
    """The disciplines come from the settings; with the rule off any attendance counts."""
    narrow = SETTINGS.with_changes(required_evaluation_disciplines="physiatrist,nurse")
    assert quorum([Discipline.PHYSIATRIST, Discipline.NURSE], narrow).met
    off = SETTINGS.with_changes(quorum_one_per_discipline=False)
    assert quorum([Discipline.NURSE], off).met and not quorum([], off).met


# --- Agenda ------------------------------------------------------------------------------


def test_agenda_carries_over_undiscussed_then_adds_ready_patients():
    """Carried-over patients come first, then those ready for review, each once."""
    previous = Meeting(
        1,
        TODAY - dt.timedelta(days=14),
        MeetingStatus.FINISHED,
        agenda=(
            AgendaItem(1, outcome=ItemOutcome.DISCUSSED),
            AgendaItem(2, outcome=ItemOutcome.CARRIED_FORWARD),
            AgendaItem(3, outcome=ItemOutcome.PENDING),
        ),
    )
    statuses = {
        4: S.READY_FOR_TEAM_REVIEW,
        3: S.READY_FOR_TEAM_REVIEW,
        5: S.SCREENING_NEEDED,
        1: S.APPROVED,
    }
    agenda = propose_agenda(statuses, previous)
    assert [(i.patient_id, i.origin) for i in agenda] == [
        (2, AgendaOrigin.CARRIED_OVER),
        (3, AgendaOrigin.CARRIED_OVER),
        (4, AgendaOrigin.READY),
    ]


def test_agenda_without_previous_meeting_lists_ready_patients():
    """The first meeting's agenda is every patient ready for team review."""
    assert [
        i.patient_id for i in propose_agenda({7: S.READY_FOR_TEAM_REVIEW, 8: S.DEFERRED}, None)
    ] == [7]


def test_add_to_agenda_refuses_duplicates_and_finished_meetings():
    """A patient is on an agenda once; a finished meeting cannot change."""
    m = add_to_agenda(meeting(1), 2, "Family request")
    assert m.item(2).origin is AgendaOrigin.ADDED
    with pytest.raises(ValidationFailed, match="already"):
        add_to_agenda(m, 2)
    done = finish_meeting(m).finished
    with pytest.raises(ValidationFailed, match="finished"):
        add_to_agenda(done, 3)
    with pytest.raises(ValidationFailed, match="finished"):
        set_attendees(done, EVERYONE)


# --- Decisions ---------------------------------------------------------------------------


@pytest.mark.parametrize("kind", [DecisionKind.DEFER, DecisionKind.DECLINE])
def test_defer_and_decline_need_a_reason(kind):
    """A deferral or a decline without a reason is refused."""
    until = TODAY + dt.timedelta(days=30) if kind is DecisionKind.DEFER else None
    problems = check_decision(kind, reason="  ", defer_until=until, today=TODAY)
    assert [p.field for p in problems] == ["reason"]


def test_defer_date_must_be_in_the_future():
    """The review date of a deferral is after today; other decisions have none."""
    for until in (None, TODAY, TODAY - dt.timedelta(days=1)):
        problems = check_decision("defer", reason="Wound healing", defer_until=until, today=TODAY)
        assert [p.field for p in problems] == ["defer_until"]
    assert (
        check_decision("defer", reason="x", defer_until=TODAY + dt.timedelta(days=1), today=TODAY)
        == []
    )
    assert check_decision("approve_implant", reason="", defer_until=TODAY, today=TODAY)
    with pytest.raises(ValidationFailed):
        make_decision("veto", patient_id=1, today=TODAY)


def test_decision_round_trips():
    """A decision survives the dict round trip and describes itself."""
    d = make_decision(
        "defer", patient_id=3, today=TODAY, reason="UTI", defer_until=dt.date(2026, 4, 20), id=5
    )
    assert TeamDecision.from_dict(d.to_dict()) == d
    assert d.words == "Defer on 20 Mar 2026, review on 20 Apr 2026: UTI"


def test_approval_must_match_candidacy():
    """Approving an implant when not ready needs a reason; when contraindicated it is refused."""
    assert (
        check_decision_against_candidacy(DecisionKind.APPROVE_IMPLANT, S.READY_FOR_TEAM_REVIEW)
        == []
    )
    [p] = check_decision_against_candidacy(DecisionKind.APPROVE_IMPLANT, S.SCREENING_NEEDED)
    assert p.severity is Severity.NEEDS_REASON
    [p] = check_decision_against_candidacy(DecisionKind.APPROVE_IMPLANT, S.CONTRAINDICATED)
    assert p.severity is Severity.ERROR
    [p] = check_decision_against_candidacy(
        DecisionKind.APPROVE_SCREENING, S.ORAL_THERAPY_NOT_EXHAUSTED
    )
    assert p.severity is Severity.NEEDS_REASON
    assert (
        check_decision_against_candidacy(DecisionKind.APPROVE_SCREENING, S.SCREENING_NEEDED) == []
    )
    assert check_decision_against_candidacy(DecisionKind.DECLINE, S.CONTRAINDICATED) == []


def test_record_decision_marks_the_patient_discussed():
    """Recording a decision marks that agenda item discussed and links the decision."""
    m = record_decision(meeting(1, 2), approve(1), S.READY_FOR_TEAM_REVIEW, SETTINGS)
    assert m.item(1).outcome is ItemOutcome.DISCUSSED and m.item(1).decision_id == 50
    assert m.item(2).outcome is ItemOutcome.PENDING


def test_record_decision_refusals():
    """No quorum, patient not on the agenda, or a mismatch without a reason: refused."""
    with pytest.raises(ValidationFailed, match="No quorum"):
        record_decision(
            meeting(1, attendees=EVERYONE[:2]), approve(1), S.READY_FOR_TEAM_REVIEW, SETTINGS
        )
    with pytest.raises(ValidationFailed, match="agenda first"):
        record_decision(meeting(2), approve(1), S.READY_FOR_TEAM_REVIEW, SETTINGS)
    with pytest.raises(ValidationFailed, match="write why"):
        record_decision(meeting(1), approve(1), S.SCREENING_NEEDED, SETTINGS)
    m = record_decision(
        meeting(1), approve(1, reason="Screened elsewhere"), S.SCREENING_NEEDED, SETTINGS
    )
    assert m.item(1).outcome is ItemOutcome.DISCUSSED


def test_decision_problems_lists_everything_at_once():
    """A form can show every problem together."""
    problems = decision_problems(meeting(2, attendees=()), approve(1), S.CONTRAINDICATED, SETTINGS)
    assert {p.field for p in problems} == {"patient_id", "attendees", "kind"}


def test_mark_discussed_without_decision():
    """A patient can be discussed without a decision."""
    m = mark_discussed(meeting(1), 1, "Update only")
    assert m.item(1).outcome is ItemOutcome.DISCUSSED and m.item(1).note == "Update only"
    with pytest.raises(ValidationFailed):
        mark_discussed(m, 9)


# --- Finishing ---------------------------------------------------------------------------


def test_finishing_moves_undiscussed_patients_to_the_next_meeting():
    """Undiscussed patients are marked moved and put first on the next meeting's agenda."""
    m = record_decision(meeting(1, 2, 3), approve(1), S.READY_FOR_TEAM_REVIEW, SETTINGS)
    nxt = meeting(3, 4, held_on=TODAY + dt.timedelta(days=14), id=2)
    result = finish_meeting(m, nxt)
    assert result.finished.status is MeetingStatus.FINISHED
    assert [i.outcome for i in result.finished.agenda] == [
        ItemOutcome.DISCUSSED,
        ItemOutcome.CARRIED_FORWARD,
        ItemOutcome.CARRIED_FORWARD,
    ]
    assert result.carried == (2, 3)
    assert [(i.patient_id, i.origin) for i in result.next_meeting.agenda] == [
        (2, AgendaOrigin.CARRIED_OVER),
        (3, AgendaOrigin.READY),
        (4, AgendaOrigin.READY),
    ]
    assert "2 patient(s) moved" in result.words


def test_finishing_without_next_meeting_lets_the_agenda_pick_them_up():
    """With no next meeting yet, propose_agenda carries the moved patients over later."""
    result = finish_meeting(meeting(1, 2))
    assert result.next_meeting is None and result.carried == (1, 2)
    assert [i.origin for i in propose_agenda({}, result.finished)] == [
        AgendaOrigin.CARRIED_OVER
    ] * 2


def test_finish_refusals():
    """A meeting finishes once; the next meeting must be later and still open."""
    m = meeting(1)
    with pytest.raises(ValidationFailed, match="later date"):
        finish_meeting(m, meeting(held_on=TODAY, id=2))
    done = finish_meeting(m).finished
    with pytest.raises(ValidationFailed, match="finished"):
        finish_meeting(done)
    with pytest.raises(ValidationFailed, match="already finished"):
        finish_meeting(meeting(1), replace_status(meeting(held_on=TODAY + dt.timedelta(days=7))))


def replace_status(m: Meeting) -> Meeting:
    return replace(m, status=MeetingStatus.FINISHED)


def test_meeting_round_trips():
    """A meeting with agenda and attendees survives the dict round trip."""
    m = record_decision(meeting(1, 2), approve(1), S.READY_FOR_TEAM_REVIEW, SETTINGS)
    assert Meeting.from_dict(m.to_dict()) == m
