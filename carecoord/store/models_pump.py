"""ORM models of pumps: the implant record and the versions of the pump program.

A program row is never edited after approval: a change is a new row (the next ``number`` for
the patient); the old one is kept as superseded or withdrawn.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text, Time, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from carecoord.store.models import Base
from carecoord.store.types import DecimalText, UTCDateTime, utcnow


class Implant(Base):
    """One implanted pump; an explanted one keeps its row with the explant date."""

    __tablename__ = "implants"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    device_key: Mapped[str] = mapped_column(String(64))  # key in the device catalog
    serial_number: Mapped[str] = mapped_column(String(64))
    implant_date: Mapped[dt.date] = mapped_column(Date)
    # Clinic wall-clock time on implant_date; None for a back-dated record without it (the
    # rules then count from the end of that day: domain.devices.implant_moment).
    implant_time: Mapped[dt.time | None] = mapped_column(Time)
    catheter_tip_level: Mapped[str] = mapped_column(String(32), default="")
    catheter_length_cm: Mapped[Decimal | None] = mapped_column(DecimalText)
    pocket_side: Mapped[str] = mapped_column(String(16), default="")
    surgeon: Mapped[str] = mapped_column(String(120), default="")
    revisions: Mapped[str] = mapped_column(Text, default="")
    explant_date: Mapped[dt.date | None] = mapped_column(Date)
    explant_reason: Mapped[str] = mapped_column(Text, default="")
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    __mapper_args__ = {"version_id_col": version}


class PumpProgram(Base):
    """One version of a patient's pump program (domain.program.Program as JSON)."""

    __tablename__ = "pump_programs"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"))
    implant_id: Mapped[int | None] = mapped_column(ForeignKey("implants.id"))
    number: Mapped[int] = mapped_column(Integer)  # 1, 2, 3... per patient
    status: Mapped[str] = mapped_column(String(16), index=True)
    program_json: Mapped[str] = mapped_column(Text)
    # The program in force when this one was drafted (what the review compares against).
    based_on_id: Mapped[int | None] = mapped_column(ForeignKey("pump_programs.id"))
    # Titration phase the physiatrist chose (domain.program_safety.Phase): sets the limit.
    phase: Mapped[str] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(Text, default="")
    # The physiatrist's reason for the rules that need one, and the warnings they saw.
    reason: Mapped[str] = mapped_column(Text, default="")
    acknowledged_json: Mapped[str] = mapped_column(Text, default="[]")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    approved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    programmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    programmed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)  # in force from
    reservoir_ml: Mapped[Decimal | None] = mapped_column(DecimalText)  # volume when programmed
    vendor_alarm_date: Mapped[dt.date | None] = mapped_column(Date)
    our_alarm_date: Mapped[dt.date | None] = mapped_column(Date)
    superseded_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    withdrawn_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    withdrawn_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    withdrawn_reason: Mapped[str] = mapped_column(Text, default="")
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        UniqueConstraint("patient_id", "number", name="uq_pump_programs_patient_number"),
        Index("ix_pump_programs_patient_status", "patient_id", "status"),
    )
