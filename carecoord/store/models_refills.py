"""ORM models of refills: visits, booked appointments, recalls and each patient's forecast.

``RefillForecast`` is derived data: one small row per patient holding the current alarm, due
and battery dates, so the dashboard is an indexed range query instead of a computation over
every refill. A row is marked ``stale`` whenever something it depends on changes (a program,
an implant record, a refill visit or appointment, the patient's own alarm volume, the patient's
status, a refill setting): database triggers do it (migration 0005_forecast_triggers), in the
same transaction as the change and whatever program made it, so no correctness rests on which
modules a process imported. Each mark also bumps ``generation``: a recomputation stores its
result only if the generation it started from is still the row's, so a change committed
meanwhile on another workstation leaves the row stale instead of marked current with old
inputs. Readers recompute stale rows before answering, or say they are being recomputed
(services.refills).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Mapped, Session, mapped_column

from carecoord.store.models import Base
from carecoord.store.types import DecimalText, UTCDateTime, utcnow


class RefillVisit(Base):
    """One refill as recorded by the nurse (CLINICAL.md section 5, "Record at each refill")."""

    __tablename__ = "refill_visits"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"))
    implant_id: Mapped[int] = mapped_column(ForeignKey("implants.id"))
    # The program in force when the pump was refilled (after a change made at this visit).
    program_id: Mapped[int | None] = mapped_column(ForeignKey("pump_programs.id"))
    program_changed: Mapped[bool] = mapped_column(Boolean, default=False)
    refill_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    measured_residual_ml: Mapped[Decimal] = mapped_column(DecimalText)
    expected_residual_ml: Mapped[Decimal | None] = mapped_column(DecimalText)
    discrepancy_ml: Mapped[Decimal | None] = mapped_column(DecimalText)  # measured - expected
    threshold_ml: Mapped[Decimal | None] = mapped_column(DecimalText)
    discrepancy_flagged: Mapped[bool] = mapped_column(Boolean, default=False)
    # True while a flagged discrepancy waits for a physiatrist's review (indexed: dashboard).
    review_pending: Mapped[bool] = mapped_column(Boolean, default=False)
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reviewed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    review_note: Mapped[str] = mapped_column(Text, default="")
    volume_discarded_ml: Mapped[Decimal] = mapped_column(DecimalText)
    drug: Mapped[str] = mapped_column(String(64))
    concentration_mcg_per_ml: Mapped[Decimal] = mapped_column(DecimalText)
    lot: Mapped[str] = mapped_column(String(64))
    lot_expiry: Mapped[dt.date] = mapped_column(Date)
    volume_added_ml: Mapped[Decimal] = mapped_column(DecimalText)
    new_volume_ml: Mapped[Decimal] = mapped_column(DecimalText)
    vendor_alarm_date: Mapped[dt.date | None] = mapped_column(Date)
    our_alarm_date: Mapped[dt.date | None] = mapped_column(Date)
    alarm_mismatch: Mapped[bool] = mapped_column(Boolean, default=False)
    due_date: Mapped[dt.date | None] = mapped_column(Date)
    next_visit_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    note: Mapped[str] = mapped_column(Text, default="")
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        Index("ix_refill_visits_patient_at", "patient_id", "refill_at"),
        Index("ix_refill_visits_review", "review_pending", "refill_at"),
    )


class RefillAppointment(Base):
    """A booked refill visit (the "next visit" of a refill, or booked on a recall call)."""

    __tablename__ = "refill_appointments"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    starts_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    duration_minutes: Mapped[int] = mapped_column(Integer, default=30)
    status: Mapped[str] = mapped_column(String(16))  # booked, attended, cancelled
    booked_at_visit_id: Mapped[int | None] = mapped_column(ForeignKey("refill_visits.id"))
    attended_visit_id: Mapped[int | None] = mapped_column(ForeignKey("refill_visits.id"))
    note: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (Index("ix_refill_appointments_status_start", "status", "starts_at"),)


class RecallEntry(Base):
    """A patient the clinic must call to book a refill; closed when a refill is recorded."""

    __tablename__ = "recall_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"))
    opened_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    opened_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    due_date: Mapped[dt.date | None] = mapped_column(Date)  # the refill due date when opened
    status: Mapped[str] = mapped_column(String(16))  # open, closed
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    closed_by_visit_id: Mapped[int | None] = mapped_column(ForeignKey("refill_visits.id"))
    closed_reason: Mapped[str] = mapped_column(Text, default="")
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (Index("ix_recall_entries_status_patient", "status", "patient_id"),)


class RecallAttempt(Base):
    """One call (or other contact attempt) of a recall, with its outcome."""

    __tablename__ = "recall_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    recall_id: Mapped[int] = mapped_column(ForeignKey("recall_entries.id"), index=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    outcome: Mapped[str] = mapped_column(String(32))
    note: Mapped[str] = mapped_column(Text, default="")
    appointment_id: Mapped[int | None] = mapped_column(ForeignKey("refill_appointments.id"))


class PatientAlarmVolume(Base):
    """A patient's own low-reservoir alarm volume, overriding the clinic setting [21]."""

    __tablename__ = "patient_alarm_volumes"

    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), primary_key=True)
    alarm_volume_ml: Mapped[Decimal] = mapped_column(DecimalText)
    reason: Mapped[str] = mapped_column(Text, default="")
    set_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    set_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    __mapper_args__ = {"version_id_col": version}


