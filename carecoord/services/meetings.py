"""Team meetings: schedule, agenda (ready patients and carried-over ones), attendance and
quorum, decisions recorded with who was present, and finishing (undiscussed patients move on).

The pure rules are in ``domain.meetings``; here the stored rows are mapped to its values, the
rule is applied, and the result is written with an audit event in one transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from carecoord.domain import meetings as rules
from carecoord.domain.candidacy import CandidacyAssessment
from carecoord.domain.decisions import DecisionKind, TeamDecision, make_decision
from carecoord.domain.enums import Discipline, PatientStatus
from carecoord.domain.errors import ValidationFailed, raise_if_errors
from carecoord.domain.evaluations import EvaluationStatus, Recommendation
from carecoord.domain.meetings import (
    AgendaItem,
    AgendaOrigin,
    Attendee,
    ItemOutcome,
    Meeting,
    MeetingStatus,
    Quorum,
)
from carecoord.domain.permissions import Permission
from carecoord.domain.ranges import NOTE_TEXT, date_problems, plan_window, text_problems
from carecoord.domain.scales import MasAssessment
from carecoord.domain.units import format_date, format_number
from carecoord.services import audit
from carecoord.services.candidacy import (
    assess,
    decision_words,
    format_goal,
    list_goals,
    screening_summary,
    statuses_of_screened,
)
from carecoord.services.context import Actor, require
from carecoord.services.errors import NotFound
from carecoord.services.evaluations import list_evaluations
from carecoord.services.pathway import (
    conflict,
    dump,
    follow_status,
    patient_name,
    patient_or_404,
    touch,
)
from carecoord.services.settings import load_settings
from carecoord.store.models import Patient, User
from carecoord.store.models_candidacy import (
    AgendaItemRow,
    AttendanceRow,
    MeetingRow,
    TeamDecisionRow,
)

ENTITY = "meeting"
_TIME = "%H:%M"


@dataclass(frozen=True)
class AgendaEntry:
    patient_id: int
    patient: str
    mrn: str
    origin: AgendaOrigin
    outcome: ItemOutcome
    decision: str  # words of the decision taken, or ""
    note: str


@dataclass(frozen=True)
class Present:
    user_id: int
    name: str
    discipline: Discipline | None

    @property
    def words(self) -> str:
        return f"{self.name} ({self.discipline.label if self.discipline else 'Administrator'})"


@dataclass(frozen=True)
class MeetingView:
    id: int
    held_on: dt.date
    starts_at: str
    location: str
    status: MeetingStatus
    notes: str
    version: int
    agenda: tuple[AgendaEntry, ...]
    present: tuple[Present, ...]
    quorum: Quorum

    @property
    def title(self) -> str:
        when = format_date(self.held_on)
        if self.starts_at:
            when += f" at {self.starts_at}"
        return f"Team meeting {when}" + (f", {self.location}" if self.location else "")

    @property
    def pending(self) -> tuple[AgendaEntry, ...]:
        return tuple(a for a in self.agenda if a.outcome is ItemOutcome.PENDING)


# ---------------------------------------------------------------------------------------------


def _row(session: Session, meeting_id: int) -> MeetingRow:
    row = session.get(MeetingRow, meeting_id)
    if row is None:
        raise NotFound("This meeting no longer exists.")
    return row


def _items(session: Session, meeting_id: int) -> list[AgendaItemRow]:
    return list(
        session.scalars(
            select(AgendaItemRow)
            .where(AgendaItemRow.meeting_id == meeting_id)
            .order_by(AgendaItemRow.position, AgendaItemRow.id)
        )
    )


def _attendance(session: Session, meeting_id: int) -> list[AttendanceRow]:
    return list(
        session.scalars(select(AttendanceRow).where(AttendanceRow.meeting_id == meeting_id))
    )


def _domain(session: Session, row: MeetingRow) -> Meeting:
    return Meeting(
        id=row.id,
        held_on=row.held_on,
        status=MeetingStatus(row.status),
        agenda=tuple(
            AgendaItem(
                i.patient_id, AgendaOrigin(i.origin), ItemOutcome(i.outcome), i.decision_id, i.note
            )
            for i in _items(session, row.id)
        ),
        attendees=tuple(
            Attendee(a.user_id, Discipline(a.discipline))
            for a in _attendance(session, row.id)
            if a.discipline
        ),
    )


def _view(session: Session, row: MeetingRow) -> MeetingView:
    settings = load_settings(session)
    items = _items(session, row.id)
    patients = {
        p.id: p
        for p in session.scalars(
            select(Patient).where(Patient.id.in_([i.patient_id for i in items]))
        )
    }
    decisions = {
        d.id: d
        for d in session.scalars(
            select(TeamDecisionRow).where(
                TeamDecisionRow.id.in_([i.decision_id for i in items if i.decision_id])
            )
        )
    }
    agenda = tuple(
        AgendaEntry(
            i.patient_id,
            patient_name(patients[i.patient_id]),
            patients[i.patient_id].mrn,
            AgendaOrigin(i.origin),
            ItemOutcome(i.outcome),
            decision_words(decisions[i.decision_id]) if i.decision_id in decisions else "",
            i.note,
        )
        for i in items
    )
    people = session.execute(
        select(AttendanceRow, User)
        .join(User, User.id == AttendanceRow.user_id)
        .where(AttendanceRow.meeting_id == row.id)
        .order_by(User.full_name)
    ).all()
    order = list(Discipline)
    present = tuple(
        sorted(
            (
                Present(u.id, u.full_name, Discipline(a.discipline) if a.discipline else None)
                for a, u in people
            ),
            key=lambda p: (order.index(p.discipline) if p.discipline else 99, p.name),
        )
    )
    q = rules.quorum([p.discipline for p in present if p.discipline], settings)
    return MeetingView(
        id=row.id,
        held_on=row.held_on,
        starts_at=row.starts_at,
        location=row.location,
        status=MeetingStatus(row.status),
        notes=row.notes,
        version=row.version,
        agenda=agenda,
        present=present,
        quorum=q,
    )


def get_meeting(session: Session, actor: Actor, meeting_id: int) -> MeetingView:
    require(actor, Permission.VIEW_PATIENTS)
    return _view(session, _row(session, meeting_id))


def list_meetings(session: Session, actor: Actor, limit: int = 100) -> list[MeetingView]:
    """Planned meetings (soonest first), then finished ones (latest first)."""
    require(actor, Permission.VIEW_PATIENTS)
    planned = session.scalars(
        select(MeetingRow)
        .where(MeetingRow.status == MeetingStatus.PLANNED.value)
        .order_by(MeetingRow.held_on, MeetingRow.id)
        .limit(limit)
    ).all()
    finished = session.scalars(
        select(MeetingRow)
        .where(MeetingRow.status == MeetingStatus.FINISHED.value)
        .order_by(MeetingRow.held_on.desc(), MeetingRow.id.desc())
        .limit(limit)
    ).all()
    return [_view(session, r) for r in (*planned, *finished)]


def next_meeting(session: Session, actor: Actor) -> MeetingView | None:
    """The earliest planned meeting (today or later; an overdue unfinished one too)."""
    require(actor, Permission.VIEW_PATIENTS)
    row = session.scalars(
        select(MeetingRow)
        .where(MeetingRow.status == MeetingStatus.PLANNED.value)
        .order_by(MeetingRow.held_on, MeetingRow.id)
        .limit(1)
    ).first()
    return _view(session, row) if row else None


def _stale(session: Session, row: MeetingRow) -> Exception:
    return conflict(
        session,
        entity=ENTITY,
        entity_id=row.id,
        label=f"the meeting of {format_date(row.held_on)}",
        current_version=row.version,
        theirs={},
        yours={},
        labels={},
    )


def _check_version(session: Session, row: MeetingRow, expected_version: int) -> None:
    if row.version != expected_version:
        raise _stale(session, row)


def _flush(session: Session, row: MeetingRow) -> None:
    touch(row, "notes")
    try:
        session.flush()
    except StaleDataError:
        session.rollback()
        raise _stale(session, _row(session, row.id)) from None


def _parse_time(starts_at: str) -> str:
    text = (starts_at or "").strip()
    if not text:
        return ""
    try:
        return dt.datetime.strptime(text, _TIME).strftime(_TIME)
    except ValueError:
        raise ValidationFailed.single(
            "starts_at", f"“{text}” is not a time; write it as 14:30."
        ) from None


def _pending_elsewhere(session: Session, exclude: int | None = None) -> set[int]:
    """Patients already waiting on a planned meeting's agenda."""
    query = (
        select(AgendaItemRow.patient_id)
        .join(MeetingRow, MeetingRow.id == AgendaItemRow.meeting_id)
        .where(
            MeetingRow.status == MeetingStatus.PLANNED.value,
            AgendaItemRow.outcome == ItemOutcome.PENDING.value,
        )
    )
    if exclude is not None:
        query = query.where(MeetingRow.id != exclude)
    return set(session.scalars(query))


