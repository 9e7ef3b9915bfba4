"""The main window: navigation, patient workspaces, audit tab, idle lock, change polling."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel

from carecoord.gui import registry
from carecoord.gui.registry import PageSpec
from carecoord.services import patients
from tests.conftest import PASSWORD
from tests.gui.helpers import add_patient


def _open_entry(window):
    """The "Open patients" entry of the navigation, wherever the registered pages put it."""
    items = [window.nav.item(i) for i in range(window.nav.count())]
    return next(i for i in items if i.text().startswith("Open patients"))


def test_navigation_and_status_bar(qtbot, clinic, make_window):
    """The nav lists the registered pages; the status bar says who is signed in and where."""
    window = make_window(clinic.nurse)
    titles = [window.nav.item(i).text() for i in range(window.nav.count())]
    assert titles[:4] == ["Dashboard", "Patients", "Meetings", "Team"]
    assert _open_entry(window).isHidden()  # "Open patients" appears once one is open
    assert "Nia King (Nurse)" in window.user_label.text()
    assert "SQLite file" in window.where_label.text()
    window.show_page("team")
    assert window.current_page_key() == "team"


def test_a_registered_page_appears_in_the_navigation(qtbot, clinic, make_window):
    """A later feature adds a page by registering it; the window needs no change."""
    registry.load_views()
    previous = registry._pages.get("meetings")
    registry.register_page(PageSpec("meetings", "Meetings", lambda ctx: QLabel("m"), order=30))
    try:
        window = make_window(clinic.nurse)
        titles = [window.nav.item(i).text() for i in range(window.nav.count())]
        assert titles[:4] == ["Dashboard", "Patients", "Meetings", "Team"]
    finally:
        registry._pages.pop("meetings")
        if previous is not None:
            registry._pages["meetings"] = previous


def test_open_patients_as_tabs_and_ask_before_dropping_edits(
    qtbot, gui_db, clinic, make_window, monkeypatch
):
    """Patients open once each; closing one with unsaved edits asks and keeps it on "no"."""
    a = add_patient(gui_db, clinic.nurse, "A-1", "Lopez", "Ana")
    b = add_patient(gui_db, clinic.nurse, "B-2", "Moss", "Mo")
    window = make_window(clinic.nurse)
    ws_a = window.open_patient(a.id)
    window.open_patient(b.id)
    assert window.open_patient(a.id) is ws_a
    assert window.patient_tabs.count() == 2
    assert window.patient_tabs.tabText(0) == "LOPEZ, Ana (A-1)"
    assert _open_entry(window).text() == "Open patients (2)"
    ws_a.tab("overview").widget("diagnosis").setText("Stroke")
    asked: list[str] = []
    answer = [False]

    def confirm(_parent, _title, text, **_k):
        asked.append(text)
        return answer[0]

    monkeypatch.setattr("carecoord.gui.main_window.confirm", confirm)
    assert not window.close_patient_tab(0)
    assert "Diagnosis edited" in asked[0] and window.patient_tabs.count() == 2
    answer[0] = True
    assert window.close_patient_tab(0)
    assert window.patient_tabs.count() == 1
    assert window.close_patient_tab(0)  # nothing unsaved: no question
    assert len(asked) == 2 and _open_entry(window).isHidden()


def test_new_patient_workspace_gains_tabs_after_saving(qtbot, gui_db, clinic, make_window):
    """A new patient has only Overview; after the first save the Audit tab appears."""
    window = make_window(clinic.nurse)
    ws = window.new_patient()
    assert list(ws.tab_widgets) == ["overview"]
    editor = ws.tab("overview")
    editor.widget("mrn").setText("N-1")
    editor.widget("family_name").setText("New")
    editor.widget("given_names").setText("Nora")
    editor.widget("date_of_birth").set_value(__import__("datetime").date(1990, 1, 2))
    assert editor.save()
    assert next(iter(ws.tab_widgets)) == "overview" and "audit" in ws.tab_widgets
    assert window.patient_tabs.tabText(0) == "NEW, Nora (N-1)"


def test_audit_tab_is_readable(qtbot, gui_db, clinic, make_window):
    """The audit tab says when, who and what, with each field's old and new value in words."""
    p = add_patient(gui_db, clinic.nurse, "A-1", "Lopez", "Ana")
    window = make_window(clinic.pt)
    ws = window.open_patient(p.id)
    editor = ws.tab("overview")
    editor.widget("weight_kg").setText("70")
    editor.widget("status").setCurrentIndex(editor.widget("status").findText("Candidate"))
    assert editor.save()
    lines = ws.show_tab("audit").lines()
    assert "Priya Patel (Physical therapist) | Edited Weight, Status" in lines[0]
    assert "    Weight: 64.5 kg → 70 kg" in lines
    assert "    Status: Evaluating → Candidate" in lines
    assert any("Nia King (Nurse) | Registered patient LOPEZ, Ana (A-1)" in ln for ln in lines)
    assert "    Date of birth: — → 17 May 1980" in lines
    assert not any("— → —" in ln for ln in lines)


