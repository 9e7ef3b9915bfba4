"""The Refills tab and the Recall page, driven as a nurse would."""

from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QFileDialog

from carecoord.services import recalls, refills
from tests.services.pump_helpers import example2, implanted_patient
from tests.services.refill_helpers import local, programmed

TODAY = dt.date.today()


@pytest.fixture(autouse=True)
def utc_clinic(monkeypatch):
    monkeypatch.setenv("TZ", "UTC")


def pump_patient(db, team, mrn="MRN-1", days=21) -> int:
    day0 = TODAY - dt.timedelta(days=days)
    with db.session() as s:
        patient, _ = implanted_patient(s, team.nurse, mrn=mrn, implant_date=day0)
        programmed(s, team, patient.id, example2(), at=local(day0))
    return patient.id


def open_refills(window, patient_id):
    workspace = window.open_patient(patient_id)
    return workspace.show_tab("refills")


def test_nurse_records_a_refill_with_a_discrepancy_and_the_dashboard_changes(
    qtbot, gui_db, clinic, make_window
):
    """Typed by keyboard: the discrepancy shows live in words; after Record the dashboard no
    longer lists the patient as overdue and lists the discrepancy for review."""
    patient_id = pump_patient(gui_db, clinic, days=25)  # alarm date today
    window = make_window(clinic.nurse)
    dashboard = window.pages["dashboard"]
    assert "1 refill overdue" in dashboard.sections["refills_overdue"].count_label.text()
    tab = open_refills(window, patient_id)
    assert "Overdue" in tab.status_label.text() and "withdrawal risk" in tab.status_label.text()
    assert not tab.save_button.isEnabled()
    assert tab.fields["concentration_mcg_per_ml"].text() == "500"
    qtbot.keyClicks(tab.fields["measured_residual_ml"], "0.5")
    assert "DISCREPANCY" in tab.discrepancy_label.text()
    assert "less than expected" in tab.discrepancy_label.text()
    qtbot.keyClicks(tab.fields["volume_discarded_ml"], "0.5")
    qtbot.keyClicks(tab.lot, "b2201")
    tab.lot_expiry.set_value(TODAY + dt.timedelta(days=200))
    qtbot.keyClicks(tab.fields["volume_added_ml"], "25")
    assert not tab.save_button.isEnabled()
    assert "would put" in tab.messages["volume_added_ml"].text()
    tab.fields["volume_added_ml"].clear()
    qtbot.keyClicks(tab.fields["volume_added_ml"], "20")
    assert tab.new_volume_label.text() == "20 mL in a 20 mL reservoir"
    assert tab.save_button.isEnabled(), tab.summary.text()
    assert tab.has_unsaved_changes()
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
    tab.fields["volume_added_ml"].setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.keyClick(tab.fields["volume_added_ml"], Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert "Refill recorded" in tab.summary.text()
    assert "discrepancy was flagged" in tab.summary.text()
    assert tab.history.topLevelItemCount() == 1
    assert "DISCREPANCY" in tab.history.topLevelItem(0).text(2)
    assert not tab.has_unsaved_changes()
    assert tab.status_label.text().startswith("Due in")
    window.show_page("dashboard")
    assert "No refill is overdue" in dashboard.sections["refills_overdue"].count_label.text()
    assert "1 refill discrepancy" in dashboard.sections["refill_discrepancies"].count_label.text()
    with gui_db.session() as s:
        [visit] = refills.visit_history(s, clinic.nurse, patient_id)
    assert visit.lot == "B2201" and visit.discrepancy_flagged and visit.review_pending


def test_physiatrist_closes_the_review_from_the_history(
    qtbot, gui_db, clinic, make_window, monkeypatch
):
    patient_id = pump_patient(gui_db, clinic, days=21)
    from tests.services.refill_helpers import refill

    with gui_db.session() as s:
        refills.record_refill(
            s,
            clinic.nurse,
            patient_id,
            refill(
                dt.datetime.now(dt.UTC) - dt.timedelta(hours=1),
                measured_residual_ml=0,
                volume_discarded_ml=0,
            ),
            based_on_visit_id=None,
        )
    window = make_window(clinic.physiatrist)
    tab = open_refills(window, patient_id)
    tab.history.setCurrentItem(tab.history.topLevelItem(0))
    assert tab.review_button.isEnabled()
    from PySide6.QtWidgets import QInputDialog

    monkeypatch.setattr(
        QInputDialog,
        "getMultiLineText",
        staticmethod(lambda *a, **k: ("Catheter study booked", True)),
    )
    tab.review()
    assert "reviewed" in tab.history.topLevelItem(0).text(2)
    assert not tab.review_button.isVisible()


def test_recall_page_logs_a_booked_call_and_exports_the_calendar(
    qtbot, gui_db, clinic, make_window, monkeypatch, tmp_path
):
    patient_id = pump_patient(gui_db, clinic, days=30)
    window = make_window(clinic.social_worker)
    page = window.show_page("recall")
    assert page.list.topLevelItemCount() == 1
    assert "withdrawal risk" in page.list.topLevelItem(0).text(0)
    assert "call first" in page.count_label.text()
    from carecoord.domain.refill_status import ContactOutcome

    with gui_db.session() as s:
        recalls.log_contact_attempt(s, clinic.social_worker, patient_id, ContactOutcome.NO_ANSWER)
    page.refresh()
    assert "No answer" in page.list.topLevelItem(0).text(7)
    with gui_db.session() as s:
        recalls.book_appointment(
            s, clinic.social_worker, patient_id, dt.datetime.now(dt.UTC) + dt.timedelta(days=1)
        )
    target = tmp_path / "refills"
    monkeypatch.setattr(
        QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: (str(target), ""))
    )
    page.export_calendar()
    data = (tmp_path / "refills.ics").read_bytes()
    assert data.count(b"BEGIN:VEVENT") == 1
    assert "Exported 1 booked refill visit" in page.count_label.text()
    page.list.setCurrentItem(page.list.topLevelItem(0))
    page.open_patient()
    assert window.workspaces()[0].patient_id == patient_id


