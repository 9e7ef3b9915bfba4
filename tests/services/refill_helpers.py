"""Patients with a pump, a program in force and refills, for the refill service tests."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

from carecoord.domain.program import Program, RateUnit, continuous_program
from carecoord.services import programs
from carecoord.services.refills import RefillInput

D = Decimal


def example1() -> Program:
    """CLINICAL.md section 5 worked example 1: 2000 mcg/mL, 400 mcg/day = 0.2 mL/day."""
    return continuous_program(D(2000), D("0.2"), RateUnit.ML_PER_DAY)


def local(day: dt.date, hour: int = 10, tz: str = "UTC") -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, tzinfo=ZoneInfo(tz))


def programmed(s, team, patient_id, program, *, at, reservoir="20", vendor=None, reason=""):
    """Draft, approve and confirm ``program`` on the pump at ``at`` with ``reservoir`` mL."""
    draft = programs.save_draft(s, team.nurse, patient_id, program, reason=reason)
    approved = programs.approve(
        s,
        team.physiatrist,
        draft.id,
        draft.version,
        now=at - dt.timedelta(minutes=30),
        reason=reason or "Planned change",
    )
    return programs.mark_programmed(
        s,
        team.nurse,
        approved.id,
        approved.version,
        programmed_at=at,
        reservoir_ml=D(reservoir),
        vendor_alarm_date=vendor,
    )


def refill(at: dt.datetime, **changes) -> RefillInput:
    """A normal refill of a 20 mL pump with 500 mcg/mL: 3 mL left, 1 discarded... overridable."""
    values = dict(
        refill_at=at,
        measured_residual_ml=D("4.9"),
        volume_discarded_ml=D("4.9"),
        volume_added_ml=D(20),
        concentration_mcg_per_ml=D(500),
        lot="LOT-A1",
        lot_expiry=dt.date.today() + dt.timedelta(days=300),
    )
    values.update(changes)
    return RefillInput(**values)
