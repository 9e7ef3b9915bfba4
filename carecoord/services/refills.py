"""Refills: record a refill visit, review a discrepancy, forecast dates, the clinic dashboard.

The expected residual at a refill is the volume after the previous refill minus what the
programs in force since then delivered (program changes in between included); the first refill
of a pump counts from the volume recorded when its first program was confirmed on the device.

Each patient's current alarm, due and battery dates are kept in a small ``RefillForecast`` row
(see store.models_refills), recomputed when a refill is recorded and marked stale by any other
change they depend on; the dashboard reads those rows with indexed range queries.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, case, false, func, select, true, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from carecoord.domain.devices import (
    BatteryWindow,
    DeviceModel,
    add_months,
    battery_replacement_window,
    find_device,
)
from carecoord.domain.enums import PatientStatus
from carecoord.domain.errors import (
    Problem,
    Severity,
    ValidationFailed,
    errors_only,
    raise_if_errors,
)
from carecoord.domain.patients import clean_text
from carecoord.domain.permissions import Permission
from carecoord.domain.program import Program, program_from_dict
from carecoord.domain.program_status import ProgramStatus
from carecoord.domain.ranges import alarm_volume_span, text_problems
from carecoord.domain.refill_status import (
    DRUG_NAME,
    AppointmentStatus,
    RecallStatus,
    battery_words,
    due_words,
    is_past_alarm,
)
from carecoord.domain.refills import (
    AlarmVolume,
    DueLimit,
    ProgramPeriod,
    ResidualCheck,
    check_residual,
    choose_alarm_volume,
    describe_fill,
    expected_residual_ml,
    forecast_refill,
    impossible_amounts,
    programmer_alarm_dates,
    validate_refill_visit,
)
from carecoord.domain.refills import RefillForecast as ForecastResult
from carecoord.domain.refills import (
    RefillVisit as RefillVisitData,
)
from carecoord.domain.settings import ClinicSettings
from carecoord.domain.units import format_date, format_ml
from carecoord.services import audit
from carecoord.services.context import Actor, require
from carecoord.services.errors import ConflictError, NotFound
from carecoord.services.pathway import patient_or_404
from carecoord.services.programs import clinic_zone, programs_in_force, unfinished_program
from carecoord.services.pumps import active_implant_row, load_catalog, patient_alarm_volume
from carecoord.services.settings import load_settings
from carecoord.store.models import Patient, User
from carecoord.store.models_pump import PumpProgram
from carecoord.store.models_refills import (
    PatientAlarmVolume,
    RecallEntry,
    RefillAppointment,
    RefillForecast,
    RefillVisit,
)

MAX_NOTE = 4000
# A refill time this far ahead of the workstation clock is accepted as "now" (clock skew).
CLOCK_TOLERANCE = dt.timedelta(minutes=5)
# Rows listed per dashboard section; the counts are always exact.
SECTION_LIMIT = 500
DEFAULT_APPOINTMENT_MINUTES = 30


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _local_date(at: dt.datetime, tz: dt.tzinfo) -> dt.date:
    return at.astimezone(tz).date()


# --------------------------------------------------------------------------------------------
# The refill form's context: fetched once, checked on every keystroke without the database


@dataclass(frozen=True)
class RefillInput:
    """What the nurse enters at a refill."""

    refill_at: dt.datetime
    measured_residual_ml: Decimal
    volume_discarded_ml: Decimal
    volume_added_ml: Decimal
    concentration_mcg_per_ml: Decimal
    lot: str
    lot_expiry: dt.date
    drug: str = DRUG_NAME
    program_change_id: int | None = None  # a program confirmed on the pump at this visit
    vendor_alarm_date: dt.date | None = None
    next_visit_at: dt.datetime | None = None
    note: str = ""

    @property
    def volume_after_ml(self) -> Decimal:
        return self.measured_residual_ml - self.volume_discarded_ml + self.volume_added_ml

    def as_domain(self) -> RefillVisitData:
        return RefillVisitData(
            refill_at=self.refill_at,
            measured_residual_ml=self.measured_residual_ml,
            volume_discarded_ml=self.volume_discarded_ml,
            volume_added_ml=self.volume_added_ml,
            concentration_mcg_per_ml=self.concentration_mcg_per_ml,
            lot=self.lot,
            lot_expiry=self.lot_expiry,
            programmer_alarm_date=self.vendor_alarm_date,
        )


@dataclass(frozen=True)
class ProgramChoice:
    """A program that ran (or runs) on the current pump."""

    id: int
    number: int
    programmed_at: dt.datetime
    program: Program
    active: bool

    @property
    def label(self) -> str:
        from carecoord.domain.units import format_concentration, format_datetime

        return (
            f"Program {self.number} ({format_concentration(self.program.concentration_mcg_per_ml)}"
            f", programmed {format_datetime(self.programmed_at)})"
        )


@dataclass(frozen=True)
class BasePoint:
    """The last known fill: a refill visit, or the first program of the pump with its volume."""

    at: dt.datetime
    volume_ml: Decimal
    visit_id: int | None

    @property
    def words(self) -> str:
        from carecoord.domain.units import format_datetime

        what = "previous refill" if self.visit_id else "volume when the pump was programmed"
        return f"{format_ml(self.volume_ml)} at the {what} on {format_datetime(self.at)}"


@dataclass(frozen=True)
class RefillCheck:
    """Everything the form shows live for the values typed so far."""

    problems: list[Problem]
    expected_ml: Decimal | None
    residual: ResidualCheck | None
    forecast: ForecastResult | None
    volume_after_ml: Decimal

    @property
    def errors(self) -> list[Problem]:
        return errors_only(self.problems)

    @property
    def alarm_mismatch(self) -> bool:
        return any(p.field == "programmer_alarm_date" for p in self.problems)


@dataclass(frozen=True)
class RefillContext:
    patient_id: int
    patient_name: str
    patient_status: PatientStatus
    implant_id: int | None
    implant_date: dt.date | None
    device: DeviceModel | None
    reservoir_ml: Decimal | None
    settings: ClinicSettings
    tz: dt.tzinfo
    alarm_volume_ml: Decimal
    base: BasePoint | None
    last_visit_id: int | None
    periods: tuple[ProgramPeriod, ...]
    programs: tuple[ProgramChoice, ...]  # on this pump, oldest first
    alarm_volume: AlarmVolume | None = None  # where alarm_volume_ml comes from, and why
    # What is not finished before this refill (unfinished programs, open reviews), in words.
    pending: tuple[str, ...] = ()

    @property
    def active(self) -> ProgramChoice | None:
        return next((p for p in reversed(self.programs) if p.active), None)

    def changes_since_base(self) -> list[ProgramChoice]:
        """Programs confirmed after the last fill: one of them may be this visit's change."""
        if self.base is None:
            return list(self.programs)
        return [p for p in self.programs if p.programmed_at > self.base.at]

    def in_force_at(self, at: dt.datetime) -> ProgramChoice | None:
        running = [p for p in self.programs if p.programmed_at <= at]
        return running[-1] if running else None

    def check(self, data: RefillInput, now: dt.datetime | None = None) -> RefillCheck:
        now = now or _now()
        problems: list[Problem] = []
        amounts = (data.measured_residual_ml, data.volume_discarded_ml, data.volume_added_ml)
        # Infinity minus infinity cannot be computed; impossible_amounts refuses it below.
        finite = all(Decimal(v).is_finite() for v in amounts)
        volume_after = data.volume_after_ml if finite else Decimal(0)
        if self.implant_id is None or self.reservoir_ml is None or self.implant_date is None:
            problems.append(
                Problem(
                    "refill_at",
                    "No implanted pump is recorded for this patient: record the implant first.",
                )
            )
            return RefillCheck(problems, None, None, None, volume_after)
        if not self.programs or self.base is None:
            problems.append(
                Problem(
                    "program",
                    "No program is confirmed as programmed on this pump: confirm the program on "
                    "the Pump program tab first, so the expected residual can be computed.",
                )
            )
            return RefillCheck(problems, None, None, None, volume_after)
        if data.refill_at.tzinfo is None:
            raise ValueError("refill_at must be timezone-aware")
        impossible = impossible_amounts(data.as_domain())
        if impossible or data.refill_at > now + CLOCK_TOLERANCE:
            # Nothing is computed from impossible volumes or a refill dated in the future: the
            # schedule walk to a refill typed in year 3026 would take seconds.
            problems.extend(
                validate_refill_visit(
                    data.as_domain(),
                    reservoir_ml=self.reservoir_ml,
                    implant_date=self.implant_date,
                    now=now + CLOCK_TOLERANCE,
                    tz=self.tz,
                    active_program=None,
                )
            )
            return RefillCheck(problems, None, None, None, volume_after)
        change: ProgramChoice | None = None
        if data.program_change_id is not None:
            change = next((p for p in self.programs if p.id == data.program_change_id), None)
            if change is None or (self.base.visit_id and change.programmed_at <= self.base.at):
                problems.append(
                    Problem(
                        "program",
                        "The changed program must be one confirmed on this pump since the "
                        "previous refill.",
                    )
                )
                change = None
        if change is not None:
            before = self.in_force_at(change.programmed_at - dt.timedelta(microseconds=1))
            active_before = before.program if before else None
            new_program: Program | None = change.program
        else:
            at_refill = self.in_force_at(data.refill_at + CLOCK_TOLERANCE) or self.programs[0]
            active_before = at_refill.program
            new_program = None
        if self.base.visit_id is not None and data.refill_at <= self.base.at:
            problems.append(
                Problem(
                    "refill_at",
                    f"A refill is already recorded on {format_date(_local_date(self.base.at, self.tz))}:"
                    " a new refill must be dated after it.",
                )
            )
        expected: Decimal | None = None
        residual: ResidualCheck | None = None
        if data.refill_at > self.base.at:
            try:
                expected = expected_residual_ml(
                    self.base.volume_ml, self.base.at, data.refill_at, self.periods, self.tz
                )
            except ValueError:
                expected = None
        if expected is not None and data.measured_residual_ml >= 0:
            residual = check_residual(
                expected, data.measured_residual_ml, self.reservoir_ml, self.settings
            )
        forecast: ForecastResult | None = None
        if 0 <= volume_after <= self.reservoir_ml:
            forecast = _forecast(
                _local_date(data.refill_at, self.tz),
                volume_after,
                self.periods,
                self.tz,
                self.settings,
                self.alarm_volume_ml,
            )
        accepted: frozenset[dt.date] = frozenset()
        if forecast is not None and data.vendor_alarm_date not in (None, forecast.alarm_date):
            try:  # a fill spanning a clock change: the programmer counts 24-hour days
                accepted = programmer_alarm_dates(
                    forecast.fill_date,
                    volume_after,
                    list(self.periods),
                    self.tz,
                    self.settings,
                    alarm_volume_ml=self.alarm_volume_ml,
                )
            except ValueError:
                accepted = frozenset()
        problems.extend(
            validate_refill_visit(
                data.as_domain(),
                reservoir_ml=self.reservoir_ml,
                implant_date=self.implant_date,
                now=now + CLOCK_TOLERANCE,
                tz=self.tz,
                active_program=active_before,
                new_program=new_program,
                our_alarm_date=forecast.alarm_date if forecast else None,
                also_accepted_alarm_dates=accepted,
            )
        )
        if not clean_text(data.drug):
            problems.append(Problem("drug", "Enter the drug (baclofen)."))
        problems.extend(
            text_problems("drug", "The drug", data.drug, max_length=64, multiline=False)
        )
        problems.extend(
            text_problems("lot", "The lot number", data.lot, max_length=64, multiline=False)
        )
        problems.extend(text_problems("note", "The note", data.note, max_length=MAX_NOTE))
        if data.next_visit_at is not None:
            if data.next_visit_at <= data.refill_at:
                problems.append(
                    Problem("next_visit_at", "The next visit must be after this refill.")
                )
            elif forecast is not None:
                next_day = _local_date(data.next_visit_at, self.tz)
                if forecast.alarm_date is not None and next_day >= forecast.alarm_date:
                    problems.append(
                        Problem(
                            "next_visit_at",
                            f"The next visit ({format_date(next_day)}) is on or after the "
                            f"low-reservoir alarm date ({format_date(forecast.alarm_date)}).",
                            Severity.WARNING,
                        )
                    )
                elif next_day > forecast.due_date:
                    problems.append(
                        Problem(
                            "next_visit_at",
                            f"The next visit ({format_date(next_day)}) is after the refill due "
                            f"date ({format_date(forecast.due_date)}).",
                            Severity.WARNING,
                        )
                    )
        return RefillCheck(problems, expected, residual, forecast, volume_after)


