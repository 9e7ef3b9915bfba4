"""The demo clinic's refill data: the dashboard shows what the histories imply."""

from __future__ import annotations

import datetime as dt

from carecoord.services import audit, demo, recalls, refills
from carecoord.services.context import SYSTEM


def test_demo_dashboard_has_every_kind_of_row(db, monkeypatch):
    monkeypatch.setenv("TZ", "UTC")
    with db.session() as s:
        clinic = demo.build_demo(s, patient_count=40)
        data = refills.dashboard_data(s, SYSTEM)
        assert data.past_alarm_count >= 1 and data.overdue_count > data.past_alarm_count
        assert data.overdue[0].past_alarm and "withdrawal risk" in data.overdue[0].status
        assert data.due_soon_count >= 2 and data.discrepancy_count >= 2
        assert data.battery_count >= 2
        assert all(r.status.startswith(("Replace by", "Past its battery")) for r in data.battery)
        # Each overdue row agrees with its patient's own forecast.
        for row in data.overdue:
            forecast = refills.patient_forecast(s, clinic.nurse, row.patient_id)
            assert forecast.overdue and forecast.due_date == row.due_date
        to_call = recalls.recall_list(s, SYSTEM)
        assert {r.patient_id for r in data.overdue} <= {r.patient_id for r in to_call}
        assert any(r.attempts for r in to_call)
        assert recalls.appointments(s, SYSTEM, start=dt.datetime.now(dt.UTC))
        assert audit.verify(s).ok
