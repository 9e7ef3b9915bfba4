"""Reports tab (preview, save, print) and batch printing, driven as a nurse would."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import QDialog, QProgressDialog, QPushButton

from carecoord.domain.enums import Discipline
from carecoord.gui import registry, tasks
from carecoord.gui.reports import preview as preview_module
from carecoord.gui.reports.batch_section import BatchPrintingPage
from carecoord.gui.reports.tab import EVALUATION_SUMMARY, ReportsTab
from carecoord.reports import batch as batch_module
from carecoord.services import patients, pumps, settings
from carecoord.store.models import AuditEvent
from tests.gui.helpers import add_patient
from tests.reports.helpers import page_texts, text_of
from tests.services.pump_helpers import implant_input


@pytest.fixture
def patient(gui_db, clinic):
    with gui_db.session() as s:
        settings.update_settings(
            s, clinic.admin, clinic_name="Riverside", emergency_phone="+1 555 0199"
        )
    view = add_patient(gui_db, clinic.nurse, "MRN-0042", "Rossi", "Ana María")
    with gui_db.session() as s:
        patients.assign_team_member(
            s, clinic.nurse, view.id, Discipline.NURSE, clinic.nurse.user_id
        )
        pumps.record_implant(s, clinic.nurse, view.id, implant_input())  # a pump handout needs one
    return view


def last_event(db) -> AuditEvent:
    from sqlalchemy import select

    with db.session() as s:
        return s.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(1)).one()


@pytest.fixture
def tab(qtbot, make_ctx, clinic, patient):
    widget = ReportsTab(make_ctx(clinic.nurse), patient.id)
    qtbot.addWidget(widget)
    widget.resize(1100, 800)
    widget.show()
    return widget


def test_tab_and_page_are_registered(make_ctx, clinic):
    ctx = make_ctx(clinic.nurse)
    assert "reports" in [t.key for t in registry.patient_tabs(ctx)]
    assert "care_plan_batch" in [s.key for s in registry.dashboard_sections(ctx)]


def test_preview_shows_every_page_and_says_what_to_fill_in(tab):
    assert tab.current is not None
    pages = len(page_texts(tab.current.report.pdf))
    assert len(tab.preview.page_labels) == pages >= 2
    assert not tab.preview.page_labels[0].pixmap().isNull()
    status = tab.status.text()
    assert f"{pages} pages." in status
    assert "To fill in" in status and "dose per day" in status
    assert tab.save_button.isEnabled() and tab.print_button.isEnabled()
    tab.grab().save("/tmp/reports-gui-tab.png")


def test_save_as_pdf_adds_the_extension(tab, tmp_path, monkeypatch, gui_db, patient):
    target = tmp_path / "for the fridge"
    monkeypatch.setattr(
        "carecoord.gui.reports.tab.QFileDialog.getSaveFileName",
        lambda *a, **k: (str(target), "PDF files (*.pdf)"),
    )
    path = tab.save_as_pdf()
    assert path == tmp_path / "for the fridge.pdf"
    text = text_of(path.read_bytes())
    assert "ROSSI, Ana María" in text
    assert "Saved:" in tab.status.text()
    # The footer names the audit head it was printed from; the save itself is audited.
    assert f"Audit trail: event {last_event(gui_db).seq - 1} · " in text
    event = last_event(gui_db)
    assert (event.action, event.patient_id) == ("export", patient.id)
    assert event.summary.startswith("Saved the care plan of ROSSI, Ana María (MRN-0042), ")
    assert event.summary.endswith("pages, as the file for the fridge.pdf")


def test_cancelled_save_writes_nothing(tab, tmp_path, monkeypatch, gui_db):
    monkeypatch.setattr(
        "carecoord.gui.reports.tab.QFileDialog.getSaveFileName", lambda *a, **k: ("", "")
    )
    before = last_event(gui_db).seq
    assert tab.save_as_pdf() is None
    assert last_event(gui_db).seq == before  # nothing left the system: nothing to audit


def test_print_sends_every_page_to_the_printer(tab, tmp_path, monkeypatch, gui_db):
    out = tmp_path / "printed.pdf"

    def printer() -> QPrinter:
        p = QPrinter(QPrinter.PrinterMode.ScreenResolution)
        p.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
        p.setOutputFileName(str(out))
        return p

    monkeypatch.setattr(tab, "make_printer", printer)
    monkeypatch.setattr(QPrintDialog, "exec", lambda self: QDialog.DialogCode.Accepted)
    printed = tab.print_report()
    pages = len(page_texts(tab.current.report.pdf))
    assert printed == pages
    assert len(page_texts(out.read_bytes())) == pages
    assert f"Sent {pages} pages to the printer." in tab.status.text()
    event = last_event(gui_db)
    assert event.action == "print"
    assert event.summary == f"Printed the care plan of ROSSI, Ana María (MRN-0042), {pages} pages"


def test_print_dialog_cancelled_prints_nothing(tab, monkeypatch):
    monkeypatch.setattr(QPrintDialog, "exec", lambda self: QDialog.DialogCode.Rejected)
    assert tab.print_report() == 0


def test_language_and_report_kind(tab):
    tab.language.setCurrentIndex(tab.language.findData("es"))
    assert "Su plan de cuidados" in text_of(tab.current.report.pdf)
    tab.kind.setCurrentIndex(tab.kind.findData(EVALUATION_SUMMARY))
    assert not tab.language.isEnabled()
    text = text_of(tab.current.report.pdf)
    assert "Evaluation summary" in text and "ROSSI, Ana María" in text


def test_preview_is_built_off_the_gui_thread(qtbot, make_ctx, clinic, patient, monkeypatch):
    tasks.set_synchronous(False)
    threads: list[int] = []
    real = preview_module.page_images

    def recording(*args, **kwargs):
        threads.append(threading.get_ident())
        return real(*args, **kwargs)

    monkeypatch.setattr("carecoord.gui.reports.tab.page_images", recording)
    widget = ReportsTab(make_ctx(clinic.nurse), patient.id)
    qtbot.addWidget(widget)
    assert widget.current is None  # nothing is built until the tab is shown
    widget.show()
    qtbot.waitUntil(lambda: widget.current is not None, timeout=30000)
    assert threads and threads[0] != threading.get_ident()
    assert widget.preview.page_labels


@pytest.fixture
def page(qtbot, make_ctx, clinic, patient, tmp_path):
    widget = BatchPrintingPage(make_ctx(clinic.nurse))
    qtbot.addWidget(widget)
    widget.folder.setText(str(tmp_path / "plans"))
    widget.resize(700, 420)
    widget.show()
    return widget


def test_refill_list_with_nobody_due_disables_the_button(page):
    assert "No patient is on the refill list of" in page.count.text()
    assert not page.run_button.isEnabled()


def test_batch_for_my_patients_writes_files(page, tmp_path, gui_db):
    page.source.setCurrentIndex(page.source.findData("my_patients"))
    assert page.count.text() == "1 patient is on your treatment teams."
    assert page.run_button.isEnabled()
    page.run_button.click()
    files = sorted((tmp_path / "plans").glob("*.pdf"))
    assert [f.name.split("_")[1] for f in files] == ["MRN-0042"]
    assert "1 care plan saved" in page.result.text()
    event = last_event(gui_db)
    assert event.action == "export" and event.summary.endswith(f"as the file {files[0].name}")
    page.grab().save("/tmp/reports-gui-batch.png")


def test_batch_runs_any_list_and_can_be_cancelled(page, gui_db, clinic, monkeypatch, tmp_path):
    others = [
        add_patient(gui_db, clinic.nurse, f"MRN-1{i:03d}", "Lee", f"Kim {i}").id for i in range(5)
    ]
    with gui_db.session() as s:
        for other in others:
            pumps.record_implant(s, clinic.nurse, other, implant_input())
    real = batch_module.render_care_plan
    calls: list[int] = []

    def cancel_after_two(data):
        calls.append(1)
        if len(calls) == 2:
            page.findChild(QProgressDialog).findChild(QPushButton).click()  # Cancel
        return real(data)

    monkeypatch.setattr(batch_module, "render_care_plan", cancel_after_two)
    handle = page.run_batch(others)
    assert handle is not None and handle.cancelled
    assert len(list((tmp_path / "plans").glob("*.pdf"))) == 2
    assert page.result.text().startswith("Cancelled. 2 care plans saved")


def test_batch_lists_patients_that_could_not_be_made(page, tmp_path):
    page.run_batch([page.ctx.call(patients.my_patients)[0].id, 987654])
    text = page.result.text()
    assert "1 care plan saved, 1 with details to fill in, 1 could not be made." in text
    assert "Patient 987654: This patient no longer exists." in text


def test_batch_refuses_a_file_as_folder(page, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    page.folder.setText(str(blocker))
    assert page.run_batch([1]) is None
    assert "is a file, not a folder" in page.result.text()
    assert Path(blocker).read_text() == "x"


def test_batch_runs_off_the_gui_thread(qtbot, page, tmp_path, monkeypatch):
    tasks.set_synchronous(False)
    threads: list[int] = []
    real = batch_module.render_care_plan

    def recording(data):
        threads.append(threading.get_ident())
        return real(data)

    monkeypatch.setattr(batch_module, "render_care_plan", recording)
    patient_id = page.ctx.call(patients.my_patients)[0].id
    handle = page.run_batch([patient_id, patient_id])
    assert handle is not None
    qtbot.waitUntil(lambda: "2 care plans saved" in page.result.text(), timeout=30000)
    assert threads and all(t != threading.get_ident() for t in threads)


def test_a_patient_without_a_pump_is_offered_the_evaluation_summary(
    qtbot, make_ctx, gui_db, clinic
):
    """The Reports tab offers what fits: the pump care plan is greyed with the reason and the
    evaluation summary is shown."""
    view = add_patient(gui_db, clinic.nurse, "MRN-0051", "Ito", "Ren")
    widget = ReportsTab(make_ctx(clinic.nurse), view.id)
    qtbot.addWidget(widget)
    widget.resize(1100, 800)
    widget.show()
    qtbot.waitUntil(lambda: widget.current is not None)
    assert widget.kind.currentData() == "evaluation_summary"
    item = widget.kind.model().item(widget.kind.findData("care_plan"))
    assert not item.isEnabled() and "No pump" in item.toolTip()
    assert widget.status.text().startswith("No pump is recorded as implanted")
    assert "Evaluation summary" in text_of(widget.current.report.pdf) or widget.current.images