def _previous_finished(session: Session, before: dt.date) -> MeetingRow | None:
    return session.scalars(
        select(MeetingRow)
        .where(MeetingRow.status == MeetingStatus.FINISHED.value, MeetingRow.held_on <= before)
        .order_by(MeetingRow.held_on.desc(), MeetingRow.id.desc())
        .limit(1)
    ).first()


def _proposal(
    session: Session, meeting: MeetingRow, today: dt.date | None
) -> tuple[AgendaItem, ...]:
    statuses = {pid: a.status for pid, a in statuses_of_screened(session, today).items()}
    previous = _previous_finished(session, meeting.held_on)
    proposed = rules.propose_agenda(statuses, _domain(session, previous) if previous else None)
    busy = _pending_elsewhere(session, exclude=meeting.id)
    present = {i.patient_id for i in _items(session, meeting.id)}
    out = []
    for item in proposed:
        if item.patient_id in present or item.patient_id in busy:
            continue
        if item.origin is AgendaOrigin.CARRIED_OVER:
            # Carried over only while still waiting for the team (not decided elsewhere since).
            p = session.get(Patient, item.patient_id)
            if p is None or p.status == PatientStatus.RETIRED.value:
                continue
        out.append(item)
    return tuple(out)


def _append(session: Session, meeting_id: int, items: Iterable[AgendaItem]) -> list[int]:
    position = session.scalar(
        select(func.coalesce(func.max(AgendaItemRow.position), 0)).where(
            AgendaItemRow.meeting_id == meeting_id
        )
    )
    added = []
    for item in items:
        position += 1
        session.add(
            AgendaItemRow(
                meeting_id=meeting_id,
                patient_id=int(item.patient_id),
                position=position,
                origin=item.origin.value,
                outcome=ItemOutcome.PENDING.value,
                note=item.note,
            )
        )
        added.append(int(item.patient_id))
    return added


