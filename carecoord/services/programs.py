"""Pump programs: draft, approve (physiatrist), confirm as programmed on the device, withdraw.

Each change of a program is a new numbered version. A program is never edited after approval;
the one programmed on the device is the one in force, and the previous one is kept as
superseded. Drafts and approved programs not yet programmed stay listed until finished or
withdrawn (CLINICAL.md section 4: unfinished programming sessions caused withdrawal).
"""

from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from carecoord.domain.enums import Origin
from carecoord.domain.errors import Problem, Severity, ValidationFailed, errors_only
from carecoord.domain.patients import age_on, clean_text
from carecoord.domain.permissions import Permission
from carecoord.domain.program import (
    Program,
    PumpMode,
    dose_per_day_by_weekday,
    local_midnight,
    program_from_dict,
    program_to_dict,
    validate_program,
)
from carecoord.domain.program_safety import (
    PatientContext,
    Phase,
    blocking_problems,
    check_program,
    is_increase,
)
from carecoord.domain.program_status import ProgramStatus
from carecoord.domain.refills import (
    AlarmVolume,
    ProgramPeriod,
    choose_alarm_volume,
    forecast_refill,
)
from carecoord.domain.settings import ClinicSettings
from carecoord.domain.units import format_date, format_ml, format_number
from carecoord.services import audit
from carecoord.services.context import Actor, require
from carecoord.services.errors import ConflictError, NotFound
from carecoord.services.pumps import ImplantView, active_implant, patient_alarm_volume
from carecoord.services.settings import load_settings
from carecoord.store.models import Patient, User
from carecoord.store.models_pump import PumpProgram

MAX_NOTE = 4000
# A programming time this far ahead of the workstation clock is a typing error.
CLOCK_TOLERANCE = dt.timedelta(minutes=5)


def clinic_zone() -> dt.tzinfo:
    """The clinic's time zone: $TZ, else the system's named zone, else its current offset."""
    names = [os.environ.get("TZ", "").lstrip(":")]
    try:
        link = Path("/etc/localtime").resolve()
        if "zoneinfo" in link.parts:
            names.append("/".join(link.parts[link.parts.index("zoneinfo") + 1 :]))
    except OSError:
        pass
    for name in names:
        if name:
            try:
                return ZoneInfo(name)
            except (ZoneInfoNotFoundError, ValueError):
                continue
    return dt.datetime.now().astimezone().tzinfo or dt.UTC


# --------------------------------------------------------------------------------------------
# Views


@dataclass(frozen=True)
class ProgramView:
    id: int
    patient_id: int
    implant_id: int | None
    number: int
    status: ProgramStatus
    program: Program
    phase: Phase
    based_on_id: int | None
    note: str
    reason: str
    acknowledged: tuple[str, ...]
    created_by: str
    created_at: dt.datetime
    approved_by: str
    approved_at: dt.datetime | None
    programmed_by: str
    programmed_at: dt.datetime | None
    reservoir_ml: Decimal | None
    vendor_alarm_date: dt.date | None
    our_alarm_date: dt.date | None
    superseded_at: dt.datetime | None
    withdrawn_by: str
    withdrawn_at: dt.datetime | None
    withdrawn_reason: str
    version: int

    @property
    def title(self) -> str:
        return f"Program {self.number}"

    @property
    def alarm_mismatch_days(self) -> int | None:
        """Vendor minus our alarm date in days; None when either is missing."""
        if self.vendor_alarm_date is None or self.our_alarm_date is None:
            return None
        return (self.vendor_alarm_date - self.our_alarm_date).days

    @property
    def alarm_mismatch(self) -> bool:
        return bool(self.alarm_mismatch_days)

    @property
    def alarm_mismatch_text(self) -> str:
        days = self.alarm_mismatch_days
        if not days:
            return ""
        later = "later" if days > 0 else "earlier"
        n = abs(days)
        return (
            f"The programmer's alarm date ({format_date(self.vendor_alarm_date)}) is {n} "
            f"day{'s' if n != 1 else ''} {later} than CareCoord's "
            f"({format_date(self.our_alarm_date)}): check the reservoir volume and the program "
            "entered on the programmer."
        )

    @property
    def dose_range_mcg_per_day(self) -> tuple[Decimal, Decimal]:
        doses = dose_per_day_by_weekday(self.program)
        return min(doses.values()), max(doses.values())


