"""Dashboard box "Care plans to print": care plans for a day's refill list (or for my patients), one PDF each.

The work runs off the GUI thread with a progress dialog that can be cancelled; it takes any list
of patients, so the refill list is just one source of that list.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from carecoord.domain.permissions import Permission
from carecoord.domain.units import format_long_date
from carecoord.gui.context import AppContext, gate
from carecoord.gui.registry import DashboardSectionSpec, register_dashboard_section
from carecoord.gui.tasks import TaskHandle, TaskToken, run_task
from carecoord.services import patients, refills
from carecoord.services.errors import ServiceError

if TYPE_CHECKING:
    from carecoord.reports.batch import BatchResult

REFILL_LIST = "refill_list"
MY_PATIENTS = "my_patients"


def default_folder() -> Path:
    return Path.home() / "CareCoord care plans"


class BatchPrintingPage(QWidget):
    def __init__(self, ctx: AppContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.patient_ids: list[int] = []
        self.last_result: BatchResult | None = None
        self.handle: TaskHandle | None = None
        layout = QVBoxLayout(self)
        intro = QLabel(
            "Makes one care-plan PDF per patient in a folder, ready to print before the "
            "refill visits. Each care plan says on its pages what is still to be filled in."
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)

        form = QFormLayout()
        self.source = QComboBox()
        self.source.setObjectName("batchSource")
        self.source.addItem("Refill list of the day", REFILL_LIST)
        self.source.addItem("My patients (I am on their team)", MY_PATIENTS)
        form.addRow("&Patients:", self.source)
        self.day = QDateEdit()
        self.day.setObjectName("batchDay")
        self.day.setCalendarPopup(True)
        self.day.setDisplayFormat("ddd d MMM yyyy")
        tomorrow = dt.date.today() + dt.timedelta(days=1)
        self.day.setDate(QDate(tomorrow.year, tomorrow.month, tomorrow.day))
        form.addRow("&Day:", self.day)
        folder_row = QHBoxLayout()
        self.folder = QLineEdit(str(default_folder()))
        self.folder.setObjectName("batchFolder")
        choose = QPushButton("C&hoose…")
        choose.clicked.connect(self._choose_folder)
        folder_row.addWidget(self.folder, 1)
        folder_row.addWidget(choose)
        folder_label = QLabel("&Folder:")
        folder_label.setBuddy(self.folder)
        form.addRow(folder_label, folder_row)
        layout.addLayout(form)

        self.count = QLabel("")
        self.count.setObjectName("batchCount")
        self.count.setWordWrap(True)
        layout.addWidget(self.count)
        self.run_button = QPushButton("&Make care plans")
        self.run_button.setObjectName("batchRun")
        self.run_button.clicked.connect(self.start)
        layout.addWidget(self.run_button)
        self.result = QLabel("")
        self.result.setObjectName("batchResult")
        self.result.setWordWrap(True)
        layout.addWidget(self.result)

        self.source.currentIndexChanged.connect(self.refresh)
        self.day.dateChanged.connect(self.refresh)
        self.allowed = gate(self.run_button, ctx, Permission.PRINT_REPORTS, "Make the care plans")
        self.refresh()

    def _choose_folder(self) -> None:
        chosen = QFileDialog.getExistingDirectory(
            self, "Folder for the care plans", self.folder.text()
        )
        if chosen:
            self.folder.setText(chosen)

    def selected_day(self) -> dt.date:
        d = self.day.date()
        return dt.date(d.year(), d.month(), d.day())

    def refresh(self) -> None:
        by_day = self.source.currentData() == REFILL_LIST
        self.day.setEnabled(by_day)
        try:
            if by_day:
                self.patient_ids = self.ctx.call(
                    refills.refill_list_for_printing, self.selected_day()
                )
            else:
                self.patient_ids = [row.id for row in self.ctx.call(patients.my_patients)]
        except ServiceError as exc:
            self.patient_ids = []
            self.count.setText(str(exc))
            self.run_button.setEnabled(False)
            return
        n = len(self.patient_ids)
        if by_day:
            where = f"on the refill list of {format_long_date(self.selected_day())}"
        else:
            where = "on your treatment teams"
        if n == 0:
            self.count.setText(f"No patient is {where}: there is nothing to print.")
        else:
            self.count.setText(f"{n} patient{'s are' if n != 1 else ' is'} {where}.")
        self.run_button.setEnabled(self.allowed and n > 0)

    def start(self) -> None:
        self.run_batch(self.patient_ids)

    def run_batch(self, patient_ids: Sequence[int]) -> TaskHandle | None:
        """Make the care plans of any list of patients, off the GUI thread, cancellable."""
        if not patient_ids or not self.allowed:
            return None
        folder = Path(self.folder.text().strip() or default_folder()).expanduser()
        if folder.exists() and not folder.is_dir():
            self.result.setText(f"{folder} is a file, not a folder: choose a folder.")
            return None
        self.run_button.setEnabled(False)
        self.result.setText("Making the care plans…")
        self.handle = run_task(
            self._work,
            list(patient_ids),
            folder,
            self.selected_day() if self.source.currentData() == REFILL_LIST else None,
            on_done=self._done,
            on_error=self._failed,
            progress=f"Making {len(patient_ids)} care plans…",
            parent=self,
        )
        if self.handle.finished:  # ran at once (tests run tasks synchronously)
            if self.handle.cancelled:
                self._cancelled()
        else:
            # A cancelled task calls neither callback: notice its end here.
            queued = Qt.ConnectionType.QueuedConnection
            self.handle.signals.done.connect(self._ended, queued)
            self.handle.signals.failed.connect(self._ended, queued)
        return self.handle

    def _work(
        self, patient_ids: list[int], folder: Path, day: dt.date | None, task: TaskToken
    ) -> BatchResult:
        # The report layer loads on the first batch, not with the dashboard.
        from carecoord.reports.batch import write_care_plans
        from carecoord.services import report_data

        def gather(patient_id: object) -> object:
            # A refill list's handouts speak of its day: "due today" on the refill day.
            return self.ctx.call(report_data.gather_care_plan, int(patient_id), for_day=day)  # type: ignore[arg-type]

        def written(patient_id: object, path: Path) -> None:
            self.ctx.call(
                report_data.record_disclosure,
                "care_plan",
                report_data.SAVED,
                patient_id=int(patient_id),  # type: ignore[call-overload]
                file_name=path.name,
            )

        result = write_care_plans(  # type: ignore[arg-type]
            patient_ids,
            gather,  # type: ignore[arg-type]
            folder,
            task=task,
            written=written,
        )
        self.last_result = result  # kept for a cancelled run, whose callback is not called
        return result

    def _ended(self, _result: object) -> None:
        if self.handle is not None and self.handle.cancelled:
            self._cancelled()

    def _done(self, result: BatchResult) -> None:
        self.last_result = result
        lines = [f"{result.words} Folder: {self.folder.text()}"]
        for patient, why in result.failed[:10]:
            lines.append(f"Patient {patient}: {why}")
        if len(result.failed) > 10:
            lines.append(f"… and {len(result.failed) - 10} more.")
        self.result.setText("\n".join(lines))
        self.refresh()

    def _cancelled(self) -> None:
        done = self.last_result.words if self.last_result is not None else "Stopped."
        self.result.setText(f"Cancelled. {done} Folder: {self.folder.text()}")
        self.refresh()

    def _failed(self, exc: BaseException) -> None:
        if isinstance(exc, OSError):
            self.result.setText(f"The folder could not be written: {exc.strerror or exc}.")
        else:
            self.result.setText(f"The care plans could not be made: {exc}")
        self.refresh()


def _section(ctx: AppContext) -> QWidget:
    return BatchPrintingPage(ctx)


register_dashboard_section(
    DashboardSectionSpec(
        "care_plan_batch",
        "Care plans to print",
        _section,
        order=40,
        permission=Permission.PRINT_REPORTS,
    )
)
