"""The program editor: concentration, mode, steps by keyboard, boluses, live totals and chart.

The form keeps what the user typed (texts), builds a domain ``Program`` from it on every change
and shows each problem beside its field; the rules are the domain's, applied through the
patient's ``DraftContext`` (fetched once, so typing never waits for the database).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from PySide6.QtCore import QLocale, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont, QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from carecoord.domain.errors import Problem, Severity, ValidationFailed
from carecoord.domain.permissions import Permission
from carecoord.domain.program import (
    MARKET_CONCENTRATIONS_MCG_PER_ML,
    WEEKDAY_NAMES,
    OneTimeBolus,
    PeriodicBolus,
    Program,
    PumpMode,
    RateUnit,
    Step,
    WeekdaySchedule,
    clock_text,
    days_to_alarm,
    dose_per_day_by_weekday,
    hourly_doses,
    parse_clock_time,
    volume_per_day_ml,
)
from carecoord.domain.program_safety import Phase
from carecoord.domain.units import (
    QuantityError,
    format_date,
    format_mcg_per_day,
    format_ml,
    format_number,
    parse_decimal,
)
from carecoord.gui.context import AppContext, gate
from carecoord.gui.pump.chart import HourlyDoseChart
from carecoord.gui.widgets import FieldMessage, chain_tab_order, show_error
from carecoord.services import programs
from carecoord.services.errors import ConflictError, ServiceError
from carecoord.services.programs import DraftContext, ProgramView

EVERY_DAY = -1
MODES_WITH_STEPS = (
    PumpMode.CONTINUOUS,
    PumpMode.FLEX,
    PumpMode.PERIODIC_BOLUS,
    PumpMode.ONE_TIME_BOLUS,
)
MODES_WITH_WEEKDAYS = (PumpMode.FLEX, PumpMode.PERIODIC_BOLUS, PumpMode.ONE_TIME_BOLUS)
COL_START, COL_UNTIL, COL_DOSE, COL_VOLUME, COL_STEP_DOSE = range(5)
HEADERS = ["Starts at", "Until", "mcg/h", "mL/day", "Dose in step"]
HEADER_TIPS = [
    "Start time, HH:MM (00:00 to 23:59)",
    "The step runs until the next one starts",
    "Dose rate in mcg an hour: type it, or type mL/day",
    "Volume rate in mL a day: type it, or type mcg/h",
    "mcg delivered by this step over the day",
]
MONDAY = dt.date(2024, 1, 1)  # a Monday in a month without a clock change anywhere
DERIVED = QColor("#55636e")
BAD = QColor("#fde2e2")


@dataclass
class StepText:
    """One row as typed: the start and the rate in the unit the user entered."""

    start: str
    rate: str
    unit: RateUnit


def clock_change_days(tz: dt.tzinfo, start: dt.date, days: int = 400) -> list[dt.date]:
    """Local dates within ``days`` of ``start`` on which the clocks change."""
    found = []
    for offset in range(days):
        day = start + dt.timedelta(days=offset)
        begin = dt.datetime.combine(day, dt.time(0), tzinfo=tz)
        end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=tz)
        if begin.utcoffset() != end.utcoffset():
            found.append(day)
    return found


def nominal_hours(program: Program, weekday: int | None) -> list[Decimal]:
    """mcg in each of 24 hours of an ordinary day of the given weekday (None: every day)."""
    if weekday is None:
        program = replace(program, weekday_schedules=())
        weekday = 0
    day = MONDAY + dt.timedelta(days=weekday)
    return [h.dose_mcg for h in hourly_doses(program, day, dt.UTC)]


class StepTable(QTableWidget):
    """Steps of one day schedule. Insert adds a step, Delete removes the current one."""

    add_requested = Signal()
    remove_requested = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if self.state() != QAbstractItemView.State.EditingState:
            if event.key() == Qt.Key.Key_Insert:
                self.add_requested.emit()
                return
            if event.key() == Qt.Key.Key_Delete:
                self.remove_requested.emit()
                return
        super().keyPressEvent(event)


class ProgramEditor(QWidget):
    """Edits one draft (or a new one). ``saved(ProgramView)`` after each save."""

    saved = Signal(object)
    review_requested = Signal()
    changed = Signal()

    def __init__(self, ctx: AppContext, patient_id: int) -> None:
        super().__init__()
        self.ctx = ctx
        self.patient_id = patient_id
        self.context: DraftContext | None = None
        self.view: ProgramView | None = None  # the draft being edited; None: a new one
        self.program: Program | None = None  # built from the form, None while it has errors
        self.problems: list[Problem] = []
        self.schedules: dict[int, list[StepText]] = {EVERY_DAY: []}
        self._baseline: dict[str, Any] = {}
        self._loading = False
        self._decimal_point = QLocale().decimalPoint() or "."
        self.setObjectName("programEditor")
        self._build()

    # ---- building ------------------------------------------------------------------------

    def _build(self) -> None:
        outer = QVBoxLayout(self)
        self.title = QLabel()
        self.title.setObjectName("editorTitle")
        self.title.setWordWrap(True)
        outer.addWidget(self.title)
        body = QWidget()
        grid = QGridLayout(body)

        left = QVBoxLayout()
        drug = QGroupBox("Drug and mode")
        form = QFormLayout(drug)
        self.concentration = QComboBox()
        self.concentration.setObjectName("concentration")
        self.concentration.setEditable(True)
        for value in sorted(MARKET_CONCENTRATIONS_MCG_PER_ML):
            self.concentration.addItem(format_number(value))
        self.concentration.setAccessibleName("Concentration in mcg/mL")
        self.concentration.lineEdit().setPlaceholderText("mcg/mL")
        self.concentration.currentTextChanged.connect(self._edited)
        self.concentration_message = FieldMessage()
        form.addRow(self._label("&Baclofen (mcg/mL)", self.concentration), self.concentration)
        form.addRow("", self.concentration_message)
        self.mode = QComboBox()
        self.mode.setObjectName("mode")
        for mode in PumpMode:
            self.mode.addItem(mode.label, mode.value)
        self.mode.currentIndexChanged.connect(self._mode_changed)
        self.mode_message = FieldMessage()
        form.addRow(self._label("&Mode", self.mode), self.mode)
        form.addRow("", self.mode_message)
        self.phase = QComboBox()
        self.phase.setObjectName("phase")
        self.phase.addItem("After implant (titration)", Phase.AFTER_IMPLANT.value)
        self.phase.addItem("Maintenance", Phase.MAINTENANCE.value)
        self.phase.setToolTip("Sets the titration limit: CLINICAL.md section 3.")
        self.phase.currentIndexChanged.connect(self._edited)
        form.addRow(self._label("&Phase", self.phase), self.phase)
        left.addWidget(drug)

        self.steps_box = QGroupBox("Steps (each runs until the next starts; the last until 24:00)")
        steps = QVBoxLayout(self.steps_box)
        pick = QHBoxLayout()
        self.schedule = QComboBox()
        self.schedule.setObjectName("schedule")
        self.schedule.addItem("Every day", EVERY_DAY)
        for index, name in enumerate(WEEKDAY_NAMES):
            self.schedule.addItem(name, index)
        self.schedule.currentIndexChanged.connect(self._schedule_changed)
        pick.addWidget(self._label("Sc&hedule for", self.schedule))
        pick.addWidget(self.schedule, 1)
        self.own_day = QPushButton("Give this day its own steps")
        self.own_day.setObjectName("ownDayButton")
        self.own_day.clicked.connect(self._toggle_own_day)
        pick.addWidget(self.own_day)
        steps.addLayout(pick)
        self.schedule_hint = QLabel()
        self.schedule_hint.setObjectName("hint")
        self.schedule_hint.setWordWrap(True)
        steps.addWidget(self.schedule_hint)
        self.table = StepTable(0, len(HEADERS))
        self.table.setObjectName("stepTable")
        self.table.setHorizontalHeaderLabels(HEADERS)
        for column, tip in enumerate(HEADER_TIPS):
            self.table.horizontalHeaderItem(column).setToolTip(tip)
        self.table.verticalHeader().setVisible(True)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectItems)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(
            QAbstractItemView.EditTrigger.AnyKeyPressed
            | QAbstractItemView.EditTrigger.DoubleClicked
            | QAbstractItemView.EditTrigger.EditKeyPressed
        )
        self.table.setTabKeyNavigation(True)
        self.table.setAccessibleName("Steps: start time and rate")
        self.table.itemChanged.connect(self._cell_changed)
        self.table.add_requested.connect(self.add_step)
        self.table.remove_requested.connect(self.remove_step)
        self.table.setMinimumHeight(self.fontMetrics().height() * 9)
        steps.addWidget(self.table)
        buttons = QHBoxLayout()
        self.add_button = QPushButton("&Add step (Insert)")
        self.add_button.setObjectName("addStepButton")
        self.add_button.clicked.connect(self.add_step)
        self.remove_button = QPushButton("&Remove step (Delete)")
        self.remove_button.setObjectName("removeStepButton")
        self.remove_button.clicked.connect(self.remove_step)
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.remove_button)
        buttons.addStretch(1)
        hint = QLabel("Type a rate in mcg/h or in mL/day; the other is worked out.")
        hint.setObjectName("hint")
        buttons.addWidget(hint)
        steps.addLayout(buttons)
        self.steps_message = FieldMessage()
        self.steps_message.setObjectName("steps_message")
        steps.addWidget(self.steps_message)
        left.addWidget(self.steps_box, 1)

        self.bolus_box = QGroupBox("Bolus")
        bolus = QFormLayout(self.bolus_box)
        self.bolus_dose = QLineEdit()
        self.bolus_dose.setObjectName("bolus_dose")
        self.bolus_dose.setPlaceholderText("mcg")
        self.bolus_minutes = QLineEdit()
        self.bolus_minutes.setObjectName("bolus_minutes")
        self.bolus_minutes.setPlaceholderText("minutes")
        self.bolus_times = QLineEdit()
        self.bolus_times.setObjectName("bolus_times")
        self.bolus_times.setPlaceholderText("for example 08:00, 20:00")
        for w in (self.bolus_dose, self.bolus_minutes, self.bolus_times):
            w.textChanged.connect(self._edited)
        bolus.addRow(self._label("Bolus d&ose (mcg)", self.bolus_dose), self.bolus_dose)
        bolus.addRow(self._label("Over (m&inutes)", self.bolus_minutes), self.bolus_minutes)
        self.bolus_times_label = self._label("Start &times", self.bolus_times)
        bolus.addRow(self.bolus_times_label, self.bolus_times)
        self.bolus_message = FieldMessage()
        bolus.addRow("", self.bolus_message)
        left.addWidget(self.bolus_box)

        notes = QGroupBox("Notes")
        nform = QFormLayout(notes)
        self.bridge = self._text(2)
        self.bridge.setObjectName("bridge_bolus_note")
        self.bridge.setPlaceholderText(
            "Needed when the concentration changes: how the bridge bolus delivers the old drug"
        )
        self.bridge_message = FieldMessage()
        nform.addRow(self._label("Bridge b&olus", self.bridge), self.bridge)
        nform.addRow("", self.bridge_message)
        self.note = self._text(2)
        self.note.setObjectName("note")
        nform.addRow(self._label("N&ote", self.note), self.note)
        self.reason_label = self._label("Reason (&needed)", None)
        self.reason = self._text(2)
        self.reason.setObjectName("reason")
        self.reason_label.setBuddy(self.reason)
        self.reason.setPlaceholderText("Why this change is right for the patient")
        self.reason_message = FieldMessage()
        self.reason_message.setObjectName("reason_message")
        nform.addRow(self.reason_label, self.reason)
        nform.addRow("", self.reason_message)
        left.addWidget(notes)

        right = QVBoxLayout()
        totals = QGroupBox("Totals")
        tform = QFormLayout(totals)
        self.dose_total = QLabel("—")
        self.dose_total.setObjectName("doseTotal")
        self.volume_total = QLabel("—")
        self.volume_total.setObjectName("volumeTotal")
        self.alarm_total = QLabel("—")
        self.alarm_total.setObjectName("alarmTotal")
        self.alarm_total.setWordWrap(True)
        self.change_total = QLabel("—")
        self.change_total.setObjectName("changeTotal")
        self.change_total.setWordWrap(True)
        for label in (self.dose_total, self.volume_total):
            font = label.font()
            font.setBold(True)
            label.setFont(font)
        tform.addRow("Dose per day", self.dose_total)
        tform.addRow("Volume per day", self.volume_total)
        tform.addRow("Full reservoir lasts", self.alarm_total)
        tform.addRow("Against active", self.change_total)
        self.totals_message = FieldMessage()
        self.totals_message.setObjectName("totals_message")
        tform.addRow(self.totals_message)
        right.addWidget(totals)
        chart_box = QGroupBox("Dose in each hour")
        chart_layout = QVBoxLayout(chart_box)
        self.chart_day = QComboBox()
        self.chart_day.setObjectName("chartDay")
        self.chart_day.addItem("An ordinary day", None)
        for day in clock_change_days(programs.clinic_zone(), dt.date.today())[:2]:
            self.chart_day.addItem(f"Clock change on {format_date(day)}", day.isoformat())
        self.chart_day.setToolTip(
            "On a clock-change day the pump follows the wall clock: a skipped hour delivers "
            "nothing and a repeated hour delivers twice."
        )
        self.chart_day.currentIndexChanged.connect(lambda _i: self._show_totals(self.program))
        day_row = QHBoxLayout()
        day_row.addWidget(self._label("Sho&w", self.chart_day))
        day_row.addWidget(self.chart_day, 1)
        chart_layout.addLayout(day_row)
        self.chart = HourlyDoseChart()
        chart_layout.addWidget(self.chart)
        right.addWidget(chart_box, 1)

        grid.addLayout(left, 0, 0)
        grid.addLayout(right, 0, 1)
        grid.setColumnStretch(0, 3)
        grid.setColumnStretch(1, 2)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setWidget(body)
        outer.addWidget(scroll, 1)

        bar = QHBoxLayout()
        self.summary = QLabel()
        self.summary.setObjectName("editorSummary")
        self.summary.setWordWrap(True)
        bar.addWidget(self.summary, 1)
        self.revert_button = QPushButton("Undo my changes")
        self.revert_button.setObjectName("revertProgramButton")
        self.revert_button.clicked.connect(self.revert)
        self.save_button = QPushButton("&Save draft")
        self.save_button.setObjectName("saveDraftButton")
        self.save_button.clicked.connect(self.save)
        self.review_button = QPushButton("Re&view and approve…")
        self.review_button.setObjectName("reviewButton")
        self.review_button.clicked.connect(self._review)
        for b in (self.revert_button, self.save_button, self.review_button):
            bar.addWidget(b)
        outer.addLayout(bar)
        shortcut = QShortcut(QKeySequence.StandardKey.Save, self)
        shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        shortcut.activated.connect(lambda: self.save_button.isEnabled() and self.save())
        chain_tab_order(
            [
                self.concentration,
                self.mode,
                self.phase,
                self.schedule,
                self.own_day,
                self.table,
                self.add_button,
                self.remove_button,
                self.bolus_dose,
                self.bolus_minutes,
                self.bolus_times,
                self.bridge,
                self.note,
                self.reason,
                self.revert_button,
                self.save_button,
                self.review_button,
            ]
        )

    def _label(self, text: str, buddy: QWidget | None) -> QLabel:
        label = QLabel(text)
        if buddy is not None:
            label.setBuddy(buddy)
        return label

    def _text(self, lines: int) -> QPlainTextEdit:
        w = QPlainTextEdit()
        w.setTabChangesFocus(True)
        w.setFixedHeight(w.fontMetrics().lineSpacing() * lines + 12)
        w.textChanged.connect(self._edited)
        return w

    # ---- loading --------------------------------------------------------------------------

    def load(
        self, context: DraftContext, view: ProgramView | None, start_from: Program | None = None
    ) -> None:
        """Edit ``view`` (a stored program), or a new draft that starts as ``start_from``."""
        self.context = context
        self.view = view
        program = view.program if view else start_from
        self._loading = True
        try:
            if program is None:
                program = Program(Decimal(500), PumpMode.CONTINUOUS, (Step(0, Decimal(10)),))
            self._fill(program)
            phase = view.phase if view else context.default_phase
            self.phase.setCurrentIndex(max(0, self.phase.findData(phase.value)))
            self.note.setPlainText(view.note if view else "")
            self.reason.setPlainText(view.reason if view else "")
        finally:
            self._loading = False
        self._baseline = self.snapshot()
        self._update_title()
        self._show_schedule()
        self.validate()

    def _fill(self, program: Program) -> None:
        concentration = format_number(program.concentration_mcg_per_ml)
        self.concentration.setEditText(concentration.replace(".", self._decimal_point))
        self.mode.setCurrentIndex(max(0, self.mode.findData(program.mode.value)))
        self.schedules = {EVERY_DAY: [self._step_text(s) for s in program.steps]}
        if not self.schedules[EVERY_DAY] and program.mode is PumpMode.STOPPED:
            self.schedules[EVERY_DAY] = []
        for schedule in program.weekday_schedules:
            self.schedules[schedule.weekday] = [self._step_text(s) for s in schedule.steps]
        self.schedule.setCurrentIndex(0)
        bolus_dose = bolus_minutes = bolus_times = ""
        if program.periodic_bolus is not None:
            b = program.periodic_bolus
            bolus_dose, bolus_minutes = self._num(b.dose_mcg), str(b.duration_minutes)
            bolus_times = ", ".join(clock_text(m) for m in b.start_minutes)
        elif program.one_time_bolus is not None:
            o = program.one_time_bolus
            bolus_dose, bolus_minutes = self._num(o.dose_mcg), str(o.duration_minutes)
        self.bolus_dose.setText(bolus_dose)
        self.bolus_minutes.setText(bolus_minutes)
        self.bolus_times.setText(bolus_times)
        self.bridge.setPlainText(program.bridge_bolus_note)

    def _num(self, value: Decimal) -> str:
        return format_number(value).replace(".", self._decimal_point)

    def _step_text(self, step: Step) -> StepText:
        return StepText(step.start_text, self._num(step.rate), step.unit)

    def _update_title(self) -> None:
        if self.view is None:
            base = self.context.active if self.context else None
            start = f", starting from program {base.number}" if base else ""
            self.title.setText(f"<b>New program draft</b>{start}. Not saved yet.")
        else:
            self.title.setText(
                f"<b>{self.view.title}</b>: {self.view.status.label}. Drafted by "
                f"{self.view.created_by or 'unknown'}."
            )

    @property
    def editable(self) -> bool:
        may = self.ctx.can(Permission.DRAFT_PROGRAM)
        return may and (self.view is None or self.view.status.value == "draft")

    # ---- schedule table ---------------------------------------------------------------------

    def current_key(self) -> int:
        return int(self.schedule.currentData())

    def current_rows(self) -> list[StepText]:
        key = self.current_key()
        return self.schedules.get(key, self.schedules[EVERY_DAY])

    def _mode(self) -> PumpMode:
        return PumpMode(self.mode.currentData())

    def _show_schedule(self) -> None:
        mode = self._mode()
        key = self.current_key()
        has_steps = mode in MODES_WITH_STEPS
        weekdays_allowed = mode in MODES_WITH_WEEKDAYS
        self.steps_box.setEnabled(has_steps)
        self.schedule.setEnabled(weekdays_allowed)
        if not weekdays_allowed and key != EVERY_DAY:
            self.schedule.setCurrentIndex(0)
            return
        own = key != EVERY_DAY and key in self.schedules
        self.own_day.setVisible(key != EVERY_DAY)
        self.own_day.setText(
            "Use the every-day steps on this day" if own else "Give this day its own steps"
        )
        for index in range(1, 8):
            name = WEEKDAY_NAMES[index - 1]
            self.schedule.setItemText(
                index, f"{name} (own steps)" if index - 1 in self.schedules else name
            )
        if not has_steps:
            self.schedule_hint.setText("A stopped pump has no steps.")
        elif key == EVERY_DAY:
            days = [WEEKDAY_NAMES[d] for d in sorted(self.schedules) if d != EVERY_DAY]
            self.schedule_hint.setText(
                "These steps run every day"
                + (f" except {', '.join(days)} (own steps)." if days else ".")
            )
        elif own:
            self.schedule_hint.setText(f"{WEEKDAY_NAMES[key]} has its own steps.")
        else:
            self.schedule_hint.setText(
                f"{WEEKDAY_NAMES[key]} runs the every-day steps (shown, not editable here)."
            )
        editable_rows = self.editable and (key == EVERY_DAY or own)
        self._fill_table(self.current_rows(), editable_rows)

    def _fill_table(self, rows: list[StepText], editable: bool) -> None:
        self._loading = True
        self.table.blockSignals(True)
        try:
            self.table.setRowCount(len(rows))
            for r, row in enumerate(rows):
                for c in range(len(HEADERS)):
                    item = QTableWidgetItem()
                    flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
                    if editable and c in (COL_START, COL_DOSE, COL_VOLUME):
                        flags |= Qt.ItemFlag.ItemIsEditable
                    item.setFlags(flags)
                    self.table.setItem(r, c, item)
                self.table.item(r, COL_START).setText(row.start)
                entered = COL_DOSE if row.unit is RateUnit.MCG_PER_HOUR else COL_VOLUME
                self.table.item(r, entered).setText(row.rate)
            self._refresh_derived()
        finally:
            self.table.blockSignals(False)
            self._loading = False
        self.add_button.setEnabled(editable)
        self.remove_button.setEnabled(editable and bool(rows))
        if not self.ctx.can(Permission.DRAFT_PROGRAM):
            for b in (self.add_button, self.remove_button):
                gate(b, self.ctx, Permission.DRAFT_PROGRAM)

    def _refresh_derived(self) -> None:
        """Derived cells: the other unit, the end time and the dose of each step."""
        rows = self.current_rows()
        concentration = self._concentration_value()
        self.table.blockSignals(True)
        try:
            for r, row in enumerate(rows):
                if r >= self.table.rowCount():
                    break
                entered = COL_DOSE if row.unit is RateUnit.MCG_PER_HOUR else COL_VOLUME
                other = COL_VOLUME if entered == COL_DOSE else COL_DOSE
                entered_item, other_item = self.table.item(r, entered), self.table.item(r, other)
                font = QFont(self.table.font())
                font.setBold(True)
                entered_item.setFont(font)
                entered_item.setForeground(QBrush(QColor("#1f2a33")))
                entered_item.setToolTip("Typed")
                italic = QFont(self.table.font())
                italic.setItalic(True)
                other_item.setFont(italic)
                other_item.setForeground(QBrush(DERIVED))
                other_item.setToolTip("Worked out from the typed rate and the concentration")
                until = rows[r + 1].start if r + 1 < len(rows) else "24:00"
                self.table.item(r, COL_UNTIL).setText(until)
                text, step_dose = "", ""
                step = self._parse_row(row)
                if step is not None and concentration is not None and concentration > 0:
                    if row.unit is RateUnit.MCG_PER_HOUR:
                        text = format_number(step.volume_ml_per_day(concentration), 4)
                    else:
                        text = format_number(step.dose_mcg_per_hour(concentration), 3)
                    end = self._minutes(until)
                    if end is not None and end > step.start_minute:
                        mcg = step.exact_mcg_per_hour(concentration) * (end - step.start_minute)
                        step_dose = f"{format_number(Decimal(float(mcg / 60)), 1)} mcg"
                other_item.setText(text.replace(".", self._decimal_point))
                self.table.item(r, COL_STEP_DOSE).setText(step_dose)
        finally:
            self.table.blockSignals(False)

    def _minutes(self, text: str) -> int | None:
        if text == "24:00":
            return 1440
        try:
            return parse_clock_time(text)
        except ValidationFailed:
            return None

    def _cell_changed(self, item: QTableWidgetItem) -> None:
        if self._loading:
            return
        rows = self._editable_rows()
        if rows is None or item.row() >= len(rows):
            return
        row = rows[item.row()]
        if item.column() == COL_START:
            row.start = item.text().strip()
        elif item.column() == COL_DOSE:
            row.rate, row.unit = item.text().strip(), RateUnit.MCG_PER_HOUR
        elif item.column() == COL_VOLUME:
            row.rate, row.unit = item.text().strip(), RateUnit.ML_PER_DAY
        self._refresh_derived()
        self._edited()

    def _editable_rows(self) -> list[StepText] | None:
        key = self.current_key()
        if key != EVERY_DAY and key not in self.schedules:
            return None
        return self.schedules[key]

    def add_step(self) -> None:
        rows = self._editable_rows()
        if rows is None or not self.editable or self._mode() not in MODES_WITH_STEPS:
            return
        at = self.table.currentRow() + 1 if self.table.currentRow() >= 0 else len(rows)
        if not rows:
            new = StepText("00:00", "", RateUnit.MCG_PER_HOUR)
        else:
            before = rows[at - 1] if at > 0 else rows[0]
            start = self._minutes(before.start)
            nxt = self._minutes(rows[at].start) if at < len(rows) else 1440
            guess = ""
            if start is not None and nxt is not None and nxt - start >= 2:
                middle = start + (nxt - start) // 2
                hour = middle // 60 * 60
                guess = clock_text(hour if hour > start else middle)
            new = StepText(guess, before.rate, before.unit)
        rows.insert(at, new)
        self._show_schedule()
        self.table.setCurrentCell(at, COL_START)
        self.table.setFocus()
        self._edited()

    def remove_step(self) -> None:
        rows = self._editable_rows()
        r = self.table.currentRow()
        if rows is None or not self.editable or not (0 <= r < len(rows)):
            return
        del rows[r]
        self._show_schedule()
        if rows:
            self.table.setCurrentCell(min(r, len(rows) - 1), COL_START)
        self.table.setFocus()
        self._edited()

    def _toggle_own_day(self) -> None:
        key = self.current_key()
        if key == EVERY_DAY or not self.editable:
            return
        if key in self.schedules:
            del self.schedules[key]
        else:
            self.schedules[key] = [
                StepText(s.start, s.rate, s.unit) for s in self.schedules[EVERY_DAY]
            ]
        self._show_schedule()
        self._edited()

    def _schedule_changed(self) -> None:
        self._show_schedule()
        self.validate()

    def _mode_changed(self) -> None:
        mode = self._mode()
        rows = self.schedules[EVERY_DAY]
        if mode in MODES_WITH_STEPS and not rows and not self._loading:
            rows.append(StepText("00:00", "", RateUnit.MCG_PER_HOUR))
        self._show_schedule()
        self._edited()

    # ---- reading the form -----------------------------------------------------------------

    def _concentration_value(self) -> Decimal | None:
        try:
            return parse_decimal(
                self.concentration.currentText(),
                decimal_separator=self._decimal_point,
                what="concentration",
            )
        except QuantityError:
            return None

    def _parse_row(self, row: StepText) -> Step | None:
        try:
            start = parse_clock_time(row.start)
            rate = parse_decimal(row.rate, decimal_separator=self._decimal_point, what="rate")
        except (ValidationFailed, QuantityError):
            return None
        return Step(start, rate, row.unit)

    def _parse_steps(self, key: int, prefix: str, problems: list[Problem]) -> list[Step]:
        where = "every day" if key == EVERY_DAY else WEEKDAY_NAMES[key]
        steps = []
        for index, row in enumerate(self.schedules[key]):
            name = f"{prefix}[{index}]"
            try:
                start = parse_clock_time(row.start, field_name=f"{name}.start")
            except ValidationFailed as exc:
                problems += [
                    Problem(p.field, f"Step {index + 1} ({where}): {p.message}")
                    for p in exc.problems
                ]
                start = None
            try:
                rate = parse_decimal(row.rate, decimal_separator=self._decimal_point, what="rate")
            except QuantityError as exc:
                problems.append(Problem(f"{name}.rate", f"Step {index + 1} ({where}): {exc}"))
                rate = None
            if start is not None and rate is not None:
                steps.append(Step(start, rate, row.unit))
        return steps

    def _weekday_order(self) -> list[int]:
        return sorted(k for k in self.schedules if k != EVERY_DAY)

    def gather(self) -> tuple[Program | None, list[Problem]]:
        """The program the form describes, or None with the problems that stop reading it."""
        problems: list[Problem] = []
        concentration: Decimal | None = None
        try:
            concentration = parse_decimal(
                self.concentration.currentText(),
                decimal_separator=self._decimal_point,
                what="concentration",
            )
        except QuantityError as exc:
            problems.append(Problem("concentration", str(exc)))
        mode = self._mode()
        steps: list[Step] = []
        weekdays: list[WeekdaySchedule] = []
        if mode in MODES_WITH_STEPS:
            steps = self._parse_steps(EVERY_DAY, "steps", problems)
            if mode in MODES_WITH_WEEKDAYS:
                for index, day in enumerate(self._weekday_order()):
                    prefix = f"weekday_schedules[{index}].steps"
                    weekdays.append(WeekdaySchedule(day, self._parse_steps(day, prefix, problems)))
        periodic = one_time = None
        if mode in (PumpMode.PERIODIC_BOLUS, PumpMode.ONE_TIME_BOLUS):
            base = "periodic_bolus" if mode is PumpMode.PERIODIC_BOLUS else "one_time_bolus"
            dose = minutes = None
            try:
                dose = parse_decimal(
                    self.bolus_dose.text(), decimal_separator=self._decimal_point, what="bolus dose"
                )
            except QuantityError as exc:
                problems.append(Problem(f"{base}.dose", str(exc)))
            text = self.bolus_minutes.text().strip()
            if text.isdigit():
                minutes = int(text)
            else:
                problems.append(
                    Problem(f"{base}.duration", "Enter the bolus duration in whole minutes.")
                )
            starts: list[int] = []
            if mode is PumpMode.PERIODIC_BOLUS:
                for part in [p for p in self.bolus_times.text().split(",") if p.strip()]:
                    try:
                        starts.append(parse_clock_time(part, field_name=f"{base}.starts"))
                    except ValidationFailed as exc:
                        problems += exc.problems
            if dose is not None and minutes is not None:
                if mode is PumpMode.PERIODIC_BOLUS:
                    periodic = PeriodicBolus(dose, minutes, tuple(starts))
                else:
                    one_time = OneTimeBolus(dose, minutes)
        if problems or concentration is None:
            return None, problems + self._count_problems()
        program = Program(
            concentration,
            mode,
            tuple(steps),
            tuple(weekdays),
            periodic,
            one_time,
            bridge_bolus_note=self.bridge.toPlainText().strip(),
        )
        if mode in (PumpMode.PERIODIC_BOLUS, PumpMode.ONE_TIME_BOLUS) and not (
            periodic or one_time
        ):
            return None, [Problem("periodic_bolus", "Set the bolus dose and duration.")]
        return program, problems

    def _count_problems(self) -> list[Problem]:
        """The device's step limit, said at once even while some step is still unreadable."""
        implant = self.context.implant if self.context else None
        limit = implant.device.max_steps_per_day if implant and implant.device else None
        if limit is None or self._mode() not in MODES_WITH_STEPS:
            return []
        problems = []
        for key, rows in self.schedules.items():
            if len(rows) > limit:
                where = "every day" if key == EVERY_DAY else WEEKDAY_NAMES[key]
                problems.append(
                    Problem(
                        "steps",
                        f"The schedule for {where} has {len(rows)} steps; the "
                        f"{implant.device.name} allows at most {limit}.",
                    )
                )
        return problems

    def phase_value(self) -> Phase:
        return Phase(self.phase.currentData())

    def snapshot(self) -> dict[str, Any]:
        return {
            "concentration": self.concentration.currentText(),
            "mode": self.mode.currentData(),
            "phase": self.phase.currentData(),
            "schedules": {
                k: [(r.start, r.rate, r.unit) for r in v] for k, v in self.schedules.items()
            },
            "bolus": (self.bolus_dose.text(), self.bolus_minutes.text(), self.bolus_times.text()),
            "bridge": self.bridge.toPlainText(),
            "note": self.note.toPlainText(),
            "reason": self.reason.toPlainText(),
        }

    def has_unsaved_changes(self) -> bool:
        return bool(self._baseline) and self.snapshot() != self._baseline

    # ---- live validation ------------------------------------------------------------------

    def _edited(self, *_args: object) -> None:
        if not self._loading:
            self.validate()
            self.changed.emit()

    def validate(self) -> list[Problem]:
        program, problems = self.gather()
        self.program = program
        if program is not None and self.context is not None:
            problems = problems + self.context.problems(program, self.phase_value())
        self.problems = problems
        self._show_problems(problems)
        self._show_totals(program)
        self._update_buttons()
        return problems

    def _bucket(self, field: str) -> str:
        if field.startswith("concentration"):
            return "concentration"
        if field.startswith(("mode", "drug")):
            return "mode"
        if field.startswith(("steps", "weekday_schedules")):
            return "steps"
        if field.startswith(("periodic_bolus", "one_time_bolus")):
            return "bolus"
        if field.startswith("bridge"):
            return "bridge"
        return "totals"

    def _show_problems(self, problems: list[Problem]) -> None:
        buckets: dict[str, list[Problem]] = {}
        for p in problems:
            if p.severity is Severity.NEEDS_REASON:
                continue
            buckets.setdefault(self._bucket(p.field), []).append(p)
        needs = [p for p in problems if p.severity is Severity.NEEDS_REASON]
        has_reason = bool(self.reason.toPlainText().strip())
        self.concentration_message.show_problems(buckets.get("concentration", []))
        self.mode_message.show_problems(buckets.get("mode", []))
        self.steps_message.show_problems(buckets.get("steps", []))
        self.bolus_message.show_problems(buckets.get("bolus", []))
        self.bridge_message.show_problems(buckets.get("bridge", []))
        self.totals_message.show_problems(buckets.get("totals", []) + needs)
        reason_needed = bool(needs)
        self.reason_label.setText("Reason (&needed)" if reason_needed else "Reason")
        if reason_needed and not has_reason:
            self.reason_message.show_problems(
                [
                    Problem(
                        "reason",
                        "A reason is needed before approval: " + needs[0].message,
                        Severity.WARNING,
                    )
                ]
            )
        else:
            self.reason_message.show_problems([])
        self._mark_cells(problems)

    def _mark_cells(self, problems: list[Problem]) -> None:
        key = self.current_key()
        if key == EVERY_DAY or key not in self.schedules:
            prefix = "steps["
        else:
            prefix = f"weekday_schedules[{self._weekday_order().index(key)}].steps["
        bad: dict[tuple[int, int], str] = {}
        for p in problems:
            if not p.field.startswith(prefix) or p.severity is not Severity.ERROR:
                continue
            rest = p.field[len(prefix) :]
            index_text, _, part = rest.partition("]")
            if not index_text.isdigit():
                continue
            row = int(index_text)
            entered = COL_DOSE
            rows = self.current_rows()
            if row < len(rows) and rows[row].unit is RateUnit.ML_PER_DAY:
                entered = COL_VOLUME
            column = COL_START if part.endswith("start") else entered
            bad[(row, column)] = p.message
        self.table.blockSignals(True)
        for r in range(self.table.rowCount()):
            for c in (COL_START, COL_DOSE, COL_VOLUME):
                item = self.table.item(r, c)
                if item is None:
                    continue
                message = bad.get((r, c))
                item.setBackground(QBrush(BAD) if message else QBrush())
                if message:
                    item.setToolTip(message)
        self.table.blockSignals(False)

    def _show_totals(self, program: Program | None) -> None:
        errors = [p for p in self.problems if p.severity is Severity.ERROR]
        if program is None or errors:
            for label in (self.dose_total, self.volume_total, self.alarm_total):
                label.setText("—")
            self.change_total.setText("—")
            self.chart.set_hours([], note="Fix the problems to see the doses.")
            return
        doses = dose_per_day_by_weekday(program)
        low, high = min(doses.values()), max(doses.values())
        heaviest = max(range(7), key=lambda d: doses[d])
        if low == high:
            self.dose_total.setText(format_mcg_per_day(low))
            self.volume_total.setText(
                format_ml(volume_per_day_ml(program, heaviest), places=4) + "/day"
            )
        else:
            self.dose_total.setText(f"{format_mcg_per_day(low)} to {format_mcg_per_day(high)}")
            self.volume_total.setText(
                f"{format_ml(volume_per_day_ml(program, min(range(7), key=lambda d: doses[d])), places=4)}"
                f" to {format_ml(volume_per_day_ml(program, heaviest), places=4)} a day"
            )
        self.alarm_total.setText(self._alarm_text(program, heaviest))
        self.change_total.setText(self._change_text(program))
        key = self.current_key()
        weekday = None if key == EVERY_DAY else key
        active = self.context.active.program if self.context and self.context.active else None
        compare = None
        if active is not None:
            compare = nominal_hours(active, weekday)
        chosen = self.chart_day.currentData()
        if chosen:
            date = dt.date.fromisoformat(chosen)
            real = hourly_doses(program, date, programs.clinic_zone())
            total = sum((h.dose_mcg for h in real), Decimal(0))
            self.chart.set_hours(
                [h.dose_mcg for h in real],
                None,
                note=f"({format_date(date)}: {len(real)} hours, {format_mcg_per_day(total)})",
                labels=[h.label for h in real],
            )
            return
        day = "every day" if weekday is None else WEEKDAY_NAMES[weekday]
        self.chart.set_hours(nominal_hours(program, weekday), compare, note=f"({day})")

    def _alarm_text(self, program: Program, heaviest: int) -> str:
        implant = self.context.implant if self.context else None
        if program.mode is PumpMode.STOPPED:
            return "A stopped pump delivers nothing."
        if implant is None or implant.device is None:
            return "No pump recorded."
        device = implant.device
        alarm = self.context.alarm_volume_ml if self.context else device.default_alarm_volume_ml
        days = days_to_alarm(program, device.reservoir_ml, alarm, heaviest)
        if days is None:
            return "—"
        return (
            f"{format_number(days, 1)} days from a full {format_ml(device.reservoir_ml)} "
            f"reservoir to the {format_ml(alarm)} alarm"
        )

    def _change_text(self, program: Program) -> str:
        active = self.context.active if self.context else None
        if active is None:
            return "No active program (this will be the first)."
        old = max(dose_per_day_by_weekday(active.program).values())
        new = max(dose_per_day_by_weekday(program).values())
        if old == 0:
            return f"{active.title} delivers nothing (stopped)."
        change = (new - old) * 100 / old
        direction = "more" if change > 0 else "less"
        if change == 0:
            return f"Same dose per day as {active.title} ({format_mcg_per_day(old)})."
        return (
            f"{format_number(abs(change), 1)} % {direction} than {active.title} "
            f"({format_mcg_per_day(old)})"
        )

    def _update_buttons(self) -> None:
        errors = [p for p in self.problems if p.severity is Severity.ERROR]
        dirty = self.has_unsaved_changes() or self.view is None
        editable = self.editable
        for w in (
            self.concentration,
            self.mode,
            self.phase,
            self.bolus_dose,
            self.bolus_minutes,
            self.bolus_times,
        ):
            w.setEnabled(editable)
        for w in (self.bridge, self.note, self.reason):
            w.setReadOnly(not editable)
        self.own_day.setEnabled(editable)
        self.save_button.setEnabled(editable and not errors and dirty)
        self.revert_button.setEnabled(editable and self.has_unsaved_changes())
        if not self.ctx.can(Permission.DRAFT_PROGRAM):
            gate(self.save_button, self.ctx, Permission.DRAFT_PROGRAM)
        else:
            self.save_button.setToolTip("Save the draft (Ctrl+S)")
        may_approve = self.ctx.can(Permission.APPROVE_PROGRAM)
        is_draft = self.view is None or self.view.status.value == "draft"
        self.review_button.setEnabled(may_approve and is_draft and not errors)
        if not may_approve:
            gate(self.review_button, self.ctx, Permission.APPROVE_PROGRAM)
        else:
            self.review_button.setToolTip("Compare with the active program and approve")
        mode = self._mode()
        self.bolus_box.setVisible(mode in (PumpMode.PERIODIC_BOLUS, PumpMode.ONE_TIME_BOLUS))
        periodic = mode is PumpMode.PERIODIC_BOLUS
        self.bolus_times.setVisible(periodic)
        self.bolus_times_label.setVisible(periodic)
        self.bolus_box.setTitle("Periodic bolus (every day)" if periodic else "One-time bolus")
        if errors:
            count = len(errors)
            self.summary.setText(f"{count} problem{'s' if count > 1 else ''} to fix before saving.")
            state = "error"
        elif not editable:
            if self.view is not None and self.view.status.value != "draft":
                self.summary.setText(
                    f"{self.view.title} is {self.view.status.label.lower()}: read only. A change "
                    "is a new draft."
                )
            else:
                self.summary.setText("Read only: a physiatrist or a nurse drafts a pump program.")
            state = "clean"
        elif dirty:
            needs = any(p.severity is Severity.NEEDS_REASON for p in self.problems)
            self.summary.setText(
                "Ready to save." + (" A reason is needed before approval." if needs else "")
            )
            state = "dirty"
        else:
            self.summary.setText("Saved. No unsaved changes.")
            state = "clean"
        self.summary.setProperty("state", state)
        self.summary.style().unpolish(self.summary)
        self.summary.style().polish(self.summary)

    # ---- actions ----------------------------------------------------------------------------

    def revert(self) -> None:
        if self.context is None:
            return
        self.load(
            self.context, self.view, self.context.active.program if self.context.active else None
        )

    def save(self) -> bool:
        """Save the draft; refusals are shown beside the fields. True when saved."""
        problems = self.validate()
        if self.program is None or any(p.severity is Severity.ERROR for p in problems):
            return False
        try:
            view = self.ctx.call(
                programs.save_draft,
                self.patient_id,
                self.program,
                phase=self.phase_value(),
                note=self.note.toPlainText(),
                reason=self.reason.toPlainText(),
                program_id=self.view.id if self.view else None,
                expected_version=self.view.version if self.view else None,
            )
        except ValidationFailed as exc:
            self._show_problems(exc.problems)
            self.summary.setText("Not saved: " + " ".join(p.message for p in exc.problems))
            return False
        except ConflictError as exc:
            fresh = None
            if self.view is not None:
                try:
                    fresh = self.ctx.call(programs.get_program, self.view.id)
                except ServiceError:
                    fresh = None
            if fresh is not None and fresh.status.value == "draft":
                # Keep the user's edits; the next Save deliberately replaces the newer version.
                self.view = fresh
                self.summary.setText(
                    f"Not saved: {exc.changed_by} saved this draft meanwhile. Your edits are "
                    "still here: Save again to replace their version, or Undo my changes to "
                    "see theirs."
                )
            else:
                show_error(self, "Not saved", exc.message)
            return False
        except ServiceError as exc:
            show_error(self, "Not saved", str(exc))
            return False
        self.view = view
        self._baseline = self.snapshot()
        self._update_title()
        self.validate()
        self.summary.setText(f"Draft saved at {dt.datetime.now():%H:%M}.")
        self.ctx.bus.changed.emit("pump_program")
        self.saved.emit(view)
        return True

    def _review(self) -> None:
        self.review_requested.emit()