@dataclass(frozen=True)
class UnfinishedProgram:
    """One line of "Programs not finished" (dashboard and patient)."""

    program_id: int
    patient_id: int
    mrn: str
    patient_name: str
    number: int
    status: ProgramStatus
    created_at: dt.datetime
    created_by: str
    approved_at: dt.datetime | None
    approved_by: str


def _names(session: Session, *ids: int | None) -> dict[int, str]:
    wanted = {i for i in ids if i}
    if not wanted:
        return {}
    rows = session.execute(select(User.id, User.full_name).where(User.id.in_(wanted))).all()
    return {r.id: r.full_name for r in rows}


def _view(session: Session, row: PumpProgram) -> ProgramView:
    names = _names(
        session, row.created_by_id, row.approved_by_id, row.programmed_by_id, row.withdrawn_by_id
    )
    return ProgramView(
        id=row.id,
        patient_id=row.patient_id,
        implant_id=row.implant_id,
        number=row.number,
        status=ProgramStatus(row.status),
        program=program_from_dict(json.loads(row.program_json)),
        phase=Phase(row.phase),
        based_on_id=row.based_on_id,
        note=row.note,
        reason=row.reason,
        acknowledged=tuple(json.loads(row.acknowledged_json or "[]")),
        created_by=names.get(row.created_by_id or 0, ""),
        created_at=row.created_at,
        approved_by=names.get(row.approved_by_id or 0, ""),
        approved_at=row.approved_at,
        programmed_by=names.get(row.programmed_by_id or 0, ""),
        programmed_at=row.programmed_at,
        reservoir_ml=row.reservoir_ml,
        vendor_alarm_date=row.vendor_alarm_date,
        our_alarm_date=row.our_alarm_date,
        superseded_at=row.superseded_at,
        withdrawn_by=names.get(row.withdrawn_by_id or 0, ""),
        withdrawn_at=row.withdrawn_at,
        withdrawn_reason=row.withdrawn_reason,
        version=row.version,
    )


def _summary(row: PumpProgram) -> dict[str, object]:
    """What the audit keeps of a program: its status and its content."""
    return {
        "number": row.number,
        "status": row.status,
        "program": json.loads(row.program_json),
        "phase": row.phase,
        "note": row.note,  # compared to tell an edit from none: a note-only edit is saved
        "reason": row.reason,
    }


# --------------------------------------------------------------------------------------------
# Queries


def _active_row(session: Session, patient_id: int) -> PumpProgram | None:
    return session.scalars(
        select(PumpProgram)
        .where(
            PumpProgram.patient_id == patient_id,
            PumpProgram.status == ProgramStatus.PROGRAMMED.value,
        )
        .order_by(PumpProgram.programmed_at.desc())
        .limit(1)
    ).first()


def active_program(session: Session, patient_id: int) -> ProgramView | None:
    """The program the pump runs now (the last one confirmed as programmed), or None."""
    row = _active_row(session, patient_id)
    return None if row is None else _view(session, row)


def get_program(session: Session, actor: Actor, program_id: int) -> ProgramView:
    require(actor, Permission.VIEW_PATIENTS)
    return _view(session, _row(session, program_id))


def programs_of(session: Session, actor: Actor, patient_id: int) -> list[ProgramView]:
    """Every version of the patient's program, newest first."""
    require(actor, Permission.VIEW_PATIENTS)
    rows = session.scalars(
        select(PumpProgram)
        .where(PumpProgram.patient_id == patient_id)
        .order_by(PumpProgram.number.desc())
    ).all()
    return [_view(session, r) for r in rows]


def _aware(value: dt.datetime | dt.date, tz: dt.tzinfo) -> dt.datetime:
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            raise ValueError("Times must be timezone-aware.")
        return value
    return local_midnight(value, tz)


