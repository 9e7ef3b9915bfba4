"""One alarm volume for every screen (pump program, Refills tab, `program show`), never below
the pump's own refill point; and the current dates from the refill record (CLINICAL.md 4-5)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from carecoord.domain.refills import AlarmVolumeSource
from carecoord.domain.units import format_date
from carecoord.services import programs, refills
from tests.services.pump_helpers import continuous, implanted_patient
from tests.services.refill_helpers import local, programmed, refill

D = Decimal
TODAY = dt.date.today()


@pytest.fixture(autouse=True)
def utc_clinic(monkeypatch):
    monkeypatch.setenv("TZ", "UTC")


def test_program_screen_uses_the_patients_own_alarm_volume(db, team):
    """A 5 mL alarm volume for this patient: the program context, the alarm date recorded at
    programming and the refill forecast all use 5 mL (15 / 0.72 = 20.8: day 20, not day 25)."""
    day0 = TODAY - dt.timedelta(days=3)
    with db.session() as s:
        patient, _ = implanted_patient(s, team.nurse, implant_date=day0)
        refills.set_patient_alarm_volume(
            s, team.nurse, patient.id, D(5), "Withdrawal at 2 mL left in 2024", expected_version=0
        )
        context = programs.load_draft_context(s, team.nurse, patient.id)
        assert context.alarm_volume_ml == D(5)
        assert context.alarm_volume is not None
        assert context.alarm_volume.source is AlarmVolumeSource.PATIENT
        view = programmed(s, team, patient.id, continuous("15"), at=local(day0))
        forecast = refills.patient_forecast(s, team.nurse, patient.id)
        refill_context = refills.refill_context(s, team.nurse, patient.id)
    assert view.our_alarm_date == day0 + dt.timedelta(days=20)
    assert forecast.alarm_date == view.our_alarm_date
    assert forecast.alarm_volume_ml == D(5)
    assert refill_context.alarm_volume_ml == D(5)


def test_patient_volume_below_the_prometra_refill_point_is_warned_and_the_dates_use_3_ml(db, team):
    """Prometra computes its refill date at 3.0 mL [27]: a patient's 2.5 mL would give a later
    date than the pump's own, so every screen uses 3 mL and says why (day 23, not day 24)."""
    day0 = TODAY - dt.timedelta(days=3)
    with db.session() as s:
        patient, _ = implanted_patient(s, team.nurse, implant_date=day0, device_key="prometra2_20")
        refills.set_patient_alarm_volume(
            s, team.nurse, patient.id, D("2.5"), "Team decision", expected_version=0
        )
        view = programmed(s, team, patient.id, continuous("15"), at=local(day0))
        context = programs.load_draft_context(s, team.nurse, patient.id)
        refill_context = refills.refill_context(s, team.nurse, patient.id)
        forecast = refills.patient_forecast(s, team.nurse, patient.id)
    for chosen in (context.alarm_volume, refill_context.alarm_volume):
        assert chosen is not None
        assert chosen.volume_ml == D(3) and chosen.source is AlarmVolumeSource.DEVICE
        assert "2.5 mL" in chosen.warning and "3 mL" in chosen.warning
    assert context.alarm_volume_ml == refill_context.alarm_volume_ml == D(3)
    assert view.our_alarm_date == day0 + dt.timedelta(days=23)
    assert forecast.alarm_date == day0 + dt.timedelta(days=23)
    assert forecast.patient_alarm_volume_ml == D("2.5")


def test_refill_form_context_lists_what_is_pending(db, team):
    """Before a refill is recorded the nurse is told of a draft, then of an approved program
    not yet on the pump, and of a residual discrepancy still waiting for its review."""
    day0 = TODAY - dt.timedelta(days=21)
    with db.session() as s:
        patient, _ = implanted_patient(s, team.nurse, implant_date=day0)
        programmed(s, team, patient.id, continuous("15"), at=local(day0))
        assert refills.refill_context(s, team.nurse, patient.id).pending == ()
        draft = programs.save_draft(s, team.nurse, patient.id, continuous("16"))
        [words] = refills.refill_context(s, team.nurse, patient.id).pending
        assert words.startswith("Program 2 is a draft waiting for a physiatrist's approval")
        programs.approve(s, team.physiatrist, draft.id, draft.version, reason="Spasms at night")
        [words] = refills.refill_context(s, team.nurse, patient.id).pending
        assert words.startswith("Program 2 was approved by Dr Maria Doe on")
        assert "is not on the pump yet" in words
        refills.record_refill(
            s,
            team.nurse,
            patient.id,
            refill(
                dt.datetime.now(dt.UTC) - dt.timedelta(hours=2),
                measured_residual_ml=D(0),
                volume_discarded_ml=D(0),
            ),
            based_on_visit_id=None,
        )
        pending = refills.refill_context(s, team.nurse, patient.id).pending
    assert len(pending) == 2
    assert "has a residual discrepancy waiting for a physiatrist's review" in pending[1]
    assert (
        format_date(TODAY) in pending[1] or format_date(TODAY - dt.timedelta(days=1)) in pending[1]
    )