def test_idle_lock_keeps_unsaved_work(qtbot, gui_db, clinic, make_window):
    """After the idle timeout the window locks; the right password unlocks it, edits intact."""
    p = add_patient(gui_db, clinic.nurse, "A-1", "Lopez", "Ana")
    window = make_window(clinic.nurse, idle_timeout_ms=300)
    editor = window.open_patient(p.id).tab("overview")
    qtbot.keyClicks(editor.widget("diagnosis"), " (incomplete)")
    qtbot.waitUntil(lambda: window.idle.is_locked, timeout=3000)
    overlay = window.idle.overlay
    assert overlay.isVisible() and not window.centralWidget().isEnabled()
    assert overlay.geometry() == window.rect()
    qtbot.keyClicks(overlay.password, "wrong-password")
    qtbot.keyClick(overlay.password, Qt.Key.Key_Return)
    assert window.idle.is_locked and "not right" in overlay.message.text()
    qtbot.keyClicks(overlay.password, PASSWORD)
    qtbot.keyClick(overlay.password, Qt.Key.Key_Return)
    assert not window.idle.is_locked and not overlay.isVisible()
    assert window.centralWidget().isEnabled()
    assert editor.widget("diagnosis").text() == "Spinal cord injury (incomplete)"
    assert editor.has_unsaved_changes()


def test_activity_postpones_the_lock(qtbot, clinic, make_window):
    """Typing restarts the idle timer: six keystrokes 400 ms apart outlast a 2 s timeout."""
    window = make_window(clinic.nurse, idle_timeout_ms=2000)
    page = window.show_page("patients")
    for _ in range(6):
        qtbot.keyClicks(page.search, "a")
        qtbot.wait(400)
    assert not window.idle.is_locked


def test_other_workstations_saves_refresh_the_lists(qtbot, gui_db, clinic, make_window):
    """The poller notices the change counter moving and the patients list refreshes itself."""
    window = make_window(clinic.nurse, poll=True)
    page = window.show_page("patients")
    assert page.model.total == 0
    events: list[str] = []
    window.bus.changed.connect(events.append)
    add_patient(gui_db, clinic.physiatrist, "X-1", "Elsewhere", "Eve")  # another workstation
    window.poller.poll()
    assert events == ["external"]
    assert page.model.total == 1
    window.poller.poll()
    assert events == ["external"]  # nothing new: no second refresh


def test_own_saves_are_not_reported_as_external(qtbot, gui_db, clinic, make_window):
    """A save on this workstation announces "patient", not a second "external"."""
    p = add_patient(gui_db, clinic.nurse, "A-1", "Lopez", "Ana")
    window = make_window(clinic.nurse, poll=True)
    events: list[str] = []
    window.bus.changed.connect(events.append)
    editor = window.open_patient(p.id).tab("overview")
    editor.widget("diagnosis").setText("Stroke")
    assert editor.save()
    window.poller.poll()
    assert events == ["patient"]


