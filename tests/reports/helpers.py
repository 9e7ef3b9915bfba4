"""Reading a generated PDF back as a person would: its text, page by page, and its pages."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from io import BytesIO

from pypdf import PdfReader

from carecoord.domain.enums import Discipline
from carecoord.domain.refills import forecast_refill
from carecoord.domain.settings import ClinicSettings
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
from tests.domain.pump_examples import example2

FILL_DATE = dt.date(2026, 11, 24)
GENERATED_AT = dt.datetime(2026, 11, 24, 14, 5, tzinfo=dt.UTC)


def page_texts(pdf: bytes) -> list[str]:
    """Each page's text with spacing normalised (no-break spaces and line breaks as spaces)."""
    reader = PdfReader(BytesIO(pdf))
    return [_normal(page.extract_text() or "") for page in reader.pages]


def text_of(pdf: bytes) -> str:
    return " ".join(page_texts(pdf))


def _normal(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("\u00a0", " ")).strip()


def page_sizes(pdf: bytes) -> list[tuple[float, float]]:
    reader = PdfReader(BytesIO(pdf))
    return [(float(p.mediabox.width), float(p.mediabox.height)) for p in reader.pages]


def font_names(pdf: bytes) -> set[str]:
    reader = PdfReader(BytesIO(pdf))
    names: set[str] = set()
    for page in reader.pages:
        fonts = page.get("/Resources", {}).get("/Font", {})
        for ref in fonts.values():
            names.add(str(ref.get_object().get("/BaseFont")))
    return names


def example2_plan(**changes) -> CarePlanInput:
    """CLINICAL.md section 5, worked example 2: filled to 20 mL on FILL_DATE, 360 mcg/day."""
    program = example2()
    forecast = forecast_refill(FILL_DATE, Decimal(20), program, "UTC", ClinicSettings())
    values = dict(
        patient=PatientInfo("Rossi", "Ana María", "MRN-0042", dt.date(1980, 5, 17), "en"),
        clinic=ClinicInfo("Riverside Spasticity Clinic", "+1 555 0100", "+1 555 0199"),
        generated_at=GENERATED_AT,
        generated_by="Nia King (Nurse)",
        pump=PumpInfo("SynchroMed II", Decimal(20)),
        program=ProgramInfo(program, 3, True),
        refill=RefillInfo.from_forecast(forecast),
        next_appointment=Appointment(forecast.due_date, dt.time(9, 30), "Room 4"),
        team=(
            TeamContact(Discipline.PHYSIATRIST, "Dr Maria Doe", "+1 555 0101"),
            TeamContact(Discipline.NURSE, "Nia King", "+1 555 0102"),
        ),
        goals=("Sit in the wheelchair all day without pain",),
    )
    values.update(changes)
    return CarePlanInput(**values)
