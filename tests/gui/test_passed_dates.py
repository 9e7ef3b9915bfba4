"""Dates that have passed are said in words on the pump Summary, its battery section and the
Refills tab; the Summary shows the current dates from the refill record (issue: fail-safe
refill dates)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from carecoord.domain.devices import add_months
from carecoord.domain.units import format_date
from carecoord.gui.pump.tab import PumpProgramTab
from carecoord.gui.refills.tab import RefillsTab
from carecoord.services import programs, refills
from tests.services.pump_helpers import continuous, implanted_patient
from tests.services.refill_helpers import local, programmed

D = Decimal


def _overdue_patient(db, team, *, device_key="synchromed2_8637_20"):
    """Implanted 82 months ago (battery plan-by and ERI dates passed), filled 30 days ago at
    0.72 mL a day (alarm day 25 and due day 20 passed)."""
    today = dt.datetime.now(programs.clinic_zone()).date()
    implanted = add_months(today, -82)
    filled = today - dt.timedelta(days=30)
    with db.session() as s:
        patient, _ = implanted_patient(s, team.nurse, implant_date=implanted, device_key=device_key)
        programmed(
            s, team, patient.id, continuous("15"), at=local(filled, tz=str(programs.clinic_zone()))
        )
    return patient, filled


def test_pump_summary_says_passed_dates_and_shows_the_refill_records_dates(
    qtbot, make_ctx, gui_db, clinic
):
    """The battery section's "plan by" and "ERI alarm expected by" and the current due and
    alarm dates all say they have passed, in words."""
    patient, filled = _overdue_patient(gui_db, clinic)
    tab = PumpProgramTab(make_ctx(clinic.nurse), patient.id)
    qtbot.addWidget(tab)
    tab.resize(1100, 900)
    tab.show()
    tab.pages.setCurrentIndex(0)
    implant = tab.implant_text.text()
    assert "Plan the replacement now." in implant
    assert "the date to plan the replacement by" in implant and "has passed" in implant
    assert "replacement indicator (ERI) alarm was expected by" in implant
    dates = tab.dates_text.text()
    alarm = filled + dt.timedelta(days=25)
    assert "Now (from the refill record):" in dates
    assert "Overdue 10 days; past alarm date: withdrawal risk" in dates
    assert (
        f"Low-reservoir alarm date {format_date(alarm)} (5 days ago, 2 mL left) has passed" in dates
    )
    assert "Refill was due" in dates and "now overdue" in dates
    assert "Alarm volume 2 mL (clinic setting)." in dates
    qtbot.wait(50)
    tab.grab().save("/tmp/pump-summary-passed.png")


def test_pump_summary_follows_a_refill_and_warns_of_a_low_patient_alarm_volume(
    qtbot, make_ctx, gui_db, clinic
):
    """After a refill recorded elsewhere the Summary moves to the new dates on the change bus;
    a Prometra patient's 2.5 mL alarm volume is warned and 3 mL is used."""
    patient, _ = _overdue_patient(gui_db, clinic, device_key="prometra2_20")
    ctx = make_ctx(clinic.nurse)
    tab = PumpProgramTab(ctx, patient.id)
    qtbot.addWidget(tab)
    with gui_db.session() as s:
        refills.set_patient_alarm_volume(
            s, clinic.nurse, patient.id, D("2.5"), "Team decision", expected_version=0
        )
    ctx.bus.changed.emit("alarm_volume")
    dates = tab.dates_text.text()
    assert "Alarm volume 3 mL (the pump's own refill point)." in dates
    assert "<b>Warning:</b> This patient's alarm volume (2.5 mL) is below" in dates
    editor_alarm = tab.editor._alarm_text(continuous("15"), 0)
    assert "to the 3 mL alarm" in editor_alarm