def test_dashboard_counts_and_my_patients(qtbot, gui_db, clinic, make_window):
    """The dashboard counts patients by status and opens "my patients" with Enter."""
    from carecoord.domain.enums import Discipline, PatientStatus

    p = add_patient(gui_db, clinic.nurse, "A-1", "Lopez", "Ana")
    add_patient(gui_db, clinic.nurse, "B-2", "Moss", "Mo", status=PatientStatus.REFERRED)
    with gui_db.session() as s:
        patients.assign_team_member(s, clinic.nurse, p.id, Discipline.NURSE, clinic.nurse.user_id)
    window = make_window(clinic.nurse)
    dash = window.pages["dashboard"]
    counts = dash.sections["status_counts"]
    assert counts.labels[PatientStatus.EVALUATING].text() == "1"
    assert counts.labels[PatientStatus.REFERRED].text() == "1"
    mine = dash.sections["my_patients"].list
    assert mine.topLevelItemCount() == 1 and mine.topLevelItem(0).text(0) == "LOPEZ, Ana"
    mine.setFocus()
    qtbot.keyClick(mine, Qt.Key.Key_Return)
    assert window.patient_tabs.count() == 1
    assert window.current_page_key() == "open_patients"


def test_pages_are_built_when_first_shown_and_then_kept(qtbot, clinic, make_window):
    """The navigation lists every page at once; a page is built on first visit, once."""
    window = make_window(clinic.nurse)
    assert set(window.pages) == {"dashboard"}  # the page shown first
    assert window.nav.count() >= 5
    team_page = window.show_page("team")
    assert type(team_page).__name__ == "TeamPage" and window.stack.currentWidget() is team_page
    window.show_page("patients")
    assert window.show_page("team") is team_page
    assert set(window.pages) == {"dashboard", "team", "patients"}


def test_the_dashboard_paints_first_then_fills_its_sections(qtbot, gui_db, clinic, make_window):
    """The window appears with "Loading the dashboard…"; the sections come just after."""
    add_patient(gui_db, clinic.nurse, "A-1", "Lopez", "Ana")
    window = make_window(clinic.nurse)
    dash = window.pages["dashboard"]
    assert dash._sections is None and dash.loading.text() == "Loading the dashboard…"
    qtbot.waitUntil(lambda: dash._sections is not None, timeout=10_000)
    for box in dash.boxes.values():  # laid out at once: the next paint shows nothing squeezed
        assert box.height() >= box.minimumSizeHint().height()
    assert "status_counts" in dash.sections and "refills_overdue" in dash.sections
    assert dash.sections["status_counts"].labels  # filled from the store
    assert dash.findChild(QLabel, "dashboardLoading") is None or not dash.loading.isVisible()


def test_a_dashboard_left_before_it_filled_in_waits_until_shown_again(qtbot, clinic, make_window):
    """Going straight to Patients skips the dashboard's work until it is visited."""
    window = make_window(clinic.nurse)
    dash = window.pages["dashboard"]
    window.show_page("patients")
    qtbot.wait(50)
    assert dash._sections is None
    window.show_page("dashboard")
    qtbot.waitUntil(lambda: dash._sections is not None, timeout=10_000)


def test_every_listener_of_the_change_bus_sees_the_change_already_counted(qtbot):
    """Caches compare ``generation``; it moves before any listener runs, whatever their order."""
    from carecoord.gui.context import ChangeBus

    bus = ChangeBus()
    heard: list[int] = []
    bus.changed.connect(lambda _entity: heard.append(bus.generation))
    bus.changed.emit("patient")
    bus.changed.emit("external")
    assert heard == [1, 2]
