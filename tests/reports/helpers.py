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


def evaluation_input(**changes):
    """A patient with four signed evaluations, one draft, a positive screen and a status."""
    from carecoord.domain.evaluations import Recommendation
    from carecoord.reports.evaluation_summary import (
        CandidacySummary,
        DisciplineFinding,
        EvaluationSummaryInput,
        ScaleComparison,
        ScreeningSummary,
    )

    values = dict(
        patient=PatientInfo("Okafor", "Chidi", "MRN-0107", dt.date(1975, 3, 2)),
        clinic_name="Riverside Spasticity Clinic",
        generated_at=GENERATED_AT,
        generated_by="Dr Maria Doe (Physiatrist)",
        diagnosis="Spinal cord injury, T4",
        origin="Spinal origin",
        findings=(
            DisciplineFinding(
                Discipline.PHYSIATRIST,
                "Dr Maria Doe",
                dt.date(2026, 10, 2),
                "Severe lower-limb spasticity despite baclofen 80 mg a day.",
                Recommendation.PROCEED_TO_SCREENING,
            ),
            DisciplineFinding(
                Discipline.PHYSICAL_THERAPIST,
                "Priya Patel",
                dt.date(2026, 10, 3),
                "MAS 3 in both hip adductors; transfers need two people.",
                Recommendation.PROCEED_TO_SCREENING,
            ),
            DisciplineFinding(
                Discipline.NURSE,
                "Nia King",
                dt.date(2026, 10, 4),
                "Skin intact, no infection.",
                Recommendation.PROCEED_TO_SCREENING,
            ),
            DisciplineFinding(
                Discipline.SOCIAL_WORKER,
                "Sam Wu",
                None,
                "Lives 140 km away; daughter drives.",
                Recommendation.NEEDS_MORE_INFORMATION,
                "Transport to refills every 2 months not yet arranged.",
            ),
        ),
        scales=(
            ScaleComparison("Mean Modified Ashworth", Decimal("2.75"), Decimal("1.25")),
            ScaleComparison("Penn spasm frequency", Decimal(3), Decimal(1)),
            ScaleComparison("Pain (0-10)", Decimal(6), None),
        ),
        screening=ScreeningSummary(
            "50 mcg bolus",
            dt.date(2026, 10, 20),
            "Positive response: mean MAS reduction 1.5 at 4 h",
            ("Headache",),
        ),
        candidacy=CandidacySummary(
            "Evaluations missing",
            ("The occupational therapist evaluation is missing.",),
            (),
            ("Social worker evaluation is a draft.",),
        ),
    )
    values.update(changes)
    return EvaluationSummaryInput(**values)


def minutes_input(**changes):
    from carecoord.domain.candidacy import CandidacyStatus
    from carecoord.domain.decisions import DecisionKind, TeamDecision
    from carecoord.domain.meetings import AgendaOrigin, ItemOutcome
    from carecoord.reports.minutes import MeetingAttendee, MeetingMinutesInput, MinutesItem

    held = dt.date(2026, 11, 20)
    values = dict(
        clinic_name="Riverside Spasticity Clinic",
        held_on=held,
        generated_at=GENERATED_AT,
        generated_by="Sam Wu (Social worker)",
        attendees=(
            MeetingAttendee("Dr Maria Doe", Discipline.PHYSIATRIST),
            MeetingAttendee("Priya Patel", Discipline.PHYSICAL_THERAPIST),
            MeetingAttendee("Ola Olsen", Discipline.OCCUPATIONAL_THERAPIST),
            MeetingAttendee("Nia King", Discipline.NURSE),
            MeetingAttendee("Sam Wu", Discipline.SOCIAL_WORKER),
        ),
        items=(
            MinutesItem(
                PatientInfo("Okafor", "Chidi", "MRN-0107"),
                outcome=ItemOutcome.DISCUSSED,
                decision=TeamDecision(
                    1, 1, DecisionKind.APPROVE_IMPLANT, held, "Positive screen; goals agreed."
                ),
                candidacy_status=CandidacyStatus.READY_FOR_TEAM_REVIEW,
            ),
            MinutesItem(
                PatientInfo("Lindqvist", "Åsa", "MRN-0211"),
                origin=AgendaOrigin.CARRIED_OVER,
                outcome=ItemOutcome.DISCUSSED,
                decision=TeamDecision(
                    2,
                    2,
                    DecisionKind.DEFER,
                    held,
                    "Urinary infection under treatment.",
                    dt.date(2027, 1, 15),
                ),
            ),
            MinutesItem(
                PatientInfo("Haddad", "Rami", "MRN-0300"),
                outcome=ItemOutcome.CARRIED_FORWARD,
            ),
        ),
    )
    values.update(changes)
    return MeetingMinutesInput(**values)
