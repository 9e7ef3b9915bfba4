"""Programs and devices shared by the pump-domain tests (CLINICAL.md worked examples)."""

from decimal import Decimal

from carecoord.domain.devices import DeviceModel
from carecoord.domain.program import Program, PumpMode, Step

D = Decimal


def example2() -> Program:
    """CLINICAL.md section 5, worked example 2: 500 mcg/mL flex, 360 mcg/day."""
    return Program(
        D(500),
        PumpMode.FLEX,
        (Step(0, D(20)), Step(7 * 60, D(12)), Step(22 * 60, D(20))),
    )


def synchromed(**changes) -> DeviceModel:
    values = dict(
        key="synchromed2_8637_20",
        manufacturer="Medtronic",
        name="SynchroMed II 20 mL",
        model_numbers=("8637-20",),
        reservoir_ml=D(20),
        default_alarm_volume_ml=D(2),
        modes=frozenset(PumpMode),
        max_steps_per_day=13,
        battery_life_typical_months=(60, 84),
        battery_life_max_months=84,
        eri_lead_days=90,
        min_rate_ml_per_day=None,
        catheter_dead_volume_ml=None,
        sources=(15, 16),
        unconfirmed=frozenset({"min_rate_ml_per_day", "catheter_dead_volume_ml"}),
    )
    values.update(changes)
    return DeviceModel(**values)
