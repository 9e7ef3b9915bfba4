"""The pump program tab, driven as a clinic team would: build, review, approve, program."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from PySide6.QtCore import QLocale, Qt
from PySide6.QtWidgets import QApplication, QLineEdit, QPushButton

from carecoord.domain.program import PumpMode
from carecoord.domain.program_status import ProgramStatus
from carecoord.gui.patient.history import PatientHistory
from carecoord.gui.pump.editor import COL_DOSE, COL_START, COL_VOLUME, ProgramEditor
from carecoord.gui.pump.tab import PumpProgramTab, UnfinishedPrograms
from carecoord.services import audit, programs
from tests.gui.helpers import when_modal
from tests.services.pump_helpers import continuous, implanted_patient

D = Decimal


def _patient_with_active_program(db, team, rate: str = "15"):
    """A spinal-origin patient with a SynchroMed 20 mL and 15 mcg/h (360 mcg/day) in force."""
    now = dt.datetime.now(dt.UTC)
    with db.session() as s:
        patient, _ = implanted_patient(s, team.nurse)
        draft = programs.save_draft(
            s, team.nurse, patient.id, continuous(rate), now=now - dt.timedelta(days=4)
        )
        approved = programs.approve(
            s, team.physiatrist, draft.id, draft.version, now=now - dt.timedelta(days=4)
        )
        programs.mark_programmed(
            s,
            team.nurse,
            approved.id,
            approved.version,
            programmed_at=now - dt.timedelta(days=3),
            reservoir_ml=D(20),
            vendor_alarm_date=None,
        )
    return patient


def _tab(qtbot, make_ctx, actor, patient_id) -> PumpProgramTab:
    tab = PumpProgramTab(make_ctx(actor), patient_id)
    qtbot.addWidget(tab)
    tab.resize(1300, 900)
    tab.show()
    return tab


def type_cell(qtbot, editor: ProgramEditor, row: int, column: int, text: str) -> None:
    """Edit a step cell by keyboard: F2, type, Enter."""
    table = editor.table
    table.setCurrentCell(row, column)
    table.setFocus()
    qtbot.keyClick(table, Qt.Key.Key_F2)
    assert table.state() == table.State.EditingState, "the cell editor did not open"
    field = next(w for w in table.viewport().findChildren(QLineEdit) if w.isVisible())
    field.selectAll()
    qtbot.keyClicks(field, text)
    qtbot.keyClick(field, Qt.Key.Key_Return)
    QApplication.processEvents()  # the view commits a typed cell on the next event loop pass


def _set_mode(editor: ProgramEditor, mode: PumpMode) -> None:
    editor.mode.setCurrentIndex(editor.mode.findData(mode.value))


def test_physiatrist_builds_steps_sees_titration_gives_reason_and_approves(
    qtbot, make_ctx, gui_db, clinic
):
    """The issue's path, part 1: the titration warning needs a reason; the review compares."""
    patient = _patient_with_active_program(gui_db, clinic)
    tab = _tab(qtbot, make_ctx, clinic.physiatrist, patient.id)
    qtbot.mouseClick(tab.new_button, Qt.MouseButton.LeftButton)
    editor = tab.editor
    assert tab.pages.currentWidget() is editor
    _set_mode(editor, PumpMode.FLEX)
    type_cell(qtbot, editor, 0, COL_DOSE, "20")
    editor.table.setCurrentCell(0, COL_START)
    qtbot.keyClick(editor.table, Qt.Key.Key_Insert)  # a second step, by keyboard
    assert editor.table.rowCount() == 2
    type_cell(qtbot, editor, 1, COL_START, "07:00")
    type_cell(qtbot, editor, 1, COL_DOSE, "25")
    # 7 h x 20 + 17 h x 25 = 565 mcg/day: +56.9 % against 360, beyond 30 % after implant.
    assert editor.dose_total.text() == "565 mcg/day"
    assert "56.9 % more than Program 1" in editor.change_total.text()
    assert "30 % limit" in editor.totals_message.text()
    assert "A reason is needed" in editor.reason_message.text()
    assert editor.chart.hours[3] == D(20) and editor.chart.hours[12] == D(25)
    editor.reason.setPlainText("Night spasms wake her; tolerated the last rise well")
    assert editor.reason_message.text() == ""

    def review(dialog):
        assert dialog.objectName() == "reviewDialog"
        assert not dialog.approve_button.isEnabled()  # nothing ticked yet
        texts = [dialog.table.item(r, 2).text() for r in range(dialog.table.rowCount())]
        assert "Mode" in texts and "Dose per day" in texts
        row = texts.index("Dose per day")
        assert dialog.table.item(row, 3).text() == "360 mcg/day"
        assert dialog.table.item(row, 4).text() == "565 mcg/day"
        assert dialog.table.item(row, 1).text() == "Changed"
        assert dialog.change.text() == (
            "Change in dose per day: +56.9 % (limit 30 % for spinal origin, after implant)."
        )
        dialog.tick_all()
        assert dialog.approve_button.isEnabled()
        qtbot.mouseClick(dialog.approve_button, Qt.MouseButton.LeftButton)

    when_modal(review)
    qtbot.mouseClick(editor.review_button, Qt.MouseButton.LeftButton)
    with gui_db.session() as s:
        history = programs.programs_of(s, clinic.nurse, patient.id)
    assert history[0].status is ProgramStatus.APPROVED
    assert history[0].reason.startswith("Night spasms")
    assert any("limit" in text for text in history[0].acknowledged)
    assert "Approved, not programmed" in tab.unfinished_text.text()
    assert tab.programmed_button.isVisible()