def programs_in_force(
    session: Session,
    patient_id: int,
    start: dt.datetime | dt.date,
    end: dt.datetime | dt.date,
) -> list[ProgramPeriod]:
    """Every programmed program in force at some time in [start, end), oldest first.

    Each period starts when the program was confirmed on the device; the first one may start
    before ``start`` (it was already running then). Dates count from local midnight.
    """
    tz = clinic_zone()
    begin, finish = _aware(start, tz), _aware(end, tz)
    rows = session.scalars(
        select(PumpProgram)
        .where(
            PumpProgram.patient_id == patient_id,
            PumpProgram.status.in_(
                [ProgramStatus.PROGRAMMED.value, ProgramStatus.SUPERSEDED.value]
            ),
            PumpProgram.programmed_at.is_not(None),
            PumpProgram.programmed_at < finish,
        )
        .order_by(PumpProgram.programmed_at)
    ).all()
    periods: list[ProgramPeriod] = []
    for row in rows:
        assert row.programmed_at is not None
        if row.superseded_at is not None and row.superseded_at <= begin:
            continue
        periods.append(
            ProgramPeriod(row.programmed_at, program_from_dict(json.loads(row.program_json)))
        )
    return periods


def unfinished_programs(session: Session, limit: int = 500) -> list[UnfinishedProgram]:
    """Drafts and approved programs not yet programmed, across patients, oldest first."""
    rows = session.execute(
        select(PumpProgram, Patient.mrn, Patient.family_name, Patient.given_names)
        .join(Patient, Patient.id == PumpProgram.patient_id)
        .where(PumpProgram.status.in_([ProgramStatus.DRAFT.value, ProgramStatus.APPROVED.value]))
        .order_by(PumpProgram.created_at, PumpProgram.id)
        .limit(limit)
    ).all()
    names = _names(
        session, *(r[0].created_by_id for r in rows), *(r[0].approved_by_id for r in rows)
    )
    return [
        UnfinishedProgram(
            program_id=p.id,
            patient_id=p.patient_id,
            mrn=mrn,
            patient_name=f"{family.upper()}, {given}",
            number=p.number,
            status=ProgramStatus(p.status),
            created_at=p.created_at,
            created_by=names.get(p.created_by_id or 0, ""),
            approved_at=p.approved_at,
            approved_by=names.get(p.approved_by_id or 0, ""),
        )
        for p, mrn, family, given in rows
    ]


def _unfinished_row(session: Session, patient_id: int) -> PumpProgram | None:
    return session.scalars(
        select(PumpProgram)
        .where(
            PumpProgram.patient_id == patient_id,
            PumpProgram.status.in_([ProgramStatus.DRAFT.value, ProgramStatus.APPROVED.value]),
        )
        .limit(1)
    ).first()


def unfinished_program(session: Session, patient_id: int) -> ProgramView | None:
    """The patient's draft or approved program not yet on the pump, if any."""
    row = _unfinished_row(session, patient_id)
    return None if row is None else _view(session, row)


# --------------------------------------------------------------------------------------------
# Rules in context


def default_phase(session: Session, patient_id: int, implant: ImplantView | None = None) -> Phase:
    """The phase of the last program on the current pump; after implant for its first one."""
    implant = implant or active_implant(session, patient_id)
    if implant is None:
        return Phase.AFTER_IMPLANT
    last = session.scalars(
        select(PumpProgram.phase)
        .where(PumpProgram.patient_id == patient_id, PumpProgram.implant_id == implant.id)
        .order_by(PumpProgram.number.desc())
        .limit(1)
    ).first()
    return Phase(last) if last else Phase.AFTER_IMPLANT


def _recent_increases(session: Session, patient_id: int) -> list[dt.datetime]:
    """When each programmed dose increase took effect (for the one-per-24-h rule)."""
    rows = session.execute(
        select(PumpProgram.programmed_at, PumpProgram.program_json)
        .where(
            PumpProgram.patient_id == patient_id,
            PumpProgram.status.in_(
                [ProgramStatus.PROGRAMMED.value, ProgramStatus.SUPERSEDED.value]
            ),
            PumpProgram.programmed_at.is_not(None),
        )
        .order_by(PumpProgram.programmed_at)
    ).all()
    increases: list[dt.datetime] = []
    previous: Program | None = None
    for at, text in rows:
        program = program_from_dict(json.loads(text))
        if previous is not None and is_increase(previous, program):
            increases.append(at)
        previous = program
    return increases


