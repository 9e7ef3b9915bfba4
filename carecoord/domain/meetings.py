"""Team meetings: quorum, agenda, decisions and carrying undiscussed patients forward.

Pure functions over frozen values: each returns a new ``Meeting``; the service stores it.
Quorum (setting ``quorum_one_per_discipline``, default on): one member of each discipline whose
evaluation the clinic requires (``required_evaluation_disciplines``) is present. With the setting
off there is no published rule, so any attendance counts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from carecoord.domain.candidacy import CandidacyStatus
from carecoord.domain.decisions import DecisionKind, TeamDecision, check_decision
from carecoord.domain.enums import Discipline
from carecoord.domain.errors import Problem, Severity, ValidationFailed, raise_if_errors
from carecoord.domain.evaluations import required_disciplines
from carecoord.domain.settings import ClinicSettings
from carecoord.domain.units import format_date


class MeetingStatus(StrEnum):
    PLANNED = "planned"
    FINISHED = "finished"

    @property
    def label(self) -> str:
        return self.value.capitalize()


class AgendaOrigin(StrEnum):
    READY = "ready"  # ready for team review
    CARRIED_OVER = "carried_over"  # not discussed at an earlier meeting
    ADDED = "added"  # added by hand

    @property
    def label(self) -> str:
        return {
            AgendaOrigin.READY: "Ready for review",
            AgendaOrigin.CARRIED_OVER: "Carried over",
            AgendaOrigin.ADDED: "Added",
        }[self]


class ItemOutcome(StrEnum):
    PENDING = "pending"
    DISCUSSED = "discussed"
    CARRIED_FORWARD = "carried_forward"  # meeting finished before it was discussed

    @property
    def label(self) -> str:
        return {
            ItemOutcome.PENDING: "Not yet discussed",
            ItemOutcome.DISCUSSED: "Discussed",
            ItemOutcome.CARRIED_FORWARD: "Moved to the next meeting",
        }[self]


@dataclass(frozen=True)
class AgendaItem:
    patient_id: int | str
    origin: AgendaOrigin = AgendaOrigin.READY
    outcome: ItemOutcome = ItemOutcome.PENDING
    decision_id: int | str | None = None
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "patient_id": self.patient_id,
            "origin": self.origin.value,
            "outcome": self.outcome.value,
            "decision_id": self.decision_id,
            "note": self.note,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> AgendaItem:
        return cls(
            patient_id=data["patient_id"],
            origin=AgendaOrigin(data.get("origin", "ready")),
            outcome=ItemOutcome(data.get("outcome", "pending")),
            decision_id=data.get("decision_id"),
            note=data.get("note") or "",
        )


@dataclass(frozen=True)
class Attendee:
    user_id: int | str
    discipline: Discipline


@dataclass(frozen=True)
class Meeting:
    id: int | str | None
    held_on: dt.date
    status: MeetingStatus = MeetingStatus.PLANNED
    agenda: tuple[AgendaItem, ...] = ()
    attendees: tuple[Attendee, ...] = ()

    def item(self, patient_id: int | str) -> AgendaItem | None:
        for item in self.agenda:
            if item.patient_id == patient_id:
                return item
        return None

    @property
    def undiscussed(self) -> tuple[AgendaItem, ...]:
        return tuple(i for i in self.agenda if i.outcome is not ItemOutcome.DISCUSSED)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "held_on": self.held_on.isoformat(),
            "status": self.status.value,
            "agenda": [i.to_dict() for i in self.agenda],
            "attendees": [
                {"user_id": a.user_id, "discipline": a.discipline.value} for a in self.attendees
            ],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Meeting:
        return cls(
            id=data.get("id"),
            held_on=dt.date.fromisoformat(data["held_on"]),
            status=MeetingStatus(data.get("status", "planned")),
            agenda=tuple(AgendaItem.from_dict(i) for i in data.get("agenda") or ()),
            attendees=tuple(
                Attendee(a["user_id"], Discipline(a["discipline"]))
                for a in data.get("attendees") or ()
            ),
        )


# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Quorum:
    met: bool
    missing: tuple[Discipline, ...]
    words: str


def quorum(attendees: Iterable[Attendee | Discipline], settings: ClinicSettings) -> Quorum:
    present = {a.discipline if isinstance(a, Attendee) else Discipline(a) for a in attendees}
    if not settings.quorum_one_per_discipline:
        met = bool(present)
        return Quorum(met, (), "Quorum met." if met else "Nobody is marked present.")
    missing = tuple(d for d in required_disciplines(settings) if d not in present)
    if missing:
        names = ", ".join(d.label.lower() for d in missing)
        return Quorum(False, missing, f"No quorum: no {names} present.")
    return Quorum(True, (), "Quorum met: every discipline is present.")


def propose_agenda(
    statuses: Mapping[int | str, CandidacyStatus], previous: Meeting | None
) -> tuple[AgendaItem, ...]:
    """Patients carried over from the last meeting (not discussed there) first, then every
    patient now ready for team review; each patient once."""
    items: list[AgendaItem] = []
    seen: set[int | str] = set()
    if previous is not None:
        for item in previous.undiscussed:
            if item.patient_id not in seen:
                items.append(AgendaItem(item.patient_id, AgendaOrigin.CARRIED_OVER))
                seen.add(item.patient_id)
    for patient_id, status in statuses.items():
        if status is CandidacyStatus.READY_FOR_TEAM_REVIEW and patient_id not in seen:
            items.append(AgendaItem(patient_id, AgendaOrigin.READY))
            seen.add(patient_id)
    return tuple(items)


def _open(meeting: Meeting) -> None:
    if meeting.status is MeetingStatus.FINISHED:
        raise ValidationFailed.single("status", "This meeting is finished.")


def add_to_agenda(meeting: Meeting, patient_id: int | str, note: str = "") -> Meeting:
    _open(meeting)
    if meeting.item(patient_id) is not None:
        raise ValidationFailed.single("agenda", "The patient is already on the agenda.")
    item = AgendaItem(patient_id, AgendaOrigin.ADDED, note=note)
    return replace(meeting, agenda=(*meeting.agenda, item))


def set_attendees(meeting: Meeting, attendees: Iterable[Attendee]) -> Meeting:
    _open(meeting)
    unique: dict[int | str, Attendee] = {}
    for a in attendees:
        unique[a.user_id] = a
    return replace(meeting, attendees=tuple(unique.values()))


def check_decision_against_candidacy(kind: DecisionKind, status: CandidacyStatus) -> list[Problem]:
    """An approval must match the candidacy status; a mismatch needs a written reason, and a
    contraindicated patient cannot be approved at all."""
    S = CandidacyStatus
    if kind is DecisionKind.APPROVE_IMPLANT:
        if status is S.CONTRAINDICATED:
            return [
                Problem("kind", "The patient is contraindicated: an implant cannot be approved.")
            ]
        if status is not S.READY_FOR_TEAM_REVIEW:
            return [
                Problem(
                    "reason",
                    f"The candidacy status is “{status.label}”, not ready for team review: "
                    "write why the team approves anyway.",
                    Severity.NEEDS_REASON,
                )
            ]
    if kind is DecisionKind.APPROVE_SCREENING:
        if status is S.CONTRAINDICATED:
            return [
                Problem("kind", "The patient is contraindicated: screening cannot be approved.")
            ]
        if status in (S.EVALUATIONS_MISSING, S.ORAL_THERAPY_NOT_EXHAUSTED, S.SCREENING_NEGATIVE):
            return [
                Problem(
                    "reason",
                    f"The candidacy status is “{status.label}”: write why the team approves "
                    "screening anyway.",
                    Severity.NEEDS_REASON,
                )
            ]
    return []


def decision_problems(
    meeting: Meeting,
    decision: TeamDecision,
    candidacy_status: CandidacyStatus,
    settings: ClinicSettings,
) -> list[Problem]:
    """Every problem with recording this decision at this meeting; NEEDS_REASON problems are
    resolved by the decision's reason text."""
    problems: list[Problem] = []
    if meeting.status is MeetingStatus.FINISHED:
        problems.append(Problem("status", "This meeting is finished."))
    if meeting.item(decision.patient_id) is None:  # type: ignore[arg-type]
        problems.append(Problem("patient_id", "Put the patient on the agenda first."))
    q = quorum(meeting.attendees, settings)
    if not q.met:
        problems.append(Problem("attendees", q.words))
    problems.extend(
        check_decision(
            decision.kind,
            reason=decision.reason,
            defer_until=decision.defer_until,
            today=decision.decided_on,
        )
    )
    for problem in check_decision_against_candidacy(decision.kind, candidacy_status):
        if problem.severity is Severity.NEEDS_REASON and decision.reason.strip():
            continue
        problems.append(problem)
    return problems


