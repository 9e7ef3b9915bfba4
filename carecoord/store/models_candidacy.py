"""ORM models of the way to an implant: evaluations, oral trials, contraindication screens, goals,
screening trials with their serial assessments and adverse events, team meetings and decisions.

Structured clinical content (an evaluation's fields with its scales, an assessment's Ashworth
grades and vital signs, a screen's answers) is stored as canonical JSON text produced by the
domain's ``to_dict``; quantities inside it are exact decimal text. Rows a user edits carry a
``version`` counter (optimistic locking). Nothing is erased: records are retired with a reason.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from carecoord.store.models import Base
from carecoord.store.types import DecimalText, UTCDateTime, utcnow


class EvaluationRow(Base):
    """One version of one discipline's evaluation; an amendment is a new row pointing to the
    version it amends (which stays unchanged and visible)."""

    __tablename__ = "evaluations"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    discipline: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16))  # draft / signed
    content: Mapped[str] = mapped_column(Text, default="{}")  # JSON of the form's values
    revision: Mapped[int] = mapped_column(Integer, default=1)  # 1 original, 2 first amendment
    amends_id: Mapped[int | None] = mapped_column(ForeignKey("evaluations.id"))
    amendment_reason: Mapped[str] = mapped_column(Text, default="")
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    signed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    signed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (Index("ix_evaluations_status_discipline", "status", "discipline"),)


class OralTrialRow(Base):
    __tablename__ = "oral_trials"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    agent: Mapped[str] = mapped_column(String(32))
    other_agent_name: Mapped[str] = mapped_column(String(200), default="")
    highest_daily_dose_mg: Mapped[Decimal] = mapped_column(DecimalText)
    duration_days: Mapped[int] = mapped_column(Integer)
    outcome: Mapped[str] = mapped_column(String(32))
    side_effects: Mapped[str] = mapped_column(Text, default="")
    retired: Mapped[bool] = mapped_column(Boolean, default=False)
    retired_reason: Mapped[str] = mapped_column(Text, default="")
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    __mapper_args__ = {"version_id_col": version}


class ContraindicationScreenRow(Base):
    """Each screen is kept; the latest one is in force."""

    __tablename__ = "contraindication_screens"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    assessed_on: Mapped[dt.date] = mapped_column(Date)
    answers: Mapped[str] = mapped_column(Text, default="{}")  # JSON item -> true/false
    notes: Mapped[str] = mapped_column(Text, default="")
    young_age_reason: Mapped[str] = mapped_column(Text, default="")
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class GoalRow(Base):
    """A goal documented before screening [5], scored later with GAS (-2..+2) [47]."""

    __tablename__ = "goals"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    area: Mapped[str] = mapped_column(String(32), default="")
    description: Mapped[str] = mapped_column(Text)
    weight: Mapped[Decimal] = mapped_column(DecimalText, default=Decimal(1))
    gas_score: Mapped[int | None] = mapped_column(Integer)
    scored_on: Mapped[dt.date | None] = mapped_column(Date)
    scored_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    retired: Mapped[bool] = mapped_column(Boolean, default=False)
    retired_reason: Mapped[str] = mapped_column(Text, default="")
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    __mapper_args__ = {"version_id_col": version}


class ScreeningTrialRow(Base):
    __tablename__ = "screening_trials"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    route: Mapped[str] = mapped_column(String(32))
    given_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    dose_mcg: Mapped[Decimal | None] = mapped_column(DecimalText)
    dose_mcg_per_day: Mapped[Decimal | None] = mapped_column(DecimalText)
    duration_hours: Mapped[Decimal | None] = mapped_column(DecimalText)
    notes: Mapped[str] = mapped_column(Text, default="")
    retired: Mapped[bool] = mapped_column(Boolean, default=False)
    retired_reason: Mapped[str] = mapped_column(Text, default="")
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    __mapper_args__ = {"version_id_col": version}


class ScreeningAssessmentRow(Base):
    """A baseline or post-dose observation: time, Ashworth grades, vital signs."""

    __tablename__ = "screening_assessments"

    id: Mapped[int] = mapped_column(primary_key=True)
    trial_id: Mapped[int] = mapped_column(ForeignKey("screening_trials.id"), index=True)
    is_baseline: Mapped[bool] = mapped_column(Boolean, default=False)
    taken_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    mas: Mapped[str | None] = mapped_column(Text)  # JSON of a MasAssessment
    vitals: Mapped[str | None] = mapped_column(Text)  # JSON of VitalSigns
    note: Mapped[str] = mapped_column(Text, default="")
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class ScreeningAdverseEventRow(Base):
    __tablename__ = "screening_adverse_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    trial_id: Mapped[int] = mapped_column(ForeignKey("screening_trials.id"), index=True)
    event: Mapped[str] = mapped_column(String(32))
    at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    details: Mapped[str] = mapped_column(Text, default="")
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class MeetingRow(Base):
    __tablename__ = "meetings"

    id: Mapped[int] = mapped_column(primary_key=True)
    held_on: Mapped[dt.date] = mapped_column(Date, index=True)
    starts_at: Mapped[str] = mapped_column(String(5), default="")  # HH:MM, clinic time
    location: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[str] = mapped_column(String(16))  # planned / finished
    notes: Mapped[str] = mapped_column(Text, default="")
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    __mapper_args__ = {"version_id_col": version}


class AgendaItemRow(Base):
    __tablename__ = "meeting_agenda_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id"), index=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    origin: Mapped[str] = mapped_column(String(16))
    outcome: Mapped[str] = mapped_column(String(16))
    decision_id: Mapped[int | None] = mapped_column(ForeignKey("team_decisions.id"))
    note: Mapped[str] = mapped_column(Text, default="")

    __table_args__ = (
        UniqueConstraint("meeting_id", "patient_id", name="uq_agenda_meeting_patient"),
    )


class AttendanceRow(Base):
    __tablename__ = "meeting_attendance"

    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    discipline: Mapped[str] = mapped_column(String(32))


class TeamDecisionRow(Base):
    """The team's decision, with the names of who was present when it was taken."""

    __tablename__ = "team_decisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    meeting_id: Mapped[int | None] = mapped_column(ForeignKey("meetings.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    decided_on: Mapped[dt.date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text, default="")
    defer_until: Mapped[dt.date | None] = mapped_column(Date)
    present: Mapped[str] = mapped_column(Text, default="[]")  # JSON list of "Name (Discipline)"
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