@dataclass(frozen=True)
class DraftContext:
    """Everything the rules need about a patient, fetched once so a form checks every keystroke
    without the database (``problems``)."""

    patient_id: int
    patient_name: str
    origin: Origin | None
    age_years: int
    implant: ImplantView | None
    active: ProgramView | None
    unfinished: ProgramView | None
    recent_increases: tuple[dt.datetime, ...]
    default_phase: Phase
    alarm_volume_ml: Decimal
    settings: ClinicSettings
    alarm_volume: AlarmVolume | None = None  # where alarm_volume_ml comes from, and why

    def alarm_date(
        self, program: Program, programmed_on: dt.date, reservoir_ml: Decimal
    ) -> dt.date | None:
        """CareCoord's low-reservoir alarm date for ``program`` started with ``reservoir_ml``."""
        return alarm_date_for(
            program, programmed_on, reservoir_ml, self.alarm_volume_ml, self.settings
        )

    def patient_context(self, phase: Phase) -> PatientContext | None:
        if self.origin is None:
            return None
        implanted_at = None
        if self.implant is not None:
            # The recorded implant time, or the end of the implant day without one: the
            # 24-hour window then never ends before the real one (CLINICAL.md section 3 [10]).
            implanted_at = self.implant.implanted_at(clinic_zone())
        return PatientContext(self.origin, self.age_years, phase, implanted_at)

    def problems(
        self, program: Program, phase: Phase, now: dt.datetime | None = None
    ) -> list[Problem]:
        """Every problem with approving ``program`` now: device, patient, active program."""
        problems = check_program(
            program,
            active=self.active.program if self.active else None,
            device=self.implant.device if self.implant else None,
            patient=self.patient_context(phase),
            now=now or dt.datetime.now(dt.UTC),
            recent_increases=self.recent_increases,
        )
        if self.implant is None:
            problems.insert(
                0, Problem("implant", "Record the implanted pump first: a program runs on a pump.")
            )
        if self.origin is None and program.mode is not PumpMode.STOPPED:
            problems.append(
                Problem(
                    "dose_per_day",
                    "The origin of spasticity is not recorded: the usual dose range and the "
                    "titration limit cannot be checked.",
                    Severity.WARNING,
                )
            )
        return problems


def load_draft_context(session: Session, actor: Actor, patient_id: int) -> DraftContext:
    require(actor, Permission.VIEW_PATIENTS)
    return _draft_context(session, patient_id)


def _draft_context(session: Session, patient_id: int) -> DraftContext:
    patient = session.get(Patient, patient_id)
    if patient is None:
        raise NotFound("This patient no longer exists.")
    implant = active_implant(session, patient_id)
    unfinished = _unfinished_row(session, patient_id)
    settings = load_settings(session)
    alarm = choose_alarm_volume(
        settings, implant.device if implant else None, patient_alarm_volume(session, patient_id)
    )
    return DraftContext(
        patient_id=patient_id,
        patient_name=f"{patient.family_name.upper()}, {patient.given_names}",
        origin=Origin(patient.origin) if patient.origin else None,
        age_years=age_on(patient.date_of_birth, dt.date.today()),
        implant=implant,
        active=active_program(session, patient_id),
        unfinished=_view(session, unfinished) if unfinished else None,
        recent_increases=tuple(_recent_increases(session, patient_id)),
        default_phase=default_phase(session, patient_id, implant),
        alarm_volume_ml=alarm.volume_ml,
        settings=settings,
        alarm_volume=alarm,
    )


def check_against_active(
    session: Session,
    patient_id: int,
    program: Program,
    phase: Phase,
    now: dt.datetime | None = None,
) -> list[Problem]:
    """Every problem with approving ``program`` now: device, patient, active program."""
    return _draft_context(session, patient_id).problems(program, phase, now)


# --------------------------------------------------------------------------------------------
# Changes


def _row(session: Session, program_id: int) -> PumpProgram:
    row = session.get(PumpProgram, program_id)
    if row is None:
        raise NotFound("This program no longer exists.")
    return row


def _conflict(session: Session, row: PumpProgram) -> ConflictError:
    last = audit.last_change(session, "pump_program", row.id)
    return ConflictError(
        entity_label=f"program {row.number}",
        changed_by=last.actor if last else "Someone",
        changed_at=dt.datetime.fromisoformat(last.at) if last else None,
        current_version=row.version,
        current=_summary(row),
    )