def test_nurse_marks_programmed_with_other_alarm_date_and_sees_mismatch(
    qtbot, make_ctx, gui_db, clinic, boxes
):
    """The issue's path, part 2, and the audit trail of every step."""
    patient = _patient_with_active_program(gui_db, clinic)
    with gui_db.session() as s:
        draft = programs.save_draft(s, clinic.physiatrist, patient.id, continuous("16"))
        programs.approve(s, clinic.physiatrist, draft.id, draft.version)
    tab = _tab(qtbot, make_ctx, clinic.nurse, patient.id)
    assert tab.programmed_button.isEnabled()
    seen: dict[str, str] = {}

    def mark(dialog):
        qtbot.keyClicks(dialog.volume, "20")
        ours = dialog.our_date()
        assert ours is not None
        dialog.vendor.set_value(ours + dt.timedelta(days=3))
        seen["mismatch"] = dialog.mismatch.text()
        qtbot.mouseClick(dialog.confirm_button, Qt.MouseButton.LeftButton)

    when_modal(mark)
    qtbot.mouseClick(tab.programmed_button, Qt.MouseButton.LeftButton)
    assert seen["mismatch"].startswith("Mismatch: the programmer says")
    assert "3 days later" in seen["mismatch"]
    assert any(title == "Alarm dates differ" for title, _ in boxes)
    assert tab.mismatch_text.isVisible() and "mismatch" in tab.mismatch_text.text()
    assert not tab.unfinished_box.isVisible()
    with gui_db.session() as s:
        active = programs.active_program(s, patient.id)
        assert active.number == 2 and active.programmed_by == "Nia King"
        assert active.alarm_mismatch_days == 3
    history = PatientHistory(make_ctx(clinic.nurse), patient.id)
    qtbot.addWidget(history)
    summaries = [
        history.tree.topLevelItem(i).text(2) for i in range(history.tree.topLevelItemCount())
    ]
    assert any("Programmed program 2" in t and "MISMATCH" in t for t in summaries)
    assert any(t.startswith("Approved program 2") for t in summaries)
    assert any(t == "Drafted program 2" for t in summaries)
    with gui_db.session() as s:
        assert audit.verify(s).ok


def test_nurse_cannot_approve_and_is_told_who_can(qtbot, make_ctx, gui_db, clinic):
    patient = _patient_with_active_program(gui_db, clinic)
    with gui_db.session() as s:
        programs.save_draft(s, clinic.nurse, patient.id, continuous("16"))
    tab = _tab(qtbot, make_ctx, clinic.nurse, patient.id)
    assert not tab.editor.review_button.isEnabled()
    assert tab.editor.review_button.toolTip() == "Only a physiatrist can approve a pump program."
    assert not tab.approve_button.isEnabled()
    assert "physiatrist" in tab.approve_button.toolTip()
    pt_tab = _tab(qtbot, make_ctx, clinic.pt, patient.id)
    assert not pt_tab.withdraw_button.isEnabled()
    assert "physiatrist or a nurse" in pt_tab.withdraw_button.toolTip()


