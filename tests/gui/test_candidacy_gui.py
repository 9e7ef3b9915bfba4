"""The Evaluations and Candidacy tabs, the Meetings page and meeting mode, driven by keys and
clicks against a real database file, asserting what the user sees and what was stored."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QComboBox, QPlainTextEdit

from carecoord.domain.candidacy import CandidacyStatus
from carecoord.domain.decisions import DecisionKind
from carecoord.domain.enums import Discipline, PatientStatus
from carecoord.domain.evaluations import EvaluationStatus
from carecoord.gui.candidacy.candidacy_tab import CandidacyTab
from carecoord.gui.candidacy.evaluations import EvaluationsTab
from carecoord.gui.candidacy.scales import ScaleInput
from carecoord.gui.meetings.page import MeetingsPage
from carecoord.services import audit, candidacy, evaluations, meetings, patients
from tests.gui.helpers import when_modal
from tests.services.pathway_builders import COMPLETE, MAS_BASELINE, add_patient


@pytest.fixture(autouse=True)
def yes_to_confirm(monkeypatch):
    """Confirmation boxes say yes (each test that needs a "no" patches it again)."""
    for module in ("evaluations", "candidacy_tab"):
        monkeypatch.setattr(
            f"carecoord.gui.candidacy.{module}.confirm", lambda *a, **k: True, raising=False
        )
    monkeypatch.setattr("carecoord.gui.meetings.page.confirm", lambda *a, **k: True)


def _patient(db, actor, mrn="G-1", **kw):
    with db.session() as s:
        return add_patient(s, actor, mrn=mrn, **kw)


def _tab(qtbot, cls, ctx, patient_id):
    tab = cls(ctx, patient_id)
    qtbot.addWidget(tab)
    tab.resize(1600, 1000)
    tab.show()
    return tab


def fill(qtbot, form, values: dict[str, Any]) -> None:
    """Type each answer into its field as a user would (text by keys, lists by choice)."""
    for key, value in values.items():
        widget = form.widgets[key]
        if isinstance(widget, QPlainTextEdit):
            widget.setFocus(Qt.FocusReason.TabFocusReason)
            widget.clear()
            qtbot.keyClicks(widget, value)
        elif isinstance(widget, QComboBox):
            widget.setCurrentIndex(widget.findData(value))
        elif isinstance(widget, ScaleInput):
            widget.set_value(value)
            widget.changed.emit()
        else:
            edit = form.field_widget(key)
            edit.clear()
            qtbot.keyClicks(edit, value)


def sign_by_gui(qtbot, make_ctx, actor, patient_id, discipline) -> None:
    tab = _tab(qtbot, EvaluationsTab, make_ctx(actor), patient_id)
    form = tab.show_discipline(discipline)
    fill(qtbot, form, COMPLETE[discipline])
    assert form.sign_button.isEnabled(), form.summary.text()
    qtbot.mouseClick(form.sign_button, Qt.MouseButton.LeftButton)
    assert form.current.status is EvaluationStatus.SIGNED, form.summary.text()


def checklist(tab: CandidacyTab) -> dict[str, str]:
    return tab.checklist_rows()


def test_nurse_types_saves_and_signs_by_keyboard(qtbot, gui_db, clinic, make_ctx):
    """Draft with Ctrl+S, then Sign: the form freezes and offers an amendment."""
    p = _patient(gui_db, clinic.nurse)
    tab = _tab(qtbot, EvaluationsTab, make_ctx(clinic.nurse), p.id)
    form = tab.show_discipline(Discipline.NURSE)
    assert "Not started" in form.state.text()
    assert not form.sign_button.isEnabled()
    tab.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is tab)
    edit = form.field_widget("weight_kg")
    edit.setFocus()
    qtbot.keyClicks(edit, "64.5")
    qtbot.keyClick(edit, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert form.current is not None and form.current.values == {"weight_kg": "64.5"}
    assert "To sign, complete" in form.summary.text()
    fill(qtbot, form, COMPLETE[Discipline.NURSE])
    assert form.sign_button.isEnabled()
    qtbot.mouseClick(form.sign_button, Qt.MouseButton.LeftButton)
    assert form.current.status is EvaluationStatus.SIGNED
    assert "Frozen" in form.state.text()
    assert form.field_widget("weight_kg").isReadOnly()
    assert form.amend_button.isVisible() and not form.save_button.isVisible()
    assert "Nurse\nSigned: proceed to screening" in tab.list.item(3).text()


def test_sign_is_disabled_for_another_discipline_with_the_reason(qtbot, gui_db, clinic, make_ctx):
    p = _patient(gui_db, clinic.nurse)
    with gui_db.session() as s:
        evaluations.start_evaluation(
            s, clinic.nurse, p.id, Discipline.NURSE, COMPLETE[Discipline.NURSE]
        )
    tab = _tab(qtbot, EvaluationsTab, make_ctx(clinic.pt), p.id)
    form = tab.show_discipline(Discipline.NURSE)
    assert not form.sign_button.isEnabled()
    assert "Only a nurse signs the nursing evaluation" in form.sign_button.toolTip()
    assert "Priya Patel (Physical therapist)" in form.state.text()
    assert form.field_widget("findings").isReadOnly()


@pytest.mark.parametrize("grade", ["5", "1-"])
def test_a_wrong_ashworth_grade_is_shown_under_the_field(qtbot, gui_db, clinic, make_ctx, grade):
    p = _patient(gui_db, clinic.pt)
    tab = _tab(qtbot, EvaluationsTab, make_ctx(clinic.pt), p.id)
    form = tab.show_discipline(Discipline.PHYSICAL_THERAPIST)
    mas = form.widgets["mas"]
    mas.table.cellWidget(0, 0).setEditText("Hip adductors")
    grade_box = mas.table.cellWidget(0, 2)
    grade_box.setFocus()
    qtbot.keyClicks(grade_box.lineEdit(), grade)
    message = form.messages["mas"]
    assert message.isVisible()
    assert f"“{grade}” is not one of 0, 1, 1+, 2, 3, 4" in message.text()
    assert not form.save_button.isEnabled()


def test_tardieu_r1_beyond_r2_is_refused_live(qtbot, gui_db, clinic, make_ctx):
    p = _patient(gui_db, clinic.pt)
    tab = _tab(qtbot, EvaluationsTab, make_ctx(clinic.pt), p.id)
    form = tab.show_discipline(Discipline.PHYSICAL_THERAPIST)
    t = form.widgets["tardieu"]
    t.table.cellWidget(0, 0).setEditText("Ankle plantar flexors")
    qtbot.keyClicks(t.table.cellWidget(0, 2), "40")
    qtbot.keyClicks(t.table.cellWidget(0, 3), "20")
    t.table.cellWidget(0, 4).setCurrentIndex(3)
    assert "cannot be beyond R2" in form.messages["tardieu"].text()
    assert not form.save_button.isEnabled()


def test_typed_answers_survive_a_refresh_and_a_conflict_keeps_them(qtbot, gui_db, clinic, make_ctx):
    """Another workstation saves meanwhile: the typed answers stay; Save shows yours/theirs."""
    p = _patient(gui_db, clinic.nurse)
    with gui_db.session() as s:
        ev = evaluations.start_evaluation(s, clinic.nurse, p.id, Discipline.NURSE)
    ctx = make_ctx(clinic.nurse)
    tab = _tab(qtbot, EvaluationsTab, ctx, p.id)
    form = tab.show_discipline(Discipline.NURSE)
    qtbot.keyClicks(form.field_widget("weight_kg"), "70")
    with gui_db.session() as s:
        evaluations.save_draft(s, clinic.nurse, ev.id, ev.version, {"weight_kg": "71"})
    ctx.bus.changed.emit("external")
    assert form.field_widget("weight_kg").text() == "70"
    assert "Someone else saved" in form.notice.text()
    seen: list[str] = []

    def keep(dialog):
        seen.append(dialog.table.item(0, 1).text() + "|" + dialog.table.item(0, 2).text())
        dialog.keep_button.click()

    when_modal(keep)
    assert not form.save()
    assert seen == ["70 kg|71 kg"]
    assert form.field_widget("weight_kg").text() == "70"
    assert form.save()
    with gui_db.session() as s:
        assert evaluations.get_evaluation(s, clinic.nurse, ev.id).values["weight_kg"] == "70"


def test_amendment_keeps_the_original_visible(qtbot, gui_db, clinic, make_ctx):
    p = _patient(gui_db, clinic.nurse)
    with gui_db.session() as s:
        ev = evaluations.start_evaluation(
            s, clinic.nurse, p.id, Discipline.NURSE, COMPLETE[Discipline.NURSE]
        )
        evaluations.sign_evaluation(s, clinic.nurse, ev.id, ev.version)
    tab = _tab(qtbot, EvaluationsTab, make_ctx(clinic.nurse), p.id)
    form = tab.show_discipline(Discipline.NURSE)
    assert form.amend(reason="Weighed again after the wheelchair change")
    assert form.current.amends_id == ev.id and form.editable
    edit = form.field_widget("weight_kg")
    edit.clear()
    qtbot.keyClicks(edit, "66")
    assert form.save()
    assert "Changed from the signed version: Weight 64.5 kg → 66 kg." in form.state.text()
    assert form.version_choice.count() == 2
    form.version_choice.setCurrentIndex(0)
    assert form.field_widget("weight_kg").text() == "64.5"
    assert "amendment" not in form.title.text() and form.field_widget("weight_kg").isReadOnly()


def test_screening_dose_of_500_is_refused_in_the_form(qtbot, gui_db, clinic, make_ctx):
    p = _patient(gui_db, clinic.nurse)
    tab = _tab(qtbot, CandidacyTab, make_ctx(clinic.nurse), p.id)
    panel = tab.screening
    panel.dose.setEditText("500")
    panel.baseline_mas.set_value(MAS_BASELINE)
    assert not panel.record_trial()
    assert "500 mcg is not allowed" in panel.trial_messages["dose_mcg"].text()
    assert panel.trials == []


def test_whole_path_in_the_gui_from_referral_to_approved_for_implant(
    qtbot, gui_db, clinic, make_ctx, monkeypatch
):
    """Referral -> five signed evaluations -> negative 50 and positive 75 mcg -> meeting ->
    approved for implant; the checklist changes at each step; every step is in the audit."""
    p = _patient(gui_db, clinic.nurse, status=PatientStatus.REFERRED)
    nurse_ctx = make_ctx(clinic.nurse)
    cand = _tab(qtbot, CandidacyTab, nurse_ctx, p.id)
    states = [cand.status.text()]
    assert checklist(cand)["Nurse evaluation"] == "✗ Not met"

    for d in Discipline:
        sign_by_gui(qtbot, make_ctx, clinic.of(d), p.id, d)
        cand.refresh()
        assert checklist(cand)[f"{d.label} evaluation"] == "✓ Met"
    states.append(cand.status.text())

    md = _tab(qtbot, CandidacyTab, make_ctx(clinic.physiatrist), p.id)
    oral = md.oral
    oral.agent.setCurrentIndex(oral.agent.findData("baclofen"))
    qtbot.keyClicks(oral.dose, "80")
    qtbot.keyClicks(oral.days, "180")
    oral.outcome.setCurrentIndex(oral.outcome.findData("ineffective"))
    assert "usual maximum 80 mg a day" in oral.guidance.text()
    qtbot.mouseClick(oral.save_button, Qt.MouseButton.LeftButton)
    md.contra.mark_absent()
    qtbot.mouseClick(md.contra.save_button, Qt.MouseButton.LeftButton)
    md.refresh()
    assert checklist(md)["Oral therapy exhausted"] == "✓ Met"
    assert checklist(md)["No contraindication"] == "✓ Met"
    md.goals.area.setCurrentIndex(md.goals.area.findData("mobility"))
    qtbot.keyClicks(md.goals.description, "Transfers with one helper")
    qtbot.mouseClick(md.goals.add_button, Qt.MouseButton.LeftButton)
    cand.refresh()
    states.append(cand.status.text())
    assert "Start with a 50 mcg bolus" in cand.screening.next_step.text()

    panel = cand.screening
    start = dt.datetime.now().astimezone().replace(second=0, microsecond=0) - dt.timedelta(days=2)
    for dose, grades_after in (("50", ["3", "3", "2"]), ("75", ["1", "1", "1"])):
        panel.dose.setEditText(dose)
        panel.given_at.setDateTime(start)
        panel.baseline_at.setDateTime(start - dt.timedelta(minutes=30))
        panel.baseline_mas.set_value(MAS_BASELINE)
        assert panel.record_trial(), [m.text() for m in panel.trial_messages.values()]
        for hours in (1, 2, 4):
            panel.taken_at.setDateTime(start + dt.timedelta(hours=hours))
            for row, grade in enumerate(grades_after):
                panel.post_mas.table.cellWidget(row, 2).setEditText(grade)
            qtbot.keyClicks(panel.vitals["systolic_mmhg"], "120")
            qtbot.keyClicks(panel.vitals["diastolic_mmhg"], "75")
            assert panel.add_assessment(), [m.text() for m in panel.assess_messages.values()]
        cand.refresh()
        states.append(cand.status.text())
        if dose == "50":
            assert "give 75 mcg" in panel.next_step.text()
            assert checklist(cand)["Positive screening"] == "✗ Not met"
        start += dt.timedelta(days=1)
    assert "Positive: present to the team" in panel.next_step.text()
    assert checklist(cand)["Positive screening"] == "✓ Met"

    page = MeetingsPage(make_ctx(clinic.physiatrist))
    qtbot.addWidget(page)
    page.resize(1600, 1000)
    page.show()

    def schedule(dialog):
        dialog.held_on.set_value(dt.date.today())
        dialog.save_button.click()

    when_modal(schedule)
    scheduled = page.schedule()
    assert scheduled is not None and [a.patient_id for a in scheduled.agenda] == [p.id]
    detail = page.detail
    assert "No quorum" in detail.quorum.text()
    for uid, check in detail.checks.items():
        if uid != clinic.admin.user_id:
            check.setChecked(True)
    assert "Quorum met" in page.detail.quorum.text()
    mode = detail.start_mode()
    qtbot.addWidget(mode)
    assert "RIVERA, Ana" in mode.name.text()
    assert "Ready for team review" in mode.status.text()
    assert "2.67" in mode.scales.text()
    summaries: list[str] = []

    def approve(dialog):
        summaries.append(dialog.findChild(type(mode.name), "decisionSummary").text())
        dialog.record_button.click()

    when_modal(approve)
    qtbot.mouseClick(mode.buttons[DecisionKind.APPROVE_IMPLANT], Qt.MouseButton.LeftButton)
    assert "APPROVE IMPLANT for RIVERA, Ana" in summaries[0]
    assert "Present: Dr Maria Doe (Physiatrist)" in summaries[0]
    assert mode.decided.text().startswith("Decided: Approve implant")
    mode.accept()
    cand.refresh()
    states.append(cand.status.text())
    assert checklist(cand)["Team decision"] == "✓ Met"
    assert states == [
        "Status: Evaluations missing",
        "Status: Evaluations missing",  # signed, but no contraindication screen yet
        "Status: Screening needed",
        "Status: Screening needed",
        "Status: Ready for team review",
        "Status: Approved for implant",
    ]
    with gui_db.session() as s:
        assert patients.get_patient(s, clinic.nurse, p.id).status is PatientStatus.CANDIDATE
        assert candidacy.candidacy(s, clinic.nurse, p.id).status is CandidacyStatus.APPROVED
        text = " | ".join(e.summary for e in audit.patient_history(s, clinic.nurse, p.id))
        for words in (
            "Registered patient",
            "Status Referred → Evaluating",
            "Signed the physiatrist evaluation",
            "Signed the physical therapy evaluation",
            "Signed the occupational therapy evaluation",
            "Signed the nursing evaluation",
            "Signed the social work evaluation",
            "Recorded an oral trial",
            "Contraindication screen: none present",
            "Goal (Mobility and positioning)",
            "Screening trial: 50 mcg bolus",
            "Screening trial: 75 mcg bolus",
            "Post-dose assessment",
            "Team decision: Approve implant",
            "Status Evaluating → Candidate",
        ):
            assert words in text, words
        assert meetings.get_meeting(s, clinic.nurse, scheduled.id).agenda[0].decision


def test_meeting_mode_moves_by_keys_and_decline_needs_a_reason(qtbot, gui_db, clinic, make_ctx):
    a = _patient(gui_db, clinic.nurse, "K-1", family_name="Abbott")
    b = _patient(gui_db, clinic.nurse, "K-2", family_name="Bauer")
    with gui_db.session() as s:
        m = meetings.schedule_meeting(s, clinic.nurse, held_on=dt.date.today())
        m = meetings.add_to_agenda(s, clinic.nurse, m.id, m.version, a.id)
        m = meetings.add_to_agenda(s, clinic.nurse, m.id, m.version, b.id)
        people = [clinic.of(d).user_id for d in Discipline]
        m = meetings.set_attendance(s, clinic.nurse, m.id, m.version, people)
    page = MeetingsPage(make_ctx(clinic.physiatrist))
    qtbot.addWidget(page)
    page.show()
    mode = page.detail.start_mode()
    qtbot.addWidget(mode)
    assert "ABBOTT" in mode.name.text()
    mode.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is mode)
    qtbot.keyClick(mode, Qt.Key.Key_PageDown)
    assert "BAUER" in mode.name.text()
    qtbot.keyClick(mode, Qt.Key.Key_PageUp)
    dialog = mode.decision_dialog(DecisionKind.DECLINE)
    qtbot.addWidget(dialog)
    assert not dialog.record_button.isEnabled()
    assert "needs a reason" in dialog.reason_message.text()
    qtbot.keyClicks(dialog.reason, "Spasticity helps her stand for transfers")
    assert dialog.record_button.isEnabled()
    dialog.record()
    assert mode.after_decision(dialog)
    assert "BAUER" in mode.name.text()  # moved on to the next undiscussed patient
    mode.accept()
    page.detail.finish()
    with gui_db.session() as s:
        assert patients.get_patient(s, clinic.nurse, a.id).status is PatientStatus.DECLINED
        finished = meetings.get_meeting(s, clinic.nurse, m.id)
        assert finished.agenda[1].outcome.value == "carried_forward"


def test_nurse_cannot_record_a_decision_and_sees_why(qtbot, gui_db, clinic, make_ctx):
    a = _patient(gui_db, clinic.nurse, "N-1")
    with gui_db.session() as s:
        m = meetings.schedule_meeting(s, clinic.nurse, held_on=dt.date.today())
        meetings.add_to_agenda(s, clinic.nurse, m.id, m.version, a.id)
    page = MeetingsPage(make_ctx(clinic.nurse))
    qtbot.addWidget(page)
    page.show()
    mode = page.detail.start_mode()
    qtbot.addWidget(mode)
    button = mode.buttons[DecisionKind.APPROVE_IMPLANT]
    assert not button.isEnabled()
    assert "Only a physiatrist" in button.toolTip()


def test_dashboard_sections(qtbot, gui_db, clinic, make_ctx):
    from carecoord.gui.meetings.dashboard import AwaitingSignature, NextMeeting, ReadyForReview

    p = _patient(gui_db, clinic.nurse, "D-1")
    with gui_db.session() as s:
        patients.assign_team_member(s, clinic.nurse, p.id, Discipline.NURSE, clinic.nurse.user_id)
        evaluations.start_evaluation(s, clinic.nurse, p.id, Discipline.NURSE, {"weight_kg": "60"})
        meetings.schedule_meeting(s, clinic.nurse, held_on=dt.date.today(), starts_at="09:30")
    ctx = make_ctx(clinic.nurse)
    waiting = AwaitingSignature(ctx)
    qtbot.addWidget(waiting)
    waiting.refresh()
    item = waiting.list.topLevelItem(0)
    assert item.text(0) == "RIVERA, Ana" and "required field(s) to complete" in item.text(3)
    ready = ReadyForReview(ctx)
    qtbot.addWidget(ready)
    ready.refresh()
    assert ready.empty.text() == "No patient is ready for team review."
    nxt = NextMeeting(ctx)
    qtbot.addWidget(nxt)
    nxt.refresh()
    assert "at 09:30: 0 patient(s) on the agenda" in nxt.text.text()


def test_the_patient_header_follows_the_pathway_status(qtbot, gui_db, clinic, make_window):
    """Starting the first evaluation moves a referred patient to evaluating; the open
    workspace's header and Overview show it without a manual refresh."""
    p = _patient(gui_db, clinic.nurse, "H-1", status=PatientStatus.REFERRED)
    window = make_window(clinic.nurse)
    ws = window.open_patient(p.id)
    assert "Status: Referred" in ws.header.text()
    form = ws.show_tab("evaluations").show_discipline(Discipline.NURSE)
    qtbot.keyClicks(form.field_widget("weight_kg"), "60")
    assert form.save()
    assert "Status: Evaluating" in ws.header.text()
    assert ws.tab("overview").widget("status").currentText() == "Evaluating"


