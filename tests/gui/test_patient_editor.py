"""The patient editor: keyboard entry, live validation, saving, conflicts, team, retiring."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from carecoord.domain.enums import Discipline, PatientStatus
from carecoord.gui.patient.overview import ConflictDialog, PatientEditor
from carecoord.services import patients
from tests.gui.helpers import add_patient, when_modal


def _editor(qtbot, ctx, patient_id=None) -> PatientEditor:
    editor = PatientEditor(ctx, patient_id)
    qtbot.addWidget(editor)
    editor.resize(1200, 900)
    editor.show()
    return editor


def _type(qtbot, editor, name, text):
    """Move to a field (as Tab would, see the tab order test) and type into it."""
    widget = editor.widget(name)
    widget.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.keyClicks(widget, text)


def _focus_chain(editor) -> list[str]:
    names = {id(f.widget): n for n, f in editor.fields.items()}
    names[id(editor.save_button)] = "save"
    order: list[str] = []
    w = editor.widget("mrn")
    for _ in range(500):
        n = names.get(id(w))
        if n and n not in order:
            order.append(n)
        w = w.nextInFocusChain()
    return order


def test_tab_order_follows_reading_order(qtbot, gui_db, clinic, make_ctx):
    """Tab goes down the left column, then the right column, then Notes and Save."""
    editor = _editor(qtbot, make_ctx(clinic.nurse))
    order = _focus_chain(editor)
    assert order[:6] == ["mrn", "family_name", "given_names", "date_of_birth", "sex", "weight_kg"]
    assert order.index("allergies") < order.index("phone") < order.index("team:nurse")
    assert order.index("team:social_worker") < order.index("notes") < order.index("save")


def test_create_a_patient_by_keyboard(qtbot, gui_db, clinic, make_ctx):
    """A new patient is typed field by field with Tab and saved with Ctrl+S."""
    ctx = make_ctx(clinic.nurse)
    saved: list[str] = []
    ctx.bus.changed.connect(saved.append)
    editor = _editor(qtbot, ctx)
    editor.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is editor)
    editor.focus_first()
    assert not editor.save_button.isEnabled()
    assert "Record number" in editor.summary.text()
    qtbot.keyClicks(editor.widget("mrn"), "mrn-777")
    _type(qtbot, editor, "family_name", "Okafor")
    _type(qtbot, editor, "given_names", "Chloe")
    _type(qtbot, editor, "date_of_birth", "3 Feb 1975")
    _type(qtbot, editor, "weight_kg", "72.5")
    _type(qtbot, editor, "diagnosis", "Multiple sclerosis")
    assert editor.save_button.isEnabled(), editor.summary.text()
    qtbot.keyClick(editor.widget("diagnosis"), Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert editor.patient_id is not None, (
        editor.summary.text(),
        editor.save_button.shortcut().toString(),
    )
    assert saved == ["patient"]
    with gui_db.session() as s:
        stored = patients.find_by_mrn(s, clinic.nurse, "MRN-777")
    assert (stored.family_name, stored.given_names) == ("Okafor", "Chloe")
    assert stored.date_of_birth == dt.date(1975, 2, 3)
    assert stored.weight_kg == Decimal("72.5")
    assert not editor.has_unsaved_changes()


def test_live_validation_next_to_the_field(qtbot, gui_db, clinic, make_ctx):
    """A future birth date and a weight of 900 are explained under their fields; Save waits."""
    p = add_patient(gui_db, clinic.nurse, "A-1", "Lopez", "Ana")
    editor = _editor(qtbot, make_ctx(clinic.nurse), p.id)
    assert editor.save_button.isEnabled() is False  # nothing changed yet
    weight = editor.widget("weight_kg")
    weight.selectAll()
    qtbot.keyClicks(weight, "900")
    message = editor.fields["weight_kg"].message
    assert message.isVisible() and "900 kg is not possible" in message.text()
    assert message.text().startswith("Fix:")
    assert not editor.save_button.isEnabled()
    editor.widget("date_of_birth").set_value(dt.date.today() + dt.timedelta(days=3))
    assert "in the future" in editor.fields["date_of_birth"].message.text()
    assert "2 problems to fix" in editor.summary.text()
    weight.selectAll()
    qtbot.keyClicks(weight, "12,5")  # a comma in a point locale is refused, never guessed
    assert "comma" in editor.fields["weight_kg"].message.text()
    weight.selectAll()
    qtbot.keyClicks(weight, "70")
    editor.widget("date_of_birth").set_value(dt.date(1980, 5, 17))
    assert not editor.fields["weight_kg"].message.isVisible()
    assert editor.save_button.isEnabled()


def test_warning_does_not_block_saving(qtbot, gui_db, clinic, make_ctx):
    """A missing level of injury for a spinal candidate is a "Check:" note; Save stays on."""
    p = add_patient(gui_db, clinic.nurse, "A-1", "Lopez", "Ana")
    editor = _editor(qtbot, make_ctx(clinic.nurse), p.id)
    editor.widget("injury_level").clear()
    message = editor.fields["injury_level"].message
    assert message.isVisible() and message.text().startswith("Check:")
    assert editor.save_button.isEnabled()
    assert editor.save()


def test_edit_save_and_team(qtbot, gui_db, clinic, make_ctx):
    """Editing the weight and choosing a nurse saves both; the audit records each change."""
    p = add_patient(gui_db, clinic.nurse, "A-1", "Lopez", "Ana")
    editor = _editor(qtbot, make_ctx(clinic.pt), p.id)
    weight = editor.widget("weight_kg")
    assert weight.text() == "64.5"
    weight.selectAll()
    qtbot.keyClicks(weight, "70")
    nurse = editor.widget(f"team:{Discipline.NURSE.value}")
    nurse.setCurrentIndex(nurse.findData(clinic.nurse.user_id))
    assert editor.unsaved_summary() == "Weight (kg), Nurse edited"
    qtbot.mouseClick(editor.save_button, Qt.MouseButton.LeftButton)
    with gui_db.session() as s:
        stored = patients.get_patient(s, clinic.pt, p.id)
    assert stored.weight_kg == Decimal("70") and stored.version == 2
    assert [(m.discipline, m.full_name) for m in stored.team] == [(Discipline.NURSE, "Nia King")]
    assert editor.version == 2 and not editor.has_unsaved_changes()


def test_duplicate_record_number_shown_on_the_field(qtbot, gui_db, clinic, make_ctx):
    """The service's refusal (number already used) appears under the record number."""
    add_patient(gui_db, clinic.nurse, "A-1", "Lopez", "Ana")
    p = add_patient(gui_db, clinic.nurse, "B-2", "Moss", "Mo")
    editor = _editor(qtbot, make_ctx(clinic.nurse), p.id)
    editor.widget("mrn").setText("a-1")
    assert not editor.save()
    assert "already used by LOPEZ, Ana" in editor.fields["mrn"].message.text()