def _check_version(session: Session, row: PumpProgram, expected_version: int) -> None:
    if row.version != expected_version:
        raise _conflict(session, row)


def _flush(session: Session, program_id: int) -> None:
    try:
        session.flush()
    except StaleDataError:
        session.rollback()
        raise _conflict(session, _row(session, program_id)) from None


def _clean_note(text: str, field_name: str) -> str:
    text = clean_text(text)
    if len(text) > MAX_NOTE:
        raise ValidationFailed.single(field_name, f"Keep this under {MAX_NOTE} characters.")
    return text


def save_draft(
    session: Session,
    actor: Actor,
    patient_id: int,
    program: Program,
    *,
    phase: Phase | None = None,
    note: str = "",
    reason: str = "",
    program_id: int | None = None,
    expected_version: int | None = None,
    now: dt.datetime | None = None,
) -> ProgramView:
    """Save a new draft, or edits of an existing draft made on ``expected_version``.

    Refused: anything the rules refuse (errors), a second unfinished program for the patient,
    a patient with no implanted pump. Warnings and reasons are checked at approval.
    """
    require(actor, Permission.DRAFT_PROGRAM)
    patient = session.get(Patient, patient_id)
    if patient is None:
        raise NotFound("This patient no longer exists.")
    note = _clean_note(note, "note")
    reason = _clean_note(reason, "reason")
    phase = phase or default_phase(session, patient_id)
    problems = check_against_active(session, patient_id, program, phase)
    errors = [p for p in problems if p.severity is Severity.ERROR]
    if errors:
        raise ValidationFailed(errors)
    implant = active_implant(session, patient_id)
    assert implant is not None  # refused above when missing
    content = json.dumps(program_to_dict(program), sort_keys=True)
    if program_id is None:
        pending = _unfinished_row(session, patient_id)
        if pending is not None:
            raise ValidationFailed.single(
                "program",
                f"Program {pending.number} ({ProgramStatus(pending.status).label.lower()}) is "
                "not finished: open it, or withdraw it, before starting another.",
            )
        number = 1 + (
            session.scalars(
                select(PumpProgram.number)
                .where(PumpProgram.patient_id == patient_id)
                .order_by(PumpProgram.number.desc())
                .limit(1)
            ).first()
            or 0
        )
        active = _active_row(session, patient_id)
        row = PumpProgram(
            patient_id=patient_id,
            implant_id=implant.id,
            number=number,
            status=ProgramStatus.DRAFT.value,
            program_json=content,
            based_on_id=active.id if active else None,
            phase=phase.value,
            note=note,
            reason=reason,
            acknowledged_json="[]",
            created_by_id=actor.user_id or None,
            created_at=now or dt.datetime.now(dt.UTC),
        )
        session.add(row)
        try:
            session.flush()
        except IntegrityError as exc:  # another workstation numbered a program a moment ago
            session.rollback()
            raise ValidationFailed.single(
                "program",
                "Another program was started for this patient at the same moment: open the "
                "patient again to see it.",
            ) from exc
        audit.record(
            session,
            actor,
            action="draft",
            entity="pump_program",
            entity_id=row.id,
            patient_id=patient_id,
            summary=f"Drafted program {row.number}",
            after=_summary(row),
        )
    else:
        row = _row(session, program_id)
        if row.patient_id != patient_id:
            raise NotFound("This program belongs to another patient.")
        if row.status != ProgramStatus.DRAFT.value:
            raise ValidationFailed.single(
                "program",
                f"Program {row.number} is {ProgramStatus(row.status).label.lower()}: only a "
                "draft can be edited. Start a new draft instead.",
            )
        if expected_version is None:
            raise ValueError("expected_version is required to edit a draft")
        _check_version(session, row, expected_version)
        before = _summary(row)
        active = _active_row(session, patient_id)
        row.program_json = content
        row.phase = phase.value
        row.note = note
        row.reason = reason
        row.implant_id = implant.id
        row.based_on_id = active.id if active else None
        after = _summary(row)
        if before == after:
            session.rollback()
            return _view(session, _row(session, program_id))
        _flush(session, row.id)
        audit.record(
            session,
            actor,
            action="update",
            entity="pump_program",
            entity_id=row.id,
            patient_id=patient_id,
            summary=f"Edited draft program {row.number}",
            before=before,
            after=after,
        )
    session.commit()
    return _view(session, row)