def test_agenda_by_keyboard_add_and_take_off(qtbot, gui_db, clinic, make_ctx, boxes):
    p = _patient(gui_db, clinic.nurse, "AG-1")
    with gui_db.session() as s:
        meetings.schedule_meeting(s, clinic.nurse, held_on=dt.date.today())
    page = MeetingsPage(make_ctx(clinic.nurse))
    qtbot.addWidget(page)
    page.show()
    detail = page.detail
    detail.add_patient("ag-1")
    assert detail.agenda.topLevelItemCount() == 1
    assert detail.agenda.topLevelItem(0).text(3) == "Added"
    detail.add_patient("NOPE-9")
    assert "No patient has the record number NOPE-9" in boxes[-1][1]
    detail.agenda.setCurrentItem(detail.agenda.topLevelItem(0))
    detail.remove_patient("")
    assert "Say why" in boxes[-1][1] and detail.agenda.topLevelItemCount() == 1
    detail.remove_patient("Added to the wrong meeting")
    assert detail.agenda.topLevelItemCount() == 0
    with gui_db.session() as s:
        assert "wrong meeting" in audit.patient_history(s, clinic.nurse, p.id)[0].summary


def test_a_decision_taken_on_another_screen_reloads_meeting_mode(
    qtbot, gui_db, clinic, make_ctx, boxes
):
    a = _patient(gui_db, clinic.nurse, "S-1", family_name="Abbott")
    b = _patient(gui_db, clinic.nurse, "S-2", family_name="Bauer")
    with gui_db.session() as s:
        m = meetings.schedule_meeting(s, clinic.nurse, held_on=dt.date.today())
        m = meetings.add_to_agenda(s, clinic.nurse, m.id, m.version, a.id)
        m = meetings.add_to_agenda(s, clinic.nurse, m.id, m.version, b.id)
        people = [clinic.of(d).user_id for d in Discipline]
        m = meetings.set_attendance(s, clinic.nurse, m.id, m.version, people)
    page = MeetingsPage(make_ctx(clinic.physiatrist))
    qtbot.addWidget(page)
    mode = page.detail.start_mode()
    qtbot.addWidget(mode)
    with gui_db.session() as s:  # the other screen declines Abbott first
        meetings.record_decision(
            s, clinic.physiatrist, m.id, m.version, a.id, "decline", reason="Family's wish"
        )
    dialog = mode.decision_dialog(DecisionKind.DEFER)
    qtbot.addWidget(dialog)
    qtbot.keyClicks(dialog.reason, "Wait for the MRI")
    dialog.record()
    assert dialog.conflicted and "while you were editing" in boxes[-1][1]
    assert not mode.after_decision(dialog)
    assert mode.decided.text().startswith("Decided: Decline")