@pytest.mark.parametrize("choice", ["keep", "load"])
def test_conflict_keeps_the_users_edits(qtbot, gui_db, clinic, make_ctx, monkeypatch, choice):
    """Someone saves first: the dialog shows yours and theirs; Keep leaves the form as typed."""
    p = add_patient(gui_db, clinic.nurse, "A-1", "Lopez", "Ana")
    editor = _editor(qtbot, make_ctx(clinic.nurse), p.id)
    editor.widget("diagnosis").setText("Traumatic brain injury")
    with gui_db.session() as s:  # another workstation, another person
        theirs = patients.get_patient(s, clinic.physiatrist, p.id).as_input()
        theirs.diagnosis = "Cerebral palsy"
        patients.update_patient(s, clinic.physiatrist, p.id, 1, theirs)
    seen: dict[str, object] = {}

    def answer(dialog):
        assert isinstance(dialog, ConflictDialog)
        table = dialog.table
        rows = {
            table.item(r, 0).text(): (table.item(r, 1).text(), table.item(r, 2).text())
            for r in range(table.rowCount())
        }
        seen["rows"] = rows
        seen["message"] = dialog.findChild(type(editor.summary), "conflictMessage").text()
        button = dialog.keep_button if choice == "keep" else dialog.load_button
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)

    monkeypatch.setattr("carecoord.gui.patient.overview.confirm", lambda *a, **k: True)
    when_modal(answer)
    assert not editor.save()
    assert seen["rows"] == {"Diagnosis": ("Traumatic brain injury", "Cerebral palsy")}
    assert "Dr Maria Doe" in seen["message"]
    if choice == "keep":
        assert editor.widget("diagnosis").text() == "Traumatic brain injury"
        assert editor.version == 2 and editor.has_unsaved_changes()
        assert "Save again" in editor.notice.text()
        assert editor.save()  # a deliberate overwrite
        with gui_db.session() as s:
            assert patients.get_patient(s, clinic.nurse, p.id).diagnosis == "Traumatic brain injury"
    else:
        assert editor.widget("diagnosis").text() == "Cerebral palsy"
        assert not editor.has_unsaved_changes()


def test_retire_asks_for_the_reason(qtbot, gui_db, clinic, make_ctx, monkeypatch):
    """Retire asks why; a nurse may retire, a physical therapist sees who may in the tooltip."""
    p = add_patient(gui_db, clinic.nurse, "A-1", "Lopez", "Ana")
    pt_editor = _editor(qtbot, make_ctx(clinic.pt), p.id)
    assert not pt_editor.retire_button.isEnabled()
    assert "physiatrist, a nurse or an administrator" in pt_editor.retire_button.toolTip()
    editor = _editor(qtbot, make_ctx(clinic.nurse), p.id)
    monkeypatch.setattr(
        "carecoord.gui.patient.overview.QInputDialog.getText",
        lambda *a, **k: ("Moved to another region", True),
    )
    qtbot.mouseClick(editor.retire_button, Qt.MouseButton.LeftButton)
    with gui_db.session() as s:
        stored = patients.get_patient(s, clinic.nurse, p.id)
    assert stored.status is PatientStatus.RETIRED
    assert stored.retired_reason == "Moved to another region"
    assert editor.widget("status").currentText() == "Retired"
    assert not editor.retire_button.isEnabled()
