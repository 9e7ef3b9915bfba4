"""No reader shows a forecast computed from older records as current (issue: fail-safe dates).

While forecasts are being recomputed the dashboard names those patients without any date; a
single patient's dates, the calendar and the day's refill list compute on read instead.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import text

from carecoord.services import recalls, refills
from carecoord.services.context import SYSTEM
from carecoord.services.settings import update_settings
from tests.services.pump_helpers import example2, implanted_patient
from tests.services.refill_helpers import local, programmed

TODAY = dt.date.today()


@pytest.fixture(autouse=True)
def utc_clinic(monkeypatch):
    monkeypatch.setenv("TZ", "UTC")


def _pump_patient(db, team, mrn: str, days: int) -> int:
    day0 = TODAY - dt.timedelta(days=days)
    with db.session() as s:
        patient, _ = implanted_patient(s, team.nurse, mrn=mrn, implant_date=day0)
        programmed(s, team, patient.id, example2(), at=local(day0))
    return patient.id


def test_dashboard_names_patients_being_recomputed_and_lists_no_old_date(db, team, monkeypatch):
    """A margin change moves a due date into the overdue range: until that patient is
    recomputed the dashboard lists them as being recomputed, never in a section with the
    old date (here "due in 1 day" while the truth is "overdue")."""
    late = _pump_patient(db, team, "MRN-LATE", 19)  # due day 20 with the 5-day margin
    with db.session() as s:
        data = refills.dashboard_data(s, team.nurse)
        assert [r.mrn for r in data.due_soon] == ["MRN-LATE"] and data.stale_remaining == 0
        update_settings(s, SYSTEM, refill_margin_days=10)  # due day 15: overdue 4 days
    monkeypatch.setattr(refills, "refresh_stale_forecasts", lambda *a, **k: 1)
    with db.session() as s:
        data = refills.dashboard_data(s, team.nurse)
    assert data.due_soon == [] and data.overdue == []
    assert data.due_soon_count == 0 and data.overdue_count == 0
    assert data.stale_remaining == 1
    assert [(r.patient_id, r.status) for r in data.recomputing] == [
        (late, "Refill dates being recomputed")
    ]
    with db.session() as s:  # the patient's own screen computes on read
        forecast = refills.patient_forecast(s, team.nurse, late)
    assert forecast.due_date == TODAY - dt.timedelta(days=4)
    assert forecast.status_words.startswith("Overdue 4 days")
    monkeypatch.undo()
    with db.session() as s:
        data = refills.dashboard_data(s, team.nurse)
    assert [r.mrn for r in data.overdue] == ["MRN-LATE"] and data.stale_remaining == 0
    assert data.computed_at is not None


def test_a_change_on_another_workstation_during_a_read_is_never_shown_as_current(db, team):
    """The program changes after this workstation recomputed: the next read does not list the
    stored date, it recomputes it."""
    patient_id = _pump_patient(db, team, "MRN-1", 10)
    with db.session() as s:
        refills.dashboard_data(s, team.nurse)
    with db.engine.begin() as conn:  # a script on another machine shortens the interval
        conn.execute(
            text(
                "INSERT INTO settings (key, value, version) VALUES ('max_refill_interval_days',"
                " '12', 1)"
            )
        )
    with db.session() as s:
        data = refills.dashboard_data(s, team.nurse, due_days=30)
        rows = [(r.patient_id, r.due_date) for r in data.due_soon]
    assert rows == [(patient_id, TODAY + dt.timedelta(days=2))]  # fill + 12, not + 20


def test_calendar_and_refill_list_use_the_current_dates(db, team):
    """A booked visit's description and the day's refill list follow a settings change."""
    patient_id = _pump_patient(db, team, "MRN-1", 10)
    with db.session() as s:
        recalls.book_appointment(s, team.nurse, patient_id, local(TODAY + dt.timedelta(days=3)))
        refills.dashboard_data(s, team.nurse)
        update_settings(s, SYSTEM, max_refill_interval_days=15)
    with db.session() as s:
        ics = recalls.export_calendar(s, team.nurse, start=dt.datetime.now(dt.UTC)).decode()
        ids = refills.refill_list_ids(s, TODAY + dt.timedelta(days=5), dt.UTC)
    unfolded = ics.replace("\r\n ", "")
    from carecoord.domain.units import format_date

    assert f"Refill due {format_date(TODAY + dt.timedelta(days=5))}" in unfolded
    assert ids == [patient_id]
