"""Demo pumps: an implant and months of program history for each implanted demo patient.

Titration follows CLINICAL.md section 3 (start near twice a 50 mcg screening bolus a day, rises
within the limit of the origin and phase, then maintenance changes months apart). Some pumps
are near the end of their battery; some programs are left unfinished (a draft, or approved and
not yet programmed) so the dashboard has something to show.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import ROUND_DOWN, Decimal

from sqlalchemy.orm import Session

from carecoord.domain.enums import Origin, PatientStatus
from carecoord.domain.errors import ValidationFailed
from carecoord.domain.program import Program, PumpMode, Step
from carecoord.domain.program_safety import Phase
from carecoord.domain.program_status import PocketSide
from carecoord.domain.refills import alarm_volume_for
from carecoord.services import programs, pumps, refills
from carecoord.services.demo import DemoClinic
from carecoord.services.patients import PatientView
from carecoord.services.settings import load_settings

SURGEONS = ["Dr Hale", "Dr Novak", "Dr Achebe", "Dr Lindgren"]
TIP_LEVELS = ["T8", "T10", "T11", "C5", "T6"]
MODELS = ["synchromed2_8637_20", "synchromed2_8637_40", "prometra2_20", "synchromed2_8637_40"]
# Largest rise used per step: inside the titration limits of CLINICAL.md section 3.
RISE = {
    (Phase.AFTER_IMPLANT, Origin.SPINAL): Decimal("0.25"),
    (Phase.AFTER_IMPLANT, Origin.CEREBRAL): Decimal("0.12"),
    (Phase.MAINTENANCE, Origin.SPINAL): Decimal("0.3"),
    (Phase.MAINTENANCE, Origin.CEREBRAL): Decimal("0.15"),
}
TENTH = Decimal("0.1")


def _at(day: dt.date, hour: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=programs.clinic_zone()).astimezone(dt.UTC)


def _program(concentration: Decimal, rate: Decimal, flex: bool, note: str = "") -> Program:
    if not flex:
        return Program(concentration, PumpMode.CONTINUOUS, (Step(0, rate),), bridge_bolus_note=note)
    # More at night for night-time spasms: 22:00-07:00 a quarter higher.
    night = (rate * Decimal("1.25")).quantize(TENTH, ROUND_DOWN)
    return Program(
        concentration,
        PumpMode.FLEX,
        (Step(0, night), Step(7 * 60, rate), Step(22 * 60, night)),
        bridge_bolus_note=note,
    )


def _implant(session: Session, clinic: DemoClinic, patient: PatientView, index: int):
    rng = clinic.rng
    near_end = index % 5 == 1  # a battery in its last months
    if near_end:
        days_ago = rng.randint(int(365.25 * 6.5), int(365.25 * 6.95))
        model = "synchromed2_8637_20" if index % 2 else "synchromed2_8637_40"
    else:
        days_ago = rng.randint(40, 365 * 5)
        model = MODELS[index % len(MODELS)]
    return pumps.record_implant(
        session,
        clinic.nurse,
        patient.id,
        pumps.ImplantInput(
            device_key=model,
            serial_number=f"{'NGP' if 'synchromed' in model else 'PM'}{rng.randint(100000, 999999)}H",
            implant_date=clinic.today - dt.timedelta(days=days_ago),
            # Implants of the last year were recorded with their time; older ones were
            # entered from paper records without it.
            implant_time=dt.time(8 + index % 6, 15 * (index % 4)) if days_ago < 365 else None,
            catheter_tip_level=rng.choice(TIP_LEVELS),
            catheter_length_cm=Decimal(rng.randint(380, 520)) / 10,
            pocket_side=rng.choice([PocketSide.RIGHT, PocketSide.LEFT]),
            surgeon=rng.choice(SURGEONS),
            revisions="Catheter revised for a kink (2nd year)" if index % 7 == 3 else "",
        ),
    )


def _in_force(
    session: Session,
    clinic: DemoClinic,
    patient_id: int,
    program: Program,
    day: dt.date,
    phase: Phase,
    reservoir: Decimal,
    *,
    reason: str = "",
    vendor_shift: int | None = 0,
) -> None:
    """Draft in the morning, approve at noon, programmed in the afternoon of ``day``."""
    draft = programs.save_draft(
        session, clinic.nurse, patient_id, program, phase=phase, reason=reason, now=_at(day, 9)
    )
    try:
        approved = programs.approve(
            session, clinic.physiatrist, draft.id, draft.version, now=_at(day, 12)
        )
    except ValidationFailed:  # a rule needs a reason: the physiatrist gives one
        approved = programs.approve(
            session,
            clinic.physiatrist,
            draft.id,
            draft.version,
            now=_at(day, 12),
            reason="Reviewed in clinic: spasticity still limits transfers; change agreed.",
        )
    implant = pumps.active_implant(session, patient_id)
    settings = load_settings(session)
    device = implant.device if implant else None
    ours = programs.alarm_date_for(
        program, day, reservoir, alarm_volume_for(settings, device), settings
    )
    vendor = None
    if vendor_shift is not None and ours is not None:
        vendor = ours + dt.timedelta(days=vendor_shift)
    programs.mark_programmed(
        session,
        clinic.nurse,
        approved.id,
        approved.version,
        programmed_at=_at(day, 15),
        reservoir_ml=reservoir,
        vendor_alarm_date=vendor,
    )


def _history(session: Session, clinic: DemoClinic, patient: PatientView, implant, index: int):
    rng: random.Random = clinic.rng
    origin = patient.origin or Origin.SPINAL
    device = implant.device
    flex = index % 3 == 0 and device is not None and PumpMode.FLEX in device.modes
    reservoir = device.reservoir_ml if device else Decimal(20)
    concentration = Decimal(500)
    # Start: twice the effective screening bolus (50 or 100 mcg) over 24 h [9][11].
    rate = Decimal("4.2") if origin is Origin.CEREBRAL or index % 2 else Decimal("8.3")
    day = implant.implant_date + dt.timedelta(days=1)
    phase = Phase.AFTER_IMPLANT
    _in_force(
        session, clinic, patient.id, _program(concentration, rate, False), day, phase, reservoir
    )
    titrations = rng.randint(3, 6)
    for _ in range(titrations):
        day += dt.timedelta(days=rng.randint(2, 4))
        if day >= clinic.today - dt.timedelta(days=2):
            return rate, concentration, flex, day
        rise = RISE[(phase, origin)] * Decimal(rng.randint(60, 100)) / 100
        rate = (rate * (1 + rise)).quantize(TENTH, ROUND_DOWN)
        _in_force(
            session, clinic, patient.id, _program(concentration, rate, False), day, phase, reservoir
        )
    phase = Phase.MAINTENANCE
    if (clinic.today - day).days > 600:
        # Years on a stable program, then the changes of the last year or so.
        day = clinic.today - dt.timedelta(days=rng.randint(300, 500))
    changes = rng.randint(2, 5)
    for step in range(changes):
        day += dt.timedelta(days=rng.randint(45, 120))
        if day >= clinic.today - dt.timedelta(days=3):
            break
        rise = RISE[(phase, origin)] * Decimal(rng.randint(20, 90)) / 100
        # Stay inside the usual maintenance range [2][10][11]: past its middle, come down.
        ceiling = Decimal(650) if origin is Origin.SPINAL else Decimal(450)
        down = rng.random() < 0.2 or rate * 24 * (1 + rise) > ceiling
        rate = (rate * (1 - rise / 2 if down else 1 + rise)).quantize(TENTH, ROUND_DOWN)
        note = ""
        if step == 1 and concentration == 500 and rate * 24 > 300:
            concentration = Decimal(1000)  # fewer refills at a higher concentration
            note = (
                "Old 500 mcg/mL drug emptied at the refill; bridge bolus of the catheter volume "
                "programmed at the old rate before the new concentration."
            )
        shift = 0 if index % 6 != 2 or step != changes - 1 else 3
        _in_force(
            session,
            clinic,
            patient.id,
            _program(concentration, rate, flex and step > 0, note),
            day,
            phase,
            reservoir,
            vendor_shift=None if index % 4 == 3 else shift,
        )
    return rate, concentration, flex, day


def demo_step(session: Session, clinic: DemoClinic) -> None:
    implanted = [p for p in clinic.patients if p.status is PatientStatus.IMPLANTED]
    unfinished = 0
    low_alarm_shown = False
    for index, patient in enumerate(implanted):
        implant = _implant(session, clinic, patient, index)
        if implant.device_key.startswith("prometra") and not low_alarm_shown:
            # A patient's own alarm volume below Prometra's 3.0 mL refill point: the screens
            # warn and the dates use 3 mL.
            refills.set_patient_alarm_volume(
                session,
                clinic.nurse,
                patient.id,
                Decimal("2.5"),
                "Set at the referring clinic before transfer",
                expected_version=0,
            )
            low_alarm_shown = True
        rate, concentration, flex, _day = _history(session, clinic, patient, implant, index)
        if index % 4 == 2:
            # Left as a draft by the nurse this morning: waiting for the physiatrist.
            new_rate = (rate * Decimal("1.1")).quantize(TENTH, ROUND_DOWN)
            programs.save_draft(
                session,
                clinic.nurse,
                patient.id,
                _program(concentration, new_rate, flex),
                note="Spasms worse in the evening; family asks for a small rise.",
                now=dt.datetime.now(dt.UTC) - dt.timedelta(days=index % 3, hours=3),
            )
            unfinished += 1
        elif index % 4 == 0 and index % 8 == 0:
            # Approved yesterday, not yet programmed on the pump.
            new_rate = (rate * Decimal("0.9")).quantize(TENTH, ROUND_DOWN)
            draft = programs.save_draft(
                session,
                clinic.nurse,
                patient.id,
                _program(concentration, new_rate, flex),
                phase=Phase.MAINTENANCE,
                note="Daytime weakness when walking: reduce by about 10 %.",
            )
            programs.approve(session, clinic.physiatrist, draft.id, draft.version)
            unfinished += 1
    clinic.notes.append(
        f"{len(implanted)} pumps with program histories; {unfinished} programs not finished."
    )