def record_decision(
    meeting: Meeting,
    decision: TeamDecision,
    candidacy_status: CandidacyStatus,
    settings: ClinicSettings,
) -> Meeting:
    """Mark the patient's item discussed with this decision; raises ValidationFailed (errors and
    unanswered needs-a-reason problems alike)."""
    problems = decision_problems(meeting, decision, candidacy_status, settings)
    blocking = [p for p in problems if p.severity in (Severity.ERROR, Severity.NEEDS_REASON)]
    if blocking:
        raise ValidationFailed(blocking)
    agenda = tuple(
        replace(i, outcome=ItemOutcome.DISCUSSED, decision_id=decision.id)
        if i.patient_id == decision.patient_id
        else i
        for i in meeting.agenda
    )
    return replace(meeting, agenda=agenda)


def mark_discussed(meeting: Meeting, patient_id: int | str, note: str = "") -> Meeting:
    """Discussed without a decision (e.g. an update on a patient already approved)."""
    _open(meeting)
    if meeting.item(patient_id) is None:
        raise ValidationFailed.single("patient_id", "The patient is not on the agenda.")
    agenda = tuple(
        replace(i, outcome=ItemOutcome.DISCUSSED, note=note or i.note)
        if i.patient_id == patient_id
        else i
        for i in meeting.agenda
    )
    return replace(meeting, agenda=agenda)