def _forecast(
    fill_date: dt.date,
    volume_ml: Decimal,
    periods: Sequence[ProgramPeriod],
    tz: dt.tzinfo,
    settings: ClinicSettings,
    alarm_volume_ml: Decimal,
) -> ForecastResult | None:
    if not periods:
        return None
    try:
        return forecast_refill(
            fill_date, volume_ml, list(periods), tz, settings, alarm_volume_ml=alarm_volume_ml
        )
    except ValueError:
        return None


def _program_choices(session: Session, patient_id: int, implant_id: int) -> list[ProgramChoice]:
    rows = session.execute(
        select(
            PumpProgram.id,
            PumpProgram.number,
            PumpProgram.programmed_at,
            PumpProgram.status,
            PumpProgram.program_json,
        )
        .where(
            PumpProgram.patient_id == patient_id,  # indexed; the implant narrows it down
            PumpProgram.implant_id == implant_id,
            PumpProgram.status.in_(
                [ProgramStatus.PROGRAMMED.value, ProgramStatus.SUPERSEDED.value]
            ),
            PumpProgram.programmed_at.is_not(None),
        )
        .order_by(PumpProgram.programmed_at)
    ).all()
    return [
        ProgramChoice(
            r.id,
            r.number,
            r.programmed_at,
            program_from_dict(json.loads(r.program_json)),
            r.status == ProgramStatus.PROGRAMMED.value,
        )
        for r in rows
    ]


