"""Demo step: pumps, programs and refill histories, so the dashboard has every kind of row.

Each implanted demo patient gets a pump (if no earlier step gave one), a program confirmed on
it and three or four refills through the real services. The last fill is placed so that the
dashboard shows, in a fixed rotation: overdue past the alarm date (withdrawal risk), overdue,
due soon, on schedule; some refills carry a residual discrepancy not yet reviewed, one patient
has a program change between refills, two pumps near the end of their battery life, and the
overdue patients have recall calls logged (one with a visit booked).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from decimal import ROUND_FLOOR, Decimal

from sqlalchemy.orm import Session

from carecoord.domain.devices import add_months
from carecoord.domain.enums import Discipline, PatientStatus
from carecoord.domain.program import Program, PumpMode, RateUnit, Step, continuous_program
from carecoord.domain.program_safety import Phase
from carecoord.domain.refill_status import ContactOutcome
from carecoord.domain.refills import forecast_refill
from carecoord.services import programs, pumps, recalls, refills
from carecoord.services.demo import DemoClinic
from carecoord.services.patients import PatientView
from carecoord.services.programs import clinic_zone
from carecoord.services.settings import load_settings

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
    plan: PumpPlan,
    concentration: Decimal,
    *,
    short_ml: Decimal = Decimal(0),
    next_visit_at: dt.datetime | None = None,
    vendor_shift_days: int = 0,
    lot: str,
) -> refills.RefillVisitView:
    context = refills.refill_context(session, clinic.nurse, patient_id)
    probe = refills.RefillInput(
        refill_at=at,
        measured_residual_ml=D(0),
        volume_discarded_ml=D(0),
        volume_added_ml=plan.fill_ml,
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
            volume_added_ml=plan.fill_ml,
            concentration_mcg_per_ml=concentration,
            lot=lot,
            lot_expiry=at.date() + dt.timedelta(days=400),
            vendor_alarm_date=vendor,
            next_visit_at=next_visit_at,
        ),
        based_on_visit_id=context.last_visit_id,
    )


def _patient_history(
    session: Session, clinic: DemoClinic, patient: PatientView, index: int, tz: dt.tzinfo
) -> str:
    state = STATES[index % len(STATES)]
    plan = PLANS[index % len(PLANS)]
    if state == "past_alarm" and plan.fill_ml > 20:
        plan = PLANS[0]  # a 20 mL pump: the alarm follows the due date within days
    settings = load_settings(session)
    today = clinic.today
    rng = clinic.rng
    device = pumps.device_for(session, plan.device_key)
    assert device is not None
    alarm_ml = refills.alarm_volume_for(settings, device)
    shape = forecast_refill(
        today, plan.fill_ml, plan.program, tz, settings, alarm_volume_ml=alarm_ml
    )
    due, alarm = shape.days_to_due, shape.days_to_alarm
    if state == "past_alarm":
        last = (alarm if alarm is not None else due) + rng.randint(1, 3)
    elif state.startswith("overdue"):
        last = due + 2
        if alarm is not None and last >= alarm:
            last = due + 1
    elif state.startswith("due_soon"):
        last = due - rng.randint(2, min(12, settings.due_soon_days - 1))
    else:
        last = max(2, due - settings.due_soon_days - rng.randint(4, 12))
    interval = max(7, due - 2)
    last_day = today - dt.timedelta(days=last)
    first_day = last_day - dt.timedelta(days=interval * REFILLS_BEFORE_LAST)
    programmed_day = first_day - dt.timedelta(days=interval)
    if state == "ok_battery":
        implant_day = add_months(today, -(device.battery_life_max_months or 84) + 4)
    elif state == "ok_battery_past":
        implant_day = add_months(today, -(device.battery_life_max_months or 84) - 1)
    else:
        implant_day = programmed_day - dt.timedelta(days=rng.randint(20, 1500))
    implant_day = min(implant_day, programmed_day)
    if pumps.active_implant(session, patient.id) is None:
        pumps.record_implant(
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
    if programs.active_program(session, patient.id) is not None:
        return "kept the earlier step's program"
    _confirm(
        session,
        clinic,
        patient.id,
        plan.program,
        _at(programmed_day, 11, tz),
        plan.fill_ml,
        "Dose carried over from the implanting centre",
    )
    concentration = plan.program.concentration_mcg_per_ml
    lot_base = 24000 + patient.id * 10
    for k in range(REFILLS_BEFORE_LAST):
        day = first_day + dt.timedelta(days=interval * k)
        _refill(
            session,
            clinic,
            patient.id,
            _at(day, 9 + k, tz, 15),
            plan,
            concentration,
            lot=f"L{lot_base + k}",
            short_ml=D("0.2") * (k % 2),
        )
        if state == "ok_program_change" and k == 1:
            # A dose change between two refills: the next expected residual counts both.
            change_day = day + dt.timedelta(days=interval // 2)
            context = refills.refill_context(session, clinic.nurse, patient.id)
            left = context.check(
                refills.RefillInput(
                    _at(change_day, 14, tz),
                    D(0),
                    D(0),
                    D(0),
                    concentration,
                    "-",
                    dt.date.max,
                )
            ).expected_ml
            steps = tuple(replace(s, rate=s.rate * D("1.1")) for s in plan.program.steps)
            _confirm(
                session,
                clinic,
                patient.id,
                Program(concentration, plan.program.mode, steps),
                _at(change_day, 14, tz),
                (left or D(0)).quantize(TENTH, rounding=ROUND_FLOOR),
                "Spasms at night: dose up 10 %",
            )
    short = D(0)
    if "discrepancy" in state:
        threshold = settings.discrepancy_threshold_20ml
        if device.reservoir_ml > 20:
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
        plan,
        concentration,
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


def _refill_after_program_history(
    session: Session, clinic: DemoClinic, patient: PatientView, tz: dt.tzinfo
) -> None:
    """A patient whose program history an earlier step wrote: refills since the last
    programming at the interval its program needs, so the dates on the dashboard follow from
    real visits and the pump never runs empty."""
    active = programs.active_program(session, patient.id)
    implant = pumps.active_implant(session, patient.id)
    if active is None or implant is None or implant.device is None or active.programmed_at is None:
        return
    device = implant.device
    plan = PumpPlan(device.key, device.reservoir_ml, active.program)
    settings = load_settings(session)
    since = active.programmed_at.astimezone(tz).date()
    shape = forecast_refill(
        since,
        plan.fill_ml,
        plan.program,
        tz,
        settings,
        alarm_volume_ml=refills.alarm_volume_for(settings, device),
    )
    interval = max(7, shape.days_to_due - clinic.rng.randint(1, 4))
    day = since + dt.timedelta(days=interval)
    lot = 31000 + patient.id * 10
    while day < clinic.today - dt.timedelta(days=2):
        _refill(
            session,
            clinic,
            patient.id,
            _at(day, 11, tz, 10),
            plan,
            active.program.concentration_mcg_per_ml,
            lot=f"L{lot}",
        )
        lot += 1
        day += dt.timedelta(days=interval)


def demo_step(session: Session, clinic: DemoClinic) -> None:
    """Pumps, programs, refills, recalls and appointments for the implanted demo patients."""
    tz = clinic_zone()
    implanted = clinic.with_status(PatientStatus.IMPLANTED)
    shaped = 0
    for patient in implanted:
        if programs.active_program(session, patient.id) is not None:
            _refill_after_program_history(session, clinic, patient, tz)
        else:
            _patient_history(session, clinic, patient, shaped, tz)
            shaped += 1
    if implanted:
        clinic.notes.append(
            f"Refills: {len(implanted)} pumps with refill histories; the dashboard lists "
            "overdue (some past the alarm date), due, discrepancy and battery rows."
        )
