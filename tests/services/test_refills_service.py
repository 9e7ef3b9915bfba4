"""Refill services on both stores: worked examples, program changes, DST, refusals, dashboard."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from carecoord.domain.errors import ValidationFailed
from carecoord.domain.refills import DueLimit
from carecoord.services import audit, refills
from carecoord.services.context import SYSTEM
from carecoord.services.errors import ConflictError, PermissionDenied
from carecoord.services.settings import update_settings
from carecoord.store.models_refills import RefillForecast
from tests.services.pump_helpers import continuous, example2, implanted_patient
from tests.services.refill_helpers import example1, local, programmed, refill

D = Decimal
TODAY = dt.date.today()


@pytest.fixture(autouse=True)
def utc_clinic(monkeypatch):
    monkeypatch.setenv("TZ", "UTC")


def messages(exc) -> str:
    return " | ".join(p.message for p in exc.value.problems)


def test_worked_example_1_forecast_through_the_services(db, team):
    """40 mL at 0.2 mL/day: alarm day 190, due day 90 (clinic maximum); 180 with no maximum."""
    day0 = TODAY - dt.timedelta(days=10)
    with db.session() as s:
        patient, _ = implanted_patient(
            s, team.nurse, device_key="synchromed2_8637_40", implant_date=day0
        )
        programmed(s, team, patient.id, example1(), at=local(day0), reservoir="40")
        forecast = refills.patient_forecast(s, team.pt, patient.id)
    assert forecast.alarm_date == day0 + dt.timedelta(days=190)
    assert forecast.due_date == day0 + dt.timedelta(days=90)
    assert forecast.due_limit is DueLimit.CLINIC_MAXIMUM
    with db.session() as s:
        update_settings(s, SYSTEM, max_refill_interval_days=365)
        forecast = refills.patient_forecast(s, team.pt, patient.id)
    assert forecast.due_date == day0 + dt.timedelta(days=180)
    assert forecast.due_limit is DueLimit.STABILITY
    assert forecast.battery_replace_by is not None


def test_worked_examples_2_and_3_refill_with_a_flagged_discrepancy(db, team):
    """Example 2: alarm day 25, due day 20. Example 3: refill on day 21, expected 4.88 mL,
    measured 3.0 mL: 1.88 mL short, flagged; the dashboard lists it until a physiatrist
    reviews it."""
    day0 = TODAY - dt.timedelta(days=30)
    with db.session() as s:
        patient, _ = implanted_patient(s, team.nurse, implant_date=day0 - dt.timedelta(days=5))
        programmed(s, team, patient.id, example2(), at=local(day0))
        forecast = refills.patient_forecast(s, team.nurse, patient.id)
        assert forecast.alarm_date == day0 + dt.timedelta(days=25)
        assert forecast.due_date == day0 + dt.timedelta(days=20)
        assert forecast.due_limit is DueLimit.ALARM
        # Day 30 today: overdue by 10 days and past the alarm date (day 25).
        data = refills.dashboard_data(s, team.nurse)
        assert [r.patient_id for r in data.overdue] == [patient.id]
        assert data.overdue[0].past_alarm and "withdrawal risk" in data.overdue[0].status
        context = refills.refill_context(s, team.nurse, patient.id)
        checked = context.check(
            refill(local(day0 + dt.timedelta(days=21)), measured_residual_ml=D("3.0"))
        )
        assert checked.expected_ml == D("4.88") and checked.residual.flagged
        visit = refills.record_refill(
            s,
            team.nurse,
            patient.id,
            refill(
                local(day0 + dt.timedelta(days=21)),
                measured_residual_ml=D("3.0"),
                volume_discarded_ml=D("3.0"),
            ),
            based_on_visit_id=None,
        )
    assert visit.expected_residual_ml == D("4.88")
    assert visit.discrepancy_ml == D("-1.88") and visit.discrepancy_flagged
    assert visit.new_volume_ml == D(20)
    refill_day = day0 + dt.timedelta(days=21)
    assert visit.our_alarm_date == refill_day + dt.timedelta(days=25)
    assert visit.due_date == refill_day + dt.timedelta(days=20)
    with db.session() as s:
        data = refills.dashboard_data(s, team.nurse)
        assert data.overdue_count == 0 and data.discrepancy_count == 1
        assert data.discrepancies[0].visit_id == visit.id
        assert "1.88 mL less than expected" in data.discrepancies[0].status
        with pytest.raises(PermissionDenied):
            refills.review_discrepancy(s, team.nurse, visit.id, visit.version, "Checked")
        reviewed = refills.review_discrepancy(
            s, team.physiatrist, visit.id, visit.version, "Pump interrogated: no fault found"
        )
        assert not reviewed.review_pending and reviewed.reviewed_by == "Dr Maria Doe"
        assert refills.dashboard_data(s, team.nurse).discrepancy_count == 0
        assert audit.verify(s).ok


def test_program_change_between_two_refills(db, team):
    """The expected residual counts each program for the days it was in force."""
    day0 = TODAY - dt.timedelta(days=25)
    with db.session() as s:
        patient, _ = implanted_patient(s, team.nurse, implant_date=day0 - dt.timedelta(days=5))
        programmed(s, team, patient.id, continuous("15"), at=local(day0))  # 0.72 mL/day
        first = refills.record_refill(
            s,
            team.nurse,
            patient.id,
            refill(
                local(day0 + dt.timedelta(days=1)),
                measured_residual_ml=D("19.28"),
                volume_discarded_ml=D("19.28"),
            ),
            based_on_visit_id=None,
        )
        assert first.expected_residual_ml == D("19.28")
        # 10 days at 15 mcg/h, then 10 days at 18 mcg/h (0.864 mL/day).
        programmed(
            s,
            team,
            patient.id,
            continuous("18"),
            at=local(day0 + dt.timedelta(days=11)),
            reason="More spasms",
        )
        context = refills.refill_context(s, team.nurse, patient.id)
        expected = context.check(refill(local(day0 + dt.timedelta(days=21)))).expected_ml
    assert expected == D(20) - D("7.2") - D("8.64")


def test_daylight_saving_day_counts_its_real_hours(db, team, monkeypatch):
    """Fall back in New York on 1 Nov 2026: that day has 25 hours, 20 mcg more at 00:00-07:00."""
    monkeypatch.setenv("TZ", "America/New_York")
    tz = "America/New_York"
    fill, visit_day = dt.date(2026, 10, 20), dt.date(2026, 11, 10)
    with db.session() as s:
        patient, _ = implanted_patient(s, team.nurse, implant_date=dt.date(2026, 10, 1))
        programmed(s, team, patient.id, example2(), at=local(fill, tz=tz))
        context = refills.refill_context(s, team.nurse, patient.id)
        checked = context.check(refill(local(visit_day, tz=tz), measured_residual_ml=D("4.84")))
    assert checked.expected_ml == D("4.84")  # 20 - 21 x 0.72 - 20/500
    assert not checked.residual.flagged


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"measured_residual_ml": D(21)}, "measured_residual_ml", "more than the reservoir"),
        ({"refill_at": "future"}, "refill_at", "future"),
        ({"refill_at": "before_implant"}, "refill_at", "before the implant"),
        ({"volume_added_ml": D(25)}, "volume_added_ml", "would put"),
        ({"lot_expiry": "yesterday"}, "lot_expiry", "expired"),
        ({"concentration_mcg_per_ml": D(1000)}, "concentration_mcg_per_ml", "program change"),
        ({"lot": "  "}, "lot", "lot number"),
    ],
)
def test_bad_refills_are_refused_and_nothing_is_saved(db, team, changes, field, words):
    day0 = TODAY - dt.timedelta(days=10)
    with db.session() as s:
        patient, _ = implanted_patient(s, team.nurse, implant_date=day0)
        programmed(s, team, patient.id, example2(), at=local(day0))
        values = dict(changes)
        at = local(TODAY - dt.timedelta(days=1))
        if values.get("refill_at") == "future":
            values["refill_at"] = dt.datetime.now(dt.UTC) + dt.timedelta(hours=2)
        elif values.get("refill_at") == "before_implant":
            values["refill_at"] = local(day0 - dt.timedelta(days=3))
        if values.get("lot_expiry") == "yesterday":
            values["lot_expiry"] = TODAY - dt.timedelta(days=2)
        before = audit.change_counter(s)
        with pytest.raises(ValidationFailed) as exc:
            refills.record_refill(
                s, team.nurse, patient.id, refill(at, **values), based_on_visit_id=None
            )
        assert any(p.field == field and words in p.message for p in exc.value.problems), messages(
            exc
        )
        s.rollback()
        assert audit.change_counter(s) == before
        assert refills.visit_history(s, team.nurse, patient.id) == []


def test_second_workstation_refill_is_a_conflict(db, team):
    """Two nurses open the form on the same last refill: the second save is refused."""
    day0 = TODAY - dt.timedelta(days=10)
    with db.session() as s:
        patient, _ = implanted_patient(s, team.nurse, implant_date=day0)
        programmed(s, team, patient.id, example2(), at=local(day0))
        refills.record_refill(
            s,
            team.nurse,
            patient.id,
            refill(local(TODAY - dt.timedelta(days=2))),
            based_on_visit_id=None,
        )
        with pytest.raises(ConflictError, match="Nia King"):
            refills.record_refill(
                s,
                team.physiatrist,
                patient.id,
                refill(local(TODAY - dt.timedelta(days=1))),
                based_on_visit_id=None,
            )
        with pytest.raises(PermissionDenied):
            refills.record_refill(
                s,
                team.pt,
                patient.id,
                refill(local(TODAY - dt.timedelta(days=1))),
                based_on_visit_id=None,
            )


def test_vendor_alarm_mismatch_and_next_visit_are_kept(db, team):
    day0 = TODAY - dt.timedelta(days=10)
    with db.session() as s:
        patient, _ = implanted_patient(s, team.nurse, implant_date=day0)
        programmed(s, team, patient.id, example2(), at=local(day0))
        at = local(TODAY - dt.timedelta(days=1))
        visit = refills.record_refill(
            s,
            team.nurse,
            patient.id,
            refill(
                at,
                measured_residual_ml=D("13.52"),
                volume_discarded_ml=D(0),
                volume_added_ml=D("6.48"),
                vendor_alarm_date=TODAY + dt.timedelta(days=40),
                next_visit_at=at + dt.timedelta(days=18),
            ),
            based_on_visit_id=None,
        )
        assert visit.alarm_mismatch and visit.our_alarm_date == TODAY - dt.timedelta(
            days=1
        ) + dt.timedelta(days=25)
        forecast = refills.patient_forecast(s, team.nurse, patient.id)
        assert forecast.next_appointment_at == at + dt.timedelta(days=18)
        assert forecast.due_date == visit.due_date


def test_retired_patient_leaves_the_dashboard(db, team):
    """A change of an input (status) marks the forecast stale; the dashboard recomputes it."""
    from carecoord.services import patients

    day0 = TODAY - dt.timedelta(days=40)
    with db.session() as s:
        patient, _ = implanted_patient(s, team.nurse, implant_date=day0)
        programmed(s, team, patient.id, example2(), at=local(day0))
        assert refills.dashboard_data(s, team.nurse).overdue_count == 1
        view = patients.get_patient(s, team.nurse, patient.id)
        patients.retire_patient(s, team.nurse, view.id, view.version, "Moved away")
        assert refills.dashboard_data(s, team.nurse).overdue_count == 0


def test_patient_alarm_volume_moves_the_alarm_date(db, team):
    day0 = TODAY - dt.timedelta(days=2)
    with db.session() as s:
        patient, _ = implanted_patient(s, team.nurse, implant_date=day0)
        programmed(s, team, patient.id, example2(), at=local(day0))
        with pytest.raises(ValidationFailed, match="reason"):
            refills.set_patient_alarm_volume(s, team.nurse, patient.id, D(4), expected_version=0)
        refills.set_patient_alarm_volume(
            s,
            team.nurse,
            patient.id,
            D("3.8"),
            "Withdrawal above 2 mL in 2024",
            expected_version=0,
        )
        forecast = refills.patient_forecast(s, team.nurse, patient.id)
    assert forecast.alarm_date == day0 + dt.timedelta(days=22)  # 16.2 / 0.72 = 22.5
    assert forecast.patient_alarm_volume_ml == D("3.8")
    assert forecast.patient_alarm_volume_version == 1


def test_alarm_volume_saved_on_an_old_version_is_a_conflict(db, team):
    """Two nurses opened the patient with no own volume; the second save is refused with who
    saved first, and the first one's volume stays; removing it needs the current version too."""
    day0 = TODAY - dt.timedelta(days=2)
    with db.session() as s:
        patient, _ = implanted_patient(s, team.nurse, implant_date=day0)
        programmed(s, team, patient.id, example2(), at=local(day0))
        seen = refills.patient_forecast(s, team.nurse, patient.id).patient_alarm_volume_version
    assert seen == 0
    with db.session() as s:
        refills.set_patient_alarm_volume(
            s, team.nurse, patient.id, D(4), "Withdrawal at 2 mL", expected_version=seen
        )
    with db.session() as s, pytest.raises(ConflictError, match="Nia King") as refused:
        refills.set_patient_alarm_volume(
            s, team.physiatrist, patient.id, D(3), "Lower alarm", expected_version=seen
        )
    assert refused.value.current == {"alarm_volume_ml": D(4)}
    with db.session() as s, pytest.raises(ConflictError):
        refills.set_patient_alarm_volume(s, team.physiatrist, patient.id, None, expected_version=0)
    with db.session() as s:
        assert refills.patient_forecast(s, team.nurse, patient.id).patient_alarm_volume_ml == D(4)
        refills.set_patient_alarm_volume(s, team.physiatrist, patient.id, None, expected_version=1)
        after = refills.patient_forecast(s, team.nurse, patient.id)
    assert after.patient_alarm_volume_ml is None and after.patient_alarm_volume_version == 0