def _base_point(session: Session, patient_id: int, implant_id: int) -> BasePoint | None:
    last = session.execute(
        select(RefillVisit.id, RefillVisit.refill_at, RefillVisit.new_volume_ml)
        .where(RefillVisit.patient_id == patient_id, RefillVisit.implant_id == implant_id)
        .order_by(RefillVisit.refill_at.desc(), RefillVisit.id.desc())
        .limit(1)
    ).first()
    if last is not None:
        return BasePoint(last.refill_at, last.new_volume_ml, last.id)
    latest = session.execute(
        select(PumpProgram.programmed_at, PumpProgram.reservoir_ml)
        .where(
            PumpProgram.patient_id == patient_id,
            PumpProgram.implant_id == implant_id,
            PumpProgram.programmed_at.is_not(None),
            PumpProgram.reservoir_ml.is_not(None),
            PumpProgram.status.in_(
                [ProgramStatus.PROGRAMMED.value, ProgramStatus.SUPERSEDED.value]
            ),
        )
        .order_by(PumpProgram.programmed_at)
        .limit(1)
    ).first()
    if latest is None:
        return None
    return BasePoint(latest.programmed_at, latest.reservoir_ml, None)


def _context(
    session: Session,
    patient_id: int,
    *,
    settings: ClinicSettings | None = None,
    catalog: list[DeviceModel] | None = None,
    tz: dt.tzinfo | None = None,
    now: dt.datetime | None = None,
) -> RefillContext:
    patient = patient_or_404(session, patient_id)
    settings = settings or load_settings(session)
    catalog = catalog if catalog is not None else load_catalog(session)
    tz = tz or clinic_zone()
    now = now or _now()
    implant = active_implant_row(session, patient_id)
    device: DeviceModel | None = None
    base = None
    programs: list[ProgramChoice] = []
    periods: list[ProgramPeriod] = []
    if implant is not None:
        try:
            device = find_device(catalog, implant.device_key)
        except KeyError:
            device = None
        base = _base_point(session, patient_id, implant.id)
        programs = _program_choices(session, patient_id, implant.id)
        if base is not None:
            periods = programs_in_force(session, patient_id, base.at, now + dt.timedelta(days=2))
    alarm = choose_alarm_volume(settings, device, patient_alarm_volume(session, patient_id))
    pending = pending_before_refill(session, patient_id, tz) if implant is not None else []
    return RefillContext(
        patient_id=patient_id,
        patient_name=f"{patient.family_name.upper()}, {patient.given_names}",
        patient_status=PatientStatus(patient.status),
        implant_id=implant.id if implant else None,
        implant_date=implant.implant_date if implant else None,
        device=device,
        reservoir_ml=device.reservoir_ml if device else None,
        settings=settings,
        tz=tz,
        alarm_volume_ml=alarm.volume_ml,
        base=base,
        last_visit_id=base.visit_id if base else None,
        periods=tuple(periods),
        programs=tuple(programs),
        alarm_volume=alarm,
        pending=tuple(pending),
    )


def pending_before_refill(session: Session, patient_id: int, tz: dt.tzinfo) -> list[str]:
    """What the nurse must know before recording a refill, in words: a program approved but
    not on the pump, a draft, a residual discrepancy still waiting for its review (CLINICAL.md
    section 4: unfinished programming sessions caused withdrawal)."""
    out: list[str] = []
    view = unfinished_program(session, patient_id)
    if view is not None and view.status is ProgramStatus.APPROVED:
        approved = format_date(_local_date(view.approved_at, tz)) if view.approved_at else ""
        out.append(
            f"{view.title} was approved by {view.approved_by or 'a physiatrist'} on {approved} "
            "but is not on the pump yet. If you program it at this visit, confirm it on the "
            "Pump program tab first and choose it under Program; until then the pump runs the "
            "program in force."
        )
    elif view is not None:
        out.append(
            f"{view.title} is a draft waiting for a physiatrist's approval: it is not on the "
            "pump, so this refill is checked against the program in force."
        )
    reviews = session.scalars(
        select(RefillVisit.refill_at)
        .where(RefillVisit.patient_id == patient_id, RefillVisit.review_pending == true())
        .order_by(RefillVisit.refill_at)
    ).all()
    for at in reviews:
        out.append(
            f"The refill of {format_date(_local_date(at, tz))} has a residual discrepancy "
            "waiting for a physiatrist's review (Refill history below): find out why before "
            "refilling."
        )
    return out


def refill_context(session: Session, actor: Actor, patient_id: int) -> RefillContext:
    """The refill form's rules for this patient, fetched once."""
    require(actor, Permission.VIEW_PATIENTS)
    return _context(session, patient_id)


# --------------------------------------------------------------------------------------------
# Visits


@dataclass(frozen=True)
class RefillVisitView:
    id: int
    patient_id: int
    implant_id: int
    program_id: int | None
    program_number: int | None
    program_changed: bool
    refill_at: dt.datetime
    measured_residual_ml: Decimal
    expected_residual_ml: Decimal | None
    discrepancy_ml: Decimal | None
    threshold_ml: Decimal | None
    discrepancy_flagged: bool
    review_pending: bool
    reviewed_by: str
    reviewed_at: dt.datetime | None
    review_note: str
    volume_discarded_ml: Decimal
    drug: str
    concentration_mcg_per_ml: Decimal
    lot: str
    lot_expiry: dt.date
    volume_added_ml: Decimal
    new_volume_ml: Decimal
    vendor_alarm_date: dt.date | None
    our_alarm_date: dt.date | None
    alarm_mismatch: bool
    due_date: dt.date | None
    next_visit_at: dt.datetime | None
    note: str
    recorded_by: str
    version: int

    @property
    def fill_words(self) -> str:
        return describe_fill(
            RefillVisitData(
                self.refill_at,
                self.measured_residual_ml,
                self.volume_discarded_ml,
                self.volume_added_ml,
                self.concentration_mcg_per_ml,
                self.lot,
                self.lot_expiry,
            )
        )

    @property
    def residual_words(self) -> str:
        if self.expected_residual_ml is None:
            return f"Measured {format_ml(self.measured_residual_ml)} (no expected volume)"
        assert self.discrepancy_ml is not None
        text = (
            f"Measured {format_ml(self.measured_residual_ml)}, expected "
            f"{format_ml(self.expected_residual_ml)}"
        )
        if self.expected_residual_ml < 0:
            text = (
                f"Measured {format_ml(self.measured_residual_ml)}; by the programs in force the "
                "pump would have run empty before this refill"
            )
        if self.discrepancy_flagged:
            direction = "short" if self.discrepancy_ml < 0 else "over"
            text += f": DISCREPANCY {format_ml(abs(self.discrepancy_ml))} {direction}"
            text += "; review pending" if self.review_pending else "; reviewed"
        return text


