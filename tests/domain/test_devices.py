"""The pump catalog: data file, parser refusals and battery replacement dates."""

import copy
import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pytest

from carecoord.domain.devices import (
    OPTIONAL_FIELDS,
    DeviceModel,
    add_months,
    battery_replacement_window,
    catalog_to_dict,
    find_device,
    parse_catalog,
)
from carecoord.domain.errors import ValidationFailed
from carecoord.domain.program import PumpMode

CATALOG_PATH = Path(__file__).resolve().parents[2] / "resources" / "devices.json"


@pytest.fixture(scope="module")
def raw_catalog() -> dict:
    return json.loads(CATALOG_PATH.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def catalog(raw_catalog) -> list[DeviceModel]:
    return parse_catalog(raw_catalog)


def test_shipped_catalog_parses_with_the_four_pumps(catalog):
    """resources/devices.json holds SynchroMed II 20/40 mL and Prometra II 20/40 mL [15][26]."""
    by_key = {d.key: d for d in catalog}
    assert set(by_key) == {
        "synchromed2_8637_20",
        "synchromed2_8637_40",
        "prometra2_20",
        "prometra2_40",
    }
    assert by_key["synchromed2_8637_20"].reservoir_ml == Decimal(20)
    assert by_key["synchromed2_8637_40"].reservoir_ml == Decimal(40)
    assert by_key["prometra2_20"].model_numbers == ("11827", "13827")
    assert by_key["prometra2_40"].model_numbers == ("16827",)


def test_synchromed_values_follow_clinical_md(catalog):
    """SynchroMed II: battery 60-84 months, max 84 [16][53], ERI 90 days, 13 steps, all modes."""
    device = find_device(catalog, "synchromed2_8637_40")
    assert device.battery_life_typical_months == (60, 84)
    assert device.battery_life_max_months == 84
    assert device.eri_lead_days == 90
    assert device.max_steps_per_day == 13
    assert device.modes == frozenset(PumpMode)
    assert device.default_alarm_volume_ml == Decimal(2)
    assert device.min_rate_ml_per_day is None and device.is_unconfirmed("min_rate_ml_per_day")
    assert device.catheter_dead_volume_ml is None
    assert device.is_unconfirmed("catheter_dead_volume_ml")


def test_prometra_unknowns_are_marked_unconfirmed(catalog):
    """Prometra battery life and limits are unconfirmed; its alarm reference is 3.0 mL [27]."""
    device = find_device(catalog, "prometra2_20")
    assert device.battery_life_max_months is None
    assert device.is_unconfirmed("battery_life_max_months")
    assert device.is_unconfirmed("modes")
    assert device.default_alarm_volume_ml == Decimal(3)


def test_every_entry_lists_sources(catalog):
    """Each entry cites CLINICAL.md source numbers."""
    assert all(device.sources for device in catalog)


def test_catalog_round_trips_through_dict(catalog):
    """catalog_to_dict is the inverse of parse_catalog (for an administrator's edits)."""
    assert parse_catalog(catalog_to_dict(catalog)) == catalog


def test_find_device_unknown_key_raises(catalog):
    """An unknown key is a KeyError naming the key."""
    with pytest.raises(KeyError, match="nope"):
        find_device(catalog, "nope")


def _first(raw: dict) -> tuple[dict, dict]:
    data = copy.deepcopy(raw)
    return data, data["devices"][0]


@pytest.mark.parametrize(
    ("field", "value", "fragment"),
    [
        ("reservoir_ml", "0", "reservoir_ml: must be above 0"),
        ("reservoir_ml", "-20", "reservoir_ml: must be above 0"),
        ("reservoir_ml", "twenty", "is not a number"),
        ("reservoir_ml", True, "expected a number"),
        ("default_alarm_volume_ml", "25", "below the reservoir volume"),
        ("modes", ["continuous", "turbo"], "unknown mode 'turbo'"),
        ("modes", [], "list at least one mode"),
        ("max_steps_per_day", 0, "at least 1"),
        ("max_steps_per_day", 2.5, "whole number"),
        ("battery_life_typical_months", [84, 60], "[shortest, longest]"),
        ("battery_life_max_months", 70, "shorter than the typical"),
        ("key", "Bad Key", "lower-case"),
        ("model_numbers", [], "one or more model numbers"),
        ("sources", ["x"], "source numbers"),
        ("unconfirmed", ["reservoir_ml", "min_rate_ml_per_day", "catheter_dead_volume_ml"], "can"),
        ("colour", "blue", "unknown field"),
    ],
)
def test_parse_refuses_bad_entries_with_a_clear_message(raw_catalog, field, value, fragment):
    """Bad catalog data is refused, naming the entry, the field and what is wrong."""
    data, entry = _first(raw_catalog)
    entry[field] = value
    with pytest.raises(ValidationFailed) as caught:
        parse_catalog(data)
    assert fragment in str(caught.value)
    assert "devices[0]" in str(caught.value)


def test_parse_refuses_a_null_value_not_marked_unconfirmed(raw_catalog):
    """A missing value must be declared unconfirmed, never silently empty."""
    data, entry = _first(raw_catalog)
    entry["unconfirmed"] = []
    with pytest.raises(ValidationFailed) as caught:
        parse_catalog(data)
    messages = str(caught.value)
    assert "min_rate_ml_per_day: is empty but not listed as unconfirmed" in messages
    assert "catheter_dead_volume_ml" in messages


def test_parse_refuses_missing_required_field_and_duplicate_key(raw_catalog):
    """Required fields and unique keys are enforced, all problems reported together."""
    data = copy.deepcopy(raw_catalog)
    del data["devices"][0]["name"]
    data["devices"][1]["key"] = data["devices"][0]["key"]
    with pytest.raises(ValidationFailed) as caught:
        parse_catalog(data)
    fields = [p.field for p in caught.value.problems]
    assert any(f.endswith(".name") for f in fields)
    assert any("repeated" in p.message for p in caught.value.problems)


@pytest.mark.parametrize("data", [{}, {"devices": "x"}, {"devices": []}, {"devices": [3]}])
def test_parse_refuses_a_malformed_catalog(data):
    """A catalog without a list of device objects is refused."""
    with pytest.raises(ValidationFailed):
        parse_catalog(data)


def test_parse_accepts_json_numbers_exactly(raw_catalog):
    """A JSON number (int or float) becomes the Decimal of its text, never a binary float."""
    data, entry = _first(raw_catalog)
    entry["reservoir_ml"] = 20
    entry["default_alarm_volume_ml"] = 2.1
    entry["min_rate_ml_per_day"] = 0.048
    device = parse_catalog(data)[0]
    assert device.default_alarm_volume_ml == Decimal("2.1")
    assert device.min_rate_ml_per_day == Decimal("0.048")


def test_add_months_clamps_to_the_month_end():
    """31 Jan + 1 month is 28 Feb (never a later date); negative months go back."""
    assert add_months(dt.date(2026, 1, 31), 1) == dt.date(2026, 2, 28)
    assert add_months(dt.date(2024, 1, 31), 1) == dt.date(2024, 2, 29)
    assert add_months(dt.date(2026, 3, 15), -3) == dt.date(2025, 12, 15)
    assert add_months(dt.date(2020, 6, 1), 84) == dt.date(2027, 6, 1)


def test_synchromed_battery_window(catalog):
    """Implant + 60/72/84 months; plan 3 months before 84 [6][16]; ERI alarm 90 days before."""
    window = battery_replacement_window(
        dt.date(2020, 6, 1), find_device(catalog, "synchromed2_8637_20")
    )
    assert window is not None
    assert window.earliest == dt.date(2025, 6, 1)
    assert window.typical == dt.date(2026, 6, 1)
    assert window.latest == dt.date(2027, 6, 1)
    assert window.plan_by == dt.date(2027, 3, 1)
    assert window.eri_alarm_by == dt.date(2027, 6, 1) - dt.timedelta(days=90)
    assert window.estimate is False


def test_battery_window_six_month_planning_and_minimum(catalog):
    """Some centres plan 6 months ahead; less than 3 months is refused [6][16]."""
    device = find_device(catalog, "synchromed2_8637_20")
    window = battery_replacement_window(dt.date(2020, 6, 1), device, plan_ahead_months=6)
    assert window is not None and window.plan_by == dt.date(2026, 12, 1)
    with pytest.raises(ValueError, match="3 months"):
        battery_replacement_window(dt.date(2020, 6, 1), device, plan_ahead_months=2)


def test_battery_window_unknown_for_prometra(catalog):
    """No confirmed battery life: no window, never an invented date."""
    assert (
        battery_replacement_window(dt.date(2020, 6, 1), find_device(catalog, "prometra2_40"))
        is None
    )


def test_battery_window_filled_in_later_is_an_estimate(raw_catalog):
    """An administrator's best guess marked unconfirmed gives a window flagged as an estimate."""
    data = copy.deepcopy(raw_catalog)
    entry = data["devices"][2]
    entry["battery_life_max_months"] = 96
    device = parse_catalog(data)[2]
    window = battery_replacement_window(dt.date(2020, 1, 15), device)
    assert window is not None
    assert window.latest == dt.date(2028, 1, 15) == window.earliest == window.typical
    assert window.estimate is True
    assert window.eri_alarm_by is None


def test_optional_fields_cover_all_unconfirmed_clinical_values():
    """The catalog can hold every value CLINICAL.md calls unconfirmed."""
    assert {"min_rate_ml_per_day", "catheter_dead_volume_ml", "battery_life_max_months"} <= set(
        OPTIONAL_FIELDS
    )