@pytest.mark.parametrize(
    ("column", "text", "words"),
    [
        (COL_START, "24:00", "24:00 is the end of the day"),
        (COL_START, "25:00", "There is no 25:00"),
        (COL_DOSE, "0", "above zero"),
        (COL_DOSE, "-3", "above zero"),
        (COL_DOSE, "12,5", "uses a comma"),
    ],
)
def test_bad_step_values_are_named_and_block_saving(
    qtbot, make_ctx, gui_db, clinic, column, text, words
):
    patient = _patient_with_active_program(gui_db, clinic)
    tab = _tab(qtbot, make_ctx, clinic.physiatrist, patient.id)
    tab.new_draft()
    editor = tab.editor
    _set_mode(editor, PumpMode.FLEX)
    editor.table.setCurrentCell(0, COL_START)
    qtbot.keyClick(editor.table, Qt.Key.Key_Insert)
    type_cell(qtbot, editor, 1, COL_START, "08:00")
    type_cell(qtbot, editor, 1, column, text)
    assert words in editor.steps_message.text()
    assert not editor.save_button.isEnabled()
    assert editor.dose_total.text() == "—"
    assert editor.table.item(1, column).background().color().name() == "#fde2e2"


def test_unsorted_and_overlapping_steps_refused(qtbot, make_ctx, gui_db, clinic):
    patient = _patient_with_active_program(gui_db, clinic)
    tab = _tab(qtbot, make_ctx, clinic.physiatrist, patient.id)
    tab.new_draft()
    editor = tab.editor
    _set_mode(editor, PumpMode.FLEX)
    for _ in range(2):
        editor.table.setCurrentCell(editor.table.rowCount() - 1, COL_START)
        qtbot.keyClick(editor.table, Qt.Key.Key_Insert)
    type_cell(qtbot, editor, 1, COL_START, "10:00")
    type_cell(qtbot, editor, 2, COL_START, "06:00")
    assert "not in time order" in editor.steps_message.text()
    type_cell(qtbot, editor, 2, COL_START, "10:00")
    assert "Two steps (every day) start at 10:00" in editor.steps_message.text()
    assert not editor.save_button.isEnabled()
    qtbot.keyClick(editor.table, Qt.Key.Key_Delete)  # remove the clash by keyboard
    assert editor.table.rowCount() == 2 and editor.save_button.isEnabled()


def test_too_many_steps_for_the_pump(qtbot, make_ctx, gui_db, clinic):
    patient = _patient_with_active_program(gui_db, clinic)
    tab = _tab(qtbot, make_ctx, clinic.physiatrist, patient.id)
    tab.new_draft()
    editor = tab.editor
    _set_mode(editor, PumpMode.FLEX)
    for _ in range(13):
        editor.table.setCurrentCell(editor.table.rowCount() - 1, COL_START)
        qtbot.keyClick(editor.table, Qt.Key.Key_Insert)
    assert editor.table.rowCount() == 14
    assert "allows at most 13" in editor.steps_message.text()
    assert not editor.save_button.isEnabled()


@pytest.mark.parametrize(
    ("text", "words"),
    [("0", "must be above zero"), ("20000", "above the highest confirmed"), ("abc", "not a")],
)
def test_bad_concentration_refused(qtbot, make_ctx, gui_db, clinic, text, words):
    patient = _patient_with_active_program(gui_db, clinic)
    tab = _tab(qtbot, make_ctx, clinic.physiatrist, patient.id)
    tab.new_draft()
    tab.editor.concentration.setEditText(text)
    assert words in tab.editor.concentration_message.text()
    assert not tab.editor.save_button.isEnabled()