def approve(
    session: Session,
    actor: Actor,
    program_id: int,
    expected_version: int,
    *,
    reason: str | None = None,
    now: dt.datetime | None = None,
) -> ProgramView:
    """A physiatrist approves the draft they reviewed (``expected_version``).

    Refused while a rule refuses it or needs a reason that was not given. The warnings and
    the reason are kept with the program.
    """
    require(actor, Permission.APPROVE_PROGRAM)
    row = _row(session, program_id)
    if row.status != ProgramStatus.DRAFT.value:
        raise ValidationFailed.single(
            "program",
            f"Program {row.number} is {ProgramStatus(row.status).label.lower()}: only a draft "
            "can be approved.",
        )
    _check_version(session, row, expected_version)
    active = _active_row(session, row.patient_id)
    if (active.id if active else None) != row.based_on_id:
        raise ValidationFailed.single(
            "program",
            f"The active program changed since program {row.number} was drafted: open the "
            "draft again so the review compares it with the program in force.",
        )
    if reason is not None:
        row.reason = _clean_note(reason, "reason")
    program = program_from_dict(json.loads(row.program_json))
    now = now or dt.datetime.now(dt.UTC)
    problems = check_against_active(session, row.patient_id, program, Phase(row.phase), now)
    blocking = blocking_problems(problems, row.reason)
    if blocking:
        session.rollback()
        raise ValidationFailed(blocking)
    seen = [p.message for p in problems if p.severity is not Severity.ERROR]
    row.acknowledged_json = json.dumps(seen, ensure_ascii=False)
    row.status = ProgramStatus.APPROVED.value
    row.approved_by_id = actor.user_id or None
    row.approved_at = now
    _flush(session, row.id)
    audit.record(
        session,
        actor,
        action="approve",
        entity="pump_program",
        entity_id=row.id,
        patient_id=row.patient_id,
        summary=f"Approved program {row.number}"
        + (f"; reason: {row.reason}" if row.reason else "")
        + (f"; acknowledged: {' | '.join(seen)}" if seen else ""),
        before={"status": ProgramStatus.DRAFT.value},
        after={"status": row.status, "reason": row.reason, "acknowledged": seen},
    )
    session.commit()
    return _view(session, row)


def alarm_date_for(
    program: Program,
    programmed_on: dt.date,
    reservoir_ml: Decimal,
    alarm_volume_ml: Decimal,
    settings: ClinicSettings,
) -> dt.date | None:
    """The date the reservoir reaches the alarm volume; None for a stopped pump."""
    if program.mode is PumpMode.STOPPED or errors_only(validate_program(program)):
        return None
    forecast = forecast_refill(
        programmed_on,
        reservoir_ml,
        program,
        clinic_zone(),
        settings,
        alarm_volume_ml=alarm_volume_ml,
    )
    return forecast.alarm_date


