"""Gather what a printed report needs from the store, as the plain inputs of ``reports``.

The patient, the treatment team with roles and phones, the clinic's settings (name, phones,
paper size), who prints and when; and, each through one small named function that calls the
service owning the records (never SQL here):
- pump programs and implants (``services.programs``, ``services.pumps``): ``active_program``,
  ``implanted_pump``
- refills (``services.refills``, ``services.recalls``): ``refill_dates``, ``next_appointment``,
  ``refill_list_patient_ids``
- evaluations, screening, candidacy, meetings: ``patient_goals``, ``evaluation_findings``,
  ``scale_comparisons``, ``screening_summary``, ``candidacy_summary``, ``load_meeting``
Whatever is not recorded comes back empty and the report prints a visible "ask your clinic"
gap. ``Sources`` lets a test or a benchmark replace any of them.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from carecoord.domain.candidacy import CandidacyStatus
from carecoord.domain.decisions import TeamDecision
from carecoord.domain.enums import Discipline
from carecoord.domain.evaluations import current_signed, required_disciplines
from carecoord.domain.meetings import Meeting
from carecoord.domain.permissions import Permission
from carecoord.domain.program_status import ProgramStatus
from carecoord.domain.screening import AdverseEvent, ResponseStatus
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
from carecoord.services import (
    audit,
    candidacy,
    evaluations,
    meetings,
    programs,
    pumps,
    recalls,
    refills,
)
from carecoord.services.context import Actor, require
from carecoord.services.errors import NotFound, ServiceError
from carecoord.services.patients import PatientView, get_patient
from carecoord.services.programs import ProgramView
from carecoord.services.settings import load_settings
from carecoord.store.models import Patient, User

# ---------------------------------------------------------------------------------------------
# The parts other features store, each read through the service that owns it. The gather
# functions below check the permission to print once; these take the same actor so that the
# feature services keep their own checks.


def _program_info(view: ProgramView, on_device: bool, newer: ProgramView | None) -> ProgramInfo:
    return ProgramInfo(
        view.program,
        view.number,
        on_device,
        newer_version=newer.number if newer is not None else None,
    )


def active_program(session: Session, actor: Actor, patient_id: int) -> ProgramInfo | None:
    """The program a care plan prints, its version and whether it is on the device.

    The plan shows the program in force: the last one confirmed as programmed on the device.
    When a newer version is approved or drafted but not yet programmed, the plan still shows
    the one in force (that is what the pump delivers) and says that a newer one is waiting.
    With no program in force yet, an approved program is printed with the DRAFT watermark;
    a draft nobody has approved is never printed as instructions.
    """
    versions = programs.programs_of(session, actor, patient_id)  # newest first
    in_force = next((v for v in versions if v.status is ProgramStatus.PROGRAMMED), None)
    waiting = [
        v
        for v in versions
        if v.status in (ProgramStatus.DRAFT, ProgramStatus.APPROVED)
        and (in_force is None or v.number > in_force.number)
    ]
    if in_force is not None:
        return _program_info(in_force, True, waiting[0] if waiting else None)
    approved = next((v for v in waiting if v.status is ProgramStatus.APPROVED), None)
    if approved is not None:
        return _program_info(approved, False, None)
    return None


def implanted_pump(session: Session, actor: Actor, patient_id: int) -> PumpInfo | None:
    """The implanted pump's model name and reservoir size (from the device catalog)."""
    implant = pumps.active_implant(session, patient_id)
    if implant is None:
        return None
    if implant.device is None:
        return PumpInfo(implant.device_label, None)
    device = implant.device
    # The catalog name carries the size ("SynchroMed II 20 mL"); the handout says it once.
    name = re.sub(r"\s*\d+(\.\d+)?\s*mL$", "", device.name).strip() or device.name
    numbers = ", ".join(device.model_numbers)
    word = "model" if len(device.model_numbers) == 1 else "models"
    model = f"{device.manufacturer} {name}" + (f" ({word} {numbers})" if numbers else "")
    return PumpInfo(model, device.reservoir_ml)