def test_comma_locale_reads_12_5_exactly(qtbot, make_ctx, gui_db, clinic):
    """In a comma locale "12,5" is twelve and a half, stored exactly."""
    patient = _patient_with_active_program(gui_db, clinic)
    QLocale.setDefault(QLocale(QLocale.Language.German, QLocale.Country.Germany))
    try:
        tab = _tab(qtbot, make_ctx, clinic.physiatrist, patient.id)
        tab.new_draft()
        editor = tab.editor
        type_cell(qtbot, editor, 0, COL_DOSE, "12,5")
        assert editor.dose_total.text() == "300 mcg/day"
        assert editor.table.item(0, COL_VOLUME).text() == "0,6"
        assert editor.save()
    finally:
        QLocale.setDefault(QLocale(QLocale.Language.English, QLocale.Country.UnitedStates))
    with gui_db.session() as s:
        draft = programs.programs_of(s, clinic.nurse, patient.id)[0]
    assert draft.program.steps[0].rate == D("12.5")


def test_volume_rate_typed_derives_dose(qtbot, make_ctx, gui_db, clinic):
    patient = _patient_with_active_program(gui_db, clinic)
    tab = _tab(qtbot, make_ctx, clinic.physiatrist, patient.id)
    tab.new_draft()
    editor = tab.editor
    type_cell(qtbot, editor, 0, COL_VOLUME, "0.96")
    assert editor.table.item(0, COL_DOSE).text() == "20"
    assert editor.dose_total.text() == "480 mcg/day"
    assert editor.program.steps[0].unit.value == "ml_per_day"


def test_weekday_schedule_and_withdraw(qtbot, make_ctx, gui_db, clinic, monkeypatch):
    patient = _patient_with_active_program(gui_db, clinic)
    tab = _tab(qtbot, make_ctx, clinic.physiatrist, patient.id)
    tab.new_draft()
    editor = tab.editor
    _set_mode(editor, PumpMode.FLEX)
    editor.schedule.setCurrentIndex(editor.schedule.findData(5))  # Saturday
    qtbot.mouseClick(editor.own_day, Qt.MouseButton.LeftButton)
    type_cell(qtbot, editor, 0, COL_DOSE, "16")
    assert editor.dose_total.text() == "360 mcg/day to 384 mcg/day"
    assert editor.save()
    assert not tab.unfinished_box.isHidden() and "Program 2" in tab.unfinished_text.text()

    def answer(dialog):
        dialog.findChild(QLineEdit, "withdrawReason").setText("Discussed: keep every day same")
        qtbot.mouseClick(
            dialog.findChild(QPushButton, "withdrawConfirm"), Qt.MouseButton.LeftButton
        )

    when_modal(answer)
    qtbot.mouseClick(tab.withdraw_button, Qt.MouseButton.LeftButton)
    with gui_db.session() as s:
        latest = programs.programs_of(s, clinic.nurse, patient.id)[0]
    assert latest.status is ProgramStatus.WITHDRAWN
    assert tab.unfinished_box.isHidden()


def test_dashboard_lists_unfinished_programs_and_opens_patient(qtbot, make_ctx, gui_db, clinic):
    patient = _patient_with_active_program(gui_db, clinic)
    with gui_db.session() as s:
        programs.save_draft(s, clinic.nurse, patient.id, continuous("16"))
    ctx = make_ctx(clinic.nurse)
    opened: list[int] = []
    ctx.open_patient = opened.append
    section = UnfinishedPrograms(ctx)
    qtbot.addWidget(section)
    section.refresh()
    item = section.list.topLevelItem(0)
    assert item.text(0) == "LOPEZ, Ana" and item.text(3) == "Draft, not approved"
    section.list.setFocus()
    qtbot.keyClick(section.list, Qt.Key.Key_Return)
    assert opened == [patient.id]


