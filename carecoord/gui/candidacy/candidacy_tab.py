"""The Candidacy tab: the checklist in words beside the work-up (oral therapy, contraindication
screen, goals, screening trials with serial assessments and the suggested next step).

Every panel validates with the domain rule as the user types, saves through the services, and
keeps typed entries when the record changes elsewhere.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from PySide6.QtCore import QDateTime, QLocale, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDateTimeEdit,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from carecoord.domain.candidacy import CandidacyAssessment, ItemState, RecordKind
from carecoord.domain.contraindications import Contraindication, ContraindicationKind
from carecoord.domain.errors import Problem, Severity
from carecoord.domain.goals import GoalArea, check_goal
from carecoord.domain.oral_therapy import OralAgent, TrialOutcome, check_oral_trial
from carecoord.domain.permissions import Permission
from carecoord.domain.screening import (
    BOLUS_DOSES_MCG,
    AdverseEvent,
    NextAction,
    ScreeningRoute,
)
from carecoord.domain.units import format_date, format_datetime, format_number
from carecoord.gui.candidacy.common import attempt, errors, group_problems, set_state, top_field
from carecoord.gui.candidacy.scales import MasInput
from carecoord.gui.context import AppContext, gate
from carecoord.gui.patient.dates import OptionalDateEdit
from carecoord.gui.registry import PatientTabSpec, register_patient_tab
from carecoord.gui.widgets import FieldMessage, heading, scale_font
from carecoord.services import candidacy
from carecoord.services.candidacy import TrialView

STATE_MARK = {ItemState.MET: "✓ Met", ItemState.NOT_MET: "✗ Not met", ItemState.WARNING: "! Check"}
ID_ROLE = Qt.ItemDataRole.UserRole + 1


def _table(headers: list[str]) -> QTableWidget:
    t = QTableWidget(0, len(headers))
    t.setHorizontalHeaderLabels(headers)
    t.verticalHeader().setVisible(False)
    t.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    t.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    t.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    t.setWordWrap(True)
    t.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    t.horizontalHeader().setStretchLastSection(True)
    t.setAlternatingRowColors(True)
    return t


def _fill(table: QTableWidget, rows: list[list[str]], ids: list[Any]) -> None:
    table.setRowCount(0)
    for r, (values, ident) in enumerate(zip(rows, ids, strict=True)):
        table.insertRow(r)
        for c, text in enumerate(values):
            item = QTableWidgetItem(text)
            item.setToolTip(text)
            if c == 0:
                item.setData(ID_ROLE, ident)
            table.setItem(r, c, item)
    table.resizeRowsToContents()


def _selected_id(table: QTableWidget) -> Any:
    row = table.currentRow()
    if row < 0 or table.item(row, 0) is None:
        return None
    return table.item(row, 0).data(ID_ROLE)


def _row(form: QFormLayout, label: str, widget: QWidget, name: str) -> FieldMessage:
    widget.setObjectName(name)
    widget.setAccessibleName(label)
    message = FieldMessage()
    message.setObjectName(f"{name}_message")
    box = QWidget()
    lay = QVBoxLayout(box)
    lay.setContentsMargins(0, 0, 0, 0)
    lay.setSpacing(2)
    lay.addWidget(widget)
    lay.addWidget(message)
    title = QLabel(label)
    title.setBuddy(widget)
    form.addRow(title, box)
    return message


def _show(messages: dict[str, FieldMessage], problems: list[Problem]) -> None:
    grouped = group_problems(problems)
    for key, message in messages.items():
        message.show_problems(grouped.get(key, []))


def _aware(edit: QDateTimeEdit) -> dt.datetime:
    value = edit.dateTime().toPython()
    return value.replace(second=0, microsecond=0).astimezone()


def _datetime_edit() -> QDateTimeEdit:
    edit = QDateTimeEdit(QDateTime.currentDateTime())
    edit.setDisplayFormat("d MMM yyyy HH:mm")
    edit.setCalendarPopup(True)
    return edit


# ---------------------------------------------------------------------------------------------


class OralTherapyPanel(QWidget):
    """Each oral agent tried, with the usual maximum shown as guidance while typing."""

    def __init__(self, tab: CandidacyTab) -> None:
        super().__init__()
        self.tab = tab
        self.ctx = tab.ctx
        self.editing: tuple[int, int] | None = None  # (trial id, version)
        layout = QVBoxLayout(self)
        self.table = _table(
            ["Agent", "Highest daily dose", "Duration", "Outcome", "Side effects", "Judged"]
        )
        self.table.setObjectName("oralTable")
        layout.addWidget(self.table, 1)
        box = QGroupBox("Record an oral trial")
        form = QFormLayout(box)
        self.agent = QComboBox()
        for a in OralAgent:
            self.agent.addItem(a.label, a.value)
        self.other = QLineEdit()
        self.other.setPlaceholderText("only for another agent")
        self.dose = QLineEdit()
        self.dose.setPlaceholderText("mg a day, for example 60")
        self.days = QLineEdit()
        self.days.setPlaceholderText("days")
        self.outcome = QComboBox()
        self.outcome.addItem("Choose the outcome", None)
        for o in TrialOutcome:
            self.outcome.addItem(o.label, o.value)
        self.side = QLineEdit()
        self.messages = {
            "agent": _row(form, "Agent", self.agent, "oral_agent"),
            "other_agent_name": _row(form, "Agent name", self.other, "oral_other"),
            "highest_daily_dose_mg": _row(form, "Highest daily dose (mg)", self.dose, "oral_dose"),
            "duration_days": _row(form, "Duration (days)", self.days, "oral_days"),
            "outcome": _row(form, "Outcome", self.outcome, "oral_outcome"),
            "side_effects": _row(form, "Side effects", self.side, "oral_side"),
        }
        self.guidance = QLabel()
        self.guidance.setObjectName("oralGuidance")
        self.guidance.setWordWrap(True)
        form.addRow("Guidance", self.guidance)
        buttons = QHBoxLayout()
        self.save_button = QPushButton("Record trial")
        self.save_button.setObjectName("oralSave")
        self.save_button.clicked.connect(self.save)
        self.edit_button = QPushButton("Edit selected")
        self.edit_button.clicked.connect(self.edit_selected)
        self.remove_button = QPushButton("Remove selected…")
        self.remove_button.clicked.connect(self.remove_selected)
        self.clear_button = QPushButton("Clear the form")
        self.clear_button.clicked.connect(self.clear)
        for b in (self.save_button, self.edit_button, self.remove_button, self.clear_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        form.addRow(buttons)
        layout.addWidget(box)
        for w in (self.other, self.dose, self.days, self.side):
            w.textChanged.connect(self.validate)
        for c in (self.agent, self.outcome):
            c.currentIndexChanged.connect(self.validate)
        self.allowed = gate(self.save_button, self.ctx, Permission.EDIT_CANDIDACY)
        gate(self.edit_button, self.ctx, Permission.EDIT_CANDIDACY)
        gate(self.remove_button, self.ctx, Permission.EDIT_CANDIDACY)
        self.views: list[candidacy.OralTrialView] = []
        self._baseline = self.snapshot()
        self.validate()

    def snapshot(self) -> tuple[Any, ...]:
        return (
            self.agent.currentData(),
            self.other.text(),
            self.dose.text(),
            self.days.text(),
            self.outcome.currentData(),
            self.side.text(),
        )

    def has_unsaved_changes(self) -> bool:
        return self.snapshot() != self._baseline

    def _values(self) -> dict[str, Any]:
        point = QLocale().decimalPoint() or "."
        return {
            "agent": self.agent.currentData(),
            "highest_daily_dose_mg": self.dose.text().strip().replace(point, "."),
            "duration_days": self.days.text().strip(),
            "outcome": self.outcome.currentData() or "",
            "side_effects": self.side.text(),
            "other_agent_name": self.other.text(),
        }

    def validate(self) -> list[Problem]:
        v = self._values()
        problems = check_oral_trial(
            v["agent"],
            v["highest_daily_dose_mg"],
            v["duration_days"],
            v["outcome"],
            side_effects=v["side_effects"],
            other_agent_name=v["other_agent_name"],
        )
        dirty = self.has_unsaved_changes()
        _show(
            self.messages,
            problems if dirty else [p for p in problems if p.severity is not Severity.ERROR],
        )
        self.guidance.setText(candidacy.guidance_words(v["agent"]))
        self.other.setEnabled(v["agent"] == OralAgent.OTHER.value)
        self.save_button.setEnabled(self.allowed and dirty and not errors(problems))
        self.save_button.setText("Save changes" if self.editing else "Record trial")
        return problems

    def refresh(self) -> None:
        self.views = self.ctx.call(candidacy.list_oral_trials, self.tab.patient_id)
        from carecoord.domain.oral_therapy import judge_trial
        from carecoord.services.settings import load_settings

        settings = self.ctx.query(load_settings)
        rows = []
        for v in self.views:
            t = v.trial
            judged = judge_trial(t, settings).words
            if v.warnings:
                judged += " " + " ".join(w.message for w in v.warnings)
            rows.append(
                [
                    t.agent_name,
                    f"{format_number(t.highest_daily_dose_mg)} mg a day",
                    f"{t.duration_days} days",
                    t.outcome.label,
                    t.side_effects or "—",
                    judged,
                ]
            )
        _fill(self.table, rows, [v.id for v in self.views])

    def clear(self) -> None:
        self.editing = None
        self.agent.setCurrentIndex(0)
        for w in (self.other, self.dose, self.days, self.side):
            w.clear()
        self.outcome.setCurrentIndex(0)
        self._baseline = self.snapshot()
        self.validate()

    def edit_selected(self) -> None:
        ident = _selected_id(self.table)
        view = next((v for v in self.views if v.id == ident), None)
        if view is None:
            return
        t = view.trial
        self.agent.setCurrentIndex(self.agent.findData(t.agent.value))
        self.other.setText(t.other_agent_name)
        self.dose.setText(format_number(t.highest_daily_dose_mg))
        self.days.setText(str(t.duration_days))
        self.outcome.setCurrentIndex(self.outcome.findData(t.outcome.value))
        self.side.setText(t.side_effects)
        self.editing = (view.id, view.version)
        self._baseline = ()
        self.validate()

    def save(self) -> bool:
        if errors(self.validate()):
            return False
        v = self._values()
        if self.editing:
            ident, version = self.editing
            result = attempt(
                self,
                "Not saved",
                lambda: self.ctx.call(candidacy.update_oral_trial, ident, version, **v),
                self.messages,
            )
        else:
            result = attempt(
                self,
                "Not recorded",
                lambda: self.ctx.call(candidacy.record_oral_trial, self.tab.patient_id, **v),
                self.messages,
            )
        if result is None:
            return False
        self.clear()
        self.tab.changed("oral_trial")
        return True

    def remove_selected(self) -> None:
        ident = _selected_id(self.table)
        view = next((v for v in self.views if v.id == ident), None)
        if view is None:
            return
        reason, ok = QInputDialog.getText(
            self, "Remove the trial", f"{view.trial.words}\nWhy is it removed from the record?"
        )
        if (
            ok
            and attempt(
                self,
                "Not removed",
                lambda: self.ctx.call(candidacy.retire_oral_trial, view.id, view.version, reason),
            )
            is not None
        ):
            self.tab.changed("oral_trial")


class ContraindicationPanel(QWidget):
    """Each listed contraindication answered present, absent or not assessed."""

    CHOICES = (("Not assessed", None), ("Absent", False), ("Present", True))

    def __init__(self, tab: CandidacyTab) -> None:
        super().__init__()
        self.tab = tab
        self.ctx = tab.ctx
        self.latest_id: int | None = None
        outer = QVBoxLayout(self)
        self.last = QLabel()
        self.last.setObjectName("screenLast")
        self.last.setWordWrap(True)
        outer.addWidget(self.last)
        grid_box = QWidget()
        grid = QGridLayout(grid_box)
        self.answers: dict[Contraindication, QComboBox] = {}
        row = 0
        for kind in ContraindicationKind:
            title = QLabel(kind.label)
            scale_font(title, 1.05)
            grid.addWidget(title, row, 0, 1, 2)
            row += 1
            for item in (c for c in Contraindication if c.kind is kind):
                combo = QComboBox()
                combo.setObjectName(f"ci_{item.value}")
                combo.setAccessibleName(item.label)
                for text, data in self.CHOICES:
                    combo.addItem(text, data)
                combo.currentIndexChanged.connect(self.validate)
                label = QLabel(item.label)
                label.setBuddy(combo)
                grid.addWidget(label, row, 0)
                grid.addWidget(combo, row, 1)
                self.answers[item] = combo
                row += 1
        grid.setColumnStretch(2, 1)
        outer.addWidget(grid_box)
        form = QFormLayout()
        self.assessed_on = OptionalDateEdit()
        self.assessed_on.set_value(dt.date.today())
        self.assessed_on.dateChanged.connect(self.validate)
        self.notes = QLineEdit()
        self.notes.textChanged.connect(self.validate)
        self.young = QLineEdit()
        self.young.setPlaceholderText("only for a child younger than the clinic's minimum age")
        self.young.textChanged.connect(self.validate)
        self.messages = {
            "assessed_on": _row(form, "Screened on", self.assessed_on, "screen_date"),
            "notes": _row(form, "Notes", self.notes, "screen_notes"),
            "young_age_reason": _row(form, "Reason to screen a young child", self.young, "young"),
        }
        outer.addLayout(form)
        buttons = QHBoxLayout()
        self.all_absent = QPushButton("Mark the unanswered as absent")
        self.all_absent.clicked.connect(self.mark_absent)
        self.save_button = QPushButton("Save the screen")
        self.save_button.setObjectName("screenSave")
        self.save_button.clicked.connect(self.save)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        buttons.addWidget(self.summary, 1)
        buttons.addWidget(self.all_absent)
        buttons.addWidget(self.save_button)
        outer.addLayout(buttons)
        outer.addStretch(1)
        self.allowed = gate(self.save_button, self.ctx, Permission.EDIT_CANDIDACY)
        gate(self.all_absent, self.ctx, Permission.EDIT_CANDIDACY)
        self._baseline = self.snapshot()

    def snapshot(self) -> tuple[Any, ...]:
        return (
            tuple(c.currentIndex() for c in self.answers.values()),
            self.assessed_on.value(),
            self.notes.text(),
            self.young.text(),
        )

    def has_unsaved_changes(self) -> bool:
        return self.snapshot() != self._baseline

    def mark_absent(self) -> None:
        for combo in self.answers.values():
            if combo.currentData() is None:
                combo.setCurrentIndex(1)

    def validate(self, *_args: object) -> None:
        dirty = self.has_unsaved_changes()
        unanswered = [c for c, w in self.answers.items() if w.currentData() is None]
        present = [c for c, w in self.answers.items() if w.currentData() is True]
        date_problem = (
            []
            if self.assessed_on.value()
            else [Problem("assessed_on", "Enter the date of the screen.")]
        )
        _show(self.messages, date_problem)
        self.save_button.setEnabled(self.allowed and dirty and not date_problem)
        words = []
        if present:
            words.append("Present: " + ", ".join(c.label for c in present) + ".")
        if unanswered:
            words.append(f"{len(unanswered)} item(s) not assessed.")
        if dirty:
            words.append("Unsaved changes.")
        self.summary.setText(" ".join(words))

    def refresh(self) -> None:
        if self.has_unsaved_changes():
            return
        view = self.ctx.call(candidacy.latest_screen, self.tab.patient_id)
        self.latest_id = view.id if view else None
        answers = view.screen.answers if view else {}
        for item, combo in self.answers.items():
            value = answers.get(item)
            combo.setCurrentIndex({None: 0, False: 1, True: 2}[value])
        self.assessed_on.set_value(view.screen.assessed_on if view else dt.date.today())
        self.notes.setText(view.screen.notes if view else "")
        self.young.setText(view.screen.young_age_reason if view else "")
        self.last.setText(
            f"Last screened on {format_date(view.screen.assessed_on)} by {view.recorded_by}. "
            "Saving records a new screen; earlier ones stay on record."
            if view
            else "No contraindication screen yet."
        )
        self._baseline = self.snapshot()
        self.validate()

    def save(self) -> bool:
        answers = {
            c.value: w.currentData() for c, w in self.answers.items() if w.currentData() is not None
        }
        result = attempt(
            self,
            "Not saved",
            lambda: self.ctx.call(
                candidacy.save_screen,
                self.tab.patient_id,
                answers=answers,
                assessed_on=self.assessed_on.value(),
                notes=self.notes.text(),
                young_age_reason=self.young.text(),
                based_on_id=self.latest_id,
            ),
            self.messages,
        )
        if result is None:
            return False
        self._baseline = self.snapshot()
        self.tab.changed("contraindication_screen")
        return True


class GoalsPanel(QWidget):
    """Goals documented before screening, scored later with GAS."""

    def __init__(self, tab: CandidacyTab) -> None:
        super().__init__()
        self.tab = tab
        self.ctx = tab.ctx
        layout = QVBoxLayout(self)
        self.total = QLabel()
        self.total.setObjectName("gasTotal")
        layout.addWidget(self.total)
        self.table = _table(["Area", "Goal", "Weight", "GAS score", "Scored on"])
        self.table.setObjectName("goalsTable")
        layout.addWidget(self.table, 1)
        score_row = QHBoxLayout()
        self.score = QComboBox()
        self.score.setObjectName("gasScore")
        from carecoord.domain.scales import GAS_LEVELS

        for s, words in GAS_LEVELS.items():
            self.score.addItem(f"{s:+d} {words}", s)
        self.score.setCurrentIndex(2)
        self.score_button = QPushButton("Score the selected goal")
        self.score_button.setObjectName("gasScoreButton")
        self.score_button.clicked.connect(self.score_selected)
        self.remove_button = QPushButton("Remove selected…")
        self.remove_button.clicked.connect(self.remove_selected)
        score_row.addWidget(QLabel("Attainment"))
        score_row.addWidget(self.score)
        score_row.addWidget(self.score_button)
        score_row.addStretch(1)
        score_row.addWidget(self.remove_button)
        layout.addLayout(score_row)
        box = QGroupBox("Document a goal")
        form = QFormLayout(box)
        self.area = QComboBox()
        for a in GoalArea:
            self.area.addItem(a.label, a.value)
        self.description = QLineEdit()
        self.description.setPlaceholderText("for example: transfers bed to chair with one helper")
        self.weight = QLineEdit()
        self.weight.setPlaceholderText("1")
        self.messages = {
            "area": _row(form, "Area", self.area, "goal_area"),
            "description": _row(form, "Goal", self.description, "goal_text"),
            "weight": _row(form, "Weight", self.weight, "goal_weight"),
        }
        self.add_button = QPushButton("Add goal")
        self.add_button.setObjectName("goalAdd")
        self.add_button.clicked.connect(self.add)
        form.addRow(self.add_button)
        layout.addWidget(box)
        self.description.textChanged.connect(self.validate)
        self.weight.textChanged.connect(self.validate)
        self.allowed = gate(self.add_button, self.ctx, Permission.EDIT_CANDIDACY)
        gate(self.score_button, self.ctx, Permission.EDIT_CANDIDACY)
        gate(self.remove_button, self.ctx, Permission.EDIT_CANDIDACY)
        self.goals: list[candidacy.GoalView] = []
        self.validate()

    def has_unsaved_changes(self) -> bool:
        return bool(self.description.text().strip() or self.weight.text().strip())

    def validate(self, *_args: object) -> list[Problem]:
        problems = check_goal(self.area.currentData(), self.description.text(), self.weight.text())
        shown = (
            problems
            if self.description.text().strip()
            else [p for p in problems if p.field != "description"]
        )
        _show(self.messages, shown)
        self.add_button.setEnabled(self.allowed and not errors(problems))
        return problems

    def refresh(self) -> None:
        summary = self.ctx.call(candidacy.list_goals, self.tab.patient_id)
        self.goals = summary.goals
        self.total.setText(summary.words)
        _fill(
            self.table,
            [
                [
                    g.area.label,
                    g.description,
                    format_number(g.weight),
                    f"{g.gas_score:+d}" if g.gas_score is not None else "Not scored",
                    format_date(g.scored_on),
                ]
                for g in self.goals
            ],
            [g.id for g in self.goals],
        )

    def add(self) -> None:
        if errors(self.validate()):
            return
        result = attempt(
            self,
            "Not added",
            lambda: self.ctx.call(
                candidacy.add_goal,
                self.tab.patient_id,
                area=self.area.currentData(),
                description=self.description.text(),
                weight=self.weight.text(),
            ),
            self.messages,
        )
        if result is not None:
            self.description.clear()
            self.weight.clear()
            self.tab.changed("goal")

    def _selected(self) -> candidacy.GoalView | None:
        ident = _selected_id(self.table)
        return next((g for g in self.goals if g.id == ident), None)

    def score_selected(self) -> None:
        goal = self._selected()
        if goal is None:
            return
        if (
            attempt(
                self,
                "Not scored",
                lambda: self.ctx.call(
                    candidacy.score_goal, goal.id, goal.version, self.score.currentData()
                ),
            )
            is not None
        ):
            self.tab.changed("goal")

    def remove_selected(self) -> None:
        goal = self._selected()
        if goal is None:
            return
        reason, ok = QInputDialog.getText(
            self, "Remove the goal", f"{goal.description}\nWhy is it removed?"
        )
        if (
            ok
            and attempt(
                self,
                "Not removed",
                lambda: self.ctx.call(candidacy.retire_goal, goal.id, goal.version, reason),
            )
            is not None
        ):
            self.tab.changed("goal")


class ScreeningPanel(QWidget):
    """Test doses: the suggested next step, each trial with its serial assessments, and forms
    for a new trial, an assessment and an adverse event."""

    def __init__(self, tab: CandidacyTab) -> None:
        super().__init__()
        self.tab = tab
        self.ctx = tab.ctx
        self.trials: list[TrialView] = []
        outer = QVBoxLayout(self)
        self.next_step = QLabel()
        self.next_step.setObjectName("nextStep")
        self.next_step.setWordWrap(True)
        scale_font(self.next_step, 1.15)
        outer.addWidget(self.next_step)
        split = QSplitter(Qt.Orientation.Vertical)
        top = QWidget()
        tl = QVBoxLayout(top)
        tl.setContentsMargins(0, 0, 0, 0)
        self.table = _table(
            ["Given", "Dose", "Response", "Best Ashworth reduction", "Protocol notes"]
        )
        self.table.setObjectName("trialsTable")
        self.table.currentCellChanged.connect(lambda *_: self._show_trial())
        tl.addWidget(self.table)
        self.assessments = _table(
            ["Time", "After the dose", "Ashworth", "Mean", "Vital signs", "Note"]
        )
        self.assessments.setObjectName("assessmentsTable")
        tl.addWidget(QLabel("Serial assessments of the selected trial"))
        tl.addWidget(self.assessments)
        self.events = QLabel()
        self.events.setWordWrap(True)
        tl.addWidget(self.events)
        split.addWidget(top)
        forms = QTabWidget()
        forms.setObjectName("screeningForms")
        forms.addTab(self._new_trial_form(), "New trial")
        forms.addTab(self._assessment_form(), "Add an assessment")
        forms.addTab(self._event_form(), "Adverse event")
        self.forms = forms
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(forms)
        split.addWidget(scroll)
        split.setSizes([420, 480])
        outer.addWidget(split, 1)
        for b in (self.trial_button, self.assess_button, self.event_button):
            gate(b, self.ctx, Permission.RECORD_SCREENING)
        self.allowed = self.ctx.can(Permission.RECORD_SCREENING)

    # ---- forms ---------------------------------------------------------------------------

    def _new_trial_form(self) -> QWidget:
        w = QWidget()
        form = QFormLayout(w)
        self.route = QComboBox()
        for r in ScreeningRoute:
            self.route.addItem(r.label, r.value)
        self.dose = QComboBox()
        self.dose.setEditable(True)
        for d in BOLUS_DOSES_MCG:
            self.dose.addItem(f"{format_number(d)}", str(d))
        self.dose.setEditText("50")
        self.per_day = QLineEdit()
        self.per_day.setPlaceholderText("mcg/day (continuous trial only)")
        self.hours = QLineEdit()
        self.hours.setPlaceholderText("hours (continuous trial only)")
        self.given_at = _datetime_edit()
        self.baseline_at = _datetime_edit()
        self.baseline_at.setDateTime(QDateTime.currentDateTime().addSecs(-30 * 60))
        self.baseline_mas = MasInput()
        self.baseline_mas.setObjectName("baselineMas")
        self.trial_notes = QLineEdit()
        self.trial_messages = {
            "route": _row(form, "Route", self.route, "trial_route"),
            "dose_mcg": _row(form, "Bolus dose (mcg)", self.dose, "trial_dose"),
            "dose_mcg_per_day": _row(form, "Daily dose (mcg/day)", self.per_day, "trial_per_day"),
            "duration_hours": _row(form, "Duration (h)", self.hours, "trial_hours"),
            "given_at": _row(form, "Given at", self.given_at, "trial_given"),
            "baseline": _row(form, "Baseline taken at", self.baseline_at, "trial_baseline_at"),
            "mas": _row(form, "Baseline Ashworth", self.baseline_mas, "trial_baseline_mas"),
            "notes": _row(form, "Notes", self.trial_notes, "trial_notes"),
        }
        self.trial_button = QPushButton("Record the trial")
        self.trial_button.setObjectName("trialSave")
        self.trial_button.clicked.connect(self.record_trial)
        form.addRow(self.trial_button)
        self.route.currentIndexChanged.connect(self._route_changed)
        self._route_changed()
        return w

    def _route_changed(self, *_args: object) -> None:
        bolus = self.route.currentData() == ScreeningRoute.BOLUS.value
        self.dose.setEnabled(bolus)
        self.per_day.setEnabled(not bolus)
        self.hours.setEnabled(not bolus)

    def _assessment_form(self) -> QWidget:
        w = QWidget()
        form = QFormLayout(w)
        self.assess_for = QLabel("Select a trial above.")
        form.addRow("Trial", self.assess_for)
        self.taken_at = _datetime_edit()
        self.post_mas = MasInput()
        self.post_mas.setObjectName("postMas")
        vitals = QWidget()
        vl = QHBoxLayout(vitals)
        vl.setContentsMargins(0, 0, 0, 0)
        self.vitals: dict[str, QLineEdit] = {}
        for key, label in (
            ("systolic_mmhg", "Systolic mmHg"),
            ("diastolic_mmhg", "Diastolic mmHg"),
            ("heart_rate_per_min", "Heart rate /min"),
            ("respiratory_rate_per_min", "Breaths /min"),
            ("oxygen_saturation_percent", "SpO2 %"),
        ):
            edit = QLineEdit()
            edit.setObjectName(key)
            edit.setPlaceholderText(label)
            edit.setAccessibleName(label)
            edit.setMaximumWidth(130)
            vl.addWidget(edit)
            self.vitals[key] = edit
        vl.addStretch(1)
        self.assess_note = QLineEdit()
        self.assess_messages = {
            "taken_at": _row(form, "Taken at", self.taken_at, "assess_time"),
            "mas": _row(form, "Ashworth", self.post_mas, "assess_mas"),
            "vitals": _row(form, "Vital signs", vitals, "assess_vitals"),
            "note": _row(form, "Note", self.assess_note, "assess_note"),
        }
        self.assess_button = QPushButton("Add the assessment")
        self.assess_button.setObjectName("assessSave")
        self.assess_button.clicked.connect(self.add_assessment)
        form.addRow(self.assess_button)
        return w

    def _event_form(self) -> QWidget:
        w = QWidget()
        form = QFormLayout(w)
        self.event = QComboBox()
        for e in AdverseEvent:
            self.event.addItem(e.label, e.value)
        self.event_at = _datetime_edit()
        self.event_details = QLineEdit()
        self.event_messages = {
            "event": _row(form, "Event", self.event, "event_kind"),
            "at": _row(form, "At", self.event_at, "event_at"),
            "details": _row(form, "Details", self.event_details, "event_details"),
        }
        self.event_button = QPushButton("Record the adverse event")
        self.event_button.setObjectName("eventSave")
        self.event_button.clicked.connect(self.add_event)
        form.addRow(self.event_button)
        return w

    # ---- data ----------------------------------------------------------------------------

    def has_unsaved_changes(self) -> bool:
        return bool(
            _graded(self.baseline_mas)
            or _graded(self.post_mas)
            or any(e.text().strip() for e in self.vitals.values())
            or self.event_details.text().strip()
        )

    def post_mas_has_grades(self) -> bool:
        return _graded(self.post_mas) is not None

    def refresh(self) -> None:
        selected = _selected_id(self.table)
        summary = self.ctx.call(candidacy.screening_summary, self.tab.patient_id)
        self.trials = summary.trials
        step = summary.next_step
        words = f"Next step: {step.action.label}. {step.words}"
        if step.action is NextAction.START and summary.origin is None:
            words += " Record the origin of spasticity so the response can be judged."
        self.next_step.setText(words)
        set_state(
            self.next_step,
            {"positive": "met", "not_a_candidate": "error"}.get(step.action.value, "dirty"),
        )
        if step.dose_mcg is not None and not _graded(self.baseline_mas):
            self.dose.setEditText(format_number(step.dose_mcg))
        rows = []
        for t in self.trials:
            best = t.response.best
            rows.append(
                [
                    format_datetime(t.trial.given_at),
                    t.trial.dose_words,
                    t.response.status.label,
                    format_number(best.reduction, 2) + f" at {format_datetime(best.taken_at)}"
                    if best
                    else "—",
                    " ".join(w.message for w in t.warnings) or "None",
                ]
            )
        _fill(self.table, rows, [t.id for t in self.trials])
        if self.trials:
            index = next(
                (i for i, t in enumerate(self.trials) if t.id == selected), len(self.trials) - 1
            )
            self.table.selectRow(index)
        self._show_trial()
        if not _graded(self.baseline_mas) and self.trials and self.trials[-1].trial.baseline:
            base = self.trials[-1].trial.baseline.mas
            if base:
                self.baseline_mas.set_groups([(r.muscle_group, r.side.value) for r in base.ratings])

    def _selected_trial(self) -> TrialView | None:
        ident = _selected_id(self.table)
        return next((t for t in self.trials if t.id == ident), None)

    def _show_trial(self) -> None:
        t = self._selected_trial()
        if t is None:
            self.assessments.setRowCount(0)
            self.events.setText("")
            self.assess_for.setText("Select a trial above.")
            return
        rows = []
        items = []
        if t.trial.baseline:
            items.append(("Baseline", t.trial.baseline))
        items += [("", a) for a in t.trial.post_dose]
        for label, a in items:
            after = a.taken_at - t.trial.given_at
            hours = format_number(round(after.total_seconds() / 3600, 1))
            rows.append(
                [
                    format_datetime(a.taken_at),
                    label or f"{hours} h",
                    "; ".join(
                        f"{r.muscle_group} {r.side.value[0].upper()} {r.grade}"
                        for r in a.mas.ratings
                    )
                    if a.mas
                    else "—",
                    format_number(a.mas.mean(), 2) if a.mas else "—",
                    _vitals_words(a.vitals),
                    a.note or "",
                ]
            )
        _fill(self.assessments, rows, list(range(len(rows))))
        events = "; ".join(e.words for e in t.trial.adverse_events)
        self.events.setText(f"Adverse events: {events or 'none recorded'}.")
        self.assess_for.setText(f"{t.trial.dose_words} given {format_datetime(t.trial.given_at)}")
        if not self.post_mas_has_grades() and t.trial.baseline and t.trial.baseline.mas:
            self.post_mas.set_groups(
                [(r.muscle_group, r.side.value) for r in t.trial.baseline.mas.ratings]
            )

    # ---- actions -------------------------------------------------------------------------

    def record_trial(self) -> bool:
        bolus = self.route.currentData() == ScreeningRoute.BOLUS.value
        mas = _graded(self.baseline_mas)
        baseline = {"taken_at": _aware(self.baseline_at), "mas": mas} if mas else None
        for m in self.trial_messages.values():
            m.show_problems([])

        def call() -> Any:
            return self.ctx.call(
                candidacy.record_screening_trial,
                self.tab.patient_id,
                route=self.route.currentData(),
                given_at=_aware(self.given_at),
                dose_mcg=self.dose.currentText().strip() if bolus else None,
                dose_mcg_per_day=None if bolus else self.per_day.text().strip(),
                duration_hours=None if bolus else self.hours.text().strip(),
                baseline=baseline,
                notes=self.trial_notes.text(),
            )

        result = attempt(self, "Trial not recorded", call, self.trial_messages, route=_trial_field)
        if result is None:
            return False
        self.baseline_mas.set_value(None)
        self.trial_notes.clear()
        self.post_mas.set_value(None)
        self.tab.changed("screening_trial")
        return True

    def add_assessment(self) -> bool:
        t = self._selected_trial()
        if t is None:
            return False
        vitals = {k: e.text().strip() for k, e in self.vitals.items() if e.text().strip()}
        mas = _graded(self.post_mas)
        payload = {
            "taken_at": _aware(self.taken_at),
            "mas": mas,
            "vitals": vitals or None,
            "note": self.assess_note.text().strip(),
        }
        for m in self.assess_messages.values():
            m.show_problems([])
        result = attempt(
            self,
            "Assessment not added",
            lambda: self.ctx.call(candidacy.add_assessment, t.id, t.version, payload),
            self.assess_messages,
            route=_assessment_field,
        )
        if result is None:
            return False
        self.post_mas.set_value(None)
        for e in self.vitals.values():
            e.clear()
        self.assess_note.clear()
        self.tab.changed("screening_trial")
        return True

    def add_event(self) -> bool:
        t = self._selected_trial()
        if t is None:
            return False
        result = attempt(
            self,
            "Adverse event not recorded",
            lambda: self.ctx.call(
                candidacy.add_adverse_event,
                t.id,
                t.version,
                event=self.event.currentData(),
                at=_aware(self.event_at),
                details=self.event_details.text(),
            ),
            self.event_messages,
        )
        if result is None:
            return False
        self.event_details.clear()
        self.tab.changed("screening_trial")
        return True


def _graded(mas: MasInput) -> dict[str, Any] | None:
    """The rows with a grade typed (groups offered but left ungraded are not values)."""
    value = mas.value()
    if not value:
        return None
    ratings = [r for r in value["ratings"] if r.get("grade")]
    return {**value, "ratings": ratings} if ratings else None


def _trial_field(field: str) -> str:
    """Where a refusal of a new trial is shown: Ashworth problems under the baseline grades."""
    if ".mas" in field:
        return "mas"
    if field.startswith("baseline"):
        return "baseline"
    return top_field(field)


VITAL_KEYS = (
    "systolic_mmhg",
    "diastolic_mmhg",
    "heart_rate_per_min",
    "respiratory_rate_per_min",
    "oxygen_saturation_percent",
    "temperature_c",
    "vitals",
)


def _assessment_field(field: str) -> str:
    key = top_field(field)
    if key in VITAL_KEYS:
        return "vitals"
    return (
        "mas"
        if key.startswith("mas") or (key.startswith("post_dose") and ".mas" in field)
        else ("taken_at" if "taken_at" in field else key)
    )


def _vitals_words(v: Any) -> str:
    if v is None:
        return "—"
    parts = []
    if v.systolic_mmhg is not None and v.diastolic_mmhg is not None:
        parts.append(f"BP {format_number(v.systolic_mmhg)}/{format_number(v.diastolic_mmhg)}")
    if v.heart_rate_per_min is not None:
        parts.append(f"HR {format_number(v.heart_rate_per_min)}")
    if v.respiratory_rate_per_min is not None:
        parts.append(f"RR {format_number(v.respiratory_rate_per_min)}")
    if v.oxygen_saturation_percent is not None:
        parts.append(f"SpO2 {format_number(v.oxygen_saturation_percent)} %")
    return ", ".join(parts) or "—"


# ---------------------------------------------------------------------------------------------


class CandidacyTab(QWidget):
    """The checklist on the left (words first: Met / Not met / Check), the work-up on the right."""

    PANEL_FOR = {
        RecordKind.ORAL_TRIAL: 0,
        RecordKind.CONTRAINDICATION_SCREEN: 1,
        RecordKind.SCREENING_TRIAL: 3,
    }

    def __init__(self, ctx: AppContext, patient_id: int) -> None:
        super().__init__()
        self.ctx = ctx
        self.patient_id = patient_id
        self.assessment: CandidacyAssessment | None = None
        self.setObjectName("candidacyTab")
        layout = QHBoxLayout(self)
        split = QSplitter()
        left = QWidget()
        ll = QVBoxLayout(left)
        ll.setContentsMargins(0, 0, 0, 0)
        ll.addWidget(heading("Candidacy", 2))
        self.status = QLabel()
        self.status.setObjectName("candidacyStatus")
        self.status.setWordWrap(True)
        scale_font(self.status, 1.2)
        ll.addWidget(self.status)
        self.checklist = QTreeWidget()
        self.checklist.setObjectName("checklist")
        self.checklist.setHeaderLabels(["Item", "State", "Details"])
        self.checklist.setRootIsDecorated(False)
        self.checklist.setWordWrap(True)
        self.checklist.setAlternatingRowColors(True)
        self.checklist.itemActivated.connect(self._open_item)
        self.checklist.itemDoubleClicked.connect(lambda item, _c: self._open_item(item))
        ll.addWidget(self.checklist, 3)
        self.warnings = QLabel()
        self.warnings.setObjectName("candidacyWarnings")
        self.warnings.setWordWrap(True)
        self.warnings.setAlignment(Qt.AlignmentFlag.AlignTop)
        ll.addWidget(self.warnings, 1)
        split.addWidget(left)
        self.panels = QTabWidget()
        self.panels.setObjectName("candidacyPanels")
        self.oral = OralTherapyPanel(self)
        self.contra = ContraindicationPanel(self)
        self.goals = GoalsPanel(self)
        self.screening = ScreeningPanel(self)
        for title, panel in (
            ("Oral therapy", self.oral),
            ("Contraindications", self.contra),
            ("Goals", self.goals),
            ("Screening trials", self.screening),
        ):
            scroll = QScrollArea()
            scroll.setWidgetResizable(True)
            scroll.setFrameShape(QScrollArea.Shape.NoFrame)
            scroll.setWidget(panel)
            self.panels.addTab(scroll, title)
        split.addWidget(self.panels)
        split.setStretchFactor(1, 1)
        split.setSizes([640, 1100])
        layout.addWidget(split)
        ctx.bus.changed.connect(self._on_bus)
        self.refresh()

    def refresh(self) -> None:
        self.assessment = self.ctx.call(candidacy.candidacy, self.patient_id)
        a = self.assessment
        self.status.setText(f"Status: {a.status.label}")
        set_state(
            self.status,
            {
                "ready_for_team_review": "met",
                "approved": "met",
                "contraindicated": "error",
                "declined": "error",
                "screening_negative": "error",
            }.get(a.status.value, "dirty"),
        )
        self.checklist.clear()
        for item in a.checklist:
            row = QTreeWidgetItem([item.label, STATE_MARK[item.state], item.words])
            row.setToolTip(2, item.words)
            row.setData(0, ID_ROLE, item.refs[0].kind.value if item.refs else "")
            self.checklist.addTopLevelItem(row)
        self.checklist.resizeColumnToContents(0)
        self.checklist.resizeColumnToContents(1)
        lines = [f"Why: {r.words}" for r in a.reasons]
        lines += [f"Also open: {r.words}" for r in a.other_blockers[:6]]
        lines += [f"Check: {w.words}" for w in a.warnings[:6]]
        self.warnings.setText("\n".join(lines))
        for panel in (self.oral, self.contra, self.goals, self.screening):
            panel.refresh()

    def changed(self, entity: str) -> None:
        self.ctx.bus.changed.emit(entity)
        if not self.isVisible():
            self.refresh()

    def _on_bus(self, entity: str) -> None:
        if entity in (
            "evaluation",
            "oral_trial",
            "contraindication_screen",
            "goal",
            "screening_trial",
            "team_decision",
            "meeting",
            "patient",
            "external",
        ):
            self.refresh()

    def _open_item(self, item: QTreeWidgetItem | None) -> None:
        if item is None:
            return
        kind = item.data(0, ID_ROLE)
        if kind == RecordKind.EVALUATION.value:
            parent = self.parent()
            while parent is not None and not hasattr(parent, "show_tab"):
                parent = parent.parent()
            if parent is not None:
                parent.show_tab("evaluations")  # type: ignore[attr-defined]
            return
        try:
            index = self.PANEL_FOR.get(RecordKind(kind))
        except ValueError:
            index = None
        if index is not None:
            self.panels.setCurrentIndex(index)

    def has_unsaved_changes(self) -> bool:
        return any(
            p.has_unsaved_changes() for p in (self.oral, self.contra, self.goals, self.screening)
        )

    def unsaved_summary(self) -> str:
        names = [
            n
            for n, p in (
                ("oral trial", self.oral),
                ("contraindication screen", self.contra),
                ("goal", self.goals),
                ("screening", self.screening),
            )
            if p.has_unsaved_changes()
        ]
        return ", ".join(names) + " not saved"


def _factory(ctx: AppContext, patient_id: int | None) -> QWidget:
    assert patient_id is not None
    return CandidacyTab(ctx, patient_id)


register_patient_tab(PatientTabSpec("candidacy", "Candidacy", _factory, order=25))
