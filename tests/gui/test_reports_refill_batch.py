"""The dashboard batch "care plans for the refill list of a day" on stored refill data: one PDF
per patient on that day's list, each with the stored dose and dates, and Cancel stops it."""

from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtCore import QDate
from PySide6.QtWidgets import QProgressDialog, QPushButton

from carecoord.gui.reports.batch_section import BatchPrintingPage
from carecoord.reports import batch as batch_module
from carecoord.reports.translations import Translator
from carecoord.services import recalls
from tests.reports.helpers import text_of
from tests.services.pump_helpers import continuous, example2, implanted_patient
from tests.services.refill_helpers import local, programmed

TODAY = dt.date.today()
DAY0 = TODAY - dt.timedelta(days=10)
DUE_DAY = DAY0 + dt.timedelta(days=20)  # worked example 2 from a full 20 mL pump


@pytest.fixture(autouse=True)
def utc_clinic(monkeypatch):
    monkeypatch.setenv("TZ", "UTC")


@pytest.fixture
def refill_day_list(gui_db, clinic):
    """Three patients due or booked on DUE_DAY and one due on another day."""
    mrns = {}
    with gui_db.session() as s:
        for mrn in ("RL-1", "RL-2"):
            p, _ = implanted_patient(s, clinic.nurse, mrn=mrn, implant_date=DAY0)
            programmed(s, clinic, p.id, example2(), at=local(DAY0))
            mrns[mrn] = p.id
        booked, _ = implanted_patient(s, clinic.nurse, mrn="RL-3", implant_date=DAY0)
        programmed(s, clinic, booked.id, continuous("5"), at=local(DAY0))
        recalls.book_appointment(s, clinic.nurse, booked.id, local(DUE_DAY, hour=15))
        mrns["RL-3"] = booked.id
        other, _ = implanted_patient(s, clinic.nurse, mrn="RL-4", implant_date=DAY0)
        programmed(s, clinic, other.id, continuous("5"), at=local(DAY0 + dt.timedelta(days=1)))
    return mrns


@pytest.fixture
def page(qtbot, make_ctx, clinic, refill_day_list, tmp_path):
    widget = BatchPrintingPage(make_ctx(clinic.nurse))
    qtbot.addWidget(widget)
    widget.folder.setText(str(tmp_path / "plans"))
    widget.day.setDate(QDate(DUE_DAY.year, DUE_DAY.month, DUE_DAY.day))
    widget.resize(700, 420)
    widget.show()
    return widget


def test_refill_list_day_writes_one_care_plan_per_patient(page, tmp_path, refill_day_list):
    assert page.count.text().startswith("3 patients are on the refill list of")
    assert page.run_button.isEnabled()
    page.run_button.click()
    files = sorted((tmp_path / "plans").glob("*.pdf"))
    assert [f.name.split("_")[1] for f in files] == ["RL-1", "RL-2", "RL-3"]
    assert "3 care plans saved" in page.result.text()
    first = text_of(files[0].read_bytes())
    assert "360 micrograms a day" in first
    assert f"Come for your refill by {Translator('en').date(DUE_DAY)}" in first
    # Printed for the refill day: due that day, said as "today", never as passed.
    assert "Your refill is due today." in first and "has passed" not in first
    booked = text_of(files[2].read_bytes())
    assert "120 micrograms a day" in booked and "at 15:00" in booked
    page.day.setDate(QDate(TODAY.year, TODAY.month, TODAY.day).addDays(400))
    assert "No patient is on the refill list" in page.count.text()
    assert not page.run_button.isEnabled()


def test_refill_list_batch_can_be_cancelled(page, tmp_path, monkeypatch):
    real = batch_module.render_care_plan
    calls: list[int] = []

    def cancel_after_one(data):
        calls.append(1)
        if len(calls) == 1:
            page.findChild(QProgressDialog).findChild(QPushButton).click()  # Cancel
        return real(data)

    monkeypatch.setattr(batch_module, "render_care_plan", cancel_after_one)
    page.run_button.click()
    assert len(list((tmp_path / "plans").glob("*.pdf"))) == 1
    assert page.result.text().startswith("Cancelled. 1 care plan saved")