def schedule_meeting(
    session: Session,
    actor: Actor,
    *,
    held_on: dt.date,
    starts_at: str = "",
    location: str = "",
    notes: str = "",
    today: dt.date | None = None,
) -> MeetingView:
    """A planned meeting whose agenda proposes the carried-over and the ready patients."""
    require(actor, Permission.MANAGE_MEETINGS)
    today = today or dt.date.today()
    if not isinstance(held_on, dt.date):
        raise ValidationFailed.single("held_on", "Enter the date of the meeting.")
    if held_on < today:
        raise ValidationFailed.single(
            "held_on", f"A new meeting cannot be in the past (today is {format_date(today)})."
        )
    earliest, latest = plan_window(today)
    raise_if_errors(
        date_problems("held_on", "The meeting", held_on, earliest=earliest, latest=latest)
    )
    raise_if_errors(
        text_problems("location", "The place", location, max_length=200, multiline=False)
        + text_problems("notes", "The notes", notes, max_length=NOTE_TEXT)
    )
    row = MeetingRow(
        held_on=held_on,
        starts_at=_parse_time(starts_at),
        location=(location or "").strip(),
        status=MeetingStatus.PLANNED.value,
        notes=(notes or "").strip(),
        created_by_id=actor.user_id or None,
    )
    session.add(row)
    session.flush()
    added = _append(session, row.id, _proposal(session, row, today))
    session.flush()
    audit.record(
        session,
        actor,
        action="create",
        entity=ENTITY,
        entity_id=row.id,
        summary=f"Scheduled the team meeting of {format_date(held_on)}"
        + (f" at {row.starts_at}" if row.starts_at else "")
        + f"; {len(added)} patient(s) on the agenda",
        after={
            "held_on": held_on,
            "starts_at": row.starts_at,
            "location": row.location,
            "agenda": added,
        },
    )
    session.commit()
    return _view(session, row)


