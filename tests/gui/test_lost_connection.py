"""The PostgreSQL connection is pulled while a form is saving: the user is told in words, the
form keeps what was typed, nothing is half saved, and saving again works."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from PySide6.QtCore import Qt

from carecoord.gui.patient.overview import PatientEditor
from carecoord.services import patients, refills
from tests.conftest import _empty_pg
from tests.gui.helpers import add_patient
from tests.services.fault_helpers import inserting, kill_connection_before

pytestmark = pytest.mark.postgres


@pytest.fixture
def gui_db(pg_database):
    """The GUI fixtures (clinic, make_ctx, make_window) on the shared PostgreSQL store."""
    _empty_pg(pg_database)
    return pg_database


@pytest.fixture(autouse=True)
def utc_clinic(monkeypatch):
    monkeypatch.setenv("TZ", "UTC")


def _updating(table: str):
    return lambda statement: statement.lstrip().upper().startswith(f"UPDATE {table.upper()}")


def test_connection_lost_mid_save_keeps_the_form(qtbot, gui_db, clinic, make_ctx, boxes):
    shared_db, team = gui_db, clinic
    p = add_patient(shared_db, team.nurse, "A-1", "Lopez", "Ana")
    editor = PatientEditor(make_ctx(team.nurse), p.id)
    qtbot.addWidget(editor)
    editor.resize(1200, 900)
    editor.show()
    weight = editor.widget("weight_kg")
    weight.selectAll()
    qtbot.keyClicks(weight, "70")
    diagnosis = editor.widget("diagnosis")
    diagnosis.selectAll()
    qtbot.keyClicks(diagnosis, "Spinal cord injury, T4 complete")

    with kill_connection_before(shared_db, _updating("patients")) as killed:
        qtbot.mouseClick(editor.save_button, Qt.MouseButton.LeftButton)
    assert len(killed) == 1
    title, text = boxes[-1]
    assert title == "Not saved"
    assert "connection to the database was lost" in text and "Nothing was saved" in text
    assert "UPDATE" not in text and "psycopg" not in text
    # What was typed is still there, still marked unsaved.
    assert weight.text() == "70"
    assert diagnosis.text() == "Spinal cord injury, T4 complete"
    assert editor.has_unsaved_changes()
    with shared_db.session() as s:
        stored = patients.get_patient(s, team.nurse, p.id)
    assert stored.weight_kg == Decimal("64.5") and stored.version == 1

    qtbot.mouseClick(editor.save_button, Qt.MouseButton.LeftButton)  # the server is back
    with shared_db.session() as s:
        stored = patients.get_patient(s, team.nurse, p.id)
    assert stored.weight_kg == Decimal("70") and stored.version == 2
    assert stored.diagnosis == "Spinal cord injury, T4 complete"
    assert not editor.has_unsaved_changes()
    assert stored.date_of_birth == dt.date(1980, 5, 17)


def test_connection_lost_while_recording_a_refill_keeps_every_entry(
    qtbot, gui_db, clinic, make_window, boxes
):
    """A nurse records a refill as the network drops: told in words, the volumes, lot and
    expiry stay in the form, no refill is stored, and Record works once it is back."""
    from tests.gui.test_refills_tab import open_refills, pump_patient

    patient_id = pump_patient(gui_db, clinic, days=21)
    window = make_window(clinic.nurse)
    tab = open_refills(window, patient_id)
    qtbot.keyClicks(tab.fields["measured_residual_ml"], "4.9")
    qtbot.keyClicks(tab.fields["volume_discarded_ml"], "4.9")
    qtbot.keyClicks(tab.lot, "b2201")
    tab.lot_expiry.set_value(dt.date.today() + dt.timedelta(days=200))
    qtbot.keyClicks(tab.fields["volume_added_ml"], "20")
    assert tab.save_button.isEnabled(), tab.summary.text()

    with kill_connection_before(gui_db, inserting("refill_visits")) as killed:
        qtbot.mouseClick(tab.save_button, Qt.MouseButton.LeftButton)
    assert len(killed) == 1
    title, text = boxes[-1]
    assert title == "Refill not recorded"
    assert "connection to the database was lost" in text and "Nothing was saved" in text
    assert [tab.fields[k].text() for k in ("measured_residual_ml", "volume_added_ml")] == [
        "4.9",
        "20",
    ]
    assert tab.lot.text().upper() == "B2201" and tab.has_unsaved_changes()
    with gui_db.session() as s:
        assert refills.visit_history(s, clinic.nurse, patient_id) == []

    qtbot.mouseClick(tab.save_button, Qt.MouseButton.LeftButton)
    assert "Refill recorded" in tab.summary.text()
    with gui_db.session() as s:
        [visit] = refills.visit_history(s, clinic.nurse, patient_id)
    assert visit.lot == "B2201" and visit.volume_added_ml == Decimal(20)
