"""The patient's Refills tab: forecast, the refill visit form with live checks, and history.

The form fetches the patient's refill rules once (``services.refills.refill_context``) and
checks every keystroke with them: expected against measured residual with the discrepancy in
words, volumes against the reservoir, lot expiry, concentration against the program, the
vendor programmer's alarm date against CareCoord's. Save stays disabled while anything refuses.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from PySide6.QtCore import QDateTime, QLocale, Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDateTimeEdit,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from carecoord.domain.errors import Problem, Severity
from carecoord.domain.permissions import Permission
from carecoord.domain.refill_status import (
    DRUG_NAME,
    battery_plan_words,
    battery_words,
    current_dates_lines,
)
from carecoord.domain.units import (
    QuantityError,
    format_date,
    format_datetime,
    format_ml,
    format_number,
    parse_decimal,
)
from carecoord.gui.context import AppContext, gate
from carecoord.gui.patient.dates import OptionalDateEdit
from carecoord.gui.registry import PatientTabSpec, register_patient_tab
from carecoord.gui.widgets import FieldMessage, WrappingLabel, chain_tab_order, show_error
from carecoord.services import refills
from carecoord.services.errors import ConflictError, ServiceError, ValidationFailed
from carecoord.services.refills import PatientForecast, RefillContext, RefillInput

DATETIME_FORMAT = "d MMM yyyy HH:mm"
VISIT_ROLE = Qt.ItemDataRole.UserRole + 1
NUMBER_FIELDS = {
    "measured_residual_ml": "measured residual",
    "volume_discarded_ml": "volume discarded",
    "volume_added_ml": "volume added",
    "concentration_mcg_per_ml": "concentration",
}
LABELS = {
    "refill_at": "Refill date and time",
    "measured_residual_ml": "Measured residual (mL)",
    "volume_discarded_ml": "Volume discarded (mL)",
    "drug": "Drug",
    "concentration_mcg_per_ml": "Concentration (mcg/mL)",
    "lot": "Lot number",
    "lot_expiry": "Lot expiry",
    "volume_added_ml": "Volume added (mL)",
    "program": "Program",
    "programmer_alarm_date": "Programmer's alarm date",
    "next_visit_at": "Next visit",
    "note": "Note",
}


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _to_qdatetime(value: dt.datetime) -> QDateTime:
    local = value.astimezone()
    return QDateTime(local.year, local.month, local.day, local.hour, local.minute, 0)


def _from_qdatetime(value: QDateTime) -> dt.datetime:
    d, t = value.date(), value.time()
    return dt.datetime(d.year(), d.month(), d.day(), t.hour(), t.minute()).astimezone()


class RefillsTab(QWidget):
    """Forecast, refill form and visit history of one patient."""

    def __init__(self, ctx: AppContext, patient_id: int | None) -> None:
        super().__init__()
        assert patient_id is not None
        self.ctx = ctx
        self.patient_id = patient_id
        self.context: RefillContext | None = None
        self.forecast: PatientForecast | None = None
        self.check: refills.RefillCheck | None = None
        self._loading = False
        self._baseline: dict[str, Any] = {}
        self._decimal_point = QLocale().decimalPoint() or "."
        self.setObjectName("refillsTab")
        self.fields: dict[str, QWidget] = {}
        self.messages: dict[str, FieldMessage] = {}
        self._build()
        ctx.bus.changed.connect(self._on_bus)
        self.load()

    # ---- building ------------------------------------------------------------------------

    def _row(self, form: QFormLayout, name: str, widget: QWidget, extra: QWidget | None = None):
        widget.setObjectName(name)
        widget.setAccessibleName(LABELS[name])
        message = FieldMessage()
        message.setObjectName(f"{name}_message")
        box = QWidget()
        column = QVBoxLayout(box)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(2)
        if extra is None:
            column.addWidget(widget)
        else:
            line = QHBoxLayout()
            line.addWidget(widget, 0 if isinstance(extra, QLabel) else 1)
            line.addWidget(extra, 1 if isinstance(extra, QLabel) else 0)
            column.addLayout(line)
        column.addWidget(message)
        title = QLabel(f"&{LABELS[name]}")
        title.setBuddy(widget)
        form.addRow(title, box)
        self.fields[name] = widget
        self.messages[name] = message

    def _number(self, placeholder: str) -> QLineEdit:
        w = QLineEdit()
        w.setPlaceholderText(placeholder)
        w.setMaximumWidth(w.fontMetrics().averageCharWidth() * 16)
        w.textChanged.connect(self._changed)
        return w

    def _build(self) -> None:
        outer = QVBoxLayout(self)
        body = QWidget()
        grid = QGridLayout(body)

        # Forecast: what a nurse needs before anything else.
        self.forecast_box = QGroupBox("Refill forecast")
        f = QVBoxLayout(self.forecast_box)
        self.status_label = WrappingLabel()
        self.status_label.setObjectName("refillStatus")
        f.addWidget(self.status_label)
        self.forecast_label = WrappingLabel()
        self.forecast_label.setObjectName("forecastText")
        self.forecast_label.setTextFormat(Qt.TextFormat.PlainText)
        f.addWidget(self.forecast_label)
        alarm_line = QHBoxLayout()
        self.alarm_volume_label = WrappingLabel()
        self.alarm_volume_label.setObjectName("alarmVolume")
        alarm_line.addWidget(self.alarm_volume_label, 1)
        self.alarm_volume_button = QPushButton("Patient's alarm volume…")
        self.alarm_volume_button.setObjectName("alarmVolumeButton")
        self.alarm_volume_button.clicked.connect(self.change_alarm_volume)
        gate(self.alarm_volume_button, self.ctx, Permission.EDIT_DEVICE)
        alarm_line.addWidget(self.alarm_volume_button)
        f.addLayout(alarm_line)

        # The form.
        self.form_box = QGroupBox("Record a refill")
        form = QFormLayout(self.form_box)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        # What is unfinished for this patient, read before anything is typed.
        self.pending_label = WrappingLabel()
        self.pending_label.setObjectName("pendingBeforeRefill")
        self.pending_label.setTextFormat(Qt.TextFormat.RichText)
        self.pending_label.setVisible(False)
        form.addRow(self.pending_label)
        self.refill_at = QDateTimeEdit()
        self.refill_at.setDisplayFormat(DATETIME_FORMAT)
        self.refill_at.setCalendarPopup(True)
        self.refill_at.setMaximumWidth(self.refill_at.fontMetrics().averageCharWidth() * 26)
        self.refill_at.dateTimeChanged.connect(self._changed)
        self._row(form, "refill_at", self.refill_at)
        self.expected_label = QLabel()
        self.expected_label.setObjectName("expectedResidual")
        self.expected_label.setWordWrap(True)
        form.addRow(QLabel("Expected residual"), self.expected_label)
        point = self._decimal_point
        self._row(form, "measured_residual_ml", self._number(f"e.g. 3{point}5"))
        self.discrepancy_label = QLabel()
        self.discrepancy_label.setObjectName("discrepancy")
        self.discrepancy_label.setWordWrap(True)
        form.addRow(QLabel("Residual check"), self.discrepancy_label)
        self._row(form, "volume_discarded_ml", self._number("all of it, usually"))
        self.drug = QLineEdit(DRUG_NAME)
        self.drug.setMaximumWidth(self.drug.fontMetrics().averageCharWidth() * 26)
        self.drug.textChanged.connect(self._changed)
        self._row(form, "drug", self.drug)
        self._row(form, "concentration_mcg_per_ml", self._number("e.g. 500"))
        self.lot = QLineEdit()
        self.lot.setMaximumWidth(self.lot.fontMetrics().averageCharWidth() * 26)
        self.lot.textChanged.connect(self._changed)
        self._row(form, "lot", self.lot)
        self.lot_expiry = OptionalDateEdit()
        self.lot_expiry.setMaximumWidth(self.lot_expiry.fontMetrics().averageCharWidth() * 22)
        self.lot_expiry.dateChanged.connect(self._changed)
        self._row(form, "lot_expiry", self.lot_expiry)
        self._row(form, "volume_added_ml", self._number("e.g. 20"))
        self.new_volume_label = QLabel()
        self.new_volume_label.setObjectName("newVolume")
        form.addRow(QLabel("New reservoir volume"), self.new_volume_label)
        self.program = QComboBox()
        self.program.currentIndexChanged.connect(self._changed)
        self.change_program_button = QPushButton("Change program…")
        self.change_program_button.setObjectName("changeProgramButton")
        self.change_program_button.setToolTip(
            "Opens the Pump program tab; come back here and choose the new program"
        )
        self.change_program_button.clicked.connect(self.open_pump_tab)
        self._row(form, "program", self.program, self.change_program_button)
        self.vendor_alarm = OptionalDateEdit()
        self.vendor_alarm.dateChanged.connect(self._changed)
        self.our_alarm_label = QLabel()
        self.our_alarm_label.setObjectName("ourAlarm")
        self._row(form, "programmer_alarm_date", self.vendor_alarm, self.our_alarm_label)
        self.book_next = QCheckBox("Book")
        self.book_next.setObjectName("bookNext")
        self.book_next.toggled.connect(self._book_toggled)
        self.next_visit = QDateTimeEdit()
        self.next_visit.setDisplayFormat(DATETIME_FORMAT)
        self.next_visit.setCalendarPopup(True)
        self.next_visit.setEnabled(False)
        self.next_visit.setMaximumWidth(self.next_visit.fontMetrics().averageCharWidth() * 26)
        self.next_visit.dateTimeChanged.connect(self._changed)
        next_box = QWidget()
        next_line = QHBoxLayout(next_box)
        next_line.setContentsMargins(0, 0, 0, 0)
        next_line.addWidget(self.book_next)
        next_line.addWidget(self.next_visit)
        next_line.addStretch(1)
        self._row(form, "next_visit_at", next_box)
        self.fields["next_visit_at"] = self.next_visit
        self.note = QPlainTextEdit()
        self.note.setTabChangesFocus(True)
        self.note.setFixedHeight(self.note.fontMetrics().lineSpacing() * 3 + 12)
        self.note.textChanged.connect(self._changed)
        self._row(form, "note", self.note)
        self.bar = bar = QHBoxLayout()
        self.summary = QLabel()
        self.summary.setObjectName("refillSummary")
        self.summary.setWordWrap(True)
        bar.addWidget(self.summary, 1)
        self.clear_button = QPushButton("Clear form")
        self.clear_button.clicked.connect(self.reset_form)
        self.save_button = QPushButton("Record refill")
        self.save_button.setObjectName("saveRefillButton")
        self.save_button.setToolTip("Record refill (Ctrl+S)")
        self.save_button.clicked.connect(self.save)
        self.save_shortcut = QShortcut(QKeySequence.StandardKey.Save, self)
        self.save_shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.save_shortcut.activated.connect(lambda: self.save_button.isEnabled() and self.save())
        bar.addWidget(self.clear_button)
        bar.addWidget(self.save_button)
        self._may_record = self.ctx.can(Permission.RECORD_REFILL)

        # History.
        self.history_box = QGroupBox("Refill history")
        h = QVBoxLayout(self.history_box)
        self.history = QTreeWidget()
        self.history.setObjectName("refillHistory")
        self.history.setRootIsDecorated(False)
        self.history.setAlternatingRowColors(True)
        self.history.setHeaderLabels(
            ["Refill", "Filled", "Residual", "Program", "Alarm / due", "Programmer", "By"]
        )
        self.history.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.history.currentItemChanged.connect(lambda *_: self._update_review_button())
        h.addWidget(self.history)
        self.review_button = QPushButton("Close discrepancy review…")
        self.review_button.setObjectName("reviewButton")
        self.review_button.clicked.connect(self.review)
        h.addWidget(self.review_button, 0, Qt.AlignmentFlag.AlignRight)

        # Forecast across the top; the form beside the history would cramp both, so the
        # history runs under the form at full width.
        grid.addWidget(self.forecast_box, 0, 0)
        grid.addWidget(self.form_box, 1, 0)
        grid.addWidget(self.history_box, 2, 0)
        grid.setRowStretch(3, 1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setWidget(body)
        outer.addWidget(scroll, 1)
        # Record and what still blocks it stay in sight however far the form is scrolled.
        outer.addLayout(bar)
        chain_tab_order(
            [
                self.refill_at,
                self.fields["measured_residual_ml"],
                self.fields["volume_discarded_ml"],
                self.drug,
                self.fields["concentration_mcg_per_ml"],
                self.lot,
                self.lot_expiry,
                self.fields["volume_added_ml"],
                self.program,
                self.change_program_button,
                self.vendor_alarm,
                self.book_next,
                self.next_visit,
                self.note,
                self.save_button,
                self.clear_button,
                self.history,
            ]
        )

    # ---- loading -------------------------------------------------------------------------

    def load(self) -> None:
        try:
            self.context = self.ctx.call(refills.refill_context, self.patient_id)
            self.forecast = self.ctx.call(refills.patient_forecast, self.patient_id)
            visits = self.ctx.call(refills.visit_history, self.patient_id)
        except ServiceError as exc:
            self.status_label.setText(str(exc))
            return
        self._show_forecast()
        self._show_pending()
        self._show_history(visits)
        self._load_programs()
        if not self.has_unsaved_changes():
            self.reset_form()
        else:
            self.validate()

    def _show_pending(self) -> None:
        context = self.context
        assert context is not None
        items = context.pending
        self.pending_label.setVisible(bool(items))
        if items:
            lines = "".join(f"<li>{_escape(item)}</li>" for item in items)
            self.pending_label.setText(
                f"<b>Not finished for this patient ({len(items)}):</b><ul>{lines}</ul>"
            )
        else:
            self.pending_label.setText("")

    def _show_forecast(self) -> None:
        fc, context = self.forecast, self.context
        assert fc is not None and context is not None
        if context.implant_id is None:
            self.status_label.setText("No implanted pump is recorded for this patient.")
            self.forecast_label.setText("")
        elif fc.due_date is None:
            self.status_label.setText("No refill can be planned yet.")
            self.forecast_label.setText(
                "Confirm the program running on the pump (Pump program tab) to compute the "
                "alarm and refill dates."
            )
        else:
            self.status_label.setText(fc.status_words)
            lines = current_dates_lines(
                due_date=fc.due_date,
                due_reason=fc.due_reason,
                alarm_date=fc.alarm_date,
                alarm_volume_ml=fc.alarm_volume_ml,
                fill_date=fc.fill_date,
                volume_after_fill_ml=fc.volume_after_fill_ml,
                today=fc.today,
            )
            lines.append(
                "Next visit: " + format_datetime(fc.next_appointment_at, missing="not booked") + "."
            )
            self.forecast_label.setText("\n".join(lines))
        battery = "Battery: unknown for this pump model."
        if fc.battery_replace_by is not None:
            words = battery_words(fc.battery_replace_by, fc.today, estimate=fc.battery_estimate)
            parts = [words[0].lower() + words[1:]]
            parts += battery_plan_words(fc.battery_plan_by, fc.battery_eri_by, fc.today)
            battery = "Battery: " + "; ".join(parts) + "."
        if context.implant_id is not None:
            self.forecast_label.setText(self.forecast_label.text() + "\n" + battery)
        risk = fc.past_alarm
        self.status_label.setProperty("risk", risk)
        self.status_label.setObjectName("refillStatusRisk" if risk else "refillStatus")
        self.status_label.style().unpolish(self.status_label)
        self.status_label.style().polish(self.status_label)
        alarm = context.alarm_volume
        if alarm is None:
            self.alarm_volume_label.setText(f"Alarm volume {format_ml(context.alarm_volume_ml)}")
        else:
            self.alarm_volume_label.setText(
                alarm.words + (f"\nWarning: {alarm.warning}" if alarm.warning else "")
            )

    def _show_history(self, visits: list[refills.RefillVisitView]) -> None:
        self.history.clear()
        for v in visits:
            program = f"Program {v.program_number}" if v.program_number else "—"
            if v.program_changed:
                program += " (changed at this visit)"
            programmer = format_date(v.vendor_alarm_date, missing="not recorded")
            if v.alarm_mismatch:
                programmer += ": MISMATCH"
            item = QTreeWidgetItem(
                [
                    format_datetime(v.refill_at),
                    v.fill_words,
                    v.residual_words,
                    program,
                    f"{format_date(v.our_alarm_date)} / {format_date(v.due_date)}",
                    programmer,
                    v.recorded_by,
                ]
            )
            item.setData(0, VISIT_ROLE, v)
            if v.review_note:
                item.setToolTip(2, f"Review by {v.reviewed_by}: {v.review_note}")
            self.history.addTopLevelItem(item)
        for c in range(7):
            self.history.resizeColumnToContents(c)
        self._update_review_button()

    def _load_programs(self) -> None:
        context = self.context
        assert context is not None
        current = self.program.currentData()
        self._loading = True
        self.program.clear()
        active = context.active
        if active is not None:
            self.program.addItem(f"{active.label}: confirmed, unchanged", None)
        for choice in context.changes_since_base():
            if context.base is not None and context.base.visit_id is None:
                break  # first refill: the first program is the one filled against
            self.program.addItem(f"Changed at this visit: {choice.label}", choice.id)
        index = self.program.findData(current)
        self.program.setCurrentIndex(max(index, 0))
        self._loading = False

    # ---- form values ---------------------------------------------------------------------

    def reset_form(self) -> None:
        self._loading = True
        self.refill_at.setDateTime(_to_qdatetime(dt.datetime.now().astimezone()))
        for name in ("measured_residual_ml", "volume_discarded_ml", "volume_added_ml"):
            self.fields[name].setText("")  # type: ignore[attr-defined]
        active = self.context.active if self.context else None
        self.fields["concentration_mcg_per_ml"].setText(  # type: ignore[attr-defined]
            format_number(active.program.concentration_mcg_per_ml) if active else ""
        )
        self.drug.setText(DRUG_NAME)
        self.lot.setText("")
        self.lot_expiry.set_value(None)
        self.vendor_alarm.set_value(None)
        self.book_next.setChecked(False)
        due = self.forecast.due_date if self.forecast else None
        start = due if due and due > dt.date.today() else dt.date.today() + dt.timedelta(days=1)
        self.next_visit.setDateTime(QDateTime(start.year, start.month, start.day, 10, 0, 0))
        self.note.setPlainText("")
        if self.program.count():
            self.program.setCurrentIndex(0)
        self._loading = False
        self._baseline = self.snapshot()
        self.validate()

    def snapshot(self) -> dict[str, Any]:
        return {
            "numbers": tuple(
                self.fields[n].text()  # type: ignore[attr-defined]
                for n in NUMBER_FIELDS
            ),
            "drug": self.drug.text(),
            "lot": self.lot.text(),
            "lot_expiry": self.lot_expiry.value(),
            "vendor": self.vendor_alarm.value(),
            "program": self.program.currentData(),
            "book": self.book_next.isChecked(),
            "note": self.note.toPlainText(),
        }

    def has_unsaved_changes(self) -> bool:
        return bool(self._baseline) and self.snapshot() != self._baseline

    def unsaved_summary(self) -> str:
        return "a refill not yet recorded"

    def _gather(self) -> tuple[RefillInput, set[str], list[Problem]]:
        """The typed refill; a field still empty or unreadable is filled with a neutral value
        for the live checks and listed in ``missing`` (with its problem)."""
        problems: list[Problem] = []
        missing: set[str] = set()
        numbers: dict[str, Decimal] = {}
        for name, words in NUMBER_FIELDS.items():
            text = self.fields[name].text().strip()  # type: ignore[attr-defined]
            try:
                if not text:
                    raise QuantityError(f"Enter the {words}.")
                numbers[name] = parse_decimal(
                    text, decimal_separator=self._decimal_point, what=words
                )
            except QuantityError as exc:
                problems.append(Problem(name, str(exc)))
                missing.add(name)
                numbers[name] = Decimal(1) if name == "concentration_mcg_per_ml" else Decimal(0)
        expiry = self.lot_expiry.value()
        if expiry is None:
            problems.append(Problem("lot_expiry", "Enter the lot's expiry date."))
            missing.add("lot_expiry")
        data = RefillInput(
            refill_at=_from_qdatetime(self.refill_at.dateTime()),
            measured_residual_ml=numbers["measured_residual_ml"],
            volume_discarded_ml=numbers["volume_discarded_ml"],
            volume_added_ml=numbers["volume_added_ml"],
            concentration_mcg_per_ml=numbers["concentration_mcg_per_ml"],
            lot=self.lot.text().strip(),
            lot_expiry=expiry or dt.date.max,
            drug=self.drug.text(),
            program_change_id=self.program.currentData(),
            vendor_alarm_date=self.vendor_alarm.value(),
            next_visit_at=_from_qdatetime(self.next_visit.dateTime())
            if self.book_next.isChecked()
            else None,
            note=self.note.toPlainText(),
        )
        return data, missing, problems

    def _relevant(self, problem: Problem, missing: set[str]) -> bool:
        """Hide a check that only fails because a value it depends on is not typed yet."""
        if problem.field in missing:
            return False
        volumes = {"measured_residual_ml", "volume_discarded_ml", "volume_added_ml"}
        if problem.field in volumes and missing & volumes:
            return False
        if "concentration_mcg_per_ml" in missing and problem.field == "volume_discarded_ml":
            return False
        return not (missing and problem.field == "programmer_alarm_date")

    def _book_toggled(self, on: bool) -> None:
        self.next_visit.setEnabled(on)
        if on and self.check and self.check.forecast:
            due = self.check.forecast.due_date
            self.next_visit.setDateTime(QDateTime(due.year, due.month, due.day, 10, 0, 0))
        self._changed()

    def _changed(self, *_args: object) -> None:
        if not self._loading:
            self.validate()

    def validate(self) -> list[Problem]:
        context = self.context
        data, missing, problems = self._gather()
        check = None
        if context is not None:
            check = context.check(data)
            problems += [p for p in check.problems if self._relevant(p, missing)]
        self.check = check
        by_field: dict[str, list[Problem]] = {}
        for p in problems:
            by_field.setdefault(p.field, []).append(p)
        untouched = not self.has_unsaved_changes()
        for name, message in self.messages.items():
            shown = by_field.get(name, [])
            if untouched:
                shown = [p for p in shown if p.severity is not Severity.ERROR or name == "program"]
            message.show_problems(shown)
        self._show_live(check, data, missing)
        errors = [p for p in problems if p.severity is Severity.ERROR]
        self.save_button.setEnabled(self._may_record and not errors)
        if not self._may_record:
            self.save_button.setToolTip("A physiatrist or a nurse records a refill.")
            self.summary.setText("Only a physiatrist or a nurse records a refill.")
        elif errors:
            self.summary.setText(
                f"{len(errors)} thing{'s' if len(errors) != 1 else ''} to fix before recording: "
                + " ".join(p.message for p in errors[:3])
                + ("…" if len(errors) > 3 else "")
            )
        else:
            self.summary.setText("Ready to record.")
        return problems

    def _show_live(
        self, check: refills.RefillCheck | None, data: RefillInput, missing: set[str]
    ) -> None:
        context = self.context
        expected = check.expected_ml if check else None
        if context is None or context.base is None:
            self.expected_label.setText("Not known: no fill recorded for this pump.")
        elif expected is None:
            self.expected_label.setText("Enter a refill time after the last fill.")
        else:
            self.expected_label.setText(
                f"{format_ml(expected)} (from {context.base.words})"
                + (": the pump would have run dry" if expected < 0 else "")
            )
        residual = check.residual if check else None
        flagged = False
        if residual is not None and "measured_residual_ml" not in missing:
            self.discrepancy_label.setText(
                ("DISCREPANCY: " if residual.flagged else "") + residual.message
            )
            flagged = residual.flagged
        elif expected is not None:
            self.discrepancy_label.setText("Enter the measured residual to compare.")
        else:
            self.discrepancy_label.setText("—")
        self.discrepancy_label.setProperty("severity", "error" if flagged else "none")
        self.discrepancy_label.style().unpolish(self.discrepancy_label)
        self.discrepancy_label.style().polish(self.discrepancy_label)
        volumes = {"measured_residual_ml", "volume_discarded_ml", "volume_added_ml"}
        if context is not None and context.reservoir_ml is not None and not missing & volumes:
            after, capacity = data.volume_after_ml, context.reservoir_ml
            self.new_volume_label.setText(
                f"{format_ml(after)} in a {format_ml(capacity)} reservoir"
                + (": more than it holds" if after > capacity else "")
            )
        else:
            self.new_volume_label.setText("— (enter the residual, discarded and added volumes)")
        forecast = check.forecast if check else None
        if forecast is not None and not missing & volumes:
            self.our_alarm_label.setText(
                f"CareCoord: alarm {format_date(forecast.alarm_date, missing='none')}, "
                f"refill due {format_date(forecast.due_date)}"
            )
        else:
            self.our_alarm_label.setText("")

    # ---- actions -------------------------------------------------------------------------

    def save(self) -> None:
        data, missing, _problems = self._gather()
        if missing or self.context is None:
            self.validate()
            return
        try:
            visit = self.ctx.call(
                refills.record_refill,
                self.patient_id,
                data,
                based_on_visit_id=self.context.last_visit_id,
            )
        except ValidationFailed as exc:
            for p in exc.problems:
                if p.field in self.messages:
                    self.messages[p.field].show_problems([p])
            self.summary.setText("Not recorded: " + "; ".join(p.message for p in exc.problems))
            return
        except ConflictError as exc:
            show_error(
                self,
                "Another refill was recorded",
                exc.message
                + "\n\nThe expected residual now counts from that refill: check the values "
                "and record again.",
            )
            self._reload_keeping_entries()
            return
        except ServiceError as exc:
            show_error(self, "Refill not recorded", str(exc))
            return
        self._baseline = {}
        self.ctx.bus.changed.emit("refill_visit")
        self.load()
        flagged = " A discrepancy was flagged for review." if visit.discrepancy_flagged else ""
        self.summary.setText(
            f"Refill recorded: {visit.fill_words}. Next refill due "
            f"{format_date(visit.due_date)}.{flagged}"
        )

    def _reload_keeping_entries(self) -> None:
        baseline = self._baseline
        self.context = self.ctx.call(refills.refill_context, self.patient_id)
        self._load_programs()
        self._baseline = baseline
        self.validate()

    def open_pump_tab(self) -> None:
        """The program is changed on the Pump program tab; back here, choose it above."""
        parent = self.parentWidget()
        while parent is not None and not hasattr(parent, "tab_widgets"):
            parent = parent.parentWidget()
        if parent is not None:
            for key in parent.tab_widgets:  # type: ignore[attr-defined]
                if key in ("pump", "pump_program", "program"):
                    parent.show_tab(key)  # type: ignore[attr-defined]
                    return
        show_error(
            self,
            "Pump program",
            "Open the patient's Pump program tab to draft, approve and confirm the new program; "
            "then choose it in Program here.",
        )

    def _selected_visit(self) -> refills.RefillVisitView | None:
        item = self.history.currentItem()
        return None if item is None else item.data(0, VISIT_ROLE)

    def _update_review_button(self) -> None:
        visit = self._selected_visit()
        pending = visit is not None and visit.review_pending
        self.review_button.setVisible(
            any(
                self.history.topLevelItem(i).data(0, VISIT_ROLE).review_pending
                for i in range(self.history.topLevelItemCount())
            )
        )
        allowed = gate(
            self.review_button,
            self.ctx,
            Permission.REVIEW_DISCREPANCY,
            "Write what was found and close the review",
        )
        self.review_button.setEnabled(allowed and pending)

    def review(self) -> None:
        visit = self._selected_visit()
        if visit is None or not visit.review_pending:
            return
        note, ok = QInputDialog.getMultiLineText(
            self,
            "Close discrepancy review",
            f"{visit.residual_words}.\nWhat was found and done (e.g. pump interrogated, "
            "catheter study booked)?",
        )
        if not ok:
            return
        try:
            self.ctx.call(refills.review_discrepancy, visit.id, visit.version, note)
        except ServiceError as exc:
            show_error(self, "Review not saved", str(exc))
            return
        except ValidationFailed as exc:
            show_error(self, "Review not saved", str(exc))
            return
        self.ctx.bus.changed.emit("refill_visit")
        self.load()

    def change_alarm_volume(self) -> None:
        context = self.context
        if context is None:
            return
        text, ok = QInputDialog.getText(
            self,
            "Patient's alarm volume",
            "Alarm volume for this patient in mL (empty: back to the clinic setting). "
            "Withdrawal has occurred above 2 mL; 4 mL prevented recurrence.",
            text=format_number(self.forecast.patient_alarm_volume_ml)
            if self.forecast and self.forecast.patient_alarm_volume_ml is not None
            else "",
        )
        if not ok:
            return
        try:
            volume = (
                parse_decimal(text, decimal_separator=self._decimal_point, what="alarm volume")
                if text.strip()
                else None
            )
            reason = ""
            if volume is not None:
                reason, ok = QInputDialog.getText(self, "Reason", "Why this patient's own volume?")
                if not ok:
                    return
            self.ctx.call(
                refills.set_patient_alarm_volume,
                self.patient_id,
                volume,
                reason,
                expected_version=self.forecast.patient_alarm_volume_version if self.forecast else 0,
            )
        except ConflictError as exc:
            show_error(self, "Alarm volume not changed", exc.message)
            self.load()  # show the volume saved meanwhile
            return
        except (QuantityError, ValidationFailed, ServiceError) as exc:
            show_error(self, "Alarm volume not changed", str(exc))
            return
        self.ctx.bus.changed.emit("alarm_volume")
        self.load()

    def refresh(self) -> None:
        self.load()

    def _on_bus(self, entity: str) -> None:
        if entity in ("external", "pump_program", "implant", "refill_appointment", "recall"):
            self.load()

    def focus_first(self) -> None:
        self.fields["measured_residual_ml"].setFocus()


register_patient_tab(PatientTabSpec("refills", "Refills", RefillsTab, order=50))