def test_defer_needs_a_reason_and_a_later_review_date(qtbot, gui_db, clinic, make_ctx):
    a = _patient(gui_db, clinic.nurse, "DF-1")
    with gui_db.session() as s:
        m = meetings.schedule_meeting(s, clinic.nurse, held_on=dt.date.today())
        m = meetings.add_to_agenda(s, clinic.nurse, m.id, m.version, a.id)
        people = [clinic.of(d).user_id for d in Discipline]
        meetings.set_attendance(s, clinic.nurse, m.id, m.version, people)
    page = MeetingsPage(make_ctx(clinic.physiatrist))
    qtbot.addWidget(page)
    mode = page.detail.start_mode()
    qtbot.addWidget(mode)
    dialog = mode.decision_dialog(DecisionKind.DEFER)
    qtbot.addWidget(dialog)
    assert dialog.until.value() == dt.date.today() + dt.timedelta(days=28)
    qtbot.keyClicks(dialog.reason, "Repeat the screening after the urinary infection is treated")
    dialog.until.set_value(dt.date.today())
    assert not dialog.record_button.isEnabled()
    assert "must be after today" in dialog.until_message.text()
    dialog.until.set_value(dt.date.today() + dt.timedelta(days=14))
    assert dialog.record_button.isEnabled()
    dialog.record()
    assert mode.after_decision(dialog)
    with gui_db.session() as s:
        assert candidacy.candidacy(s, clinic.nurse, a.id).status is CandidacyStatus.DEFERRED


