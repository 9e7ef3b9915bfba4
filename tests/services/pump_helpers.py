"""Patients with pumps for the pump and program service tests."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from carecoord.domain.enums import Origin, PatientStatus, Sex
from carecoord.domain.patients import PatientInput
from carecoord.domain.program import Program, PumpMode, Step
from carecoord.domain.program_status import PocketSide
from carecoord.services import patients, pumps

D = Decimal


def implanted_patient(
    session,
    actor,
    *,
    mrn: str = "MRN-100",
    origin: Origin | None = Origin.SPINAL,
    implant_date: dt.date | None = None,
    device_key: str = "synchromed2_8637_20",
):
    """A registered patient with a pump in place; returns (patient view, implant view)."""
    patient = patients.create_patient(
        session,
        actor,
        PatientInput(
            mrn=mrn,
            family_name="Lopez",
            given_names="Ana",
            date_of_birth=dt.date(1980, 5, 17),
            sex=Sex.FEMALE,
            origin=origin,
            diagnosis="Spinal cord injury",
            status=PatientStatus.IMPLANTED if origin else PatientStatus.REFERRED,
        ),
    )
    implant = pumps.record_implant(
        session,
        actor,
        patient.id,
        implant_input(device_key=device_key, implant_date=implant_date),
    )
    return patient, implant


def implant_input(**overrides) -> pumps.ImplantInput:
    values = dict(
        device_key="synchromed2_8637_20",
        serial_number="nab123456h",
        implant_date=dt.date.today() - dt.timedelta(days=200),
        catheter_tip_level="T10",
        catheter_length_cm=D("45.5"),
        pocket_side=PocketSide.RIGHT,
        surgeon="Dr Hale",
    )
    values.update({k: v for k, v in overrides.items() if v is not None or k == "explant_date"})
    return pumps.ImplantInput(**values)


def continuous(mcg_per_hour: str, concentration: str = "500") -> Program:
    return Program(D(concentration), PumpMode.CONTINUOUS, (Step(0, D(mcg_per_hour)),))


def example2() -> Program:
    """CLINICAL.md section 5 worked example 2: 360 mcg/day at 500 mcg/mL."""
    return Program(
        D(500), PumpMode.FLEX, (Step(0, D(20)), Step(7 * 60, D(12)), Step(22 * 60, D(20)))
    )
