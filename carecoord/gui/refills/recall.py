"""The Recall page: patients to call about a refill, calls logged with their outcome, and the
refill calendar exported for the clinic's calendar (.ics)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from PySide6.QtCore import QDateTime, Qt
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDateTimeEdit,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from carecoord.domain.permissions import Permission
from carecoord.domain.refill_status import ContactOutcome
from carecoord.domain.units import format_date, format_datetime
from carecoord.gui.context import AppContext, gate
from carecoord.gui.widgets import FieldMessage, heading, show_error
from carecoord.services import recalls
from carecoord.services.errors import ServiceError, ValidationFailed
from carecoord.services.recalls import RecallRow

ROW_ROLE = Qt.ItemDataRole.UserRole + 1
RISK_COLOUR = QColor("#b00020")


class CallDialog(QDialog):
    """Log one call: outcome, note, and the visit booked when the patient was reached."""

    def __init__(self, row: RecallRow, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Call {row.name}")
        layout = QVBoxLayout(self)
        who = QLabel(
            f"<b>{row.name}</b> ({row.mrn}) — {row.status}<br>"
            f"Phone {row.phone or 'not recorded'}"
            + (f"; caregiver {row.caregiver_phone}" if row.caregiver_phone else "")
        )
        who.setWordWrap(True)
        layout.addWidget(who)
        form = QFormLayout()
        self.outcome = QComboBox()
        self.outcome.setObjectName("outcome")
        for outcome in ContactOutcome:
            self.outcome.addItem(outcome.label, outcome.value)
        self.outcome.setCurrentIndex(self.outcome.findData(ContactOutcome.NO_ANSWER.value))
        self.outcome.currentIndexChanged.connect(self._outcome_changed)
        form.addRow("&Outcome", self.outcome)
        self.appointment = QDateTimeEdit()
        self.appointment.setObjectName("appointmentAt")
        self.appointment.setDisplayFormat("d MMM yyyy HH:mm")
        self.appointment.setCalendarPopup(True)
        start = dt.datetime.now() + dt.timedelta(days=1)
        self.appointment.setDateTime(QDateTime(start.year, start.month, start.day, 10, 0, 0))
        form.addRow("&Visit booked for", self.appointment)
        self.note = QLineEdit()
        self.note.setObjectName("callNote")
        form.addRow("&Note", self.note)
        layout.addLayout(form)
        self.message = FieldMessage()
        layout.addWidget(self.message)
        buttons = QDialogButtonBox()
        self.ok = buttons.addButton("Log call", QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self._outcome_changed()

    def _outcome_changed(self) -> None:
        self.appointment.setEnabled(self.chosen() is ContactOutcome.BOOKED)

    def chosen(self) -> ContactOutcome:
        return ContactOutcome(self.outcome.currentData())

    def appointment_at(self) -> dt.datetime | None:
        if self.chosen() is not ContactOutcome.BOOKED:
            return None
        value = self.appointment.dateTime()
        d, t = value.date(), value.time()
        return dt.datetime(d.year(), d.month(), d.day(), t.hour(), t.minute()).astimezone()


class RecallPage(QWidget):
    """Most urgent first; Enter opens the patient, "Log call…" records an attempt."""

    COLUMNS = ("Status", "Patient", "Record", "Phone", "Caregiver's phone", "Due", "Next visit")
    COLUMNS += ("Last call",)

    def __init__(self, ctx: AppContext) -> None:
        super().__init__()
        self.ctx = ctx
        self._stale = False
        layout = QVBoxLayout(self)
        layout.addWidget(heading("Recall: patients to call about a refill"))
        hint = QLabel(
            "Refills overdue or due soon with no visit booked by the due date, and every recall "
            "still open. A recall closes when the refill is recorded."
        )
        hint.setObjectName("hint")
        hint.setWordWrap(True)
        layout.addWidget(hint)
        self.count_label = QLabel()
        self.count_label.setObjectName("recallCount")
        layout.addWidget(self.count_label)
        self.list = QTreeWidget()
        self.list.setObjectName("recallList")
        self.list.setRootIsDecorated(False)
        self.list.setAlternatingRowColors(True)
        self.list.setHeaderLabels(list(self.COLUMNS))
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.list.activated.connect(lambda _i: self.open_patient())
        self.list.itemDoubleClicked.connect(lambda *_: self.open_patient())
        layout.addWidget(self.list, 1)
        bar = QHBoxLayout()
        self.call_button = QPushButton("Log call…")
        self.call_button.setObjectName("logCallButton")
        self.call_button.clicked.connect(self.log_call)
        gate(self.call_button, ctx, Permission.LOG_RECALL, "Record a call and its outcome")
        self.open_button = QPushButton("Open patient")
        self.open_button.clicked.connect(self.open_patient)
        self.export_button = QPushButton("Export refill calendar (.ics)…")
        self.export_button.setObjectName("exportCalendarButton")
        self.export_button.clicked.connect(self.export_calendar)
        bar.addWidget(self.call_button)
        bar.addWidget(self.open_button)
        bar.addStretch(1)
        bar.addWidget(self.export_button)
        layout.addLayout(bar)
        ctx.bus.changed.connect(self._on_bus)
        self.refresh()

    def refresh(self) -> None:
        self._stale = False
        try:
            rows = self.ctx.call(recalls.recall_list, refresh_budget_seconds=1.5)
        except ServiceError as exc:
            self.count_label.setText(str(exc))
            return
        current = self.selected()
        self.list.clear()
        bold = QFont(self.list.font())
        bold.setBold(True)
        for row in rows:
            item = QTreeWidgetItem(
                [
                    row.status,
                    row.name,
                    row.mrn,
                    row.phone,
                    row.caregiver_phone,
                    format_date(row.due_date),
                    format_datetime(row.next_appointment_at, missing="Not booked"),
                    row.last_attempt,
                ]
            )
            item.setData(0, ROW_ROLE, row)
            if row.past_alarm:
                for c in range(len(self.COLUMNS)):
                    item.setForeground(c, QBrush(RISK_COLOUR))
                    item.setFont(c, bold)
            self.list.addTopLevelItem(item)
            if current is not None and current.patient_id == row.patient_id:
                self.list.setCurrentItem(item)
        for c in range(len(self.COLUMNS)):
            self.list.resizeColumnToContents(c)
        if self.list.currentItem() is None and rows:
            self.list.setCurrentItem(self.list.topLevelItem(0))
        risk = sum(1 for r in rows if r.past_alarm)
        self.count_label.setText(
            f"{len(rows)} patient{'s' if len(rows) != 1 else ''} to call"
            + (f", {risk} past the alarm date: withdrawal risk, call first." if risk else ".")
            if rows
            else "Nobody to call: every refill due soon is booked."
        )

    def selected(self) -> RecallRow | None:
        item = self.list.currentItem()
        return None if item is None else item.data(0, ROW_ROLE)

    def open_patient(self) -> None:
        row = self.selected()
        if row is not None:
            self.ctx.open_patient(row.patient_id)

    def log_call(self) -> None:
        row = self.selected()
        if row is None:
            return
        dialog = CallDialog(row, self)
        while dialog.exec():
            try:
                self.ctx.call(
                    recalls.log_contact_attempt,
                    row.patient_id,
                    dialog.chosen(),
                    dialog.note.text(),
                    appointment_at=dialog.appointment_at(),
                )
            except ValidationFailed as exc:
                dialog.message.show_problems(exc.problems)
                continue
            except ServiceError as exc:
                show_error(self, "Call not logged", str(exc))
                return
            self.ctx.bus.changed.emit("recall")
            self.refresh()
            return

    def export_calendar(self) -> None:
        path, _filter = QFileDialog.getSaveFileName(
            self,
            "Export refill calendar",
            str(Path.home() / "refill-appointments.ics"),
            "iCalendar files (*.ics)",
        )
        if not path:
            return
        if not path.lower().endswith(".ics"):
            path += ".ics"
        try:
            data = self.ctx.call(recalls.export_calendar)
            Path(path).write_bytes(data)
        except (ServiceError, OSError) as exc:
            show_error(self, "Calendar not exported", f"The calendar could not be written: {exc}")
            return
        count = data.count(b"BEGIN:VEVENT")
        self.count_label.setText(
            f"Exported {count} booked refill visit{'s' if count != 1 else ''} to {path}."
        )

    def showEvent(self, event) -> None:  # type: ignore[no-untyped-def]
        super().showEvent(event)
        if self._stale:
            self.refresh()

    def _on_bus(self, _entity: str) -> None:
        if self.isVisible():
            self.refresh()
        else:
            self._stale = True