def refill_dates(
    session: Session,
    actor: Actor,
    patient_id: int,
    program: ProgramInfo | None,
    settings: ClinicSettings,
) -> RefillInfo | None:
    """Refill-by and alarm dates after the last fill, as the refill feature forecasts them.

    The forecast counts from the real last refill (or the reservoir volume recorded when the
    first program was confirmed) through every program in force since, so it is the pump's
    real schedule even while a newer program waits to be programmed.
    """
    forecast = refills.current_forecast(session, patient_id)
    if forecast is None or forecast.due_date is None:
        return None
    return RefillInfo(forecast.due_date, forecast.alarm_date, forecast.fill_date)


def next_appointment(session: Session, actor: Actor, patient_id: int) -> Appointment | None:
    """The next booked refill visit, in the clinic's time zone."""
    booked = recalls.appointments(session, actor, patient_id=patient_id)
    if not booked:
        return None
    local = booked[0].starts_at.astimezone(programs.clinic_zone())
    return Appointment(local.date(), local.time().replace(second=0, microsecond=0))


def refill_list_patient_ids(session: Session, actor: Actor, day: dt.date) -> list[int]:
    """Patients whose refill is booked or due on ``day`` (the batch "tomorrow's refill list")."""
    return refills.refill_list_ids(session, day, programs.clinic_zone())


def patient_goals(session: Session, actor: Actor, patient_id: int) -> tuple[str, ...]:
    """The goals the team documented before screening.

    The goals recorded one by one on the candidacy page (the ones scored with GAS) come first;
    without them, the goals the physiatrist wrote in the evaluation.
    """
    goals = candidacy.list_goals(session, actor, patient_id).goals
    if goals:
        return tuple(g.description for g in goals if g.description.strip())
    physiatrist = current_signed(evaluations.domain_versions(session, patient_id)).get(
        Discipline.PHYSIATRIST
    )
    text = str(physiatrist.values.get("goals") or "") if physiatrist is not None else ""
    return tuple(line.strip(" -•\t") for line in text.splitlines() if line.strip(" -•\t"))


def evaluation_findings(
    session: Session, actor: Actor, patient_id: int
) -> tuple[DisciplineFinding, ...]:
    """Each discipline's evaluation in force; a discipline with only a draft shows the draft."""
    views = evaluations.list_evaluations(session, actor, patient_id)
    out: list[DisciplineFinding] = []
    for discipline in Discipline:
        mine = [v for v in views if v.discipline is discipline]
        chosen = next((v for v in mine if v.in_force), None) or (mine[-1] if mine else None)
        if chosen is None:
            continue
        who = chosen.signed_by_name or chosen.author_name
        out.append(DisciplineFinding.from_evaluation(chosen.domain(), who))
    return tuple(out)


def _clinic_day(at: dt.datetime) -> dt.date:
    return at.astimezone(programs.clinic_zone()).date()


def _chosen_trial(summary: candidacy.ScreeningSummary) -> candidacy.TrialView | None:
    """The trial the team judges by: the last positive one, else the last one given."""
    positive = [t for t in summary.trials if t.response.status is ResponseStatus.POSITIVE]
    if positive:
        return positive[-1]
    return summary.trials[-1] if summary.trials else None


def scale_comparisons(
    session: Session, actor: Actor, patient_id: int
) -> tuple[ScaleComparison, ...]:
    """Modified Ashworth before the screening dose and at its best post-dose assessment."""
    trial = _chosen_trial(candidacy.screening_summary(session, actor, patient_id))
    if trial is None or trial.trial.baseline is None or trial.trial.baseline.mas is None:
        return ()
    base = trial.trial.baseline.mas
    best = trial.response.best
    after = None
    if best is not None:
        after = next(
            (a.mas for a in trial.trial.post_dose if a.taken_at == best.taken_at and a.mas),
            None,
        )
    top = Decimal(4)  # the Modified Ashworth Scale runs 0 to 4
    out = [
        ScaleComparison(
            "Ashworth mean", base.mean(), after.mean() if after else None, scale_max=top
        )
    ]
    after_by_key = after.by_key() if after else {}
    for rating in base.ratings:
        later = after_by_key.get(rating.key)
        out.append(
            ScaleComparison(
                f"{rating.muscle_group} ({rating.side.value})",
                rating.value,
                later.value if later else None,
                before_label=rating.grade,
                after_label=later.grade if later else "",
                scale_max=top,
            )
        )
    return tuple(out)