def test_implant_dialog_shows_battery_window_and_refuses_bad_values(
    qtbot, make_ctx, gui_db, clinic
):
    from tests.gui.helpers import add_patient

    patient = add_patient(gui_db, clinic.nurse, "MRN-9", "Okoro", "Ben")
    tab = _tab(qtbot, make_ctx, clinic.nurse, patient.id)
    assert "No pump is recorded" in tab.implant_text.text()
    assert not tab.new_button.isEnabled()
    seen: dict[str, str] = {}

    def fill(dialog):
        dialog.model.setCurrentIndex(dialog.model.findData("synchromed2_8637_40"))
        dialog.implant_date.set_value(dt.date.today() - dt.timedelta(days=int(365.25 * 6.8)))
        dialog.length.setText("0")
        seen["length"] = dialog.messages["catheter_length_cm"].text()
        seen["save_enabled"] = str(dialog.save_button.isEnabled())
        dialog.length.setText("42")
        qtbot.keyClicks(dialog.serial, "nlp 400123")
        seen["battery"] = dialog.battery.text()
        qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)

    when_modal(fill)
    qtbot.mouseClick(tab.implant_button, Qt.MouseButton.LeftButton)
    assert "between 0 and 200" in seen["length"] and seen["save_enabled"] == "False"
    assert "Plan the replacement now" in seen["battery"]
    assert "SynchroMed II 40 mL" in tab.implant_text.text()
    assert tab.new_button.isEnabled()


def test_catalog_page_shows_unconfirmed_and_sources_and_admin_corrects(
    qtbot, make_ctx, gui_db, clinic
):
    from carecoord.gui.pump.catalog import FIELDS, CatalogPage

    nurse_page = CatalogPage(make_ctx(clinic.nurse))
    qtbot.addWidget(nurse_page)
    assert not nurse_page.correct_button.isEnabled()
    assert "administrator" in nurse_page.correct_button.toolTip()
    page = CatalogPage(make_ctx(clinic.admin))
    qtbot.addWidget(page)
    row = next(
        r for r in range(page.table.rowCount()) if "Prometra II 20" in page.table.item(r, 0).text()
    )
    column = 3 + FIELDS.index("battery_life_max_months")
    assert page.table.item(row, column).text() == "not known (unconfirmed)"
    assert "[26] Prometra MRI safety" in page.sources.text()
    page.table.setCurrentCell(row, column)

    def fix(dialog):
        dialog.value.setText("x")
        qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
        assert "whole number" in dialog.message.text()
        dialog.value.setText("96")
        qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)

    when_modal(fix)
    qtbot.mouseClick(page.correct_button, Qt.MouseButton.LeftButton)
    assert page.table.item(row, column).text() == "96 (unconfirmed)"


def test_catalog_opens_from_the_pump_tab(qtbot, make_ctx, gui_db, clinic):
    patient = _patient_with_active_program(gui_db, clinic)
    tab = _tab(qtbot, make_ctx, clinic.nurse, patient.id)
    from carecoord.gui.pump.catalog import open_catalog

    page = open_catalog(tab.ctx, tab)
    assert page.table.rowCount() == 4 and page.isVisible()
    page.window().close()


def test_periodic_bolus_and_stopped_modes(qtbot, make_ctx, gui_db, clinic):
    """Bolus fields appear with their mode; stopping asks for a reason and warns of withdrawal."""
    patient = _patient_with_active_program(gui_db, clinic)
    tab = _tab(qtbot, make_ctx, clinic.physiatrist, patient.id)
    tab.new_draft()
    editor = tab.editor
    _set_mode(editor, PumpMode.PERIODIC_BOLUS)
    assert not editor.bolus_box.isHidden() and not editor.bolus_times.isHidden()
    assert "Enter the bolus dose" in editor.bolus_message.text()
    qtbot.keyClicks(editor.bolus_dose, "20")
    qtbot.keyClicks(editor.bolus_minutes, "30")
    qtbot.keyClicks(editor.bolus_times, "08:00, 20:00")
    assert editor.dose_total.text() == "400 mcg/day"  # 360 basal + 2 x 20
    assert editor.chart.hours[8] == D(35)  # 15 basal + the whole 30-minute bolus
    editor.bolus_times.setText("08:00, 25:00")
    assert "There is no 25:00" in editor.bolus_message.text()
    _set_mode(editor, PumpMode.ONE_TIME_BOLUS)
    assert editor.bolus_times.isHidden()
    _set_mode(editor, PumpMode.STOPPED)
    assert not editor.steps_box.isEnabled()
    assert "Watch for withdrawal" in editor.mode_message.text()
    assert "Stopping the pump needs a reason" in editor.reason_message.text()
    assert editor.dose_total.text() == "0 mcg/day"


