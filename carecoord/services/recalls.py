"""Recall calls and booked refill appointments, with the clinic calendar export (iCalendar).

Patients to call: refill overdue or due within the clinic's window with no visit booked by the
due date, and anyone with a recall still open. Logging the first call opens the recall; it
closes when a refill is recorded (services.refills.record_refill).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from carecoord.domain.errors import ValidationFailed
from carecoord.domain.patients import clean_text
from carecoord.domain.permissions import Permission
from carecoord.domain.refill_status import (
    AppointmentStatus,
    ContactOutcome,
    RecallStatus,
    due_words,
    is_past_alarm,
)
from carecoord.domain.units import format_date, format_datetime
from carecoord.services import audit
from carecoord.services.context import Actor, require
from carecoord.services.errors import ConflictError, NotFound
from carecoord.services.pathway import patient_or_404
from carecoord.services.programs import clinic_zone
from carecoord.services.refills import (
    CLOCK_TOLERANCE,
    DEFAULT_APPOINTMENT_MINUTES,
    MAX_NOTE,
    _store_forecast,
    current_forecast,
    refresh_stale_forecasts,
)
from carecoord.services.settings import load_settings
from carecoord.store.models import Patient, User
from carecoord.store.models_refills import (
    RecallAttempt,
    RecallEntry,
    RefillAppointment,
    RefillForecast,
)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class AttemptView:
    at: dt.datetime
    by: str
    outcome: ContactOutcome
    note: str

    @property
    def words(self) -> str:
        text = f"{format_datetime(self.at)} {self.by}: {self.outcome.label}"
        return text + (f" ({self.note})" if self.note else "")


@dataclass(frozen=True)
class RecallRow:
    patient_id: int
    mrn: str
    name: str
    phone: str
    caregiver_phone: str
    due_date: dt.date | None
    alarm_date: dt.date | None
    next_appointment_at: dt.datetime | None
    recall_id: int | None
    recall_version: int | None
    attempts: tuple[AttemptView, ...] = field(default_factory=tuple)
    today: dt.date = field(default_factory=dt.date.today)

    @property
    def status(self) -> str:
        return due_words(self.due_date, self.alarm_date, self.today)

    @property
    def past_alarm(self) -> bool:
        return is_past_alarm(self.alarm_date, self.today)

    @property
    def last_attempt(self) -> str:
        return self.attempts[-1].words if self.attempts else "Not called yet"


def recall_list(
    session: Session,
    actor: Actor,
    today: dt.date | None = None,
    limit: int = 500,
    *,
    refresh_budget_seconds: float | None = None,
) -> list[RecallRow]:
    """Patients to call, most urgent first (past the alarm date, then by due date)."""
    require(actor, Permission.VIEW_PATIENTS)
    refresh_stale_forecasts(session, budget_seconds=refresh_budget_seconds)
    settings = load_settings(session)
    tz = clinic_zone()
    today = today or dt.datetime.now(tz).date()
    window_end = today + dt.timedelta(days=settings.due_soon_days)
    f = RefillForecast.__table__.c
    open_recall = (
        select(RecallEntry.patient_id)
        .where(RecallEntry.status == RecallStatus.OPEN.value)
        .scalar_subquery()
    )
    rows = session.execute(
        select(
            Patient.id,
            Patient.mrn,
            Patient.family_name,
            Patient.given_names,
            Patient.phone,
            Patient.caregiver_phone,
            f.due_date,
            f.alarm_date,
            f.next_appointment_at,
        )
        .select_from(RefillForecast.__table__.join(Patient, Patient.id == f.patient_id))
        .where(or_(f.due_date <= window_end, f.patient_id.in_(open_recall)))
        .order_by(f.due_date, f.patient_id)
        .limit(limit * 2)
    ).all()
    candidates = []
    for r in rows:
        due = r.due_date
        booked = r.next_appointment_at
        # No visit booked on or before the due date: someone must call.
        needs_call = due is not None and (booked is None or booked.astimezone(tz).date() > due)
        candidates.append((r, needs_call))
    ids = [r.id for r, _ in candidates]
    recalls = {
        e.patient_id: e
        for e in session.scalars(
            select(RecallEntry).where(
                RecallEntry.status == RecallStatus.OPEN.value, RecallEntry.patient_id.in_(ids)
            )
        ).all()
    }
    attempts: dict[int, list[AttemptView]] = {}
    if recalls:
        names = dict(session.execute(select(User.id, User.full_name)).all())
        for a in session.scalars(
            select(RecallAttempt)
            .where(RecallAttempt.recall_id.in_([e.id for e in recalls.values()]))
            .order_by(RecallAttempt.at, RecallAttempt.id)
        ).all():
            attempts.setdefault(a.recall_id, []).append(
                AttemptView(a.at, names.get(a.by_id or 0, ""), ContactOutcome(a.outcome), a.note)
            )
    result = []
    for r, needs_call in candidates:
        entry = recalls.get(r.id)
        if not needs_call and entry is None:
            continue
        result.append(
            RecallRow(
                patient_id=r.id,
                mrn=r.mrn,
                name=f"{r.family_name.upper()}, {r.given_names}",
                phone=r.phone,
                caregiver_phone=r.caregiver_phone,
                due_date=r.due_date,
                alarm_date=r.alarm_date,
                next_appointment_at=r.next_appointment_at,
                recall_id=entry.id if entry else None,
                recall_version=entry.version if entry else None,
                attempts=tuple(attempts.get(entry.id, [])) if entry else (),
                today=today,
            )
        )
    result.sort(key=lambda row: (not row.past_alarm, row.due_date or dt.date.max, row.name))
    return result[:limit]


def _check_starts_at(starts_at: dt.datetime, now: dt.datetime) -> None:
    if starts_at.tzinfo is None:
        raise ValueError("starts_at must be timezone-aware")
    if starts_at < now - CLOCK_TOLERANCE:
        raise ValidationFailed.single("starts_at", "The appointment time is in the past.")
    if starts_at > now + dt.timedelta(days=400):
        raise ValidationFailed.single(
            "starts_at", "The appointment is more than 13 months ahead: check the year."
        )


def book_appointment(
    session: Session,
    actor: Actor,
    patient_id: int,
    starts_at: dt.datetime,
    *,
    duration_minutes: int = DEFAULT_APPOINTMENT_MINUTES,
    note: str = "",
    commit: bool = True,
) -> int:
    """Book a refill visit; returns the appointment id."""
    require(actor, Permission.LOG_RECALL)
    patient = patient_or_404(session, patient_id)
    now = _now()
    _check_starts_at(starts_at, now)
    if not 5 <= duration_minutes <= 480:
        raise ValidationFailed.single(
            "duration_minutes", "An appointment lasts between 5 minutes and 8 hours."
        )
    note = clean_text(note)
    if len(note) > MAX_NOTE:  # refused, never cut short: what was typed is what is kept
        raise ValidationFailed.single("note", f"Keep the note under {MAX_NOTE} characters.")
    row = RefillAppointment(
        patient_id=patient_id,
        starts_at=starts_at,
        duration_minutes=duration_minutes,
        status=AppointmentStatus.BOOKED.value,
        note=note,
        created_by_id=actor.user_id or None,
        created_at=now,
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor,
        action="book",
        entity="refill_appointment",
        entity_id=row.id,
        patient_id=patient_id,
        summary=f"Booked a refill visit for {patient.family_name.upper()} on "
        f"{format_datetime(starts_at)}",
        after={"starts_at": starts_at, "duration_minutes": duration_minutes, "note": note},
    )
    _store_forecast(session, patient_id, load_settings(session), None, clinic_zone(), now)
    if commit:
        session.commit()
    return row.id


def cancel_appointment(
    session: Session, actor: Actor, appointment_id: int, expected_version: int, reason: str
) -> None:
    require(actor, Permission.LOG_RECALL)
    row = session.get(RefillAppointment, appointment_id)
    if row is None:
        raise NotFound("This appointment no longer exists.")
    reason = clean_text(reason)
    if not reason:
        raise ValidationFailed.single("reason", "Give the reason for cancelling.")
    if row.status != AppointmentStatus.BOOKED.value:
        raise ValidationFailed.single("reason", "Only a booked appointment can be cancelled.")
    if row.version != expected_version:
        last = audit.last_change(session, "refill_appointment", row.id)
        raise ConflictError(
            entity_label="this appointment",
            changed_by=last.actor if last else "Someone",
            changed_at=dt.datetime.fromisoformat(last.at) if last else None,
            current_version=row.version,
            current={"status": row.status},
        )
    row.status = AppointmentStatus.CANCELLED.value
    row.note = (row.note + "\n" if row.note else "") + f"Cancelled: {reason}"
    session.flush()
    audit.record(
        session,
        actor,
        action="cancel",
        entity="refill_appointment",
        entity_id=row.id,
        patient_id=row.patient_id,
        summary=f"Cancelled the refill visit of {format_datetime(row.starts_at)}: {reason}",
        before={"status": AppointmentStatus.BOOKED.value},
        after={"status": row.status, "reason": reason},
    )
    _store_forecast(session, row.patient_id, load_settings(session), None, clinic_zone(), _now())
    session.commit()


def log_contact_attempt(
    session: Session,
    actor: Actor,
    patient_id: int,
    outcome: ContactOutcome,
    note: str = "",
    *,
    appointment_at: dt.datetime | None = None,
    at: dt.datetime | None = None,
) -> int:
    """Log a call to a patient about a refill; opens the recall if none is open. A "booked"
    outcome needs the appointment time and books it. Returns the recall id."""
    require(actor, Permission.LOG_RECALL)
    patient = patient_or_404(session, patient_id, lock=True)  # one open recall per patient
    now = _now()
    at = at or now
    if at > now + CLOCK_TOLERANCE:
        raise ValidationFailed.single("at", "The call is dated in the future.")
    note = clean_text(note)
    if len(note) > MAX_NOTE:
        raise ValidationFailed.single("note", f"Keep the note under {MAX_NOTE} characters.")
    if outcome is ContactOutcome.BOOKED and appointment_at is None:
        raise ValidationFailed.single(
            "appointment_at", "Enter the date and time of the refill visit that was booked."
        )
    entry = session.scalars(
        select(RecallEntry).where(
            RecallEntry.patient_id == patient_id, RecallEntry.status == RecallStatus.OPEN.value
        )
    ).first()
    if entry is None:
        forecast = current_forecast(session, patient_id, now)
        entry = RecallEntry(
            patient_id=patient_id,
            opened_at=now,
            opened_by_id=actor.user_id or None,
            due_date=forecast.due_date if forecast else None,
            status=RecallStatus.OPEN.value,
        )
        session.add(entry)
        session.flush()
    appointment_id = None
    if appointment_at is not None:
        appointment_id = book_appointment(
            session, actor, patient_id, appointment_at, note="Booked on a recall call", commit=False
        )
    session.add(
        RecallAttempt(
            recall_id=entry.id,
            at=at,
            by_id=actor.user_id or None,
            outcome=outcome.value,
            note=note,
            appointment_id=appointment_id,
        )
    )
    session.flush()
    audit.record(
        session,
        actor,
        action="recall_call",
        entity="recall",
        entity_id=entry.id,
        patient_id=patient_id,
        summary=f"Recall call to {patient.family_name.upper()}: {outcome.label}"
        + (f" ({note})" if note else ""),
        after={"outcome": outcome.value, "note": note, "at": at},
    )
    session.commit()
    return entry.id


@dataclass(frozen=True)
class AppointmentView:
    id: int
    patient_id: int
    mrn: str
    name: str
    starts_at: dt.datetime
    duration_minutes: int
    status: AppointmentStatus
    note: str
    version: int


def appointments(
    session: Session,
    actor: Actor,
    *,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
    patient_id: int | None = None,
) -> list[AppointmentView]:
    """Booked refill visits from ``start`` (default now) to ``end``, soonest first."""
    require(actor, Permission.VIEW_PATIENTS)
    start = start or _now() - dt.timedelta(hours=1)
    conditions = [
        RefillAppointment.status == AppointmentStatus.BOOKED.value,
        RefillAppointment.starts_at >= start,
    ]
    if end is not None:
        conditions.append(RefillAppointment.starts_at < end)
    if patient_id is not None:
        conditions.append(RefillAppointment.patient_id == patient_id)
    rows = session.execute(
        select(RefillAppointment, Patient.mrn, Patient.family_name, Patient.given_names)
        .join(Patient, Patient.id == RefillAppointment.patient_id)
        .where(and_(*conditions))
        .order_by(RefillAppointment.starts_at, RefillAppointment.id)
    ).all()
    return [
        AppointmentView(
            a.id,
            a.patient_id,
            mrn,
            f"{family.upper()}, {given}",
            a.starts_at,
            a.duration_minutes,
            AppointmentStatus(a.status),
            a.note,
            a.version,
        )
        for a, mrn, family, given in rows
    ]


def export_calendar(
    session: Session,
    actor: Actor,
    *,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
) -> bytes:
    """Booked refill visits as an iCalendar file (RFC 5545) a clinic calendar can import.

    Each event keeps a stable UID, so importing a newer export updates the same events.
    """
    require(actor, Permission.VIEW_PATIENTS)
    settings = load_settings(session)
    items = appointments(session, actor, start=start, end=end)
    # Dates for the records as stored now: stale ones recomputed first, any marked stale
    # meanwhile computed on read.
    refresh_stale_forecasts(session)
    forecasts = {pid: current_forecast(session, pid) for pid in {a.patient_id for a in items}}
    from icalendar import Calendar, Event  # only needed for an export, not at start-up

    calendar = Calendar()
    calendar.add("prodid", "-//CareCoord//Refill appointments//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", f"{settings.clinic_name}: pump refills")
    stamp = _now()
    for a in items:
        event = Event()
        event.add("uid", f"refill-appointment-{a.id}@carecoord")
        event.add("dtstamp", stamp)
        event.add("dtstart", a.starts_at.astimezone(dt.UTC))
        event.add(
            "dtend", (a.starts_at + dt.timedelta(minutes=a.duration_minutes)).astimezone(dt.UTC)
        )
        event.add("summary", f"Pump refill: {a.name} ({a.mrn})")
        forecast = forecasts.get(a.patient_id)
        lines = [f"Intrathecal baclofen pump refill for {a.name}, record {a.mrn}."]
        if forecast is not None and forecast.due_date is not None:
            lines.append(f"Refill due {format_date(forecast.due_date)}.")
        if forecast is not None and forecast.alarm_date is not None:
            lines.append(f"Low-reservoir alarm date {format_date(forecast.alarm_date)}.")
        if a.note:
            lines.append(a.note)
        event.add("description", "\n".join(lines))
        event.add("location", settings.clinic_address or settings.clinic_name)
        event.add("status", "CONFIRMED")
        calendar.add_component(event)
    return calendar.to_ical()