@dataclass(frozen=True)
class FinishResult:
    finished: Meeting
    next_meeting: Meeting | None
    carried: tuple[int | str, ...]  # patient ids moved forward

    @property
    def words(self) -> str:
        if not self.carried:
            return "Meeting finished; every patient was discussed."
        target = (
            f"the meeting of {format_date(self.next_meeting.held_on)}"
            if self.next_meeting
            else "the next meeting"
        )
        return f"Meeting finished; {len(self.carried)} patient(s) moved to {target}."


def finish_meeting(meeting: Meeting, next_meeting: Meeting | None = None) -> FinishResult:
    """Finish: undiscussed patients are marked moved and appended to ``next_meeting`` (when
    given; otherwise ``propose_agenda`` picks them up from this meeting)."""
    _open(meeting)
    problems: list[Problem] = []
    if next_meeting is not None:
        if next_meeting.status is MeetingStatus.FINISHED:
            problems.append(Problem("next_meeting", "The next meeting is already finished."))
        if next_meeting.held_on <= meeting.held_on:
            problems.append(Problem("next_meeting", "The next meeting must be on a later date."))
    raise_if_errors(problems)
    carried = tuple(i.patient_id for i in meeting.undiscussed)
    finished = replace(
        meeting,
        status=MeetingStatus.FINISHED,
        agenda=tuple(
            i
            if i.outcome is ItemOutcome.DISCUSSED
            else replace(i, outcome=ItemOutcome.CARRIED_FORWARD)
            for i in meeting.agenda
        ),
    )
    updated_next = next_meeting
    if next_meeting is not None:
        additions = tuple(
            AgendaItem(pid, AgendaOrigin.CARRIED_OVER)
            for pid in carried
            if next_meeting.item(pid) is None
        )
        updated_next = replace(next_meeting, agenda=(*additions, *next_meeting.agenda))
    return FinishResult(finished, updated_next, carried)