def test_refills_tab_says_passed_dates_in_words(qtbot, make_ctx, gui_db, clinic):
    """The Refills tab's forecast: passed due, alarm, plan-by and ERI dates in words."""
    patient, _ = _overdue_patient(gui_db, clinic)
    tab = RefillsTab(make_ctx(clinic.nurse), patient.id)
    qtbot.addWidget(tab)
    tab.resize(1100, 900)
    tab.show()
    text = tab.forecast_label.text()
    assert "now overdue" in text and "has passed: withdrawal risk, refill now" in text
    assert "the date to plan the replacement by" in text and "has passed: plan it now" in text
    assert "replacement indicator (ERI) alarm was expected by" in text
    assert tab.alarm_volume_label.text() == "Alarm volume 2 mL (clinic setting)"
    qtbot.wait(50)
    tab.grab().save("/tmp/refills-passed.png")


def test_refill_form_shows_what_is_pending_before_the_nurse_records(
    qtbot, make_ctx, gui_db, clinic
):
    """An approved program not yet on the pump is listed at the top of the refill form, and
    goes once it is confirmed on the pump."""
    patient, _ = _overdue_patient(gui_db, clinic)
    with gui_db.session() as s:
        draft = programs.save_draft(s, clinic.nurse, patient.id, continuous("16"))
        programs.approve(s, clinic.physiatrist, draft.id, draft.version, reason="Night spasms")
    ctx = make_ctx(clinic.nurse)
    tab = RefillsTab(ctx, patient.id)
    qtbot.addWidget(tab)
    tab.resize(1100, 900)
    tab.show()
    assert tab.pending_label.isVisible()
    text = tab.pending_label.text()
    assert "Not finished for this patient (1):" in text
    assert "Program 2 was approved by Dr Maria Doe" in text and "not on the pump yet" in text
    qtbot.wait(50)
    tab.grab().save("/tmp/refill-pending.png")
    with gui_db.session() as s:
        approved = programs.unfinished_program(s, patient.id)
        assert approved is not None
        programs.mark_programmed(
            s,
            clinic.nurse,
            approved.id,
            approved.version,
            programmed_at=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5),
            reservoir_ml=D(2),
            vendor_alarm_date=None,
        )
    ctx.bus.changed.emit("pump_program")
    assert not tab.pending_label.isVisible()


def test_implant_dialog_records_the_time_by_keyboard_and_the_summary_shows_it(
    qtbot, make_ctx, gui_db, clinic
):
    """The time is optional: unticked it says it counts from the end of the day; ticked, the
    typed time is stored and shown on the Summary."""
    from PySide6.QtCore import Qt

    from tests.gui.helpers import add_patient, when_modal

    patient = add_patient(gui_db, clinic.nurse, "MRN-9", "Okoro", "Ben")
    tab = PumpProgramTab(make_ctx(clinic.nurse), patient.id)
    qtbot.addWidget(tab)
    tab.show()
    seen: dict[str, object] = {}

    def fill(dialog):
        dialog.model.setCurrentIndex(dialog.model.findData("synchromed2_8637_20"))
        dialog.implant_date.set_value(dt.date.today() - dt.timedelta(days=3))
        qtbot.keyClicks(dialog.serial, "nlp 400123")
        seen["note"] = dialog.time_note.isVisible()
        seen["time_enabled"] = dialog.implant_time.isEnabled()
        dialog.time_known.setFocus()
        qtbot.keyClick(dialog.time_known, Qt.Key.Key_Space)
        seen["note_after"] = dialog.time_note.isVisible()
        dialog.implant_time.setFocus(Qt.FocusReason.TabFocusReason)
        dialog.implant_time.setSelectedSection(dialog.implant_time.Section.HourSection)
        qtbot.keyClicks(dialog.implant_time, "0945")
        qtbot.wait(50)
        dialog.grab().save("/tmp/implant-dialog.png")
        qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)

    when_modal(fill)
    qtbot.mouseClick(tab.implant_button, Qt.MouseButton.LeftButton)
    assert seen == {"note": True, "time_enabled": False, "note_after": False}
    with gui_db.session() as s:
        from carecoord.services import pumps

        implant = pumps.active_implant(s, patient.id)
    assert implant is not None and implant.implant_time == dt.time(9, 45)
    assert "at 09:45" in tab.implant_text.text()
