"""The refill sections of the dashboard: words and counts, opening a patient, and refreshing
when another workstation records a refill (SQLite: polled counter; PostgreSQL: LISTEN)."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from carecoord.gui.context import AppContext
from carecoord.gui.main_window import MainWindow
from tests.services.pump_helpers import example2, implanted_patient
from tests.services.refill_helpers import local, programmed

ROOT = Path(__file__).resolve().parents[2]
TODAY = dt.date.today()


@pytest.fixture(autouse=True)
def utc_clinic(monkeypatch):
    monkeypatch.setenv("TZ", "UTC")


def pump_patient(db, team, mrn: str, days_since_fill: int, family: str = "Lopez") -> int:
    day0 = TODAY - dt.timedelta(days=days_since_fill)
    with db.session() as s:
        patient, _ = implanted_patient(s, team.nurse, mrn=mrn, implant_date=day0)
        programmed(s, team, patient.id, example2(), at=local(day0))
    return patient.id


def window_for(qtbot, db, actor, **kwargs) -> MainWindow:
    kwargs.setdefault("idle_timeout_ms", 60 * 60 * 1000)
    window = MainWindow(AppContext(db, actor), **kwargs)
    qtbot.addWidget(window)
    window.resize(1400, 900)
    window.show()
    if kwargs.get("poll"):  # the window starts polling just after its first paint
        qtbot.waitUntil(window.poller.timer.isActive, timeout=5000)
    return window


def test_overdue_past_alarm_says_withdrawal_risk_and_opens_the_patient(qtbot, db, team):
    """Overdue first, with the words; Enter on the row opens the patient."""
    late = pump_patient(db, team, "MRN-LATE", 30)  # alarm day 25: past it
    soon = pump_patient(db, team, "MRN-SOON", 10)  # due in 10 days
    window = window_for(qtbot, db, team.nurse, poll=False)
    page = window.pages["dashboard"]
    overdue = page.sections["refills_overdue"]
    assert "1 refill overdue, 1 past the alarm date: withdrawal risk" in overdue.count_label.text()
    item = overdue.list.topLevelItem(0)
    assert "past alarm date" in item.text(0) and "withdrawal risk" in item.text(0)
    assert item.foreground(0).color().name() == "#b00020"
    due = page.sections["refills_due"]
    assert "1 refill due in the next 14 days" in due.count_label.text()
    assert due.list.topLevelItem(0).text(0) == "Due in 10 days"
    battery = page.sections["battery_replacements"]
    assert "No pump battery" in battery.count_label.text()
    # Sections come first on the home screen, overdue at the top.
    keys = list(page.sections)
    assert keys.index("refills_overdue") < keys.index("refills_due") < keys.index("status_counts")
    overdue.list.setFocus()
    overdue.list.setCurrentItem(item)
    qtbot.keyClick(overdue.list, Qt.Key.Key_Return)
    assert window.workspaces()[0].patient_id == late
    assert soon != late
    window._force_close = True
    window.close()


def test_refill_on_another_workstation_appears_without_restart(qtbot, db, team, monkeypatch):
    """A second process records the overdue patient's refill; this dashboard updates itself.
    On PostgreSQL polling is slowed to a minute, so only LISTEN/NOTIFY can explain it."""
    patient_id = pump_patient(db, team, "MRN-OTHER", 30)
    interval = 300 if db.is_sqlite else 60_000
    window = window_for(qtbot, db, team.nurse, poll=True, poll_interval_ms=interval)
    overdue = window.pages["dashboard"].sections["refills_overdue"]
    discrepancies = window.pages["dashboard"].sections["refill_discrepancies"]
    assert "1 refill overdue" in overdue.count_label.text()
    if not db.is_sqlite:
        qtbot.waitUntil(lambda: window.poller.listener.listening.is_set(), timeout=10_000)
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "tests.gui.refill_workstation",
            db.url,
            db.pg_schema or "",
            str(patient_id),
            "nking",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout.strip().splitlines()[-1])["flagged"] is True
    qtbot.waitUntil(lambda: "No refill is overdue" in overdue.count_label.text(), timeout=15_000)
    assert "1 refill discrepancy waiting" in discrepancies.count_label.text()
    window._force_close = True
    window.close()
