"""Dialogs of the pump tab: the implant record, the review before approval, programmed on
the device."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from PySide6.QtCore import QDateTime, QLocale, Qt, QTime
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDateTimeEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QSizePolicy,
    QTableWidget,
    QTableWidgetItem,
    QTimeEdit,
    QVBoxLayout,
    QWidget,
)

from carecoord.domain.devices import battery_replacement_window
from carecoord.domain.errors import Problem, Severity
from carecoord.domain.program import describe_program
from carecoord.domain.program_safety import (
    blocking_problems,
    diff_programs,
    largest_change_percent,
    titration_limit_percent,
)
from carecoord.domain.program_status import PocketSide
from carecoord.domain.refill_status import battery_plan_words
from carecoord.domain.units import (
    QuantityError,
    format_date,
    format_datetime,
    format_mcg_per_day,
    format_ml,
    format_number,
    parse_decimal,
)
from carecoord.gui.context import AppContext
from carecoord.gui.patient.dates import OptionalDateEdit
from carecoord.gui.pump.chart import HourlyDoseChart
from carecoord.gui.pump.editor import nominal_hours
from carecoord.gui.widgets import FieldMessage, WrappingLabel, chain_tab_order
from carecoord.services import programs, pumps
from carecoord.services.errors import ConflictError, ServiceError, ValidationFailed
from carecoord.services.programs import DraftContext, ProgramView
from carecoord.services.pumps import FIELD_LABELS, ImplantInput, ImplantView
from carecoord.services.settings import load_settings

CHANGED = QColor("#fff3c4")


def program_lines(view: ProgramView | None) -> str:
    """A program in words (HTML lines) for the side-by-side review and the summary."""
    if view is None:
        return "<i>No program is active: this will be the first.</i>"
    try:
        lines = describe_program(view.program, long=False)
    except ValidationFailed as exc:
        return f"<i>This program cannot be shown: {exc}</i>"
    return "<br>".join(lines)


def dose_text(view: ProgramView) -> str:
    try:
        low, high = view.dose_range_mcg_per_day
    except ValidationFailed:  # a stored program the current rules cannot read
        return "—"
    if low == high:
        return format_mcg_per_day(low)
    return f"{format_mcg_per_day(low)} to {format_mcg_per_day(high)}"


# --------------------------------------------------------------------------------------------
# Implant


def battery_text(implant_date: dt.date | None, device_key: str, ctx: AppContext) -> str:
    """Words for the battery replacement window of a model implanted on a date."""
    if implant_date is None or not device_key:
        return "Choose the model and the implant date to see the battery window."
    device = ctx.query(pumps.device_for, device_key)
    if device is None:
        return "Unknown model."
    months = max(3, ctx.query(load_settings).battery_warning_months)
    window = battery_replacement_window(implant_date, device, plan_ahead_months=months)
    if window is None:
        return (
            f"The catalog has no battery life for the {device.name} (unconfirmed): plan "
            "replacement with the manufacturer."
        )
    today = dt.datetime.now(programs.clinic_zone()).date()
    if today >= window.latest:
        status = "Battery beyond its design life: replace now."
    elif today >= window.plan_by:
        status = "Plan the replacement now."
    elif today >= window.earliest:
        status = "Battery within its replacement window."
    else:
        status = "Battery within its expected life."
    estimate = " (estimate: a value is unconfirmed)" if window.estimate else ""
    latest = format_date(window.latest)
    if window.latest < today:
        latest += ", passed"
    plan = "; ".join(battery_plan_words(window.plan_by, window.eri_alarm_by, today))
    return (
        f"{status} Replacement expected between {format_date(window.earliest)} and "
        f"{latest} (design limit); {plan}{estimate}."
    )


class ImplantDialog(QDialog):
    """Record a new implant or edit the current one; problems shown beside each field."""

    def __init__(
        self, ctx: AppContext, patient_id: int, implant: ImplantView | None, parent: QWidget
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.patient_id = patient_id
        self.implant = implant
        self.result_view: ImplantView | None = None
        self.setWindowTitle("Implant record" if implant else "Record the implanted pump")
        self._point = QLocale().decimalPoint() or "."
        layout = QVBoxLayout(self)
        form = QFormLayout()
        self.messages: dict[str, FieldMessage] = {}
        self.model = QComboBox()
        self.model.setObjectName("device_key")
        self.model.addItem("Choose the model", "")
        for device in ctx.query(pumps.load_catalog):
            self.model.addItem(device.label, device.key)
        self.serial = QLineEdit()
        self.serial.setObjectName("serial_number")
        self.implant_date = OptionalDateEdit()
        self.implant_date.setObjectName("implant_date")
        self.time_known = QCheckBox("Time known")
        self.time_known.setObjectName("implant_time_known")
        self.time_known.setToolTip(
            "Leave unticked for a back-dated paper record without the time: the "
            "no-increase-in-the-first-24-hours rule then counts from the end of the implant day."
        )
        self.implant_time = QTimeEdit()
        self.implant_time.setObjectName("implant_time")
        self.implant_time.setDisplayFormat("HH:mm")
        self.implant_time.setEnabled(False)
        self.implant_time.setAccessibleName("Implant time")
        self.time_known.toggled.connect(self.implant_time.setEnabled)
        time_box = QWidget()
        time_line = QHBoxLayout(time_box)
        time_line.setContentsMargins(0, 0, 0, 0)
        time_line.addWidget(self.time_known)
        time_line.addWidget(self.implant_time)
        self.implant_time.setMaximumWidth(self.implant_time.fontMetrics().averageCharWidth() * 12)
        self.time_note = QLabel("not recorded: counted from the end of the implant day")
        self.time_note.setObjectName("implantTimeNote")
        time_line.addWidget(self.time_note)
        time_line.addStretch(1)
        time_box.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        self.time_known.toggled.connect(lambda on: self.time_note.setVisible(not on))
        self.tip = QLineEdit()
        self.tip.setObjectName("catheter_tip_level")
        self.tip.setPlaceholderText("for example T10")
        self.length = QLineEdit()
        self.length.setObjectName("catheter_length_cm")
        self.length.setPlaceholderText("cm")
        self.pocket = QComboBox()
        self.pocket.setObjectName("pocket_side")
        self.pocket.addItem("Not recorded", None)
        for side in PocketSide:
            self.pocket.addItem(side.label, side.value)
        self.surgeon = QLineEdit()
        self.surgeon.setObjectName("surgeon")
        self.revisions = QPlainTextEdit()
        self.revisions.setObjectName("revisions")
        self.revisions.setTabChangesFocus(True)
        self.revisions.setFixedHeight(self.fontMetrics().lineSpacing() * 3 + 12)
        self.explant_date = OptionalDateEdit()
        self.explant_date.setObjectName("explant_date")
        self.explant_reason = QLineEdit()
        self.explant_reason.setObjectName("explant_reason")
        widgets = {
            "device_key": self.model,
            "serial_number": self.serial,
            "implant_date": self.implant_date,
            "implant_time": time_box,
            "catheter_tip_level": self.tip,
            "catheter_length_cm": self.length,
            "pocket_side": self.pocket,
            "surgeon": self.surgeon,
            "revisions": self.revisions,
            "explant_date": self.explant_date,
            "explant_reason": self.explant_reason,
        }
        for name, widget in widgets.items():
            label = QLabel("&" + FIELD_LABELS[name])
            label.setBuddy(self.time_known if widget is time_box else widget)
            message = FieldMessage()
            message.setObjectName(f"{name}_message")
            self.messages[name] = message
            box = QVBoxLayout()
            box.setSpacing(2)
            box.addWidget(widget)
            box.addWidget(message)
            form.addRow(label, box)
        layout.addLayout(form)
        self.battery = WrappingLabel()
        self.battery.setObjectName("batteryWindow")
        layout.addWidget(self.battery)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.save_button = buttons.addButton(
            "Save implant record", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.save_button.setObjectName("saveImplantButton")
        self.save_button.clicked.connect(self.save)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        if implant is not None:
            self.model.setCurrentIndex(max(0, self.model.findData(implant.device_key)))
            self.serial.setText(implant.serial_number)
            self.implant_date.set_value(implant.implant_date)
            if implant.implant_time is not None:
                self.time_known.setChecked(True)
                self.implant_time.setTime(
                    QTime(implant.implant_time.hour, implant.implant_time.minute)
                )
            self.tip.setText(implant.catheter_tip_level)
            if implant.catheter_length_cm is not None:
                self.length.setText(
                    format_number(implant.catheter_length_cm).replace(".", self._point)
                )
            if implant.pocket_side is not None:
                self.pocket.setCurrentIndex(self.pocket.findData(implant.pocket_side.value))
            self.surgeon.setText(implant.surgeon)
            self.revisions.setPlainText(implant.revisions)
            self.explant_date.set_value(implant.explant_date)
            self.explant_reason.setText(implant.explant_reason)
        for w in (self.serial, self.tip, self.length, self.surgeon, self.explant_reason):
            w.textChanged.connect(self.validate)
        for c in (self.model, self.pocket):
            c.currentIndexChanged.connect(self.validate)
        for d in (self.implant_date, self.explant_date):
            d.dateChanged.connect(self.validate)
        self.time_known.toggled.connect(self.validate)
        self.implant_time.timeChanged.connect(self.validate)
        self.revisions.textChanged.connect(self.validate)
        order: list[QWidget] = []
        for widget in widgets.values():
            order += [self.time_known, self.implant_time] if widget is time_box else [widget]
        chain_tab_order([*order, self.save_button])
        self.setMinimumWidth(self.fontMetrics().horizontalAdvance("m" * 50))
        self.validate()
        self.adjustSize()

    def gather(self) -> tuple[ImplantInput | None, list[Problem]]:
        problems: list[Problem] = []
        length = None
        if self.length.text().strip():
            try:
                length = parse_decimal(
                    self.length.text(), decimal_separator=self._point, what="catheter length"
                )
            except QuantityError as exc:
                problems.append(Problem("catheter_length_cm", str(exc)))
        implant_date = self.implant_date.value()
        if implant_date is None:
            problems.append(Problem("implant_date", "Enter the implant date."))
            return None, problems
        side = self.pocket.currentData()
        data = ImplantInput(
            device_key=self.model.currentData() or "",
            serial_number=self.serial.text(),
            implant_date=implant_date,
            implant_time=self._time_value(),
            catheter_tip_level=self.tip.text(),
            catheter_length_cm=length,
            pocket_side=PocketSide(side) if side else None,
            surgeon=self.surgeon.text(),
            revisions=self.revisions.toPlainText(),
            explant_date=self.explant_date.value(),
            explant_reason=self.explant_reason.text(),
        )
        return data, problems

    def _time_value(self) -> dt.time | None:
        if not self.time_known.isChecked():
            return None
        t = self.implant_time.time()
        return dt.time(t.hour(), t.minute())

    def validate(self) -> list[Problem]:
        data, problems = self.gather()
        if data is not None:
            found = {p.field for p in problems}
            problems += [
                p for p in self.ctx.query(pumps.check_implant, data) if p.field not in found
            ]
        self._show(problems)
        self.save_button.setEnabled(not any(p.severity is Severity.ERROR for p in problems))
        self.battery.setText(
            "Battery: "
            + battery_text(self.implant_date.value(), self.model.currentData() or "", self.ctx)
        )
        return problems

    def _show(self, problems: list[Problem]) -> None:
        for name, message in self.messages.items():
            message.show_problems([p for p in problems if p.field == name])

    def save(self) -> None:
        data, problems = self.gather()
        if data is None or problems:
            self._show(problems)
            return
        try:
            if self.implant is None:
                view = self.ctx.call(pumps.record_implant, self.patient_id, data)
            else:
                view = self.ctx.call(
                    pumps.update_implant, self.implant.id, self.implant.version, data
                )
        except ValidationFailed as exc:
            self._show(exc.problems)
            return
        except ConflictError as exc:
            self._show([Problem("device_key", exc.message)])
            return
        except ServiceError as exc:
            self._show([Problem("device_key", str(exc))])
            return
        self.result_view = view
        self.ctx.bus.changed.emit("implant")
        self.accept()


# --------------------------------------------------------------------------------------------
# Review before approval


class ReviewDialog(QDialog):
    """New program beside the active one; every difference must be ticked before approval."""

    def __init__(
        self, ctx: AppContext, context: DraftContext, draft: ProgramView, parent: QWidget
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.context = context
        self.draft = draft
        self.result_view: ProgramView | None = None
        self.setObjectName("reviewDialog")
        self.setWindowTitle(f"Review {draft.title} for {context.patient_name}")
        layout = QVBoxLayout(self)
        intro = QLabel(
            f"<b>{draft.title} for {context.patient_name}</b>. Compare it with the program the "
            "pump runs now. Tick each difference once you have checked it (Space ticks the "
            "selected row); approval is possible when every difference is ticked."
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        side = QHBoxLayout()
        active = context.active
        old_title = (
            f"Active now: {active.title} (programmed {format_datetime(active.programmed_at)})"
            if active
            else "Active now: none"
        )
        for title, view, name in (
            (old_title, active, "activeSide"),
            (f"New: {draft.title} (drafted by {draft.created_by})", draft, "newSide"),
        ):
            box = QGroupBox(title)
            box.setObjectName(name)
            inner = QVBoxLayout(box)
            text = QLabel(program_lines(view))
            text.setObjectName(f"{name}Text")
            text.setWordWrap(True)
            text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            inner.addWidget(text)
            inner.addStretch(1)
            side.addWidget(box, 1)
        layout.addLayout(side)

        self.differences = diff_programs(active.program if active else None, draft.program)
        self.table = QTableWidget(len(self.differences), 5)
        self.table.setObjectName("differencesTable")
        self.table.setHorizontalHeaderLabels(
            ["Checked", "Change", "What", "Active now", f"New ({draft.title})"]
        )
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        bold = QFont(self.table.font())
        bold.setBold(True)
        for row, diff in enumerate(self.differences):
            if diff.old_text == "—":
                word = "Added"
            elif diff.new_text == "—":
                word = "Removed"
            else:
                word = "Changed"
            check = QTableWidgetItem("Not yet")
            check.setFlags(
                Qt.ItemFlag.ItemIsEnabled
                | Qt.ItemFlag.ItemIsSelectable
                | Qt.ItemFlag.ItemIsUserCheckable
            )
            check.setCheckState(Qt.CheckState.Unchecked)
            self.table.setItem(row, 0, check)
            for col, text in enumerate((word, diff.label, diff.old_text, diff.new_text), start=1):
                item = QTableWidgetItem(text)
                item.setToolTip(text)
                item.setBackground(QBrush(CHANGED))
                if col in (1, 4):
                    item.setFont(bold)
                self.table.setItem(row, col, item)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(4, QHeaderView.ResizeMode.Stretch)
        self.table.setWordWrap(True)
        self.table.resizeRowsToContents()
        self.table.itemChanged.connect(self._ticked)
        self.table.setMinimumHeight(self.fontMetrics().height() * 8)
        if not self.differences:
            layout.addWidget(QLabel("The new program is the same as the active one."))
        layout.addWidget(self.table, 1)
        self.chart = HourlyDoseChart()
        self.chart.set_hours(
            nominal_hours(draft.program, None),
            nominal_hours(active.program, None) if active else None,
            note="(every day)",
        )
        self.chart.setMinimumHeight(self.fontMetrics().height() * 8)
        layout.addWidget(self.chart)

        self.change = QLabel(self._change_words())
        self.change.setObjectName("reviewChange")
        self.change.setWordWrap(True)
        layout.addWidget(self.change)
        self.problems = context.problems(draft.program, draft.phase)
        self.problem_message = FieldMessage()
        self.problem_message.setObjectName("reviewProblems")
        self.problem_message.show_problems(
            [p for p in self.problems if p.severity is not Severity.ERROR]
        )
        layout.addWidget(self.problem_message)
        self.needs_reason = any(p.severity is Severity.NEEDS_REASON for p in self.problems)
        reason_row = QFormLayout()
        self.reason = QPlainTextEdit(draft.reason)
        self.reason.setObjectName("reviewReason")
        self.reason.setTabChangesFocus(True)
        self.reason.setFixedHeight(self.fontMetrics().lineSpacing() * 3 + 12)
        self.reason.setPlaceholderText("Why this change is right for the patient")
        self.reason.textChanged.connect(self._update)
        reason_label = QLabel("&Reason (needed)" if self.needs_reason else "&Reason")
        reason_label.setBuddy(self.reason)
        reason_row.addRow(reason_label, self.reason)
        layout.addLayout(reason_row)
        self.status = QLabel()
        self.status.setObjectName("reviewStatus")
        self.status.setWordWrap(True)
        layout.addWidget(self.status)
        buttons = QDialogButtonBox()
        self.approve_button = buttons.addButton(
            f"Approve {draft.title}", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.approve_button.setObjectName("approveButton")
        self.approve_button.setMinimumWidth(
            int(self.fontMetrics().horizontalAdvance(self.approve_button.text()) * 1.2) + 48
        )
        cancel = buttons.addButton("Back to the draft", QDialogButtonBox.ButtonRole.RejectRole)
        self.approve_button.clicked.connect(self.approve)
        cancel.clicked.connect(self.reject)
        layout.addWidget(buttons)
        chain_tab_order([self.table, self.reason, self.approve_button, cancel])
        self.setMinimumWidth(self.fontMetrics().horizontalAdvance("m" * 80))
        self.resize(
            self.fontMetrics().horizontalAdvance("m" * 90), self.fontMetrics().height() * 48
        )
        self._update()
        self.table.setFocus()
        if self.differences:
            self.table.setCurrentCell(0, 0)

    def _change_words(self) -> str:
        """The size of the change beside the titration limit that applies."""
        active = self.context.active
        if active is None:
            return "First program on this pump: no change to compare."
        change = largest_change_percent(active.program, self.draft.program)
        if change is None:
            return "The active program delivers nothing on some day: no percentage to compare."
        patient = self.context.patient_context(self.draft.phase)
        limit = ""
        if patient is not None:
            limit = (
                f" (limit {format_number(titration_limit_percent(patient))} % for "
                f"{patient.origin.label.lower()}, {patient.phase.label})"
            )
        sign = "+" if change > 0 else ""
        return f"Change in dose per day: {sign}{format_number(change, 1)} %{limit}."

    def tick_all(self) -> None:
        """Tick every difference (as a reviewer does row by row)."""
        for row in range(self.table.rowCount()):
            self.table.item(row, 0).setCheckState(Qt.CheckState.Checked)

    def _ticked(self, item: QTableWidgetItem) -> None:
        if item.column() == 0:
            self.table.blockSignals(True)
            item.setText("Checked" if item.checkState() == Qt.CheckState.Checked else "Not yet")
            self.table.blockSignals(False)
            self._update()

    def unticked(self) -> int:
        return sum(
            1
            for row in range(self.table.rowCount())
            if self.table.item(row, 0).checkState() != Qt.CheckState.Checked
        )

    def _update(self) -> None:
        left = self.unticked()
        blocking = blocking_problems(self.problems, self.reason.toPlainText())
        if left:
            text = f"{left} of {len(self.differences)} differences still to check."
        elif blocking:
            text = "Not yet: " + " ".join(p.message for p in blocking)
        else:
            text = f"Every difference checked. Approving makes {self.draft.title} ready to program."
        self.status.setText(text)
        self.approve_button.setEnabled(not left and not blocking)

    def approve(self) -> None:
        try:
            view = self.ctx.call(
                programs.approve,
                self.draft.id,
                self.draft.version,
                reason=self.reason.toPlainText(),
            )
        except ValidationFailed as exc:
            self.status.setText("Not approved: " + " ".join(p.message for p in exc.problems))
            return
        except ConflictError as exc:
            self.status.setText("Not approved: " + exc.message)
            return
        except ServiceError as exc:
            self.status.setText("Not approved: " + str(exc))
            return
        self.result_view = view
        self.ctx.bus.changed.emit("pump_program")
        self.accept()


# --------------------------------------------------------------------------------------------
# Programmed on the device


class MarkProgrammedDialog(QDialog):
    """The nurse confirms the program is on the pump and types the programmer's alarm date."""

    def __init__(
        self, ctx: AppContext, context: DraftContext, approved: ProgramView, parent: QWidget
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.context = context
        self.approved = approved
        self.result_view: ProgramView | None = None
        self._point = QLocale().decimalPoint() or "."
        self.setObjectName("markProgrammedDialog")
        self.setWindowTitle(f"{approved.title} programmed on the pump")
        layout = QVBoxLayout(self)
        intro = QLabel(
            f"<b>{approved.title}</b> for {context.patient_name}, approved by "
            f"{approved.approved_by} on {format_datetime(approved.approved_at)}:<br>"
            + program_lines(approved)
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        form = QFormLayout()
        self.when = QDateTimeEdit(QDateTime.currentDateTime())
        self.when.setObjectName("programmed_at")
        self.when.setDisplayFormat("d MMM yyyy HH:mm")
        self.when.setCalendarPopup(True)
        self.volume = QLineEdit()
        self.volume.setObjectName("reservoir_ml")
        device = context.implant.device if context.implant else None
        self.volume.setPlaceholderText(
            f"mL in the pump now (holds {format_ml(device.reservoir_ml)})" if device else "mL"
        )
        self.vendor = OptionalDateEdit()
        self.vendor.setObjectName("vendor_alarm_date")
        self.messages = {k: FieldMessage() for k in ("programmed_at", "reservoir_ml", "vendor")}
        for label_text, widget, key in (
            ("Programmed &at", self.when, "programmed_at"),
            ("&Reservoir volume (mL)", self.volume, "reservoir_ml"),
            ("Alarm date on the &programmer", self.vendor, "vendor"),
        ):
            label = QLabel(label_text)
            label.setBuddy(widget)
            box = QVBoxLayout()
            box.setSpacing(2)
            box.addWidget(widget)
            box.addWidget(self.messages[key])
            form.addRow(label, box)
        layout.addLayout(form)
        self.ours = QLabel()
        self.ours.setObjectName("ourAlarmDate")
        self.ours.setWordWrap(True)
        layout.addWidget(self.ours)
        self.mismatch = QLabel()
        self.mismatch.setObjectName("alarmMismatch")
        self.mismatch.setWordWrap(True)
        layout.addWidget(self.mismatch)
        buttons = QDialogButtonBox()
        self.confirm_button = buttons.addButton(
            "Confirm: programmed on the pump", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.confirm_button.setObjectName("confirmProgrammedButton")
        cancel = buttons.addButton("Cancel", QDialogButtonBox.ButtonRole.RejectRole)
        self.confirm_button.clicked.connect(self.confirm)
        cancel.clicked.connect(self.reject)
        layout.addWidget(buttons)
        self.volume.textChanged.connect(self._update)
        self.vendor.dateChanged.connect(self._update)
        self.when.dateTimeChanged.connect(self._update)
        chain_tab_order([self.when, self.volume, self.vendor, self.confirm_button, cancel])
        self.confirm_button.setMinimumWidth(
            int(self.fontMetrics().horizontalAdvance(self.confirm_button.text()) * 1.2) + 48
        )
        self.setMinimumWidth(self.fontMetrics().horizontalAdvance("m" * 60))
        self._update()
        self.adjustSize()
        self.volume.setFocus()

    def programmed_at(self) -> dt.datetime:
        value = self.when.dateTime().toPython()
        return value.replace(tzinfo=programs.clinic_zone()).astimezone(dt.UTC)

    def reservoir(self) -> Decimal | None:
        try:
            return parse_decimal(
                self.volume.text(), decimal_separator=self._point, what="reservoir volume"
            )
        except QuantityError as exc:
            if self.volume.text().strip():
                self.messages["reservoir_ml"].show_problems([Problem("reservoir_ml", str(exc))])
            return None

    def our_date(self) -> dt.date | None:
        volume = self.reservoir()
        if volume is None:
            return None
        day = self.programmed_at().astimezone(programs.clinic_zone()).date()
        return self.context.alarm_date(self.approved.program, day, volume)

    def _update(self) -> None:
        for message in self.messages.values():
            message.show_problems([])
        volume = self.reservoir()
        ours = self.our_date()
        vendor = self.vendor.value()
        if volume is None:
            self.ours.setText("CareCoord's alarm date: type the reservoir volume to see it.")
        else:
            self.ours.setText(
                f"CareCoord's alarm date: {format_date(ours, missing='none (no delivery)')}"
            )
        text = ""
        if ours is not None and vendor is not None and ours != vendor:
            days = (vendor - ours).days
            text = (
                f"Mismatch: the programmer says {format_date(vendor)}, CareCoord "
                f"{format_date(ours)} ({abs(days)} day{'s' if abs(days) != 1 else ''} "
                f"{'later' if days > 0 else 'earlier'}). Check the reservoir volume and the "
                "program entered on the programmer before you confirm."
            )
        elif ours is not None and vendor == ours:
            text = "The programmer's alarm date matches CareCoord's."
        self.mismatch.setText(text)
        self.mismatch.setProperty("mismatch", "yes" if text.startswith("Mismatch") else "no")
        self.mismatch.style().unpolish(self.mismatch)
        self.mismatch.style().polish(self.mismatch)
        self.confirm_button.setEnabled(volume is not None)

    def confirm(self) -> None:
        volume = self.reservoir()
        if volume is None:
            self.messages["reservoir_ml"].show_problems(
                [Problem("reservoir_ml", "Enter the volume in the pump now, in mL.")]
            )
            return
        try:
            view = self.ctx.call(
                programs.mark_programmed,
                self.approved.id,
                self.approved.version,
                programmed_at=self.programmed_at(),
                reservoir_ml=volume,
                vendor_alarm_date=self.vendor.value(),
            )
        except ValidationFailed as exc:
            for p in exc.problems:
                key = "vendor" if p.field == "vendor_alarm_date" else p.field
                target = self.messages.get(key, self.messages["programmed_at"])
                target.show_problems([p])
            return
        except (ConflictError, ServiceError) as exc:
            text = exc.message if isinstance(exc, ConflictError) else str(exc)
            self.messages["programmed_at"].show_problems([Problem("programmed_at", text)])
            return
        self.result_view = view
        self.ctx.bus.changed.emit("pump_program")
        self.accept()


def ask_withdraw_reason(parent: QWidget, view: ProgramView) -> str | None:
    """A short dialog for the reason of a withdrawal; None when cancelled."""
    dialog = QDialog(parent)
    dialog.setWindowTitle(f"Withdraw {view.title}")
    layout = QVBoxLayout(dialog)
    text = QLabel(
        f"{view.title} ({view.status.label.lower()}) will not be programmed. It stays in the "
        "history as withdrawn. Why is it withdrawn?"
    )
    text.setWordWrap(True)
    layout.addWidget(text)
    reason = QLineEdit()
    reason.setObjectName("withdrawReason")
    layout.addWidget(reason)
    buttons = QDialogButtonBox()
    ok = buttons.addButton(f"Withdraw {view.title}", QDialogButtonBox.ButtonRole.AcceptRole)
    ok.setObjectName("withdrawConfirm")
    buttons.addButton("Keep it", QDialogButtonBox.ButtonRole.RejectRole)
    buttons.accepted.connect(dialog.accept)
    buttons.rejected.connect(dialog.reject)
    ok.setEnabled(False)
    reason.textChanged.connect(lambda t: ok.setEnabled(bool(t.strip())))
    layout.addWidget(buttons)
    if dialog.exec() != QDialog.DialogCode.Accepted:
        return None
    return reason.text()