def screening_summary(session: Session, actor: Actor, patient_id: int) -> ScreeningSummary | None:
    """The trial the team judges by, its response in words and its adverse events."""
    summary = candidacy.screening_summary(session, actor, patient_id)
    trial = _chosen_trial(summary)
    if trial is None:
        return None
    response = f"{trial.response.status.label}. {trial.response.words}"
    earlier = tuple(
        f"{t.trial.dose_words} on {format_date(_clinic_day(t.trial.given_at))}: "
        f"{t.response.status.label.lower()}"
        for t in summary.trials
        if t is not trial
    )
    return ScreeningSummary(
        earlier_trials=earlier,
        dose_words=trial.trial.dose_words,
        given_on=_clinic_day(trial.trial.given_at),
        response_words=response,
        adverse_events=tuple(
            AdverseEvent(e.event).label + (f": {e.details}" if e.details else "")
            for e in trial.trial.adverse_events
        ),
    )


def candidacy_summary(
    session: Session, actor: Actor, patient_id: int, settings: ClinicSettings
) -> CandidacySummary | None:
    """``CandidacySummary.from_assessment(assess_candidacy(snapshot, settings))``."""
    return CandidacySummary.from_assessment(candidacy.candidacy(session, actor, patient_id))


@dataclass(frozen=True)
class StoredMeeting:
    """A meeting as the meetings feature stores it, with its decisions and statuses."""

    meeting: Meeting
    decisions: Mapping[int | str, TeamDecision]  # by decision id
    statuses: Mapping[int | str, CandidacyStatus]  # by patient id, at the meeting


def load_meeting(session: Session, actor: Actor, held_on: dt.date) -> StoredMeeting | None:
    """The meeting held on that day with its decisions; each patient's candidacy status is
    assessed as of the meeting day from the records as they stand now."""
    found = meetings.stored_meeting_on(session, actor, held_on)
    if found is None:
        return None
    meeting, decisions = found
    statuses: dict[int | str, CandidacyStatus] = {}
    for item in meeting.agenda:
        if item.decision_id is not None:
            statuses[item.patient_id] = candidacy.assess(
                session, int(item.patient_id), held_on
            ).status
    return StoredMeeting(meeting, decisions, statuses)


# ---------------------------------------------------------------------------------------------
# What exists today.


@dataclass(frozen=True)
class Sources:
    """The functions above, replaceable in one place (tests give recorded data)."""

    active_program: Callable[[Session, Actor, int], ProgramInfo | None] = active_program
    implanted_pump: Callable[[Session, Actor, int], PumpInfo | None] = implanted_pump
    refill_dates: Callable[..., RefillInfo | None] = refill_dates
    next_appointment: Callable[[Session, Actor, int], Appointment | None] = next_appointment
    patient_goals: Callable[[Session, Actor, int], tuple[str, ...]] = patient_goals
    evaluation_findings: Callable[[Session, Actor, int], tuple[DisciplineFinding, ...]] = (
        evaluation_findings
    )
    scale_comparisons: Callable[[Session, Actor, int], tuple[ScaleComparison, ...]] = (
        scale_comparisons
    )
    screening_summary: Callable[[Session, Actor, int], ScreeningSummary | None] = screening_summary
    candidacy_summary: Callable[..., CandidacySummary | None] = candidacy_summary
    load_meeting: Callable[[Session, Actor, dt.date], StoredMeeting | None] = load_meeting
    refill_list_patient_ids: Callable[[Session, Actor, dt.date], list[int]] = (
        refill_list_patient_ids
    )


DEFAULT_SOURCES = Sources()


def _now(now: dt.datetime | None) -> dt.datetime:
    return now if now is not None else dt.datetime.now(dt.UTC)


def audit_head(session: Session) -> tuple[int, str]:
    """The audit chain head now, for a printed footer: event number, first 12 hash digits."""
    head = audit.current_head(session)
    return head.seq, head.hash[:12]


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


class NoPumpInPlace(ServiceError):
    """A pump handout was asked for a patient with no implant in place."""


