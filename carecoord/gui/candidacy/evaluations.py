"""The Evaluations tab: one form per discipline, built from the domain's form definitions.

Each form validates live with the domain rule, saves a draft, signs (only a user of that
discipline; the button says why otherwise), and shows a signed form frozen with its amendments
beside it. Typed answers survive refreshes: a form with unsaved edits is never reloaded under
the user; a conflict shows yours and theirs.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from PySide6.QtCore import QLocale, Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from carecoord.domain.enums import Discipline
from carecoord.domain.errors import Problem
from carecoord.domain.evaluations import (
    EvaluationStatus,
    FieldKind,
    FieldSpec,
    form_for,
)
from carecoord.domain.permissions import Permission
from carecoord.domain.units import format_number
from carecoord.gui.candidacy.common import attempt, errors, group_problems, set_state, show_conflict
from carecoord.gui.candidacy.scales import ScaleInput, scale_input
from carecoord.gui.context import AppContext
from carecoord.gui.patient.overview import ConflictDialog
from carecoord.gui.registry import PatientTabSpec, register_patient_tab
from carecoord.gui.widgets import FieldMessage, chain_tab_order, confirm, heading, show_error
from carecoord.services import evaluations, patients
from carecoord.services.errors import ConflictError, ServiceError
from carecoord.services.evaluations import EvaluationView


class EvaluationForm(QWidget):
    """One discipline's evaluation: the latest version (a draft amendment, the signed one in
    force, or nothing yet) and, above it, the list of versions to read the earlier ones."""

    def __init__(self, ctx: AppContext, patient_id: int, discipline: Discipline) -> None:
        super().__init__()
        self.ctx = ctx
        self.patient_id = patient_id
        self.discipline = discipline
        self.form = form_for(discipline)
        self.versions: list[EvaluationView] = []
        self.current: EvaluationView | None = None  # the version shown
        self.version = 0
        self.widgets: dict[str, QWidget] = {}
        self.messages: dict[str, FieldMessage] = {}
        self._baseline: dict[str, Any] = {}
        self._loading = False
        self._point = QLocale().decimalPoint() or "."
        self.setObjectName(f"evaluation_{discipline.value}")
        self._build()
        self.load()

    # ---- building ------------------------------------------------------------------------

    def _build(self) -> None:
        outer = QVBoxLayout(self)
        top = QHBoxLayout()
        self.title = heading(self.form.title, 2)
        top.addWidget(self.title, 1)
        self.version_choice = QComboBox()
        self.version_choice.setObjectName("versionChoice")
        self.version_choice.setAccessibleName("Version shown")
        self.version_choice.currentIndexChanged.connect(self._choose_version)
        top.addWidget(QLabel("Version:"))
        top.addWidget(self.version_choice)
        outer.addLayout(top)
        self.state = QLabel()
        self.state.setObjectName("evaluationState")
        self.state.setWordWrap(True)
        outer.addWidget(self.state)
        self.notice = QLabel()
        self.notice.setObjectName("editorNotice")
        self.notice.setWordWrap(True)
        self.notice.setVisible(False)
        outer.addWidget(self.notice)

        body = QWidget()
        column = QVBoxLayout(body)
        sections: dict[str, QFormLayout] = {}
        order: list[QWidget] = []
        for spec in self.form.fields:
            form = sections.get(spec.section)
            if form is None:
                group = QGroupBox(spec.section)
                form = QFormLayout(group)
                form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
                form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
                sections[spec.section] = form
                column.addWidget(group)
            widget = self._widget(spec)
            widget.setObjectName(spec.key)
            widget.setAccessibleName(spec.label)
            message = FieldMessage()
            message.setObjectName(f"{spec.key}_message")
            box = QWidget()
            lay = QVBoxLayout(box)
            lay.setContentsMargins(0, 0, 0, 0)
            lay.setSpacing(2)
            lay.addWidget(widget)
            if spec.help:
                hint = QLabel(spec.help)
                hint.setObjectName("hint")
                hint.setWordWrap(True)
                lay.addWidget(hint)
            lay.addWidget(message)
            title = QLabel(f"{spec.label}{' *' if spec.required_for_signing else ''}")
            title.setBuddy(widget)
            title.setToolTip("* required to sign" if spec.required_for_signing else "")
            form.addRow(title, box)
            self.widgets[spec.key] = widget
            self.messages[spec.key] = message
            order.append(widget)
        column.addStretch(1)
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
        self.amend_button = QPushButton("Amend…")
        self.amend_button.setObjectName("amendButton")
        self.amend_button.clicked.connect(self.amend)
        self.revert_button = QPushButton("Undo my changes")
        self.revert_button.setObjectName("revertButton")
        self.revert_button.clicked.connect(self.revert)
        self.save_button = QPushButton("Save draft")
        self.save_button.setObjectName("saveButton")
        self.save_button.setToolTip("Save the draft (Ctrl+S)")
        self.save_button.clicked.connect(self.save)
        self.sign_button = QPushButton("Sign…")
        self.sign_button.setObjectName("signButton")
        self.sign_button.clicked.connect(self.sign)
        for b in (self.amend_button, self.revert_button, self.save_button, self.sign_button):
            bar.addWidget(b)
        outer.addLayout(bar)
        shortcut = QShortcut(QKeySequence.StandardKey.Save, self)
        shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        shortcut.activated.connect(lambda: self.save_button.isEnabled() and self.save())
        chain_tab_order([*order, self.save_button, self.sign_button])

    def _widget(self, spec: FieldSpec) -> QWidget:
        if spec.kind is FieldKind.TEXT:
            w = QPlainTextEdit()
            w.setTabChangesFocus(True)
            lines = 3 if spec.key in ("findings",) else 2
            w.setFixedHeight(w.fontMetrics().lineSpacing() * lines + 14)
            w.textChanged.connect(self._changed)
            return w
        if spec.kind is FieldKind.CHOICE:
            w = QComboBox()
            w.addItem("Not chosen", None)
            for value, label in spec.choices:
                w.addItem(label, value)
            w.currentIndexChanged.connect(self._changed)
            return w
        if spec.kind is FieldKind.NUMBER:
            box = QWidget()
            row = QHBoxLayout(box)
            row.setContentsMargins(0, 0, 0, 0)
            edit = QLineEdit()
            edit.setObjectName(f"{spec.key}_edit")
            edit.setMaximumWidth(140)
            edit.textChanged.connect(self._changed)
            row.addWidget(edit)
            row.addWidget(QLabel(spec.unit))
            row.addStretch(1)
            box.setFocusProxy(edit)
            box.edit = edit  # type: ignore[attr-defined]
            return box
        assert spec.scale is not None
        w = scale_input(spec.scale)
        w.changed.connect(self._changed)
        return w

    # ---- values --------------------------------------------------------------------------

    def field_widget(self, key: str) -> QWidget:
        w = self.widgets[key]
        return getattr(w, "edit", w)

    def values(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for spec in self.form.fields:
            w = self.widgets[spec.key]
            value: Any
            if isinstance(w, QPlainTextEdit):
                value = w.toPlainText()
            elif isinstance(w, QComboBox):
                value = w.currentData()
            elif isinstance(w, ScaleInput):
                value = w.value()
            else:
                value = w.edit.text().strip().replace(self._point, ".")  # type: ignore[attr-defined]
            if value not in (None, "") and not (isinstance(value, str) and not value.strip()):
                out[spec.key] = value
        return out

    def _set_values(self, values: dict[str, Any]) -> None:
        self._loading = True
        try:
            for spec in self.form.fields:
                w = self.widgets[spec.key]
                value = values.get(spec.key)
                if isinstance(w, QPlainTextEdit):
                    w.setPlainText(value or "")
                elif isinstance(w, QComboBox):
                    w.setCurrentIndex(max(w.findData(value), 0))
                elif isinstance(w, ScaleInput):
                    w.set_value(value)
                else:
                    text = ""
                    if value not in (None, ""):
                        from decimal import Decimal

                        text = format_number(Decimal(str(value))).replace(".", self._point)
                    w.edit.setText(text)  # type: ignore[attr-defined]
        finally:
            self._loading = False

    def _set_read_only(self, read_only: bool) -> None:
        for w in self.widgets.values():
            if isinstance(w, QPlainTextEdit):
                w.setReadOnly(read_only)
            elif isinstance(w, ScaleInput):
                w.set_read_only(read_only)
            elif isinstance(w, QComboBox):
                w.setEnabled(not read_only)
            else:
                w.edit.setReadOnly(read_only)  # type: ignore[attr-defined]

    # ---- state ---------------------------------------------------------------------------

    @property
    def mine(self) -> bool:
        return self.ctx.actor.discipline is self.discipline and self.ctx.can(
            Permission.EDIT_EVALUATION
        )

    @property
    def editable(self) -> bool:
        shown = self.current
        return self.mine and (shown is None or shown.status is EvaluationStatus.DRAFT)

    def latest(self) -> EvaluationView | None:
        return self.versions[-1] if self.versions else None

    def load(self, keep_notice: bool = False) -> None:
        views = self.ctx.call(evaluations.list_evaluations, self.patient_id)
        self.versions = [v for v in views if v.discipline is self.discipline]
        self._fill_versions()
        self._show(self.latest())
        if not keep_notice:
            self._notice("")

    def _fill_versions(self) -> None:
        self.version_choice.blockSignals(True)
        self.version_choice.clear()
        for v in self.versions:
            name = "Original" if v.revision == 1 else f"Amendment {v.revision - 1}"
            self.version_choice.addItem(f"{name}: {v.state_words}", v.id)
        if not self.versions:
            self.version_choice.addItem("Not started", None)
        self.version_choice.setCurrentIndex(self.version_choice.count() - 1)
        self.version_choice.setEnabled(len(self.versions) > 1)
        self.version_choice.blockSignals(False)

    def _choose_version(self, index: int) -> None:
        if index < 0 or not self.versions:
            return
        target = self.versions[index]
        if target is self.current:
            return
        if self.has_unsaved_changes() and not confirm(
            self,
            "Unsaved changes",
            f"Your edits to the {self.form.title.lower()} are not saved. Show another version "
            "and discard them?",
            yes="Discard my edits",
            no="Keep editing",
        ):
            self.version_choice.blockSignals(True)
            self.version_choice.setCurrentIndex(self.versions.index(self.current))  # type: ignore[arg-type]
            self.version_choice.blockSignals(False)
            return
        self._show(target)

    def _show(self, view: EvaluationView | None) -> None:
        self.current = view
        self.version = view.version if view else 0
        self._set_values(view.values if view else {})
        self._set_read_only(not self.editable)
        self._baseline = self.values()
        self.title.setText(view.title if view else self.form.title)
        if view is None:
            words = "Not started."
        else:
            words = view.state_words + "."
            if view.amends_id is not None:
                words += f" Amendment reason: {view.amendment_reason}."
            if view.status is EvaluationStatus.SIGNED and view.in_force:
                words += " Frozen: change it with an amendment; this version stays visible."
            elif view.status is EvaluationStatus.SIGNED:
                words += " Kept for the record; a later version is in force."
        if not self.mine:
            words += (
                f" Only a {self.discipline.label.lower()} edits and signs this evaluation; "
                f"you are signed in as {self.ctx.actor.display}."
            )
        self.state.setText(words)
        set_state(
            self.state,
            "signed" if view and view.status is EvaluationStatus.SIGNED else "draft",
        )
        self.validate()

    def _notice(self, text: str) -> None:
        self.notice.setText(text)
        self.notice.setVisible(bool(text))

    def _changed(self, *_args: object) -> None:
        if not self._loading:
            self.validate()

    def validate(self) -> list[Problem]:
        values = self.values()
        draft_problems = evaluations.check_values(self.discipline, values)
        sign_problems = evaluations.check_values(self.discipline, values, for_signing=True)
        by_field = group_problems(draft_problems)
        for key, message in self.messages.items():
            message.show_problems(by_field.get(key, []) if self.editable else [])
        blocking = errors(draft_problems)
        dirty = self.has_unsaved_changes()
        self.save_button.setEnabled(self.editable and dirty and not blocking)
        self.revert_button.setEnabled(dirty)
        self.revert_button.setVisible(self.editable)
        self.save_button.setVisible(self.editable)
        self._update_sign(errors(sign_problems))
        self._update_amend()
        if not self.editable:
            text = ""
        elif blocking:
            names = ", ".join(dict.fromkeys(self._label(p.field) for p in blocking))
            text = f"{len(blocking)} problem(s) to fix before saving: {names}."
        else:
            missing = errors(sign_problems)
            text = "Unsaved changes. " if dirty else ""
            if missing:
                names = ", ".join(dict.fromkeys(self._label(p.field) for p in missing))
                text += f"To sign, complete: {names}."
            else:
                text += "Complete: ready to sign."
        self.summary.setText(text)
        set_state(self.summary, "error" if blocking else ("dirty" if dirty else "clean"))
        return draft_problems

    def _update_sign(self, missing: list[Problem]) -> None:
        b = self.sign_button
        shown = self.current
        if not self.mine:
            b.setEnabled(False)
            b.setToolTip(
                f"Only a {self.discipline.label.lower()} signs the {self.form.title.lower()}. "
                f"You are signed in as {self.ctx.actor.display}."
            )
            return
        if shown is not None and shown.status is EvaluationStatus.SIGNED:
            b.setEnabled(False)
            b.setToolTip("Already signed: change it with an amendment.")
            return
        if missing:
            b.setEnabled(False)
            b.setToolTip("Complete the required fields first: " + missing[0].message)
            return
        b.setEnabled(True)
        b.setToolTip("Sign: the evaluation becomes frozen")

    def _update_amend(self) -> None:
        shown = self.current
        visible = (
            self.mine
            and shown is not None
            and shown.status is EvaluationStatus.SIGNED
            and shown.amended_by_id is None
        )
        self.amend_button.setVisible(visible)
        self.amend_button.setEnabled(visible)

    def _label(self, field: str) -> str:
        key = field.split(".", 1)[0].split("[", 1)[0]
        try:
            return self.form.field(key).label
        except KeyError:
            return key

    def has_unsaved_changes(self) -> bool:
        return self.editable and self.values() != self._baseline

    def unsaved_summary(self) -> str:
        now = self.values()
        keys = [
            k for k in dict.fromkeys([*now, *self._baseline]) if now.get(k) != self._baseline.get(k)
        ]
        return f"{self.discipline.label}: " + ", ".join(self._label(k) for k in keys) + " edited"

    # ---- actions -------------------------------------------------------------------------

    def save(self) -> bool:
        if errors(self.validate()) or not self.editable:
            return False
        values = self.values()
        shown = self.current
        if shown is None:
            view = attempt(
                self,
                "Not saved",
                lambda: self.ctx.call(
                    evaluations.start_evaluation, self.patient_id, self.discipline, values
                ),
                self.messages,
            )
        else:
            view = attempt(
                self,
                "Not saved",
                lambda: self.ctx.call(evaluations.save_draft, shown.id, self.version, values),
                self.messages,
                self._conflict,
            )
        if view is None:
            return False
        self.load()
        self.ctx.bus.changed.emit("evaluation")
        self.summary.setText(f"Draft saved at {dt.datetime.now():%H:%M}. " + self.summary.text())
        return True

    def _conflict(self, conflict: ConflictError) -> None:
        choice = show_conflict(self, conflict, f"the {self.form.title.lower()}")
        if choice == ConflictDialog.LOAD and confirm(
            self,
            "Load their version",
            f"Your edits ({self.unsaved_summary()}) will be discarded.",
            yes="Discard my edits and load theirs",
            no="Keep my edits",
        ):
            self.load()
            return
        self.version = conflict.current_version
        self._notice(
            f"{conflict.changed_by} saved this evaluation while you were editing. Your answers "
            "are still here; Save draft again to replace theirs with yours."
        )
        self.validate()

    def sign(self) -> bool:
        if not self.sign_button.isEnabled():
            return False
        if (self.has_unsaved_changes() or self.current is None) and not self.save():
            return False
        shown = self.current
        assert shown is not None
        patient = self.ctx.call(patients.get_patient, self.patient_id)
        rec = shown.recommendation
        reason = str(shown.values.get("recommendation_reason", "") or "")
        text = (
            f"You sign the {self.form.title.lower()} of {patient.display_name} "
            f"({patient.mrn}) as {self.ctx.actor.display}.\n\n"
            f"Recommendation: {rec.label if rec else '—'}"
            + (f" ({reason})" if reason else "")
            + f"\nFindings: {shown.values.get('findings', '—')}\n\n"
            "After signing the form is frozen: a change needs an amendment, and this version "
            "stays visible."
        )
        if not confirm(
            self, "Sign the evaluation", text, yes="Sign the evaluation", no="Keep editing"
        ):
            return False
        view = attempt(
            self,
            "Not signed",
            lambda: self.ctx.call(evaluations.sign_evaluation, shown.id, self.version),
            self.messages,
            self._conflict,
        )
        if view is None:
            return False
        self.load()
        self.ctx.bus.changed.emit("evaluation")
        return True

    def amend(self, reason: str | None = None) -> bool:
        shown = self.current
        if shown is None:
            return False
        if reason is None:
            reason, ok = QInputDialog.getText(
                self,
                "Amend the evaluation",
                f"The signed {self.form.title.lower()} stays visible and in force until the "
                "amendment is signed.\nWhy is it amended?",
            )
            if not ok:
                return False
        view = attempt(
            self,
            "Not amended",
            lambda: self.ctx.call(evaluations.start_amendment, shown.id, reason or ""),
        )
        if view is None:
            return False
        self.load()
        self.ctx.bus.changed.emit("evaluation")
        return True

    def revert(self) -> None:
        if self.has_unsaved_changes() and not confirm(
            self,
            "Undo my changes",
            f"Discard your unsaved edits ({self.unsaved_summary()})?",
            yes="Discard my edits",
            no="Keep editing",
        ):
            return
        self.load()

    def refresh(self) -> None:
        """Reload unless the user has typed something: typed answers are never lost."""
        if self.has_unsaved_changes():
            views = self.ctx.call(evaluations.list_evaluations, self.patient_id)
            fresh = [v for v in views if v.discipline is self.discipline]
            if self.current and any(
                v.id == self.current.id and v.version != self.version for v in fresh
            ):
                self._notice(
                    "Someone else saved this evaluation since you started editing. When you "
                    "save, CareCoord will show you both versions."
                )
            return
        try:
            self.load(keep_notice=False)
        except ServiceError as exc:
            show_error(self, "Not refreshed", str(exc))


class EvaluationsTab(QWidget):
    """The five disciplines on the left with their state in words; the chosen form on the right."""

    def __init__(self, ctx: AppContext, patient_id: int) -> None:
        super().__init__()
        self.ctx = ctx
        self.patient_id = patient_id
        self.setObjectName("evaluationsTab")
        layout = QHBoxLayout(self)
        splitter = QSplitter()
        self.list = QListWidget()
        self.list.setObjectName("disciplineList")
        self.list.setMinimumWidth(260)
        self.list.setSpacing(4)
        self.stack = QStackedWidget()
        self.forms: dict[Discipline, EvaluationForm] = {}
        for d in Discipline:
            form = EvaluationForm(ctx, patient_id, d)
            self.forms[d] = form
            self.stack.addWidget(form)
            item = QListWidgetItem()
            item.setData(Qt.ItemDataRole.UserRole, d.value)
            self.list.addItem(item)
        self.list.currentRowChanged.connect(self.stack.setCurrentIndex)
        splitter.addWidget(self.list)
        splitter.addWidget(self.stack)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([280, 1200])
        layout.addWidget(splitter)
        own = ctx.actor.discipline
        self.list.setCurrentRow(list(Discipline).index(own) if own else 0)
        self._label_list()
        ctx.bus.changed.connect(self._on_bus)

    def _label_list(self) -> None:
        for row, d in enumerate(Discipline):
            form = self.forms[d]
            latest = form.latest()
            if latest is None:
                state = "Not started"
            elif latest.status is EvaluationStatus.DRAFT:
                state = "Amendment in draft" if latest.amends_id else "Draft, not signed"
            else:
                rec = latest.recommendation
                state = "Signed" + (f": {rec.label.lower()}" if rec else "")
            self.list.item(row).setText(f"{d.label}\n{state}")

    def form(self, discipline: Discipline) -> EvaluationForm:
        return self.forms[discipline]

    def show_discipline(self, discipline: Discipline) -> EvaluationForm:
        self.list.setCurrentRow(list(Discipline).index(discipline))
        return self.forms[discipline]

    def refresh(self) -> None:
        for form in self.forms.values():
            form.refresh()
        self._label_list()

    def _on_bus(self, entity: str) -> None:
        if entity in ("evaluation", "external"):
            self.refresh()

    def has_unsaved_changes(self) -> bool:
        return any(f.has_unsaved_changes() for f in self.forms.values())

    def unsaved_summary(self) -> str:
        return "; ".join(
            f.unsaved_summary() for f in self.forms.values() if f.has_unsaved_changes()
        )

    def focus_first(self) -> None:
        self.list.setFocus()


def _factory(ctx: AppContext, patient_id: int | None) -> QWidget:
    assert patient_id is not None
    return EvaluationsTab(ctx, patient_id)


register_patient_tab(PatientTabSpec("evaluations", "Evaluations", _factory, order=20))