class RefillForecast(Base):
    """Each patient's current refill and battery dates (derived; see the module docstring).

    ``due_date`` is NULL when the patient needs no refill (no pump, no program, retired).
    """

    __tablename__ = "refill_forecasts"

    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), primary_key=True)
    stale: Mapped[bool] = mapped_column(Boolean, default=True)
    implant_id: Mapped[int | None] = mapped_column(ForeignKey("implants.id"))
    fill_date: Mapped[dt.date | None] = mapped_column(Date)
    volume_after_fill_ml: Mapped[Decimal | None] = mapped_column(DecimalText)
    alarm_volume_ml: Mapped[Decimal | None] = mapped_column(DecimalText)
    alarm_date: Mapped[dt.date | None] = mapped_column(Date)
    due_date: Mapped[dt.date | None] = mapped_column(Date)
    due_limit: Mapped[str] = mapped_column(String(16), default="")
    due_reason: Mapped[str] = mapped_column(Text, default="")
    last_refill_id: Mapped[int | None] = mapped_column(ForeignKey("refill_visits.id"))
    next_appointment_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    battery_replace_by: Mapped[dt.date | None] = mapped_column(Date)
    battery_plan_by: Mapped[dt.date | None] = mapped_column(Date)
    battery_eri_by: Mapped[dt.date | None] = mapped_column(Date)
    battery_estimate: Mapped[bool] = mapped_column(Boolean, default=False)
    computed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # Bumped by every mark as stale (see the module docstring).
    generation: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    __table_args__ = (
        Index("ix_refill_forecasts_due", "due_date"),
        Index("ix_refill_forecasts_battery", "battery_replace_by"),
        Index("ix_refill_forecasts_stale", "stale"),
    )


# Settings that change forecast dates: the settings trigger marks every forecast stale when one
# of them changes (the list is fixed in migration 0005_forecast_triggers; a new one needs a
# revision that replaces the trigger).
FORECAST_SETTINGS = frozenset(
    {
        "alarm_volume_ml",
        "refill_margin_days",
        "max_refill_interval_days",
        "drug_stability_days",
        "battery_warning_months",
        "device_catalog",
        "clinic_time_zone",
    }
)


def mark_forecasts_stale(session: Session, patient_ids: set[int] | None) -> None:
    """Mark the forecasts of these patients (None: every patient) for recomputation, for a
    change the triggers cannot see (e.g. a new rule in the code). A missing row is created
    stale (an upsert, so two workstations never collide)."""
    connection = session.connection()
    table = RefillForecast.__table__
    bump = {"stale": True, "generation": table.c.generation + 1}
    if patient_ids is None:
        connection.execute(update(table).values(**bump))
        return
    if not patient_ids:
        return
    rows = [
        {"patient_id": pid, "stale": True, "due_limit": "", "due_reason": "", "generation": 0}
        for pid in patient_ids
    ]
    if connection.dialect.name == "postgresql":
        statement: Any = pg_insert(table)
    else:
        statement = sqlite_insert(table)
    statement = statement.on_conflict_do_update(index_elements=["patient_id"], set_=bump)
    connection.execute(statement, rows)