def mark_programmed(
    session: Session,
    actor: Actor,
    program_id: int,
    expected_version: int,
    *,
    programmed_at: dt.datetime,
    reservoir_ml: Decimal,
    vendor_alarm_date: dt.date | None,
) -> ProgramView:
    """Confirm an approved program was programmed on the device; it becomes the active one.

    Records who, when, the reservoir volume and the alarm date the vendor programmer printed;
    CareCoord's own alarm date is computed beside it so a mismatch shows.
    """
    require(actor, Permission.MARK_PROGRAMMED)
    row = _row(session, program_id)
    if row.status != ProgramStatus.APPROVED.value:
        raise ValidationFailed.single(
            "program",
            f"Program {row.number} is {ProgramStatus(row.status).label.lower()}: only an "
            "approved program can be marked as programmed.",
        )
    _check_version(session, row, expected_version)
    if programmed_at.tzinfo is None:
        raise ValueError("programmed_at must be timezone-aware")
    now = dt.datetime.now(dt.UTC)
    problems: list[Problem] = []
    if programmed_at > now + CLOCK_TOLERANCE:
        problems.append(Problem("programmed_at", "The programming time is in the future."))
    if row.approved_at is not None and programmed_at < row.approved_at - CLOCK_TOLERANCE:
        problems.append(
            Problem("programmed_at", "The programming time is before the program was approved.")
        )
    active = _active_row(session, row.patient_id)
    if active is not None and active.programmed_at and programmed_at <= active.programmed_at:
        problems.append(
            Problem(
                "programmed_at",
                f"The programming time must be after program {active.number} was programmed.",
            )
        )
    implant = active_implant(session, row.patient_id)
    capacity = implant.device.reservoir_ml if implant and implant.device else None
    if reservoir_ml < 0:
        problems.append(Problem("reservoir_ml", "The reservoir volume cannot be negative."))
    elif capacity is not None and reservoir_ml > capacity:
        problems.append(
            Problem(
                "reservoir_ml",
                f"The reservoir volume is more than this pump holds ({format_ml(capacity)}).",
            )
        )
    if vendor_alarm_date is not None and vendor_alarm_date < programmed_at.date():
        problems.append(
            Problem("vendor_alarm_date", "The programmer's alarm date is before programming.")
        )
    if problems:
        raise ValidationFailed(problems)
    program = program_from_dict(json.loads(row.program_json))
    context = _draft_context(session, row.patient_id)
    ours = context.alarm_date(program, programmed_at.astimezone(clinic_zone()).date(), reservoir_ml)
    if active is not None:
        active.status = ProgramStatus.SUPERSEDED.value
        active.superseded_at = programmed_at
    row.status = ProgramStatus.PROGRAMMED.value
    row.programmed_by_id = actor.user_id or None
    row.programmed_at = programmed_at
    row.reservoir_ml = reservoir_ml
    row.vendor_alarm_date = vendor_alarm_date
    row.our_alarm_date = ours
    _flush(session, row.id)
    view = _view(session, row)
    summary = (
        f"Programmed program {row.number} on the device "
        f"(reservoir {format_ml(reservoir_ml)}, programmer alarm date "
        f"{format_date(vendor_alarm_date, missing='not recorded')}, CareCoord "
        f"{format_date(ours, missing='none')})"
    )
    if view.alarm_mismatch:
        summary += f"; MISMATCH of {format_number(abs(view.alarm_mismatch_days or 0))} days"
    if active is not None:
        summary += f"; program {active.number} superseded"
    audit.record(
        session,
        actor,
        action="programmed",
        entity="pump_program",
        entity_id=row.id,
        patient_id=row.patient_id,
        summary=summary,
        before={"status": ProgramStatus.APPROVED.value},
        after={
            "status": row.status,
            "programmed_at": programmed_at,
            "reservoir_ml": reservoir_ml,
            "vendor_alarm_date": vendor_alarm_date,
            "our_alarm_date": ours,
        },
    )
    session.commit()
    return view


def withdraw(
    session: Session, actor: Actor, program_id: int, expected_version: int, reason: str
) -> ProgramView:
    """Withdraw a draft or an approved program that will not be programmed (with a reason)."""
    require(actor, Permission.DRAFT_PROGRAM)
    row = _row(session, program_id)
    if not ProgramStatus(row.status).unfinished:
        raise ValidationFailed.single(
            "program",
            f"Program {row.number} is {ProgramStatus(row.status).label.lower()}: only a draft "
            "or an approved program can be withdrawn. Change the pump with a new program.",
        )
    reason = _clean_note(reason, "withdrawn_reason")
    if not reason:
        raise ValidationFailed.single(
            "withdrawn_reason", "Give the reason for withdrawing this program."
        )
    _check_version(session, row, expected_version)
    before = row.status
    row.status = ProgramStatus.WITHDRAWN.value
    row.withdrawn_by_id = actor.user_id or None
    row.withdrawn_at = dt.datetime.now(dt.UTC)
    row.withdrawn_reason = reason
    _flush(session, row.id)
    audit.record(
        session,
        actor,
        action="withdraw",
        entity="pump_program",
        entity_id=row.id,
        patient_id=row.patient_id,
        summary=f"Withdrew program {row.number}: {reason}",
        before={"status": before},
        after={"status": row.status, "reason": reason},
    )
    session.commit()
    return _view(session, row)
