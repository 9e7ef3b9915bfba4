"""Gather what a printed report needs from the store, as the plain inputs of ``reports``.

What exists today is read here: the patient, the treatment team with roles and phones, the
clinic's settings (name, phones, paper size), who prints and when. The parts that other
features store (pump program, implanted pump, refills, evaluations, screening, candidacy,
meetings) each come through one small named function below. Until that feature stores its
records, the function finds nothing and the report prints a visible "ask your clinic" gap; the
feature fills the function in and every report, the GUI and the command line follow.

To wire when the features land:
- pump programs and implants: ``active_program``, ``implanted_pump``
- refills: ``refill_dates``, ``next_appointment``, ``refill_list_patient_ids``
- evaluations, screening, candidacy, meetings: ``patient_goals``, ``evaluation_findings``,
  ``scale_comparisons``, ``screening_summary``, ``candidacy_summary``, ``load_meeting``
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from carecoord.domain.candidacy import CandidacyStatus
from carecoord.domain.decisions import TeamDecision
from carecoord.domain.evaluations import required_disciplines
from carecoord.domain.meetings import Meeting
from carecoord.domain.permissions import Permission
from carecoord.domain.settings import ClinicSettings
from carecoord.domain.units import format_date
from carecoord.reports.care_plan import (
    Appointment,
    CarePlanInput,
    ClinicInfo,
    PatientInfo,
    ProgramInfo,
    PumpInfo,
    RefillInfo,
    TeamContact,
)
from carecoord.reports.evaluation_summary import (
    CandidacySummary,
    DisciplineFinding,
    EvaluationSummaryInput,
    ScaleComparison,
    ScreeningSummary,
)
from carecoord.reports.minutes import MeetingAttendee, MeetingMinutesInput, MinutesItem
from carecoord.services.context import Actor, require
from carecoord.services.errors import NotFound
from carecoord.services.patients import PatientView, get_patient
from carecoord.services.settings import load_settings
from carecoord.store.models import Patient, User

# ---------------------------------------------------------------------------------------------
# The parts other features store. Each returns "nothing recorded" until its feature fills it.


def active_program(session: Session, patient_id: int) -> ProgramInfo | None:
    """The pump program in force, its version and whether it is confirmed on the device."""
    return None


def implanted_pump(session: Session, patient_id: int) -> PumpInfo | None:
    """The implanted pump's model name and reservoir size."""
    return None


def refill_dates(
    session: Session,
    patient_id: int,
    program: ProgramInfo | None,
    settings: ClinicSettings,
) -> RefillInfo | None:
    """Refill-by and alarm dates after the last fill (``domain.refills.forecast_refill``)."""
    return None


def next_appointment(session: Session, patient_id: int) -> Appointment | None:
    return None


def refill_list_patient_ids(session: Session, day: dt.date) -> list[int]:
    """Patients whose refill is booked or due on ``day`` (the batch "tomorrow's refill list")."""
    return []


def patient_goals(session: Session, patient_id: int) -> tuple[str, ...]:
    """The goals the team documented before screening (physiatrist's evaluation, "goals")."""
    return ()


def evaluation_findings(session: Session, patient_id: int) -> tuple[DisciplineFinding, ...]:
    """The latest version of each discipline's evaluation (``DisciplineFinding.from_evaluation``)."""
    return ()


def scale_comparisons(session: Session, patient_id: int) -> tuple[ScaleComparison, ...]:
    return ()


def screening_summary(session: Session, patient_id: int) -> ScreeningSummary | None:
    return None


def candidacy_summary(
    session: Session, patient_id: int, settings: ClinicSettings
) -> CandidacySummary | None:
    """``CandidacySummary.from_assessment(assess_candidacy(snapshot, settings))``."""
    return None


@dataclass(frozen=True)
class StoredMeeting:
    """A meeting as the meetings feature stores it, with its decisions and statuses."""

    meeting: Meeting
    decisions: Mapping[int | str, TeamDecision]  # by decision id
    statuses: Mapping[int | str, CandidacyStatus]  # by patient id, at the meeting


def load_meeting(session: Session, held_on: dt.date) -> StoredMeeting | None:
    return None


# ---------------------------------------------------------------------------------------------
# What exists today.


@dataclass(frozen=True)
class Sources:
    """The functions above, replaceable in one place (tests give recorded data)."""

    active_program: Callable[[Session, int], ProgramInfo | None] = active_program
    implanted_pump: Callable[[Session, int], PumpInfo | None] = implanted_pump
    refill_dates: Callable[..., RefillInfo | None] = refill_dates
    next_appointment: Callable[[Session, int], Appointment | None] = next_appointment
    patient_goals: Callable[[Session, int], tuple[str, ...]] = patient_goals
    evaluation_findings: Callable[[Session, int], tuple[DisciplineFinding, ...]] = (
        evaluation_findings
    )
    scale_comparisons: Callable[[Session, int], tuple[ScaleComparison, ...]] = scale_comparisons
    screening_summary: Callable[[Session, int], ScreeningSummary | None] = screening_summary
    candidacy_summary: Callable[..., CandidacySummary | None] = candidacy_summary
    load_meeting: Callable[[Session, dt.date], StoredMeeting | None] = load_meeting
    refill_list_patient_ids: Callable[[Session, dt.date], list[int]] = refill_list_patient_ids


DEFAULT_SOURCES = Sources()


def _now(now: dt.datetime | None) -> dt.datetime:
    return now if now is not None else dt.datetime.now(dt.UTC)


