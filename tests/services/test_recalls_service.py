"""Recall list, contact attempts, appointments and the iCalendar export on both stores."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from icalendar import Calendar

from carecoord.domain.errors import ValidationFailed
from carecoord.domain.refill_status import ContactOutcome
from carecoord.services import audit, recalls, refills
from tests.services.pump_helpers import example2, implanted_patient
from tests.services.refill_helpers import local, programmed, refill

D = Decimal
TODAY = dt.date.today()


@pytest.fixture(autouse=True)
def utc_clinic(monkeypatch):
    monkeypatch.setenv("TZ", "UTC")


def overdue_patient(s, team, mrn="MRN-1", days_ago=30):
    day0 = TODAY - dt.timedelta(days=days_ago)
    patient, _ = implanted_patient(s, team.nurse, mrn=mrn, implant_date=day0)
    programmed(s, team, patient.id, example2(), at=local(day0))
    return patient


def test_recall_opens_on_a_call_and_closes_when_the_refill_is_recorded(db, team):
    with db.session() as s:
        patient = overdue_patient(s, team)
        rows = recalls.recall_list(s, team.social_worker)
        assert [r.patient_id for r in rows] == [patient.id]
        assert rows[0].recall_id is None and rows[0].last_attempt == "Not called yet"
        assert rows[0].past_alarm and "withdrawal risk" in rows[0].status
        recalls.log_contact_attempt(
            s, team.social_worker, patient.id, ContactOutcome.NO_ANSWER, "Mobile"
        )
        with pytest.raises(ValidationFailed, match="date and time"):
            recalls.log_contact_attempt(s, team.social_worker, patient.id, ContactOutcome.BOOKED)
        tomorrow = dt.datetime.now(dt.UTC) + dt.timedelta(days=1)
        recall_id = recalls.log_contact_attempt(
            s, team.nurse, patient.id, ContactOutcome.BOOKED, appointment_at=tomorrow
        )
        rows = recalls.recall_list(s, team.nurse)
        assert rows[0].recall_id == recall_id
        assert [a.outcome for a in rows[0].attempts] == [
            ContactOutcome.NO_ANSWER,
            ContactOutcome.BOOKED,
        ]
        assert "Sam Wu" in rows[0].attempts[0].words
        assert refills.patient_forecast(s, team.nurse, patient.id).next_appointment_at == tomorrow
        refills.record_refill(
            s,
            team.nurse,
            patient.id,
            refill(
                dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5),
                measured_residual_ml=D(0),
                volume_discarded_ml=D(0),
            ),
            based_on_visit_id=None,
        )
        assert recalls.recall_list(s, team.nurse) == []
        assert audit.verify(s).ok


def test_booked_before_the_due_date_needs_no_call(db, team):
    with db.session() as s:
        patient = overdue_patient(s, team, days_ago=10)  # due on day 20: in 10 days
        assert [r.patient_id for r in recalls.recall_list(s, team.nurse)] == [patient.id]
        recalls.book_appointment(s, team.nurse, patient.id, local(TODAY + dt.timedelta(days=5)))
        assert recalls.recall_list(s, team.nurse) == []
        with pytest.raises(ValidationFailed, match="past"):
            recalls.book_appointment(s, team.nurse, patient.id, local(TODAY - dt.timedelta(days=5)))


def test_calendar_export_lists_booked_visits(db, team):
    with db.session() as s:
        patient = overdue_patient(s, team, days_ago=10)
        first = recalls.book_appointment(
            s, team.nurse, patient.id, local(TODAY + dt.timedelta(days=5))
        )
        second = recalls.book_appointment(
            s, team.nurse, patient.id, local(TODAY + dt.timedelta(days=9))
        )
        booked = recalls.appointments(s, team.nurse, patient_id=patient.id)
        cancel = next(a for a in booked if a.id == second)
        recalls.cancel_appointment(s, team.nurse, second, cancel.version, "Patient in hospital")
        data = recalls.export_calendar(s, team.pt)
    calendar = Calendar.from_ical(data)
    events = list(calendar.walk("VEVENT"))
    assert [str(e["uid"]) for e in events] == [f"refill-appointment-{first}@carecoord"]
    assert str(events[0]["summary"]) == "Pump refill: LOPEZ, Ana (MRN-1)"
    assert events[0].decoded("dtstart") == local(TODAY + dt.timedelta(days=5))
    assert "Low-reservoir alarm date" in str(events[0]["description"])