def refresh_agenda(
    session: Session,
    actor: Actor,
    meeting_id: int,
    expected_version: int,
    today: dt.date | None = None,
) -> MeetingView:
    """Add the patients who became ready (or were carried over) since it was scheduled."""
    require(actor, Permission.MANAGE_MEETINGS)
    row = _row(session, meeting_id)
    _open(row)
    _check_version(session, row, expected_version)
    added = _append(session, row.id, _proposal(session, row, today))
    if not added:
        session.rollback()
        return _view(session, row)
    _flush(session, row)
    audit.record(
        session,
        actor,
        action="agenda",
        entity=ENTITY,
        entity_id=row.id,
        summary=f"Agenda of {format_date(row.held_on)}: {len(added)} ready patient(s) added",
        after={"added": added},
    )
    session.commit()
    return _view(session, row)


def _open(row: MeetingRow) -> None:
    if row.status == MeetingStatus.FINISHED.value:
        raise ValidationFailed.single("status", "This meeting is finished.")


def add_to_agenda(
    session: Session,
    actor: Actor,
    meeting_id: int,
    expected_version: int,
    patient_id: int,
    note: str = "",
) -> MeetingView:
    require(actor, Permission.MANAGE_MEETINGS)
    row = _row(session, meeting_id)
    patient = patient_or_404(session, patient_id)
    updated = rules.add_to_agenda(_domain(session, row), patient_id, (note or "").strip())
    _check_version(session, row, expected_version)
    _append(session, row.id, [updated.agenda[-1]])
    _flush(session, row)
    audit.record(
        session,
        actor,
        action="agenda",
        entity=ENTITY,
        entity_id=row.id,
        patient_id=patient_id,
        summary=f"Added {patient_name(patient)} to the meeting of {format_date(row.held_on)}",
        after={"patient_id": patient_id, "note": note},
    )
    session.commit()
    return _view(session, row)


def remove_from_agenda(
    session: Session,
    actor: Actor,
    meeting_id: int,
    expected_version: int,
    patient_id: int,
    reason: str,
) -> MeetingView:
    """Take a patient not yet discussed off a planned meeting's agenda, with a reason."""
    require(actor, Permission.MANAGE_MEETINGS)
    row = _row(session, meeting_id)
    _open(row)
    item = next((i for i in _items(session, row.id) if i.patient_id == patient_id), None)
    if item is None:
        raise ValidationFailed.single("patient_id", "The patient is not on this agenda.")
    if item.outcome != ItemOutcome.PENDING.value:
        raise ValidationFailed.single(
            "patient_id", "The patient has been discussed; the decision stays on the agenda."
        )
    if not (reason or "").strip():
        raise ValidationFailed.single("reason", "Say why the patient is taken off the agenda.")
    _check_version(session, row, expected_version)
    patient = patient_or_404(session, patient_id)
    session.delete(item)
    _flush(session, row)
    audit.record(
        session,
        actor,
        action="agenda",
        entity=ENTITY,
        entity_id=row.id,
        patient_id=patient_id,
        summary=f"Took {patient_name(patient)} off the meeting of {format_date(row.held_on)}: "
        f"{reason.strip()}",
        before={"patient_id": patient_id, "origin": item.origin},
    )
    session.commit()
    return _view(session, row)


def set_attendance(
    session: Session, actor: Actor, meeting_id: int, expected_version: int, user_ids: Iterable[int]
) -> MeetingView:
    """Who is present; the quorum (a setting) is shown from it."""
    require(actor, Permission.MANAGE_MEETINGS)
    row = _row(session, meeting_id)
    _open(row)
    wanted = sorted(set(user_ids))
    users = {u.id: u for u in session.scalars(select(User).where(User.id.in_(wanted)))}
    missing = [u for u in wanted if u not in users or not users[u].active]
    if missing:
        raise ValidationFailed.single("attendees", "Only active team members can be present.")
    _check_version(session, row, expected_version)
    before = sorted(a.user_id for a in _attendance(session, row.id))
    if before == wanted:
        session.rollback()
        return _view(session, row)
    for a in _attendance(session, row.id):
        if a.user_id not in users:
            session.delete(a)
    for uid in wanted:
        if uid not in before:
            session.add(
                AttendanceRow(
                    meeting_id=row.id, user_id=uid, discipline=users[uid].discipline or ""
                )
            )
    _flush(session, row)
    names = [users[u].full_name for u in wanted]
    view = _view(session, row)
    audit.record(
        session,
        actor,
        action="attendance",
        entity=ENTITY,
        entity_id=row.id,
        summary=f"Present at the meeting of {format_date(row.held_on)}: "
        f"{', '.join(names) or 'nobody'}. {view.quorum.words}",
        before={"present": before},
        after={"present": wanted},
    )
    session.commit()
    return view


