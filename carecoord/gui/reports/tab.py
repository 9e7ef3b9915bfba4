"""The patient's Reports tab: preview the care plan or the evaluation summary, save, print."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtGui import QImage, QKeySequence, QShortcut, QShowEvent
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from carecoord.domain.permissions import Permission
from carecoord.gui.context import AppContext, gate
from carecoord.gui.registry import PatientTabSpec, register_patient_tab
from carecoord.gui.tasks import run_task
from carecoord.reports.translations import available_languages
from carecoord.services.errors import ServiceError

if TYPE_CHECKING:
    from types import ModuleType

    from carecoord.reports.care_plan import CarePlanInput, RenderedReport
    from carecoord.reports.evaluation_summary import EvaluationSummaryInput


# The report layer (reportlab, pdfium) loads when a report is first built, not when the main
# window starts; the tab calls these thin functions (tests may replace them).
def _report_data() -> ModuleType:
    from carecoord.services import report_data

    return report_data


def page_images(pdf: bytes, scale: float = 1.25) -> list[QImage]:
    from carecoord.gui.reports import preview

    return preview.page_images(pdf, scale=scale)


def print_pdf(printer: QPrinter, pdf: bytes) -> int:
    from carecoord.gui.reports import preview

    return preview.print_pdf(printer, pdf)


def render_care_plan(data: CarePlanInput) -> RenderedReport:
    from carecoord.reports import care_plan

    return care_plan.render_care_plan(data)


def render_evaluation_summary(data: EvaluationSummaryInput) -> RenderedReport:
    from carecoord.reports import evaluation_summary

    return evaluation_summary.render_evaluation_summary(data)


def care_plan_file_name(data: CarePlanInput) -> str:
    from carecoord.reports import batch

    return batch.care_plan_file_name(data)


def write_pdf(path: Path, pdf: bytes) -> None:
    from carecoord.reports import batch

    batch.write_pdf(path, pdf)


log = logging.getLogger(__name__)
CARE_PLAN = "care_plan"
EVALUATION_SUMMARY = "evaluation_summary"
KINDS = (
    (CARE_PLAN, "Care plan (for the patient)"),
    (EVALUATION_SUMMARY, "Evaluation summary (for the team)"),
)


@dataclass
class Preview:
    report: RenderedReport
    images: list[QImage]
    file_name: str
    kind: str = CARE_PLAN
    patient_id: int | None = None


class ReportsTab(QWidget):
    def __init__(self, ctx: AppContext, patient_id: int | None) -> None:
        super().__init__()
        self.ctx = ctx
        self.patient_id = patient_id
        self.current: Preview | None = None
        self.no_pump_note = ""
        layout = QVBoxLayout(self)

        row = QHBoxLayout()
        self.kind = QComboBox()
        self.kind.setObjectName("reportKind")
        for key, label in KINDS:
            self.kind.addItem(label, key)
        kind_label = QLabel("&Report:")
        kind_label.setBuddy(self.kind)
        row.addWidget(kind_label)
        row.addWidget(self.kind)
        self.language = QComboBox()
        self.language.setObjectName("reportLanguage")
        self.language.addItem("Patient's preferred language", None)
        for code, name in available_languages().items():
            self.language.addItem(name, code)
        self.language_label = QLabel("&Language:")
        self.language_label.setBuddy(self.language)
        row.addWidget(self.language_label)
        row.addWidget(self.language)
        row.addStretch(1)
        self.save_button = QPushButton("&Save as PDF…")
        self.print_button = QPushButton("&Print…")
        row.addWidget(self.save_button)
        row.addWidget(self.print_button)
        layout.addLayout(row)

        self.status = QLabel("")
        self.status.setObjectName("reportStatus")
        self.status.setWordWrap(True)
        layout.addWidget(self.status)
        from carecoord.gui.reports.preview import PdfPreview

        self.preview = PdfPreview()
        layout.addWidget(self.preview, 1)

        self.kind.currentIndexChanged.connect(self._kind_changed)
        self.language.currentIndexChanged.connect(self.refresh)
        self.save_button.clicked.connect(self.save_as_pdf)
        self.print_button.clicked.connect(self.print_report)
        QShortcut(QKeySequence.StandardKey.Print, self, activated=self.print_report)
        allowed = gate(
            self.save_button, ctx, Permission.PRINT_REPORTS, "Save this report as a PDF file"
        )
        gate(self.print_button, ctx, Permission.PRINT_REPORTS, "Print this report (Ctrl+P)")
        self._set_ready(False)
        ctx.bus.changed.connect(self._on_bus)
        # Built when first shown: opening a patient does not pay for a preview nobody looks at.
        self._stale = allowed
        if not allowed:
            self.status.setText(self.save_button.toolTip())

    # -- building the preview ---------------------------------------------------------------

    def _kind_changed(self) -> None:
        care_plan = self.kind.currentData() == CARE_PLAN
        self.language.setEnabled(care_plan)
        self.language_label.setEnabled(care_plan)
        self.refresh()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._stale:
            self.refresh()

    def _on_bus(self, entity: str) -> None:
        if entity not in ("patient", "team", "settings", "external", "implant"):
            return
        if self.isVisible():
            self.refresh()
        else:
            self._stale = True

    def _set_ready(self, ready: bool) -> None:
        can = self.ctx.can(Permission.PRINT_REPORTS)
        self.save_button.setEnabled(ready and can)
        self.print_button.setEnabled(ready and can)

    def _offer_what_fits(self) -> None:
        """A patient with no pump in place gets no pump care plan: the evaluation summary is
        offered instead (the care plan stays listed, greyed, with the reason)."""
        assert self.patient_id is not None
        from carecoord.services import pumps

        has_pump = self.ctx.query(pumps.active_implant, self.patient_id) is not None
        item = self.kind.model().item(self.kind.findData(CARE_PLAN))  # type: ignore[attr-defined]
        item.setEnabled(has_pump)
        item.setToolTip("" if has_pump else "No pump is recorded as implanted for this patient.")
        if not has_pump and self.kind.currentData() == CARE_PLAN:
            self.kind.blockSignals(True)
            self.kind.setCurrentIndex(self.kind.findData(EVALUATION_SUMMARY))
            self.kind.blockSignals(False)
            self.language.setEnabled(False)
            self.language_label.setEnabled(False)
        self.no_pump_note = (
            ""
            if has_pump
            else "No pump is recorded as implanted: the pump care plan and wallet card are not "
            "offered. "
        )

    def refresh(self) -> None:
        if self.patient_id is None or not self.ctx.can(Permission.PRINT_REPORTS):
            return
        self._offer_what_fits()
        self._stale = False
        self._set_ready(False)
        self.status.setText("Preparing the preview…")
        run_task(
            self._build,
            self.kind.currentData(),
            self.language.currentData(),
            on_done=self._show,
            on_error=self._failed,
        )

    def _build(self, kind: str, language: str | None) -> Preview:
        """Runs off the GUI thread: gather, lay out, render the pages."""
        assert self.patient_id is not None
        if kind == CARE_PLAN:
            data = self.ctx.call(
                _report_data().gather_care_plan, self.patient_id, language=language
            )
            report = render_care_plan(data)
            name = care_plan_file_name(data)
        else:
            summary = self.ctx.call(_report_data().gather_evaluation_summary, self.patient_id)
            report = render_evaluation_summary(summary)
            name = f"evaluation-summary_{summary.patient.mrn}_{summary.generated_at.date()}.pdf"
        return Preview(report, page_images(report.pdf, scale=1.25), name, kind, self.patient_id)

    def _show(self, preview: Preview) -> None:
        self.current = preview
        self.preview.show_pages(preview.images)
        pages = len(preview.images)
        text = self.no_pump_note + f"{pages} page{'s' if pages != 1 else ''}."
        if preview.report.language_note:
            text += " " + preview.report.language_note
        if preview.report.gaps:
            text += (
                " To fill in before this is complete (marked on the page): "
                + ", ".join(preview.report.gaps)
                + "."
            )
        else:
            text += " Nothing is missing."
        self.status.setText(text)
        self._set_ready(True)

    def _failed(self, exc: BaseException) -> None:
        self.current = None
        self.preview.show_pages([])
        if isinstance(exc, ServiceError | ValueError):
            self.status.setText(f"The report could not be made: {exc}")
        else:
            log.error("Report preview failed", exc_info=exc)
            self.status.setText(
                "The report could not be made because of an unexpected error; "
                "it has been written to the log."
            )

    # -- save and print ---------------------------------------------------------------------

    def save_as_pdf(self) -> Path | None:
        if self.current is None:
            return None
        start = str(Path.home() / self.current.file_name)
        chosen, _filter = QFileDialog.getSaveFileName(
            self, "Save report as PDF", start, "PDF files (*.pdf)"
        )
        if not chosen:
            return None
        path = Path(chosen)
        if path.suffix.lower() != ".pdf":
            path = path.with_name(path.name + ".pdf")
        try:
            write_pdf(path, self.current.report.pdf)
        except OSError as exc:
            QMessageBox.warning(
                self, "Not saved", f"The file {path} could not be written: {exc.strerror or exc}."
            )
            return None
        self.status.setText(f"Saved: {path}")
        self._record(_report_data().SAVED, file_name=path.name)
        return path

    def _record(self, how: str, *, pages: int | None = None, file_name: str = "") -> None:
        """The audit trail names every printed or saved document and whom it is about."""
        preview = self.current
        if preview is None:
            return
        try:
            self.ctx.call(
                _report_data().record_disclosure,
                preview.kind,
                how,
                patient_id=preview.patient_id,
                pages=pages or len(preview.images),
                file_name=file_name,
            )
        except ServiceError as exc:
            self.status.setText(f"{self.status.text()} (Not written to the audit trail: {exc})")

    def make_printer(self) -> QPrinter:
        return QPrinter(QPrinter.PrinterMode.HighResolution)

    def print_report(self) -> int:
        if self.current is None or not self.print_button.isEnabled():
            return 0
        printer = self.make_printer()
        printer.setDocName(self.current.file_name)
        dialog = QPrintDialog(printer, self)
        dialog.setWindowTitle("Print report")
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return 0
        try:
            printed = print_pdf(printer, self.current.report.pdf)
        except OSError as exc:
            QMessageBox.warning(self, "Not printed", str(exc))
            return 0
        self.status.setText(f"Sent {printed} page{'s' if printed != 1 else ''} to the printer.")
        self._record(_report_data().PRINTED, pages=printed)
        return printed


def _reports_tab(ctx: AppContext, patient_id: int | None) -> QWidget:
    return ReportsTab(ctx, patient_id)


register_patient_tab(
    PatientTabSpec(
        "reports", "Reports", _reports_tab, order=80, permission=Permission.PRINT_REPORTS
    )
)
