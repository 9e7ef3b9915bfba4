"""Implant records: catalog models, validation, one pump at a time, conflicts, audit."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

import pytest

from carecoord.domain.errors import ValidationFailed
from carecoord.services import audit, pumps
from carecoord.services.errors import ConflictError, PermissionDenied
from tests.services.pump_helpers import implant_input, implanted_patient


def test_catalog_has_the_four_pumps():
    keys = {d.key for d in pumps.base_catalog()}
    assert {"synchromed2_8637_20", "synchromed2_8637_40", "prometra2_20", "prometra2_40"} <= keys


def test_record_implant_with_battery_window(db, team):
    implanted = dt.date.today() - dt.timedelta(days=365 * 6)
    with db.session() as s:
        patient, implant = implanted_patient(s, team.nurse, implant_date=implanted)
    assert implant.serial_number == "NAB123456H"  # normalised to capitals
    assert implant.catheter_length_cm == Decimal("45.5")
    assert implant.battery is not None and implant.battery.latest.year == implanted.year + 7
    with db.session() as s:
        assert pumps.active_implant(s, patient.id).id == implant.id
        history = audit.patient_history(s, team.nurse, patient.id)
        assert history[0].entity == "implant" and history[0].action == "create"


def test_prometra_has_no_battery_window(db, team):
    with db.session() as s:
        _, implant = implanted_patient(s, team.nurse, device_key="prometra2_20")
    assert implant.battery is None
    assert implant.device.default_alarm_volume_ml == Decimal(3)


@pytest.mark.parametrize(
    ("overrides", "field", "words"),
    [
        ({"device_key": "nonexistent"}, "device_key", "not in the catalog"),
        ({"serial_number": " "}, "serial_number", "serial number"),
        ({"implant_date": dt.date.today() + dt.timedelta(days=2)}, "implant_date", "future"),
        ({"catheter_length_cm": Decimal(0)}, "catheter_length_cm", "between"),
        ({"explant_date": dt.date(2000, 1, 1)}, "explant_date", "before the implant"),
    ],
)
def test_bad_implant_refused(db, team, overrides, field, words):
    with db.session() as s:
        patient, _ = implanted_patient(s, team.nurse)
        with pytest.raises(ValidationFailed) as exc:
            pumps.record_implant(s, team.nurse, patient.id, implant_input(**overrides))
        assert any(p.field == field and words in p.message for p in exc.value.problems)


def test_second_pump_needs_explant_of_first(db, team):
    with db.session() as s:
        patient, implant = implanted_patient(s, team.nurse)
        with pytest.raises(ValidationFailed, match="explant date first"):
            pumps.record_implant(s, team.nurse, patient.id, implant_input(serial_number="X2"))
        explanted = dataclasses.replace(
            implant.as_input(), explant_date=dt.date.today(), explant_reason="Battery end of life"
        )
        pumps.update_implant(s, team.nurse, implant.id, implant.version, explanted)
        new = pumps.record_implant(s, team.nurse, patient.id, implant_input(serial_number="X2"))
        assert pumps.active_implant(s, patient.id).id == new.id
        assert len(pumps.implants_of(s, team.pt, patient.id)) == 2


def test_implant_permissions_and_conflict(db, team):
    with db.session() as s:
        patient, implant = implanted_patient(s, team.nurse)
        with pytest.raises(PermissionDenied, match="physiatrist or a nurse"):
            pumps.record_implant(s, team.pt, patient.id, implant_input())
        changed = dataclasses.replace(implant.as_input(), surgeon="Dr Other")
        pumps.update_implant(s, team.physiatrist, implant.id, implant.version, changed)
    with db.session() as s:
        mine = dataclasses.replace(implant.as_input(), catheter_tip_level="T8")
        with pytest.raises(ConflictError) as exc:
            pumps.update_implant(s, team.nurse, implant.id, implant.version, mine)
        assert "Dr Maria Doe" in exc.value.message
        assert {f.field for f in exc.value.fields} >= {"surgeon", "catheter_tip_level"}


def test_administrator_corrects_unconfirmed_catalog_value(db, team):
    """The correction is stored as an override, audited, and used for the battery window."""
    with db.session() as s:
        patient, implant = implanted_patient(s, team.nurse, device_key="prometra2_20")
        assert implant.battery is None
        device = pumps.correct_device(
            s, team.admin, "prometra2_20", "battery_life_max_months", "96", confirmed=False
        )
        assert device.battery_life_max_months == 96
        assert device.is_unconfirmed("battery_life_max_months")
        device = pumps.correct_device(
            s,
            team.admin,
            "prometra2_20",
            "catheter_dead_volume_ml",
            "0,25",
            confirmed=True,
            decimal_separator=",",
        )
        assert device.catheter_dead_volume_ml == Decimal("0.25")
        assert not device.is_unconfirmed("catheter_dead_volume_ml")
    with db.session() as s:
        view = pumps.active_implant(s, patient.id)
        assert view.battery is not None and view.battery.estimate
        assert pumps.base_catalog()[2].battery_life_max_months is None  # file untouched
        last = audit.last_change(s, "device_catalog", "prometra2_20")
        assert "Catheter dead volume" in last.summary and "Alex Admin" in last.actor
        assert audit.verify(s).ok


@pytest.mark.parametrize(
    ("field", "text", "confirmed", "words"),
    [
        ("modes", "continuous, warp", False, "not a pump mode"),
        ("battery_life_typical_months", "84", False, "shortest-longest"),
        ("max_steps_per_day", "1.5", False, "whole number"),
        ("min_rate_ml_per_day", "", True, "cannot be confirmed"),
        ("default_alarm_volume_ml", "25", True, "below the reservoir"),
        ("min_rate_ml_per_day", "12,5", False, "comma"),
    ],
)
def test_bad_catalog_corrections_refused(db, team, field, text, confirmed, words):
    with db.session() as s:
        with pytest.raises(ValidationFailed) as exc:
            pumps.correct_device(s, team.admin, "prometra2_20", field, text, confirmed=confirmed)
        assert words in str(exc.value)
        assert pumps.load_catalog(s) == list(pumps.base_catalog())


def test_only_administrator_corrects_catalog(db, team):
    with db.session() as s, pytest.raises(PermissionDenied, match="administrator"):
        pumps.correct_device(
            s, team.physiatrist, "prometra2_20", "eri_lead_days", "90", confirmed=True
        )


def test_catalog_sources_have_titles():
    titles = pumps.source_titles()
    for device in pumps.base_catalog():
        assert all(n in titles for n in device.sources)