# Where a decision leaves the patient on the pathway.
_STATUS_AFTER = {
    DecisionKind.APPROVE_IMPLANT: PatientStatus.CANDIDATE,
    DecisionKind.DECLINE: PatientStatus.DECLINED,
    DecisionKind.APPROVE_SCREENING: PatientStatus.EVALUATING,
    DecisionKind.DEFER: PatientStatus.EVALUATING,
}


def decision_check(
    session: Session,
    actor: Actor,
    meeting_id: int,
    patient_id: int,
    kind: Any,
    *,
    reason: str = "",
    defer_until: dt.date | None = None,
    today: dt.date | None = None,
) -> list:
    """Live validation for the decision form: every problem, including needs-a-reason."""
    require(actor, Permission.VIEW_PATIENTS)
    row = _row(session, meeting_id)
    today = today or dt.date.today()
    try:
        decision = make_decision(
            kind, patient_id=patient_id, today=today, reason=reason, defer_until=defer_until
        )
    except ValidationFailed as exc:
        return exc.problems
    status = assess(session, patient_id, today).status
    return rules.decision_problems(_domain(session, row), decision, status, load_settings(session))


def record_decision(
    session: Session,
    actor: Actor,
    meeting_id: int,
    expected_version: int,
    patient_id: int,
    kind: Any,
    *,
    reason: str = "",
    defer_until: dt.date | None = None,
    today: dt.date | None = None,
) -> MeetingView:
    """The team's decision on one agenda patient, with who was present; the patient's status
    follows (approved: candidate; declined: declined; deferred or screening: evaluating)."""
    require(actor, Permission.RECORD_DECISION)
    row = _row(session, meeting_id)
    patient = patient_or_404(session, patient_id)
    today = today or dt.date.today()
    decision = make_decision(
        kind,
        patient_id=patient_id,
        today=today,
        reason=reason or "",
        defer_until=defer_until,
        meeting_id=meeting_id,
    )
    meeting = _domain(session, row)
    assessment = assess(session, patient_id, today)
    rules.record_decision(meeting, decision, assessment.status, load_settings(session))
    _check_version(session, row, expected_version)
    view = _view(session, row)
    present = [p.words for p in view.present]
    stored = TeamDecisionRow(
        patient_id=patient_id,
        meeting_id=meeting_id,
        kind=decision.kind.value,
        decided_on=decision.decided_on,
        reason=decision.reason,
        defer_until=decision.defer_until,
        present=dump(present),
        recorded_by_id=actor.user_id or None,
    )
    session.add(stored)
    session.flush()
    item = next(i for i in _items(session, row.id) if i.patient_id == patient_id)
    item.outcome = ItemOutcome.DISCUSSED.value
    item.decision_id = stored.id
    _flush(session, row)
    audit.record(
        session,
        actor,
        action="decide",
        entity="team_decision",
        entity_id=stored.id,
        patient_id=patient_id,
        summary=f"Team decision: {decision.words} (present: {', '.join(present)}; candidacy "
        f"status was {assessment.status.label.lower()})",
        after={
            "kind": decision.kind,
            "reason": decision.reason,
            "defer_until": decision.defer_until,
            "meeting": meeting_id,
            "present": present,
        },
    )
    follow_status(
        session,
        actor,
        patient,
        _STATUS_AFTER[decision.kind],
        f"team decision ({decision.kind.label.lower()})",
    )
    session.commit()
    return _view(session, row)


def mark_discussed(
    session: Session,
    actor: Actor,
    meeting_id: int,
    expected_version: int,
    patient_id: int,
    note: str = "",
) -> MeetingView:
    """Discussed without a decision (an update on a patient)."""
    require(actor, Permission.MANAGE_MEETINGS)
    row = _row(session, meeting_id)
    rules.mark_discussed(_domain(session, row), patient_id, note)
    _check_version(session, row, expected_version)
    item = next(i for i in _items(session, row.id) if i.patient_id == patient_id)
    item.outcome = ItemOutcome.DISCUSSED.value
    item.note = (note or "").strip() or item.note
    _flush(session, row)
    audit.record(
        session,
        actor,
        action="agenda",
        entity=ENTITY,
        entity_id=row.id,
        patient_id=patient_id,
        summary=f"Discussed without a decision at the meeting of {format_date(row.held_on)}"
        + (f": {note.strip()}" if note and note.strip() else ""),
    )
    session.commit()
    return _view(session, row)


