"""The PostgreSQL connection is pulled while a form is saving: the user is told in words, the
form keeps what was typed, nothing is half saved, and saving again works."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from PySide6.QtCore import Qt

from carecoord.gui.context import AppContext
from carecoord.gui.patient.overview import PatientEditor
from carecoord.services import patients
from tests.conftest import _empty_pg, make_team
from tests.gui.helpers import add_patient
from tests.services.fault_helpers import kill_connection_before

pytestmark = pytest.mark.postgres


@pytest.fixture
def shared_db(pg_database):
    _empty_pg(pg_database)
    return pg_database


def _updating(table: str):
    return lambda statement: statement.lstrip().upper().startswith(f"UPDATE {table.upper()}")


def test_connection_lost_mid_save_keeps_the_form(qtbot, shared_db, password_hash, boxes):
    team = make_team(shared_db, password_hash)
    p = add_patient(shared_db, team.nurse, "A-1", "Lopez", "Ana")
    editor = PatientEditor(AppContext(shared_db, team.nurse), p.id)
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