def patient_info(view: PatientView) -> PatientInfo:
    return PatientInfo(
        family_name=view.family_name,
        given_names=view.given_names,
        mrn=view.mrn,
        date_of_birth=view.date_of_birth,
        preferred_language=view.preferred_language or "en",
    )


def clinic_info(settings: ClinicSettings) -> ClinicInfo:
    return ClinicInfo(
        name=settings.clinic_name,
        phone=settings.clinic_phone,
        emergency_phone=settings.emergency_phone,
        address=settings.clinic_address,
    )


def team_contacts(view: PatientView) -> tuple[TeamContact, ...]:
    return tuple(TeamContact(m.discipline, m.full_name, m.phone) for m in view.team)


def gather_care_plan(
    session: Session,
    actor: Actor,
    patient_id: int,
    *,
    now: dt.datetime | None = None,
    language: str | None = None,
    sources: Sources = DEFAULT_SOURCES,
) -> CarePlanInput:
    """Everything the handout prints for one patient; permission: print reports."""
    require(actor, Permission.PRINT_REPORTS)
    view = get_patient(session, actor, patient_id)
    settings = load_settings(session)
    program = sources.active_program(session, patient_id)
    return CarePlanInput(
        patient=patient_info(view),
        clinic=clinic_info(settings),
        generated_at=_now(now),
        generated_by=actor.display,
        page_size=settings.page_size,
        language=language,
        pump=sources.implanted_pump(session, patient_id),
        program=program,
        refill=sources.refill_dates(session, patient_id, program, settings),
        next_appointment=sources.next_appointment(session, patient_id),
        team=team_contacts(view),
        goals=sources.patient_goals(session, patient_id),
    )


def gather_evaluation_summary(
    session: Session,
    actor: Actor,
    patient_id: int,
    *,
    now: dt.datetime | None = None,
    sources: Sources = DEFAULT_SOURCES,
) -> EvaluationSummaryInput:
    require(actor, Permission.PRINT_REPORTS)
    view = get_patient(session, actor, patient_id)
    settings = load_settings(session)
    return EvaluationSummaryInput(
        patient=patient_info(view),
        clinic_name=settings.clinic_name,
        generated_at=_now(now),
        generated_by=actor.display,
        page_size=settings.page_size,
        findings=sources.evaluation_findings(session, patient_id),
        required=required_disciplines(settings),
        scales=sources.scale_comparisons(session, patient_id),
        screening=sources.screening_summary(session, patient_id),
        candidacy=sources.candidacy_summary(session, patient_id, settings),
        diagnosis=view.diagnosis,
        origin=view.origin.label if view.origin else "",
    )


def _user_names(session: Session, ids: Iterable[int | str]) -> dict[int, str]:
    wanted = {int(i) for i in ids if str(i).isdigit()}
    if not wanted:
        return {}
    rows = session.execute(select(User.id, User.full_name).where(User.id.in_(wanted))).all()
    return dict(rows)


def _patients(session: Session, ids: Iterable[int | str]) -> dict[int, PatientInfo]:
    wanted = {int(i) for i in ids if str(i).isdigit()}
    if not wanted:
        return {}
    rows = session.scalars(select(Patient).where(Patient.id.in_(wanted))).all()
    return {
        p.id: PatientInfo(
            p.family_name, p.given_names, p.mrn, p.date_of_birth, p.preferred_language
        )
        for p in rows
    }


def minutes_from_meeting(
    session: Session,
    stored: StoredMeeting,
    *,
    settings: ClinicSettings,
    generated_by: str,
    now: dt.datetime | None = None,
) -> MeetingMinutesInput:
    """Names of the people present and of each patient on the agenda, read from the store."""
    meeting = stored.meeting
    names = _user_names(session, (a.user_id for a in meeting.attendees))
    people = _patients(session, (i.patient_id for i in meeting.agenda))
    attendees = tuple(
        MeetingAttendee(names.get(int(a.user_id), f"User {a.user_id}"), a.discipline)
        for a in meeting.attendees
    )
    items = []
    for item in meeting.agenda:
        patient = people.get(int(item.patient_id)) if str(item.patient_id).isdigit() else None
        if patient is None:
            patient = PatientInfo("Patient record not found", "", str(item.patient_id))
        decision = stored.decisions.get(item.decision_id) if item.decision_id is not None else None
        items.append(
            MinutesItem(
                patient=patient,
                origin=item.origin,
                outcome=item.outcome,
                decision=decision,
                candidacy_status=stored.statuses.get(item.patient_id),
                note=item.note,
            )
        )
    return MeetingMinutesInput(
        clinic_name=settings.clinic_name,
        held_on=meeting.held_on,
        generated_at=_now(now),
        generated_by=generated_by,
        status=meeting.status,
        attendees=attendees,
        items=tuple(items),
        settings=settings,
        page_size=settings.page_size,
    )


def gather_meeting_minutes(
    session: Session,
    actor: Actor,
    held_on: dt.date,
    *,
    now: dt.datetime | None = None,
    sources: Sources = DEFAULT_SOURCES,
) -> MeetingMinutesInput:
    require(actor, Permission.PRINT_REPORTS)
    stored = sources.load_meeting(session, held_on)
    if stored is None:
        raise NotFound(f"No team meeting is recorded on {format_date(held_on)}.")
    return minutes_from_meeting(
        session, stored, settings=load_settings(session), generated_by=actor.display, now=now
    )


def refill_list(
    session: Session, actor: Actor, day: dt.date, *, sources: Sources = DEFAULT_SOURCES
) -> list[int]:
    """Patient ids on the refill list of ``day`` (for the batch of care plans)."""
    require(actor, Permission.PRINT_REPORTS)
    return list(sources.refill_list_patient_ids(session, day))