def test_change_program_opens_the_pump_program_tab(qtbot, gui_db, clinic, make_window):
    patient_id = pump_patient(gui_db, clinic, days=10)
    window = make_window(clinic.nurse)
    workspace = window.open_patient(patient_id)
    tab = workspace.show_tab("refills")
    qtbot.mouseClick(tab.change_program_button, Qt.MouseButton.LeftButton)
    assert workspace.tabs.currentWidget() is workspace.tab("pump_program")


def test_alarm_volume_changed_on_another_workstation_is_not_overwritten(
    qtbot, gui_db, clinic, make_window, monkeypatch, boxes
):
    """The tab was opened with no own alarm volume; another nurse set 4 mL meanwhile. Saving
    3 mL here is refused with who saved first, and the tab then shows their 4 mL."""
    from decimal import Decimal

    from PySide6.QtWidgets import QInputDialog

    patient_id = pump_patient(gui_db, clinic, days=5)
    window = make_window(clinic.nurse)
    tab = open_refills(window, patient_id)
    with gui_db.session() as s:
        refills.set_patient_alarm_volume(
            s, clinic.physiatrist, patient_id, Decimal(4), "Withdrawal at 2 mL", expected_version=0
        )
    answers = iter([("3", True), ("Lower alarm", True)])
    monkeypatch.setattr(QInputDialog, "getText", staticmethod(lambda *a, **k: next(answers)))
    tab.change_alarm_volume()
    title, text = boxes[-1]
    assert title == "Alarm volume not changed" and "Dr Maria Doe" in text
    with gui_db.session() as s:
        stored = refills.patient_forecast(s, clinic.nurse, patient_id)
    assert stored.patient_alarm_volume_ml == Decimal(4)
    assert "4 mL" in tab.alarm_volume_label.text()