def gather_care_plan(
    session: Session,
    actor: Actor,
    patient_id: int,
    *,
    now: dt.datetime | None = None,
    language: str | None = None,
    for_day: dt.date | None = None,
    sources: Sources = DEFAULT_SOURCES,
) -> CarePlanInput:
    """Everything the handout prints for one patient; permission: print reports.

    ``for_day``: the refill day a batch is printed for (the handout's dates are said relative
    to it, "due today" on that day). Refused for a patient with no pump in place: the care
    plan and its wallet card ("I have a baclofen pump") would say the patient has one.
    """
    require(actor, Permission.PRINT_REPORTS)
    view = get_patient(session, actor, patient_id)
    pump = sources.implanted_pump(session, actor, patient_id)
    if pump is None:
        raise NoPumpInPlace(
            f"{view.display_name} has no pump recorded as implanted: the pump care plan and "
            "wallet card are only for patients with a pump in place. Print the evaluation "
            "summary instead."
        )
    settings = load_settings(session)
    program = sources.active_program(session, actor, patient_id)
    return CarePlanInput(
        patient=patient_info(view),
        clinic=clinic_info(settings),
        generated_at=_now(now),
        generated_by=actor.display,
        page_size=settings.page_size,
        language=language,
        for_day=for_day,
        pump=pump,
        program=program,
        refill=sources.refill_dates(session, actor, patient_id, program, settings),
        next_appointment=sources.next_appointment(session, actor, patient_id),
        team=team_contacts(view),
        goals=sources.patient_goals(session, actor, patient_id),
        audit_head=audit_head(session),
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
    program = sources.active_program(session, actor, patient_id)
    return EvaluationSummaryInput(
        patient=patient_info(view),
        clinic_name=settings.clinic_name,
        generated_at=_now(now),
        generated_by=actor.display,
        page_size=settings.page_size,
        findings=sources.evaluation_findings(session, actor, patient_id),
        required=required_disciplines(settings),
        scales=sources.scale_comparisons(session, actor, patient_id),
        screening=sources.screening_summary(session, actor, patient_id),
        candidacy=sources.candidacy_summary(session, actor, patient_id, settings),
        diagnosis=view.diagnosis,
        origin=view.origin.label if view.origin else "",
        program_version=program.version if program is not None else None,
        audit_head=audit_head(session),
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
        audit_head=audit_head(session),
        patient_ids=tuple(int(i.patient_id) for i in meeting.agenda if str(i.patient_id).isdigit()),
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
    stored = sources.load_meeting(session, actor, held_on)
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
    return list(sources.refill_list_patient_ids(session, actor, day))


# What a regulator asks the audit to show of every disclosure (ASTM E2147): which document,
# about whom, how it left the system (printed, saved as a file), by whom and when.
DOCUMENT_WORDS = {
    "care_plan": "care plan",
    "evaluation_summary": "evaluation summary",
    "meeting_minutes": "minutes",
}
PRINTED, SAVED = "print", "export"


def record_disclosure(
    session: Session,
    actor: Actor,
    document: str,
    how: str,
    *,
    patient_id: int | None = None,
    meeting_on: dt.date | None = None,
    pages: int | None = None,
    file_name: str = "",
    patient_ids: Iterable[int] = (),
) -> None:
    """An audit event for a printed or saved document (``how``: PRINTED or SAVED)."""
    require(actor, Permission.PRINT_REPORTS)
    words = DOCUMENT_WORDS.get(document, document.replace("_", " "))
    if patient_id is not None:
        p = session.get(Patient, patient_id)
        whom = (
            f"{p.family_name.upper()}, {p.given_names} ({p.mrn})" if p else f"patient {patient_id}"
        )
        subject = f"the {words} of {whom}"
    elif meeting_on is not None:
        subject = f"the {words} of the team meeting of {format_date(meeting_on)}"
    else:
        subject = f"the {words}"
    verb = "Printed" if how == PRINTED else "Saved"
    summary = f"{verb} {subject}"
    if pages:
        summary += f", {pages} page{'s' if pages != 1 else ''}"
    if how != PRINTED:
        summary += f", as the file {file_name}" if file_name else ", as a file"
    others = sorted(set(patient_ids) - {patient_id} if patient_id is not None else set(patient_ids))
    audit.record(
        session,
        actor,
        action=how,
        entity="report",
        entity_id=document,
        patient_id=patient_id,
        summary=summary,
        after={
            "document": document,
            "pages": pages,
            "file": file_name,
            **({"meeting": meeting_on} if meeting_on else {}),
            **({"patients": others} if others else {}),
        },
    )
    session.commit()
