"""Refill alarm dates stay conservative across daylight-saving changes (CLINICAL.md section 5)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

from carecoord.domain.program import Program, PumpMode, RateUnit, Step
from carecoord.domain.refills import forecast_refill
from carecoord.domain.settings import ClinicSettings

PARIS = ZoneInfo("Europe/Paris")
UTC = ZoneInfo("UTC")


def _program() -> Program:
    # Exactly 1 mL a day, typed as a volume rate.
    return Program(
        concentration_mcg_per_ml=Decimal("500"),
        mode=PumpMode.CONTINUOUS,
        steps=(Step(0, Decimal("1"), unit=RateUnit.ML_PER_DAY),),
    )


def test_spring_forward_counts_only_the_hours_the_day_has():
    """A fill just before the spring change: one hour less is delivered that day (1/24 mL).
    24-hour days use the 18 mL exactly at the end of 6 Apr (alarm 7 Apr); in Paris 17.96 mL
    are used by then and the rest during 7 Apr: the same date, counted honestly."""
    settings = ClinicSettings(max_refill_interval_days=400)
    fill = dt.date(2026, 3, 20)  # Europe/Paris springs forward on 29 Mar 2026
    paris = forecast_refill(fill, Decimal("20"), _program(), PARIS, settings)
    plain = forecast_refill(fill, Decimal("20"), _program(), UTC, settings)
    assert plain.alarm_date == fill + dt.timedelta(days=18)  # (20 - 2) / 1 mL a day
    assert paris.alarm_date == plain.alarm_date == dt.date(2026, 4, 7)


def test_fall_back_counts_the_extra_hour():
    """The 25-hour day delivers more, so the alarm can only come earlier, never later."""
    settings = ClinicSettings(max_refill_interval_days=400)
    fill = dt.date(2026, 10, 20)  # Europe/Paris falls back on 25 Oct 2026
    paris = forecast_refill(fill, Decimal("20"), _program(), PARIS, settings)
    plain = forecast_refill(fill, Decimal("20"), _program(), UTC, settings)
    assert paris.alarm_date <= plain.alarm_date