def test_a_settings_change_is_recomputed_in_slices_soonest_due_first(db, team):
    """Every forecast goes stale when a refill setting changes; a screen recomputes within a
    time budget and says how many are left, the soonest due first."""
    with db.session() as s:
        ids = []
        for n, days in enumerate((2, 12, 7)):
            day0 = TODAY - dt.timedelta(days=days)
            patient, _ = implanted_patient(s, team.nurse, mrn=f"MRN-{n}", implant_date=day0)
            programmed(s, team, patient.id, example2(), at=local(day0))
            ids.append((patient.id, day0))
        assert refills.dashboard_data(s, team.nurse).stale_remaining == 0
        update_settings(s, SYSTEM, refill_margin_days=3)
        assert refills.refresh_stale_forecasts(s, budget_seconds=0, batch=1) == 2
        rows = {pid: s.get(RefillForecast, pid) for pid, _ in ids}
        assert [rows[pid].stale for pid, _ in ids] == [True, False, True]  # soonest first
        assert refills.dashboard_data(s, team.nurse).stale_remaining == 0
        for pid, day0 in ids:
            forecast = refills.patient_forecast(s, team.nurse, pid)
            assert forecast.due_date == day0 + dt.timedelta(days=22)  # alarm day 25 - 3


def test_a_pump_that_should_have_run_empty_is_said_in_words():
    """Expected below zero is not shown as a negative volume 'more than expected'."""
    from carecoord.domain.refills import check_residual
    from carecoord.domain.settings import ClinicSettings

    check = check_residual(D("-12.5"), D("2.0"), D(20), ClinicSettings())
    assert check.flagged and check.would_have_run_dry
    assert "would have run empty" in check.message
    assert "-12" not in check.message