def test_main_window_dashboard_row_opens_patient_with_pump_tab(qtbot, gui_db, clinic, make_window):
    """From "Programs not finished" on the dashboard to the patient's Pump program tab."""
    patient = _patient_with_active_program(gui_db, clinic)
    with gui_db.session() as s:
        programs.save_draft(s, clinic.nurse, patient.id, continuous("16"))
    window = make_window(clinic.physiatrist)
    dash = window.pages["dashboard"]
    section = dash.sections["unfinished_programs"]
    assert section.list.topLevelItemCount() == 1
    section.list.setFocus()
    qtbot.keyClick(section.list, Qt.Key.Key_Return)
    workspace = window.workspaces()[0]
    tab = workspace.show_tab("pump_program")
    assert workspace.tabs.tabText(workspace.tabs.indexOf(tab)) == "Pump program"
    assert "Program 2: Draft, not approved." in tab.unfinished_text.text()
    # An edit in the editor counts as unsaved work of the workspace.
    tab.editor.note.setPlainText("Discussed with the patient")
    assert workspace.has_unsaved_changes()
    assert "Pump program" in workspace.unsaved_summary()


def test_draft_saved_elsewhere_meanwhile_keeps_my_edits(qtbot, make_ctx, gui_db, clinic):
    patient = _patient_with_active_program(gui_db, clinic)
    with gui_db.session() as s:
        draft = programs.save_draft(s, clinic.nurse, patient.id, continuous("16"))
    tab = _tab(qtbot, make_ctx, clinic.physiatrist, patient.id)
    qtbot.mouseClick(tab.open_button, Qt.MouseButton.LeftButton)
    editor = tab.editor
    with gui_db.session() as s:  # the nurse edits the same draft at another workstation
        programs.save_draft(
            s,
            clinic.nurse,
            patient.id,
            continuous("17"),
            program_id=draft.id,
            expected_version=draft.version,
        )
    type_cell(qtbot, editor, 0, COL_DOSE, "15.5")
    assert not editor.save()
    assert "Nia King (Nurse) saved this draft meanwhile" in editor.summary.text()
    assert editor.table.item(0, COL_DOSE).text() == "15.5"  # my edit kept
    assert editor.save()
    with gui_db.session() as s:
        assert programs.get_program(s, clinic.nurse, draft.id).program.steps[0].rate == D("15.5")


def test_chart_shows_a_clock_change_day_hour_by_hour(qtbot, make_ctx, gui_db, clinic, monkeypatch):
    """Spring forward: 23 hours and one skipped; fall back: 25 hours with "02:00 (again)"."""
    monkeypatch.setenv("TZ", "Europe/Paris")
    patient = _patient_with_active_program(gui_db, clinic)
    tab = _tab(qtbot, make_ctx, clinic.physiatrist, patient.id)
    tab.new_draft()
    editor = tab.editor
    assert editor.chart_day.count() == 3  # ordinary day and the next two clock changes
    counts = set()
    for index in (1, 2):
        editor.chart_day.setCurrentIndex(index)
        counts.add(len(editor.chart.hours))
        if len(editor.chart.hours) == 25:
            assert "02:00 (again)" in editor.chart.labels
            assert "375 mcg/day" in editor.chart.note  # 25 hours at 15 mcg/h
    assert counts == {23, 25}
    editor.chart_day.setCurrentIndex(0)
    assert len(editor.chart.hours) == 24


def test_audit_tab_follows_program_changes(qtbot, make_ctx, gui_db, clinic):
    patient = _patient_with_active_program(gui_db, clinic)
    ctx = make_ctx(clinic.nurse)
    history = PatientHistory(ctx, patient.id)
    qtbot.addWidget(history)
    before = history.tree.topLevelItemCount()
    tab = PumpProgramTab(ctx, patient.id)
    qtbot.addWidget(tab)
    tab.show()
    tab.new_draft()
    type_cell(qtbot, tab.editor, 0, COL_DOSE, "16")
    assert tab.editor.save()
    assert history.tree.topLevelItemCount() == before + 1