def test_tabs_out_of_sight_reload_when_shown(qtbot, gui_db, clinic, make_window):
    """Changes made elsewhere reach a patient's hidden tabs when the user looks at them."""
    p = _patient(gui_db, clinic.nurse, "V-1", status=PatientStatus.IMPLANTED)
    window = make_window(clinic.nurse)
    ws = window.open_patient(p.id)
    cand = ws.tab("candidacy")
    assert "has a pump" in cand.pathway.text()
    with gui_db.session() as s:
        candidacy.add_goal(s, clinic.nurse, p.id, area="sleep", description="Sleeps all night")
    window.ctx.bus.changed.emit("goal")
    assert cand._stale
    ws.show_tab("candidacy")
    assert not cand._stale
    assert cand.goals.table.rowCount() == 1


def test_tab_goes_through_the_nursing_form_in_reading_order(qtbot, gui_db, clinic, make_ctx):
    """Every field of the nursing evaluation is reached with Tab, top to bottom, then Save."""
    p = _patient(gui_db, clinic.nurse, "TAB-1")
    tab = _tab(qtbot, EvaluationsTab, make_ctx(clinic.nurse), p.id)
    form = tab.show_discipline(Discipline.NURSE)
    names = {id(form.field_widget(k)): k for k in form.widgets}
    names[id(form.widgets["pain"].combo)] = "pain"
    names[id(form.save_button)] = "save"
    order: list[str] = []
    w = form.field_widget("systolic_mmhg")
    for _ in range(400):
        name = names.get(id(w))
        if name and name not in order:
            order.append(name)
        w = w.nextInFocusChain()
    expected = [spec.key for spec in form.form.fields] + ["save"]
    assert order[: len(expected)] == expected