@dataclass(frozen=True)
class FinishView:
    finished: MeetingView
    next_meeting: MeetingView | None
    carried: tuple[int, ...]
    words: str


def finish_meeting(
    session: Session, actor: Actor, meeting_id: int, expected_version: int
) -> FinishView:
    """Close the meeting; undiscussed patients go to the next planned meeting (or, when none is
    planned yet, onto the agenda of the next one scheduled)."""
    require(actor, Permission.MANAGE_MEETINGS)
    row = _row(session, meeting_id)
    nxt = session.scalars(
        select(MeetingRow)
        .where(
            MeetingRow.status == MeetingStatus.PLANNED.value,
            MeetingRow.held_on > row.held_on,
            MeetingRow.id != row.id,
        )
        .order_by(MeetingRow.held_on, MeetingRow.id)
        .limit(1)
    ).first()
    result = rules.finish_meeting(_domain(session, row), _domain(session, nxt) if nxt else None)
    _check_version(session, row, expected_version)
    for item in _items(session, row.id):
        if item.outcome != ItemOutcome.DISCUSSED.value:
            item.outcome = ItemOutcome.CARRIED_FORWARD.value
    row.status = MeetingStatus.FINISHED.value
    row.finished_at = dt.datetime.now(dt.UTC)
    _flush(session, row)
    moved: list[int] = []
    if nxt is not None and result.next_meeting is not None:
        present = {i.patient_id for i in _items(session, nxt.id)}
        additions = [
            i
            for i in result.next_meeting.agenda
            if i.origin is AgendaOrigin.CARRIED_OVER and i.patient_id not in present
        ]
        moved = _append(session, nxt.id, additions)
        if moved:
            touch(nxt, "notes")
            session.flush()
    audit.record(
        session,
        actor,
        action="finish",
        entity=ENTITY,
        entity_id=row.id,
        summary=result.words,
        after={"carried": list(result.carried), "to_meeting": nxt.id if nxt else None},
    )
    session.commit()
    return FinishView(
        _view(session, row),
        _view(session, nxt) if nxt else None,
        tuple(int(p) for p in result.carried),
        result.words,
    )


# ---------------------------------------------------------------------------------------------
# The summary card shown on the shared screen.


@dataclass(frozen=True)
class DisciplineLine:
    discipline: Discipline
    words: str  # "Proceed to implant" / "Not signed"
    reason: str
    signed_by: str


@dataclass(frozen=True)
class ScaleLine:
    label: str
    before: str
    after: str


@dataclass(frozen=True)
class CandidateCard:
    patient_id: int
    name: str
    mrn: str
    age_words: str
    diagnosis: str
    origin: str
    goals: tuple[str, ...]
    goals_words: str
    screening: tuple[str, ...]  # each trial in words with its response
    scales: tuple[ScaleLine, ...]
    recommendations: tuple[DisciplineLine, ...]
    candidacy: CandidacyAssessment
    history: tuple[str, ...]


def _mas_mean(mas: MasAssessment | None) -> str:
    return f"{format_number(mas.mean(), 2)}" if mas else "—"


