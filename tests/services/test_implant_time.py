"""The implant's date and time: recorded, edited, and the moment the "no increase in the first
24 hours" rule counts from (CLINICAL.md section 3 [10]); both stores."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest

from carecoord.domain.errors import ValidationFailed
from carecoord.domain.program_safety import Phase
from carecoord.services import audit, programs, pumps
from carecoord.services.context import SYSTEM
from tests.services.pump_helpers import continuous, implant_input, implanted_patient
from tests.services.refill_helpers import programmed

NO_INCREASE = "No dose increase in the first 24 hours after implant"


@pytest.fixture(autouse=True)
def utc_clinic(monkeypatch):
    monkeypatch.setenv("TZ", "UTC")


def _at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=dt.UTC)


def _flags(session, patient_id: int, now: dt.datetime) -> bool:
    context = programs.load_draft_context(session, SYSTEM, patient_id)
    problems = context.problems(continuous("20"), Phase.AFTER_IMPLANT, now=now)
    return any(NO_INCREASE in p.message for p in problems)


def test_implant_time_is_stored_and_the_24_hour_rule_counts_from_it(db, team):
    """Implanted yesterday at 20:00: an increase today at 10:00 (14 h later) needs a reason,
    one at 20:30 (24.5 h later) does not."""
    day = dt.date.today() - dt.timedelta(days=1)
    with db.session() as s:
        patient, implant = implanted_patient(s, team.nurse, implant_date=day)
        pumps.update_implant(
            s,
            team.nurse,
            implant.id,
            implant.version,
            replace(implant.as_input(), implant_time=dt.time(20, 0)),
        )
        programmed(s, team, patient.id, continuous("15"), at=_at(day, 21))
        view = pumps.active_implant(s, patient.id)
        assert view is not None and view.implant_time == dt.time(20, 0)
        assert view.implant_words.endswith("at 20:00")
        assert _flags(s, patient.id, _at(day + dt.timedelta(days=1), 10))
        assert not _flags(s, patient.id, _at(day + dt.timedelta(days=1), 20, 30))
        [event] = [
            e
            for e in audit.patient_history(s, team.admin, patient.id)
            if "Implant time" in e.summary
        ]
    assert any("20:00" in str(change) for change in event.changes)


def test_without_a_time_the_rule_counts_from_the_end_of_the_implant_day(db, team):
    """A back-dated record with no time: at 21:00 the next day (less than 24 h after the end
    of the implant day) the increase still needs a reason; at midnight after that it does not."""
    day = dt.date.today() - dt.timedelta(days=2)
    with db.session() as s:
        patient, implant = implanted_patient(s, team.nurse, implant_date=day)
        assert implant.implant_time is None
        programmed(s, team, patient.id, continuous("15"), at=_at(day, 21))
        assert _flags(s, patient.id, _at(day + dt.timedelta(days=1), 21))
        assert not _flags(s, patient.id, _at(day + dt.timedelta(days=2), 0))


def test_an_implant_time_still_to_come_today_is_refused(db, team):
    """Today's date with a time later than now is a typing error; nothing is saved."""
    now = dt.datetime.now()
    if now.hour == 23 and now.minute >= 58:
        pytest.skip("no later minute today")
    later = (now + dt.timedelta(minutes=2)).time().replace(second=0, microsecond=0)
    with db.session() as s:
        patient, implant = implanted_patient(s, team.nurse, implant_date=dt.date.today())
        with pytest.raises(ValidationFailed) as exc:
            pumps.update_implant(
                s,
                team.nurse,
                implant.id,
                implant.version,
                replace(implant.as_input(), implant_time=later),
            )
        assert exc.value.problems[0].field == "implant_time"
        assert "still to come" in exc.value.problems[0].message
        s.rollback()
        assert pumps.active_implant(s, patient.id).implant_time is None  # type: ignore[union-attr]
    assert implant_input().implant_time is None