def _names(session: Session, ids: Iterable[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i}
    if not wanted:
        return {}
    rows = session.execute(select(User.id, User.full_name).where(User.id.in_(wanted))).all()
    return {r.id: r.full_name for r in rows}


def _visit_views(session: Session, rows: Sequence[RefillVisit]) -> list[RefillVisitView]:
    names = _names(session, [i for r in rows for i in (r.recorded_by_id, r.reviewed_by_id)])
    numbers = dict(
        session.execute(
            select(PumpProgram.id, PumpProgram.number).where(
                PumpProgram.id.in_({r.program_id for r in rows if r.program_id})
            )
        ).all()
    )
    return [
        RefillVisitView(
            id=r.id,
            patient_id=r.patient_id,
            implant_id=r.implant_id,
            program_id=r.program_id,
            program_number=numbers.get(r.program_id) if r.program_id else None,
            program_changed=r.program_changed,
            refill_at=r.refill_at,
            measured_residual_ml=r.measured_residual_ml,
            expected_residual_ml=r.expected_residual_ml,
            discrepancy_ml=r.discrepancy_ml,
            threshold_ml=r.threshold_ml,
            discrepancy_flagged=r.discrepancy_flagged,
            review_pending=r.review_pending,
            reviewed_by=names.get(r.reviewed_by_id or 0, ""),
            reviewed_at=r.reviewed_at,
            review_note=r.review_note,
            volume_discarded_ml=r.volume_discarded_ml,
            drug=r.drug,
            concentration_mcg_per_ml=r.concentration_mcg_per_ml,
            lot=r.lot,
            lot_expiry=r.lot_expiry,
            volume_added_ml=r.volume_added_ml,
            new_volume_ml=r.new_volume_ml,
            vendor_alarm_date=r.vendor_alarm_date,
            our_alarm_date=r.our_alarm_date,
            alarm_mismatch=r.alarm_mismatch,
            due_date=r.due_date,
            next_visit_at=r.next_visit_at,
            note=r.note,
            recorded_by=names.get(r.recorded_by_id or 0, ""),
            version=r.version,
        )
        for r in rows
    ]


def visit_history(
    session: Session, actor: Actor, patient_id: int, limit: int = 500
) -> list[RefillVisitView]:
    """The patient's refills, newest first."""
    require(actor, Permission.VIEW_PATIENTS)
    rows = session.scalars(
        select(RefillVisit)
        .where(RefillVisit.patient_id == patient_id)
        .order_by(RefillVisit.refill_at.desc(), RefillVisit.id.desc())
        .limit(limit)
    ).all()
    return _visit_views(session, rows)


def _visit_row(session: Session, visit_id: int) -> RefillVisit:
    row = session.get(RefillVisit, visit_id)
    if row is None:
        raise NotFound("This refill visit no longer exists.")
    return row


def _refills_conflict(
    session: Session, patient_id: int, last_visit_id: int | None
) -> ConflictError:
    last = audit.last_change(session, "refill_visit", last_visit_id) if last_visit_id else None
    return ConflictError(
        entity_label="a refill of this patient",
        changed_by=last.actor if last else "Someone",
        changed_at=dt.datetime.fromisoformat(last.at) if last else None,
        current_version=0,
        current={"last_visit_id": last_visit_id},
    )


def record_refill(
    session: Session,
    actor: Actor,
    patient_id: int,
    data: RefillInput,
    *,
    based_on_visit_id: int | None,
    now: dt.datetime | None = None,
) -> RefillVisitView:
    """Record a refill visit. ``based_on_visit_id``: the last refill the form was opened on
    (a refill recorded meanwhile on another workstation is a conflict, since the expected
    residual counts from it).

    Refused with the reason on the field: everything ``validate_refill_visit`` refuses, a
    refill before the previous one, a patient without pump or confirmed program.
    """
    require(actor, Permission.RECORD_REFILL)
    now = now or _now()
    data = RefillInput(
        **{
            **data.__dict__,
            "lot": clean_text(data.lot).upper(),
            "drug": clean_text(data.drug),
            "note": clean_text(data.note),
        }
    )
    # Locked before the last fill is read: a refill saved meanwhile elsewhere is then seen.
    patient_or_404(session, patient_id, lock=True)
    context = _context(session, patient_id, now=now)
    if context.last_visit_id != based_on_visit_id:
        raise _refills_conflict(session, patient_id, context.last_visit_id)
    checked = context.check(data, now)
    if checked.errors:
        raise ValidationFailed(checked.errors)
    assert context.implant_id is not None and checked.forecast is not None
    program = context.in_force_at(data.refill_at + CLOCK_TOLERANCE)
    if data.program_change_id is not None:
        program = next(p for p in context.programs if p.id == data.program_change_id)
    residual = checked.residual
    forecast = checked.forecast
    mismatch = checked.alarm_mismatch
    row = RefillVisit(
        patient_id=patient_id,
        implant_id=context.implant_id,
        program_id=program.id if program else None,
        program_changed=data.program_change_id is not None,
        refill_at=data.refill_at,
        measured_residual_ml=data.measured_residual_ml,
        expected_residual_ml=checked.expected_ml,
        discrepancy_ml=residual.difference_ml if residual else None,
        threshold_ml=residual.threshold_ml if residual else None,
        discrepancy_flagged=bool(residual and residual.flagged),
        review_pending=bool(residual and residual.flagged),
        volume_discarded_ml=data.volume_discarded_ml,
        drug=data.drug,
        concentration_mcg_per_ml=data.concentration_mcg_per_ml,
        lot=data.lot,
        lot_expiry=data.lot_expiry,
        volume_added_ml=data.volume_added_ml,
        new_volume_ml=checked.volume_after_ml,
        vendor_alarm_date=data.vendor_alarm_date,
        our_alarm_date=forecast.alarm_date,
        alarm_mismatch=mismatch,
        due_date=forecast.due_date,
        next_visit_at=data.next_visit_at,
        note=data.note,
        recorded_by_id=actor.user_id or None,
        created_at=now,
    )
    session.add(row)
    session.flush()
    # Appointments up to the end of the refill day were this visit; the recall is answered.
    day_end = _day_start(_local_date(data.refill_at, context.tz) + dt.timedelta(days=1), context.tz)
    attended = session.scalars(
        select(RefillAppointment).where(
            RefillAppointment.patient_id == patient_id,
            RefillAppointment.status == AppointmentStatus.BOOKED.value,
            RefillAppointment.starts_at < day_end,
        )
    ).all()
    for appointment in attended:
        appointment.status = AppointmentStatus.ATTENDED.value
        appointment.attended_visit_id = row.id
    recalls = session.scalars(
        select(RecallEntry).where(
            RecallEntry.patient_id == patient_id, RecallEntry.status == RecallStatus.OPEN.value
        )
    ).all()
    for recall in recalls:
        recall.status = RecallStatus.CLOSED.value
        recall.closed_at = now
        recall.closed_by_visit_id = row.id
        recall.closed_reason = "Refill recorded"
    booked = None
    if data.next_visit_at is not None:
        booked = RefillAppointment(
            patient_id=patient_id,
            starts_at=data.next_visit_at,
            duration_minutes=DEFAULT_APPOINTMENT_MINUTES,
            status=AppointmentStatus.BOOKED.value,
            booked_at_visit_id=row.id,
            created_by_id=actor.user_id or None,
            created_at=now,
        )
        session.add(booked)
    session.flush()
    summary = f"Refill: {describe_fill(data.as_domain())}"
    if residual is not None:
        summary += f"; {residual.message}"
        if residual.flagged:
            summary += " DISCREPANCY flagged for review"
    summary += f"; alarm {format_date(forecast.alarm_date)}, due {format_date(forecast.due_date)}"
    if mismatch:
        summary += f"; programmer alarm date {format_date(data.vendor_alarm_date)} MISMATCH"
    if recalls:
        summary += "; recall closed"
    audit.record(
        session,
        actor,
        action="refill",
        entity="refill_visit",
        entity_id=row.id,
        patient_id=patient_id,
        summary=summary,
        after={
            "refill_at": data.refill_at,
            "measured_residual_ml": data.measured_residual_ml,
            "expected_residual_ml": checked.expected_ml,
            "volume_discarded_ml": data.volume_discarded_ml,
            "drug": data.drug,
            "concentration_mcg_per_ml": data.concentration_mcg_per_ml,
            "lot": data.lot,
            "lot_expiry": data.lot_expiry,
            "volume_added_ml": data.volume_added_ml,
            "new_volume_ml": checked.volume_after_ml,
            "program_id": row.program_id,
            "program_changed": row.program_changed,
            "vendor_alarm_date": data.vendor_alarm_date,
            "our_alarm_date": forecast.alarm_date,
            "due_date": forecast.due_date,
            "next_visit_at": data.next_visit_at,
        },
    )
    _store_forecast(session, patient_id, context.settings, None, context.tz, now)
    session.commit()
    return _visit_views(session, [row])[0]


def review_discrepancy(
    session: Session, actor: Actor, visit_id: int, expected_version: int, note: str
) -> RefillVisitView:
    """A physiatrist closes the review of a flagged residual discrepancy, with what was found."""
    require(actor, Permission.REVIEW_DISCREPANCY)
    row = _visit_row(session, visit_id)
    note = clean_text(note)
    if not note:
        raise ValidationFailed.single(
            "review_note", "Write what was found (e.g. pump checked, catheter study booked)."
        )
    if len(note) > MAX_NOTE:
        raise ValidationFailed.single("review_note", f"Keep the note under {MAX_NOTE} characters.")
    if not row.review_pending:
        raise ValidationFailed.single(
            "review_note", "This refill has no discrepancy waiting for review."
        )
    if row.version != expected_version:
        last = audit.last_change(session, "refill_visit", row.id)
        raise ConflictError(
            entity_label="this refill's review",
            changed_by=last.actor if last else "Someone",
            changed_at=dt.datetime.fromisoformat(last.at) if last else None,
            current_version=row.version,
            current={"review_note": row.review_note},
        )
    row.review_pending = False
    row.reviewed_by_id = actor.user_id or None
    row.reviewed_at = _now()
    row.review_note = note
    session.flush()
    audit.record(
        session,
        actor,
        action="review",
        entity="refill_visit",
        entity_id=row.id,
        patient_id=row.patient_id,
        summary=f"Reviewed the residual discrepancy of the refill on "
        f"{format_date(row.refill_at.date())}: {note}",
        before={"review_pending": True},
        after={"review_pending": False, "review_note": note},
    )
    session.commit()
    return _visit_views(session, [row])[0]


# --------------------------------------------------------------------------------------------
# Forecast rows


def _day_start(day: dt.date, tz: dt.tzinfo) -> dt.datetime:
    from carecoord.domain.program import local_midnight

    return local_midnight(day, tz)


@dataclass(frozen=True)
class ForecastValues:
    implant_id: int | None = None
    fill_date: dt.date | None = None
    volume_after_fill_ml: Decimal | None = None
    alarm_volume_ml: Decimal | None = None
    alarm_date: dt.date | None = None
    due_date: dt.date | None = None
    due_limit: str = ""
    due_reason: str = ""
    last_refill_id: int | None = None
    next_appointment_at: dt.datetime | None = None
    battery: BatteryWindow | None = None


def compute_forecast(
    session: Session,
    patient_id: int,
    settings: ClinicSettings,
    catalog: list[DeviceModel] | None,
    tz: dt.tzinfo,
    now: dt.datetime,
) -> ForecastValues:
    """The patient's current refill and battery dates from the stored records."""
    patient = session.get(Patient, patient_id)
    if patient is None or patient.status in (
        PatientStatus.RETIRED.value,
        PatientStatus.DECLINED.value,
    ):
        return ForecastValues()
    context = _context(session, patient_id, settings=settings, catalog=catalog, tz=tz, now=now)
    if context.implant_id is None:
        return ForecastValues()
    battery = None
    if context.device is not None and context.implant_date is not None:
        battery = battery_replacement_window(
            context.implant_date,
            context.device,
            plan_ahead_months=max(3, settings.battery_warning_months),
        )
    next_at = session.scalar(
        select(func.min(RefillAppointment.starts_at)).where(
            RefillAppointment.patient_id == patient_id,
            RefillAppointment.status == AppointmentStatus.BOOKED.value,
        )
    )
    base = context.base
    forecast = None
    if base is not None:
        forecast = _forecast(
            _local_date(base.at, tz),
            base.volume_ml,
            context.periods,
            tz,
            settings,
            context.alarm_volume_ml,
        )
    if forecast is None or base is None:
        return ForecastValues(
            implant_id=context.implant_id, next_appointment_at=next_at, battery=battery
        )
    return ForecastValues(
        implant_id=context.implant_id,
        fill_date=forecast.fill_date,
        volume_after_fill_ml=base.volume_ml,
        alarm_volume_ml=forecast.alarm_volume_ml,
        alarm_date=forecast.alarm_date,
        due_date=forecast.due_date,
        due_limit=forecast.due_limit.value,
        due_reason=forecast.due_reason,
        last_refill_id=base.visit_id,
        next_appointment_at=next_at,
        battery=battery,
    )


def forecast_row_values(values: ForecastValues, now: dt.datetime) -> dict[str, object]:
    battery = values.battery
    return {
        "stale": False,
        "implant_id": values.implant_id,
        "fill_date": values.fill_date,
        "volume_after_fill_ml": values.volume_after_fill_ml,
        "alarm_volume_ml": values.alarm_volume_ml,
        "alarm_date": values.alarm_date,
        "due_date": values.due_date,
        "due_limit": values.due_limit,
        "due_reason": values.due_reason,
        "last_refill_id": values.last_refill_id,
        "next_appointment_at": values.next_appointment_at,
        "battery_replace_by": battery.latest if battery else None,
        "battery_plan_by": battery.plan_by if battery else None,
        "battery_eri_by": battery.eri_alarm_by if battery else None,
        "battery_estimate": bool(battery and battery.estimate),
        "computed_at": now,
    }


def _generation(session: Session, patient_id: int) -> int | None:
    """The forecast row's generation now (None: no row), read before the inputs are."""
    return session.scalar(
        select(RefillForecast.generation).where(RefillForecast.patient_id == patient_id)
    )


def _save_values(
    session: Session, patient_id: int, generation: int | None, values: dict[str, object]
) -> bool:
    """Store computed values as current unless the row was marked stale again since
    ``generation`` was read (a change committed meanwhile): then it stays stale. True if
    stored."""
    table = RefillForecast.__table__
    if generation is None:
        connection = session.connection()
        insert = pg_insert if connection.dialect.name == "postgresql" else sqlite_insert
        result = connection.execute(
            insert(table)
            .values(patient_id=patient_id, generation=0, **values)
            .on_conflict_do_nothing(index_elements=["patient_id"])
        )
    else:
        result = session.execute(
            update(table)
            .where(table.c.patient_id == patient_id, table.c.generation == generation)
            .values(**values)
        )
    return bool(result.rowcount)


def _store_forecast(
    session: Session,
    patient_id: int,
    settings: ClinicSettings,
    catalog: list[DeviceModel] | None,
    tz: dt.tzinfo,
    now: dt.datetime,
) -> ForecastValues:
    """Recompute and store the patient's forecast in the caller's transaction; returns it."""
    session.flush()  # the triggers have marked the row for the changes made so far
    generation = _generation(session, patient_id)
    computed = compute_forecast(session, patient_id, settings, catalog, tz, now)
    _save_values(session, patient_id, generation, forecast_row_values(computed, now))
    return computed


def refresh_stale_forecasts(
    session: Session,
    now: dt.datetime | None = None,
    *,
    budget_seconds: float | None = None,
    batch: int = 200,
) -> int:
    """Recompute the forecasts marked stale, the soonest due first; returns how many are
    still stale (0 without a budget, unless other workstations keep changing records).
    Commits each batch.

    A clinic-wide change (a refill setting) marks every row stale; recomputing tens of
    thousands takes minutes, so a screen passes ``budget_seconds`` and says how many are left
    (their dates are not shown meanwhile) while a scheduled job (``carecoord due``) finishes
    them all. A row marked stale again while it was being recomputed stays stale.
    """
    started = time.monotonic()
    stale = RefillForecast.stale == true()
    # The usual answer is "none": ask the stale index alone (an ORDER BY due date would
    # make the planner walk the due-date index instead).
    if session.scalar(select(RefillForecast.patient_id).where(stale).limit(1)) is None:
        return 0
    settings: ClinicSettings | None = None
    skipped: set[int] = set()
    while True:
        query = (
            select(RefillForecast.patient_id, RefillForecast.generation)
            .where(stale)
            .order_by(RefillForecast.due_date.is_(None), RefillForecast.due_date)
            .limit(batch)
        )
        if skipped:
            query = query.where(RefillForecast.patient_id.not_in(skipped))
        rows = session.execute(query).all()
        if not rows:
            session.commit()
            return session.scalar(select(func.count()).where(stale)) or 0
        if settings is None:
            now = now or _now()
            settings, catalog, tz = load_settings(session), load_catalog(session), clinic_zone()
        for patient_id, generation in rows:
            values = forecast_row_values(
                compute_forecast(session, patient_id, settings, catalog, tz, now), now
            )
            if not _save_values(session, patient_id, generation, values):
                skipped.add(patient_id)  # changed meanwhile: the next read recomputes it
        session.commit()
        if budget_seconds is not None and time.monotonic() - started > budget_seconds:
            return session.scalar(select(func.count()).where(stale)) or 0


@dataclass(frozen=True)
class PatientForecast:
    patient_id: int
    fill_date: dt.date | None
    volume_after_fill_ml: Decimal | None
    alarm_volume_ml: Decimal | None
    alarm_date: dt.date | None
    due_date: dt.date | None
    due_limit: DueLimit | None
    due_reason: str
    next_appointment_at: dt.datetime | None
    battery_replace_by: dt.date | None
    battery_plan_by: dt.date | None
    battery_eri_by: dt.date | None
    battery_estimate: bool
    patient_alarm_volume_ml: Decimal | None
    today: dt.date
    patient_alarm_volume_version: int = 0  # 0: none of the patient's own

    @property
    def status_words(self) -> str:
        return due_words(self.due_date, self.alarm_date, self.today)

    @property
    def past_alarm(self) -> bool:
        return is_past_alarm(self.alarm_date, self.today)

    @property
    def overdue(self) -> bool:
        return self.due_date is not None and self.due_date < self.today


def _fresh_row(session: Session, patient_id: int) -> RefillForecast | None:
    """The forecast row as stored now (the session may hold an older copy: the triggers and
    the guarded updates write it without the ORM)."""
    return session.execute(
        select(RefillForecast)
        .where(RefillForecast.patient_id == patient_id)
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()


def _current_row_values(session: Session, patient_id: int) -> dict[str, object]:
    """The patient's forecast columns, current for the records as stored now: the stored row
    when it is not stale, else computed on read (and stored, unless changed meanwhile)."""
    row = _fresh_row(session, patient_id)
    if row is not None and not row.stale:
        return {c.key: getattr(row, c.key) for c in RefillForecast.__table__.columns}
    now = _now()
    values = forecast_row_values(
        _store_forecast(session, patient_id, load_settings(session), None, clinic_zone(), now),
        now,
    )
    session.commit()
    return values


def patient_forecast(
    session: Session, actor: Actor, patient_id: int, today: dt.date | None = None
) -> PatientForecast:
    """The patient's alarm date, refill due date with its reason, and battery window, for the
    records as stored now (computed on read when the stored forecast is stale)."""
    require(actor, Permission.VIEW_PATIENTS)
    patient_or_404(session, patient_id)
    row: Any = _current_row_values(session, patient_id)
    own = session.get(PatientAlarmVolume, patient_id)
    return PatientForecast(
        patient_id=patient_id,
        fill_date=row["fill_date"],
        volume_after_fill_ml=row["volume_after_fill_ml"],
        alarm_volume_ml=row["alarm_volume_ml"],
        alarm_date=row["alarm_date"],
        due_date=row["due_date"],
        due_limit=DueLimit(row["due_limit"]) if row["due_limit"] else None,
        due_reason=row["due_reason"],
        next_appointment_at=row["next_appointment_at"],
        battery_replace_by=row["battery_replace_by"],
        battery_plan_by=row["battery_plan_by"],
        battery_eri_by=row["battery_eri_by"],
        battery_estimate=bool(row["battery_estimate"]),
        patient_alarm_volume_ml=own.alarm_volume_ml if own is not None else None,
        today=today or dt.datetime.now(clinic_zone()).date(),
        patient_alarm_volume_version=own.version if own is not None else 0,
    )


def set_patient_alarm_volume(
    session: Session,
    actor: Actor,
    patient_id: int,
    volume_ml: Decimal | None,
    reason: str = "",
    *,
    expected_version: int,
) -> Decimal | None:
    """Set (or with None, remove) the patient's own alarm volume [21]; a reason is required.

    ``expected_version``: ``PatientForecast.patient_alarm_volume_version`` when the form was
    opened (0: the patient had no own volume). Anything saved meanwhile is a conflict."""
    require(actor, Permission.EDIT_DEVICE)
    patient = patient_or_404(session, patient_id, lock=True)  # the version check sees the last
    reason = clean_text(reason)
    row = session.get(PatientAlarmVolume, patient_id)
    if (row.version if row is not None else 0) != expected_version:
        last = audit.last_change(session, "alarm_volume", patient_id)
        raise ConflictError(
            entity_label="the patient's alarm volume",
            changed_by=last.actor if last else "Someone",
            changed_at=dt.datetime.fromisoformat(last.at) if last else None,
            current_version=row.version if row is not None else 0,
            current={"alarm_volume_ml": row.alarm_volume_ml if row is not None else None},
        )
    before = {"alarm_volume_ml": row.alarm_volume_ml if row else None}
    if volume_ml is not None:
        implant = active_implant_row(session, patient_id)
        device = find_device(load_catalog(session), implant.device_key) if implant else None
        raise_if_errors(
            alarm_volume_span(device.reservoir_ml if device else None).problems(
                "alarm_volume_ml", volume_ml
            )
        )
        if device is not None and volume_ml >= device.reservoir_ml:
            raise ValidationFailed.single(
                "alarm_volume_ml",
                f"The alarm volume must be below the reservoir ({format_ml(device.reservoir_ml)}).",
            )
        if not reason:
            raise ValidationFailed.single(
                "reason", "Give the reason for this patient's own alarm volume."
            )
        if row is None:
            row = PatientAlarmVolume(patient_id=patient_id, alarm_volume_ml=volume_ml)
            session.add(row)
        row.alarm_volume_ml = volume_ml
        row.reason = reason
        row.set_by_id = actor.user_id or None
        row.set_at = _now()
    elif row is not None:
        session.delete(row)
    else:
        return None
    session.flush()
    audit.record(
        session,
        actor,
        action="update",
        entity="alarm_volume",
        entity_id=patient_id,
        patient_id=patient_id,
        summary=(
            f"Alarm volume for {patient.family_name.upper()} set to {format_ml(volume_ml)}: {reason}"
            if volume_ml is not None
            else f"Alarm volume for {patient.family_name.upper()} back to the clinic setting"
        ),
        before=before,
        after={"alarm_volume_ml": volume_ml, "reason": reason},
    )
    _store_forecast(session, patient_id, load_settings(session), None, clinic_zone(), _now())
    session.commit()
    return volume_ml


# --------------------------------------------------------------------------------------------
# Dashboard


@dataclass(frozen=True)
class DueRow:
    patient_id: int
    mrn: str
    name: str
    phone: str
    due_date: dt.date
    alarm_date: dt.date | None
    due_reason: str
    next_appointment_at: dt.datetime | None
    past_alarm: bool
    today: dt.date

    @property
    def status(self) -> str:
        """In words, worked out when shown (most rows of a long list never are)."""
        return due_words(self.due_date, self.alarm_date, self.today)


@dataclass(frozen=True)
class DiscrepancyRow:
    visit_id: int
    patient_id: int
    mrn: str
    name: str
    refill_at: dt.datetime
    expected_ml: Decimal | None
    measured_ml: Decimal
    difference_ml: Decimal | None
    threshold_ml: Decimal | None

    @property
    def status(self) -> str:
        if self.difference_ml is None:
            return "Review pending"
        if self.expected_ml is not None and self.expected_ml < 0:
            return "By the programs the pump would have run empty: review pending"
        direction = "less" if self.difference_ml < 0 else "more"
        return (
            f"{format_ml(abs(self.difference_ml))} {direction} than expected "
            f"(allowed {format_ml(self.threshold_ml or 0)}): review pending"
        )


@dataclass(frozen=True)
class BatteryRow:
    patient_id: int
    mrn: str
    name: str
    replace_by: dt.date
    plan_by: dt.date | None
    eri_by: dt.date | None
    estimate: bool
    status: str


@dataclass(frozen=True)
class RecomputingRow:
    """A patient whose refill dates are being recomputed: listed without any date."""

    patient_id: int
    mrn: str
    name: str
    status: str = "Refill dates being recomputed"


@dataclass
class DashboardData:
    today: dt.date
    due_days: int
    battery_months: int
    overdue: list[DueRow] = field(default_factory=list)
    overdue_count: int = 0
    past_alarm_count: int = 0
    due_soon: list[DueRow] = field(default_factory=list)
    due_soon_count: int = 0
    discrepancies: list[DiscrepancyRow] = field(default_factory=list)
    discrepancy_count: int = 0
    battery: list[BatteryRow] = field(default_factory=list)
    battery_count: int = 0
    # Patients whose dates are being recomputed (after a clinic-wide change, or changed on
    # another workstation since this read began): counted and named, never shown with a date.
    stale_remaining: int = 0
    recomputing: list[RecomputingRow] = field(default_factory=list)
    # When the newest of the forecasts listed was computed (None: none is stored), and when
    # the lists were read.
    computed_at: dt.datetime | None = None
    read_at: dt.datetime | None = None


_F = RefillForecast.__table__.c
_P = Patient.__table__.c
_V = RefillVisit.__table__.c


def _due_rows(
    session: Session, where: object, order: Sequence[object], today: dt.date, limit: int
) -> list[DueRow]:
    rows = session.execute(
        select(
            _F.patient_id,
            _P.mrn,
            _P.family_name,
            _P.given_names,
            _P.phone,
            _F.due_date,
            _F.alarm_date,
            _F.due_reason,
            _F.next_appointment_at,
        )
        .select_from(RefillForecast.__table__.join(Patient.__table__, _P.id == _F.patient_id))
        .where(where)
        .order_by(*order)
        .limit(limit)
    ).all()
    out = []
    for pid, mrn, family, given, phone, due, alarm, reason, next_at in rows:
        past = alarm is not None and alarm <= today
        out.append(
            DueRow(
                pid,
                mrn,
                f"{family.upper()}, {given}",
                phone,
                due,
                alarm,
                reason,
                next_at,
                past,
                today,
            )
        )
    return out


def dashboard_data(
    session: Session,
    actor: Actor,
    today: dt.date | None = None,
    *,
    limit: int = SECTION_LIMIT,
    due_days: int | None = None,
    refresh_budget_seconds: float | None = None,
) -> DashboardData:
    """The refill sections of the dashboard, each with its exact count.

    Overdue (past the due date; past the alarm date first), due in the next N days (clinic
    setting ``due_soon_days`` unless ``due_days`` is given), discrepancies waiting for review,
    battery replacements within ``battery_warning_months``. Reads the per-patient forecast
    rows by index: every list is an index range scan, every count an index range count.
    ``refresh_budget_seconds``: how long to spend recomputing stale forecasts first (None:
    all of them); ``stale_remaining`` says how many were left.
    """
    require(actor, Permission.VIEW_PATIENTS)
    refresh_stale_forecasts(session, budget_seconds=refresh_budget_seconds)
    settings = load_settings(session)
    today = today or dt.datetime.now(clinic_zone()).date()
    due_days = settings.due_soon_days if due_days is None else due_days
    soon_end = today + dt.timedelta(days=due_days)
    battery_end = add_months(today, settings.battery_warning_months)
    data = DashboardData(today, due_days, settings.battery_warning_months)
    forecasts, visits, patients = (
        RefillForecast.__table__,
        RefillVisit.__table__,
        Patient.__table__,
    )
    # A stale row holds dates computed from older records or settings: it is never listed
    # as if current; such patients are counted in ``stale_remaining`` and named in
    # ``recomputing`` instead.
    current = _F.stale == false()
    overdue = and_(current, _F.due_date < today)
    soon = and_(current, _F.due_date >= today, _F.due_date <= soon_end)
    pending = _V.review_pending == true()
    battery_where = and_(current, _F.battery_replace_by <= battery_end)
    past_alarm_first = case((_F.alarm_date <= today, 0), else_=1)
    data.overdue = _due_rows(
        session, overdue, (past_alarm_first, _F.due_date, _F.patient_id), today, limit
    )
    data.due_soon = _due_rows(session, soon, (_F.due_date, _F.patient_id), today, limit)
    visit_rows = session.execute(
        select(
            _V.id,
            _V.patient_id,
            _P.mrn,
            _P.family_name,
            _P.given_names,
            _V.refill_at,
            _V.expected_residual_ml,
            _V.measured_residual_ml,
            _V.discrepancy_ml,
            _V.threshold_ml,
        )
        .select_from(visits.join(patients, _P.id == _V.patient_id))
        .where(pending)
        .order_by(_V.refill_at, _V.id)
        .limit(limit)
    ).all()
    data.discrepancies = [
        DiscrepancyRow(
            vid, pid, mrn, f"{family.upper()}, {given}", at, expected, measured, diff, threshold
        )
        for vid, pid, mrn, family, given, at, expected, measured, diff, threshold in visit_rows
    ]
    battery_rows = session.execute(
        select(
            _F.patient_id,
            _P.mrn,
            _P.family_name,
            _P.given_names,
            _F.battery_replace_by,
            _F.battery_plan_by,
            _F.battery_eri_by,
            _F.battery_estimate,
        )
        .select_from(forecasts.join(patients, _P.id == _F.patient_id))
        .where(battery_where)
        .order_by(_F.battery_replace_by, _F.patient_id)
        .limit(limit)
    ).all()
    data.battery = [
        BatteryRow(
            pid,
            mrn,
            f"{family.upper()}, {given}",
            replace_by,
            plan_by,
            eri_by,
            bool(estimate),
            battery_words(replace_by, today, estimate=bool(estimate)),
        )
        for pid, mrn, family, given, replace_by, plan_by, eri_by, estimate in battery_rows
    ]

    def count(table: object, *where: object) -> object:
        return select(func.count()).select_from(table).where(*where).scalar_subquery()

    # Every count in one round trip.
    (
        data.overdue_count,
        data.past_alarm_count,
        data.due_soon_count,
        data.discrepancy_count,
        data.battery_count,
        data.stale_remaining,
    ) = session.execute(
        select(
            count(forecasts, overdue),
            count(forecasts, overdue, _F.alarm_date <= today),
            count(forecasts, soon),
            count(visits, pending),
            count(forecasts, battery_where),
            count(forecasts, _F.stale == true()),
        )
    ).one()
    if data.stale_remaining:
        data.recomputing = [
            RecomputingRow(pid, mrn, f"{family.upper()}, {given}")
            for pid, mrn, family, given in session.execute(
                select(_F.patient_id, _P.mrn, _P.family_name, _P.given_names)
                .select_from(forecasts.join(patients, _P.id == _F.patient_id))
                .where(_F.stale == true())
                .order_by(_P.family_name, _P.given_names, _F.patient_id)
                .limit(limit)
            ).all()
        ]
    data.computed_at = session.scalar(select(func.max(_F.computed_at)).where(_F.stale == false()))
    return data


# --------------------------------------------------------------------------------------------
# Reads for printed reports


def current_forecast(
    session: Session, patient_id: int, now: dt.datetime | None = None
) -> ForecastValues | None:
    """The stored forecast row; computed afresh (and not stored) when missing or stale."""
    row = _fresh_row(session, patient_id)
    if row is not None and not row.stale:
        return ForecastValues(
            implant_id=row.implant_id,
            fill_date=row.fill_date,
            volume_after_fill_ml=row.volume_after_fill_ml,
            alarm_volume_ml=row.alarm_volume_ml,
            alarm_date=row.alarm_date,
            due_date=row.due_date,
            due_limit=row.due_limit,
            due_reason=row.due_reason,
            last_refill_id=row.last_refill_id,
            next_appointment_at=row.next_appointment_at,
        )
    if session.get(Patient, patient_id) is None:
        return None
    return compute_forecast(
        session, patient_id, load_settings(session), None, clinic_zone(), now or _now()
    )


def refill_list_for_printing(session: Session, actor: Actor, day: dt.date) -> list[int]:
    """The day's refill list for the batch of care plans (needs the right to print reports)."""
    require(actor, Permission.PRINT_REPORTS)
    return refill_list_ids(session, day, clinic_zone())


def refill_list_ids(session: Session, day: dt.date, tz: dt.tzinfo) -> list[int]:
    """Patients with a refill visit booked on ``day`` or a refill due that day, by id."""
    refresh_stale_forecasts(session)
    start = _day_start(day, tz)
    end = _day_start(day + dt.timedelta(days=1), tz)
    booked = session.scalars(
        select(RefillAppointment.patient_id).where(
            RefillAppointment.status == AppointmentStatus.BOOKED.value,
            RefillAppointment.starts_at >= start,
            RefillAppointment.starts_at < end,
        )
    ).all()
    due = session.scalars(
        select(RefillForecast.patient_id).where(
            RefillForecast.due_date == day, RefillForecast.stale == false()
        )
    ).all()
    # Marked stale meanwhile (a change on another workstation): their dates computed on read.
    changed = session.scalars(
        select(RefillForecast.patient_id).where(RefillForecast.stale == true())
    ).all()
    again = [
        pid
        for pid in changed
        if (values := current_forecast(session, pid)) is not None and values.due_date == day
    ]
    return sorted({*booked, *due, *again})
