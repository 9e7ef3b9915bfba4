"""Demo step: refill histories on the demo pumps, so the dashboard has every kind of row.

Runs after the pump demo step and uses its implants and program histories (a patient without
them gets a pump and a program here). Each implanted patient's oldest known fill is carried
over from the paper record, then refills are recorded through the real services, each on time
for the programs then in force. The last fill is placed so that the dashboard shows, in a
fixed rotation: overdue past the alarm date (withdrawal risk), overdue, due soon, on schedule;
some refills carry a residual discrepancy not yet reviewed, and the overdue patients have
recall calls logged (one with a visit booked).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal

from sqlalchemy.orm import Session

from carecoord.domain.devices import add_months
from carecoord.domain.enums import Discipline, PatientStatus
from carecoord.domain.program import Program, PumpMode, RateUnit, Step, continuous_program
from carecoord.domain.program_safety import Phase
from carecoord.domain.refill_status import DRUG_NAME, ContactOutcome
from carecoord.domain.refills import alarm_volume_for, forecast_refill
from carecoord.services import audit, programs, pumps, recalls, refills
from carecoord.services.context import SYSTEM
from carecoord.services.demo import DemoClinic
from carecoord.services.patients import PatientView
from carecoord.services.programs import clinic_zone
from carecoord.services.settings import load_settings
from carecoord.store.models_refills import RefillVisit

D = Decimal
TENTH = D("0.1")


@dataclass(frozen=True)
class PumpPlan:
    device_key: str
    fill_ml: Decimal
    program: Program


PLANS = [
    # CLINICAL.md worked example 2: 360 mcg/day flex at 500 mcg/mL in a 20 mL pump.
    PumpPlan(
        "synchromed2_8637_20",
        D(20),
        Program(D(500), PumpMode.FLEX, (Step(0, D(20)), Step(420, D(12)), Step(1320, D(20)))),
    ),
    PumpPlan("synchromed2_8637_20", D(20), continuous_program(D(500), D(12))),
    # Worked example 1: 400 mcg/day at 2000 mcg/mL in a 40 mL pump (due at the clinic maximum).
    PumpPlan(
        "synchromed2_8637_40", D(40), continuous_program(D(2000), D("0.2"), RateUnit.ML_PER_DAY)
    ),
    PumpPlan("synchromed2_8637_40", D(40), continuous_program(D(1000), D(25))),
    PumpPlan("prometra2_20", D(20), continuous_program(D(500), D(10))),
]
# What the dashboard should show for the n-th implanted patient (rotation).
STATES = [
    "past_alarm",
    "due_soon",
    "overdue",
    "ok_battery",
    "due_soon_discrepancy",
    "ok",
    "overdue_booked",
    "ok_program_change",
    "due_soon",
    "ok_discrepancy",
    "ok_battery_past",
    "ok",
]
REFILLS_BEFORE_LAST = 3


def _at(day: dt.date, hour: int, tz: dt.tzinfo, minute: int = 0) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=tz)


def _confirm(
    session: Session,
    clinic: DemoClinic,
    patient_id: int,
    program: Program,
    at: dt.datetime,
    reservoir_ml: Decimal,
    reason: str,
) -> None:
    draft = programs.save_draft(
        session, clinic.physiatrist, patient_id, program, phase=Phase.MAINTENANCE, reason=reason
    )
    approved = programs.approve(
        session,
        clinic.physiatrist,
        draft.id,
        draft.version,
        reason=reason,
        now=at - dt.timedelta(hours=1),
    )
    programs.mark_programmed(
        session,
        clinic.nurse,
        approved.id,
        approved.version,
        programmed_at=at,
        reservoir_ml=reservoir_ml,
        vendor_alarm_date=None,
    )


def _refill(
    session: Session,
    clinic: DemoClinic,
    patient_id: int,
    at: dt.datetime,
    fill_ml: Decimal,
    *,
    short_ml: Decimal = Decimal(0),
    next_visit_at: dt.datetime | None = None,
    vendor_shift_days: int = 0,
    lot: str,
) -> refills.RefillVisitView:
    context = refills.refill_context(session, clinic.nurse, patient_id)
    running = context.in_force_at(at) or context.programs[0]
    concentration = running.program.concentration_mcg_per_ml
    probe = refills.RefillInput(
        refill_at=at,
        measured_residual_ml=D(0),
        volume_discarded_ml=D(0),
        volume_added_ml=fill_ml,
        concentration_mcg_per_ml=concentration,
        lot=lot,
        lot_expiry=at.date() + dt.timedelta(days=400),
    )
    checked = context.check(probe, at + dt.timedelta(minutes=1))
    expected = checked.expected_ml or D(0)
    # The nurse reads the residual to 0.1 mL; a short one is a discrepancy to review.
    measured = max(D(0), (expected - short_ml).quantize(TENTH, rounding=ROUND_FLOOR))
    forecast = checked.forecast
    vendor = None
    if forecast is not None and forecast.alarm_date is not None:
        vendor = forecast.alarm_date + dt.timedelta(days=vendor_shift_days)
    return refills.record_refill(
        session,
        clinic.nurse,
        patient_id,
        refills.RefillInput(
            refill_at=at,
            measured_residual_ml=measured,
            volume_discarded_ml=measured,
            volume_added_ml=fill_ml,
            concentration_mcg_per_ml=concentration,
            lot=lot,
            lot_expiry=at.date() + dt.timedelta(days=400),
            vendor_alarm_date=vendor,
            next_visit_at=next_visit_at,
        ),
        based_on_visit_id=context.last_visit_id,
    )


def _import_fill(
    session: Session, clinic: DemoClinic, patient_id: int, at: dt.datetime, fill_ml: Decimal
) -> None:
    """The last refill before the clinic used CareCoord: its fill is known, not its residual."""
    context = refills.refill_context(session, clinic.nurse, patient_id)
    running = context.in_force_at(at) or context.programs[0]
    assert context.implant_id is not None
    row = RefillVisit(
        patient_id=patient_id,
        implant_id=context.implant_id,
        program_id=running.id,
        refill_at=at,
        measured_residual_ml=D(0),
        volume_discarded_ml=D(0),
        drug=DRUG_NAME,
        concentration_mcg_per_ml=running.program.concentration_mcg_per_ml,
        lot="PAPER RECORD",
        lot_expiry=at.date() + dt.timedelta(days=300),
        volume_added_ml=fill_ml,
        new_volume_ml=fill_ml,
        note="Carried over from the paper refill record.",
        created_at=at,
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        SYSTEM,
        action="import",
        entity="refill_visit",
        entity_id=row.id,
        patient_id=patient_id,
        summary=f"Demo data: last paper-record refill ({fill_ml} mL) carried over",
    )
    session.commit()


def _ensure_pump(
    session: Session, clinic: DemoClinic, patient: PatientView, index: int, state: str
) -> None:
    """A pump and a program, unless an earlier demo step gave the patient both."""
    today, rng = clinic.today, clinic.rng
    plan = PLANS[index % len(PLANS)]
    implant = pumps.active_implant(session, patient.id)
    if implant is None:
        device = pumps.device_for(session, plan.device_key)
        assert device is not None
        if state == "ok_battery":
            implant_day = add_months(today, -(device.battery_life_max_months or 84) + 4)
        elif state == "ok_battery_past":
            implant_day = add_months(today, -(device.battery_life_max_months or 84) - 1)
        else:
            implant_day = today - dt.timedelta(days=rng.randint(400, 1500))
        implant = pumps.record_implant(
            session,
            clinic.nurse,
            patient.id,
            pumps.ImplantInput(
                device_key=plan.device_key,
                serial_number=f"DEMO{10000 + patient.id}",
                implant_date=implant_day,
                catheter_tip_level=rng.choice(["T8", "T10", "T6", "C6"]),
                catheter_length_cm=D(rng.randint(40, 60)),
                surgeon="Dr Hale",
            ),
        )
    if programs.active_program(session, patient.id) is None:
        reservoir = implant.device.reservoir_ml if implant.device else plan.fill_ml
        _confirm(
            session,
            clinic,
            patient.id,
            plan.program,
            _at(implant.implant_date + dt.timedelta(days=1), 11, clinic_zone()),
            reservoir,
            "Dose carried over from the implanting centre",
        )


def _patient_history(
    session: Session, clinic: DemoClinic, patient: PatientView, index: int, tz: dt.tzinfo
) -> str:
    state = STATES[index % len(STATES)]
    settings = load_settings(session)
    today, rng = clinic.today, clinic.rng
    _ensure_pump(session, clinic, patient, index, state)
    implant = pumps.active_implant(session, patient.id)
    active = programs.active_program(session, patient.id)
    assert implant is not None and active is not None
    if implant.device is None:
        return "pump model not in the catalog"
    fill_ml = implant.device.reservoir_ml
    alarm_ml = alarm_volume_for(
        settings, implant.device, pumps.patient_alarm_volume(session, patient.id)
    )
    shape = forecast_refill(today, fill_ml, active.program, tz, settings, alarm_volume_ml=alarm_ml)
    due, alarm = shape.days_to_due, shape.days_to_alarm
    context = refills.refill_context(session, clinic.nurse, patient.id)
    periods = list(context.periods)
    first_program_day = context.programs[0].programmed_at.astimezone(tz).date()

    def after_fill(day: dt.date):  # the real dates of a fill, every program change followed
        return forecast_refill(day, fill_ml, periods, tz, settings, alarm_volume_ml=alarm_ml)

    def fits(last: int) -> int:
        """0 when a last fill ``last`` days ago gives the state; else which way to move."""
        fc = after_fill(today - dt.timedelta(days=last))
        if state == "past_alarm":
            return 0 if fc.alarm_date and fc.alarm_date < today else 1
        if state.startswith("overdue"):
            if fc.due_date >= today - dt.timedelta(days=1):
                return 1
            return 0 if fc.alarm_date is None or fc.alarm_date > today else -1
        if state.startswith("due_soon"):
            if fc.due_date < today + dt.timedelta(days=2):
                return -1
            return 0 if fc.due_date <= today + dt.timedelta(days=12) else 1
        return 0 if fc.due_date > today + dt.timedelta(days=settings.due_soon_days + 3) else -1

    if state == "past_alarm":
        last = (alarm if alarm is not None else due) + rng.randint(1, 3)
    elif state.startswith("overdue"):
        last = due + 2
    elif state.startswith("due_soon"):
        last = due - rng.randint(2, min(12, settings.due_soon_days - 1))
    else:
        last = max(2, due - settings.due_soon_days - rng.randint(4, 12))
    for _ in range(40):  # programs changed since: nudge the day until the state holds
        move = fits(last)
        if move == 0 or last + move < 1:
            break
        last += move
    last_day = today - dt.timedelta(days=last)
    if last_day <= first_program_day:
        return f"{state}: pump too new for a refill"
    # Earlier refills on time: each one's fill lasts until the next visit.
    days = [last_day]
    for _ in range(REFILLS_BEFORE_LAST + 1):
        previous = days[0] - dt.timedelta(days=max(7, due - 2))
        while previous < days[0] - dt.timedelta(days=7) and after_fill(previous).due_date < days[
            0
        ] - dt.timedelta(days=2):
            previous += dt.timedelta(days=2)
        if previous <= first_program_day + dt.timedelta(days=1):
            break
        days.insert(0, previous)
    days.pop()  # the last fill is recorded below with its own details
    lot_base = 24000 + patient.id * 10
    if days:
        # The oldest known fill comes from the paper record; the rest were entered here.
        _import_fill(session, clinic, patient.id, _at(days[0], 9, tz), fill_ml)
    for k, day in enumerate(days[1:]):
        _refill(
            session,
            clinic,
            patient.id,
            _at(day, 9 + k, tz, 15),
            fill_ml,
            lot=f"L{lot_base + k}",
            short_ml=D("0.2") * (k % 2),
        )
    short = D(0)
    if "discrepancy" in state:
        threshold = settings.discrepancy_threshold_20ml
        if implant.device.reservoir_ml > 20:
            threshold = settings.discrepancy_threshold_40ml
        short = threshold + D("0.6")
    booked = None
    next_due = last_day + dt.timedelta(days=due)
    if state.startswith("ok") and next_due > today:
        booked = _at(next_due, 10, tz, 30)
    visit = _refill(
        session,
        clinic,
        patient.id,
        _at(last_day, 10, tz, 40),
        fill_ml,
        lot=f"L{lot_base + REFILLS_BEFORE_LAST}",
        short_ml=short,
        next_visit_at=booked,
        vendor_shift_days=3 if state == "ok" and index % 2 else 0,
    )
    now = dt.datetime.now(dt.UTC)
    if state in ("past_alarm", "overdue", "overdue_booked"):
        recalls.log_contact_attempt(
            session,
            clinic.by_discipline(Discipline.SOCIAL_WORKER),
            patient.id,
            ContactOutcome.NO_ANSWER,
            "Mobile rang out",
            at=now - dt.timedelta(days=1, hours=2),
        )
        outcome = ContactOutcome.BOOKED if state == "overdue_booked" else ContactOutcome.MESSAGE
        appointment = None
        if outcome is ContactOutcome.BOOKED:
            appointment = _at(today + dt.timedelta(days=1), 9, tz, 30)
        recalls.log_contact_attempt(
            session,
            clinic.nurse,
            patient.id,
            outcome,
            "Spoke to the caregiver" if appointment else "Asked to call the clinic today",
            appointment_at=appointment,
            at=now - dt.timedelta(hours=3),
        )
    return f"{state}: last fill {last} days ago, visit {visit.id}"


def demo_step(session: Session, clinic: DemoClinic) -> None:
    """Pumps, programs, refills, recalls and appointments for the implanted demo patients."""
    tz = clinic_zone()
    implanted = clinic.with_status(PatientStatus.IMPLANTED)
    for index, patient in enumerate(implanted):
        _patient_history(session, clinic, patient, index, tz)
    if implanted:
        clinic.notes.append(
            f"Refills: {len(implanted)} pumps with refill histories; the dashboard lists "
            "overdue (some past the alarm date), due, discrepancy and battery rows."
        )