def candidate_card(
    session: Session, actor: Actor, patient_id: int, today: dt.date | None = None
) -> CandidateCard:
    """Everything the team needs to decide, in words, for one patient."""
    require(actor, Permission.VIEW_PATIENTS)
    patient = patient_or_404(session, patient_id)
    from carecoord.domain.contraindications import age_in_years
    from carecoord.services.candidacy import decision_history

    today = today or dt.date.today()
    assessment = assess(session, patient_id, today)
    goals = list_goals(session, actor, patient_id)
    screening = screening_summary(session, actor, patient_id)
    evaluations = list_evaluations(session, actor, patient_id)
    in_force = {e.discipline: e for e in evaluations if e.in_force}
    lines = []
    for d in Discipline:
        e = in_force.get(d)
        if e is None:
            draft = any(
                v.discipline is d and v.status is EvaluationStatus.DRAFT for v in evaluations
            )
            lines.append(
                DisciplineLine(d, "Draft, not signed" if draft else "No evaluation", "", "")
            )
            continue
        rec = e.recommendation
        lines.append(
            DisciplineLine(
                d,
                rec.label if rec else "No recommendation",
                str(e.values.get("recommendation_reason", "") or ""),
                e.signed_by_name,
            )
        )
    scales: list[ScaleLine] = []
    trial_words = []
    for t in screening.trials:
        events = "; ".join(e.words for e in t.trial.adverse_events)
        trial_words.append(
            f"{t.trial.dose_words} on {format_date(t.trial.given_at.date())}: "
            f"{t.response.status.label.lower()}"
            + (f" (adverse events: {events})" if events else "")
        )
    positive = [t for t in screening.trials if t.response.status.value == "positive"]
    chosen = positive[-1] if positive else (screening.trials[-1] if screening.trials else None)
    if chosen is not None and chosen.trial.baseline and chosen.trial.baseline.mas:
        base = chosen.trial.baseline.mas
        best = chosen.response.best
        after_mas = None
        if best is not None:
            after_mas = next(
                (a.mas for a in chosen.trial.post_dose if a.taken_at == best.taken_at), None
            )
        scales.append(
            ScaleLine(
                f"Ashworth mean ({chosen.trial.dose_words})",
                _mas_mean(base),
                _mas_mean(after_mas),
            )
        )
        after_by_key = after_mas.by_key() if after_mas else {}
        for r in base.ratings:
            after = after_by_key.get(r.key)
            scales.append(
                ScaleLine(
                    f"{r.muscle_group} ({r.side.value})", r.grade, after.grade if after else "—"
                )
            )
    physiatrist = in_force.get(Discipline.PHYSIATRIST)
    diagnosis = patient.diagnosis or "—"
    details = str(physiatrist.values.get("diagnosis_details", "")) if physiatrist else ""
    if details and details.casefold() not in diagnosis.casefold():
        diagnosis = f"{diagnosis} ({details})"
    origin = assessment.origin.label if assessment.origin else "Origin not recorded"
    return CandidateCard(
        patient_id=patient.id,
        name=patient_name(patient),
        mrn=patient.mrn,
        age_words=f"{age_in_years(patient.date_of_birth, today)} years",
        diagnosis=diagnosis,
        origin=origin,
        goals=tuple(format_goal(g) for g in goals.goals),
        goals_words=goals.words,
        screening=tuple(trial_words),
        scales=tuple(scales),
        recommendations=tuple(lines),
        candidacy=assessment,
        history=tuple(decision_history(session, actor, patient_id)),
    )


def recommendation_label(value: str | None) -> str:
    try:
        return Recommendation(value).label if value else "—"
    except ValueError:
        return value or "—"


def meeting_for_patient(session: Session, actor: Actor, patient_id: int) -> MeetingView | None:
    """The planned meeting whose agenda has this patient waiting, if any."""
    require(actor, Permission.VIEW_PATIENTS)
    row = session.scalars(
        select(MeetingRow)
        .join(AgendaItemRow, AgendaItemRow.meeting_id == MeetingRow.id)
        .where(
            MeetingRow.status == MeetingStatus.PLANNED.value,
            AgendaItemRow.patient_id == patient_id,
            AgendaItemRow.outcome == ItemOutcome.PENDING.value,
        )
        .order_by(MeetingRow.held_on)
        .limit(1)
    ).first()
    return _view(session, row) if row else None


def stored_meeting_on(
    session: Session, actor: Actor, held_on: dt.date
) -> tuple[rules.Meeting, dict[int | str, TeamDecision]] | None:
    """The meeting held (or planned) on that day, as domain values with its decisions by id;
    a finished meeting comes before a planned one on the same day."""
    require(actor, Permission.VIEW_PATIENTS)
    row = session.scalars(
        select(MeetingRow)
        .where(MeetingRow.held_on == held_on)
        .order_by((MeetingRow.status == MeetingStatus.FINISHED.value).desc(), MeetingRow.id)
        .limit(1)
    ).first()
    if row is None:
        return None
    meeting = _domain(session, row)
    ids = [i.decision_id for i in meeting.agenda if i.decision_id is not None]
    rows = session.scalars(select(TeamDecisionRow).where(TeamDecisionRow.id.in_(ids))).all()
    return meeting, {
        r.id: TeamDecision(
            id=r.id,
            patient_id=r.patient_id,
            kind=DecisionKind(r.kind),
            decided_on=r.decided_on,
            reason=r.reason,
            defer_until=r.defer_until,
            meeting_id=r.meeting_id,
        )
        for r in rows
    }
