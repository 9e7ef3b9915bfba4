"""The Overview tab: the patient editor (live validation, conflicts, team, retiring)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from enum import Enum
from typing import Any

from PySide6.QtCore import QLocale, Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
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

from carecoord.domain.enums import Discipline, Origin, PatientStatus, Sex
from carecoord.domain.errors import Problem, Severity
from carecoord.domain.patients import PatientInput
from carecoord.domain.permissions import Permission
from carecoord.domain.units import QuantityError, format_date, format_number, parse_decimal
from carecoord.gui.context import AppContext, gate
from carecoord.gui.patient.dates import OptionalDateEdit
from carecoord.gui.registry import PatientTabSpec, register_patient_tab
from carecoord.gui.widgets import FieldMessage, chain_tab_order, confirm, enum_data, show_error
from carecoord.services import patients, users
from carecoord.services.errors import (
    ConflictError,
    NotFound,
    PermissionDenied,
    ServiceError,
    ValidationFailed,
)
from carecoord.services.patients import FIELD_LABELS, PatientView

LANGUAGES = ("en", "fr", "es", "pt", "de", "it", "nl", "pl", "ru", "uk", "tr", "ar", "fa", "ur")
LANGUAGES += ("hi", "bn", "zh", "ja", "ko", "vi", "tl", "sw", "so", "am", "el", "he", "ro")
ENUM_FIELDS: dict[str, type[Enum]] = {"sex": Sex, "origin": Origin, "status": PatientStatus}
REQUIRED = ("mrn", "family_name", "given_names", "date_of_birth")


def language_name(code: str) -> str:
    locale = QLocale(code)
    if locale.language() == QLocale.Language.C:
        return code
    return f"{QLocale.languageToString(locale.language())} ({code})"


def team_key(d: Discipline) -> str:
    return f"team:{d.value}"


@dataclass
class _Field:
    name: str
    label: str
    widget: QWidget
    message: FieldMessage


class ConflictDialog(QDialog):
    """Someone saved first: show yours and theirs side by side, let the user choose."""

    KEEP, LOAD = 1, 2

    def __init__(self, conflict: ConflictError, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Someone else saved this patient")
        self.choice = 0
        layout = QVBoxLayout(self)
        message = QLabel(conflict.message)
        message.setObjectName("conflictMessage")
        message.setWordWrap(True)
        layout.addWidget(message)
        self.table = QTableWidget(len(conflict.fields), 3)
        self.table.setObjectName("conflictTable")
        self.table.setHorizontalHeaderLabels(["Field", "Your value", "Their saved value"])
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        for row, f in enumerate(conflict.fields):
            for col, text in enumerate(
                (f.label, pretty_value(f.field, f.yours), pretty_value(f.field, f.theirs))
            ):
                item = QTableWidgetItem(text)
                item.setToolTip(text)
                self.table.setItem(row, col, item)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.setWordWrap(True)
        self.table.resizeRowsToContents()
        layout.addWidget(self.table)
        hint = QLabel(
            "Keep my edits: your values stay in the form; pressing Save again replaces their "
            "values with yours.\nLoad their version: the form shows what they saved and your "
            "edits are discarded."
        )
        hint.setWordWrap(True)
        layout.addWidget(hint)
        buttons = QDialogButtonBox()
        self.keep_button = buttons.addButton(
            "Keep my edits", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.load_button = buttons.addButton(
            "Load their version", QDialogButtonBox.ButtonRole.DestructiveRole
        )
        self.keep_button.setDefault(True)
        self.keep_button.clicked.connect(lambda: self._choose(self.KEEP))
        self.load_button.clicked.connect(lambda: self._choose(self.LOAD))
        layout.addWidget(buttons)
        self.resize(self.fontMetrics().averageCharWidth() * 90, self.sizeHint().height())

    def _choose(self, choice: int) -> None:
        self.choice = choice
        self.accept()


def pretty_value(field: str, text: str) -> str:
    """A conflict value in the words the form uses (dates, statuses, origins)."""
    if text in ("", "—"):
        return "—"
    try:
        if field in ("date_of_birth", "injury_date"):
            return format_date(dt.date.fromisoformat(text))
        if field == "status":
            return PatientStatus(text).label
        if field == "origin":
            return Origin(text).label
        if field == "sex":
            return Sex(text).label
        if field == "weight_kg":
            return f"{format_number(Decimal(text))} kg"
        if field == "preferred_language":
            return language_name(text)
    except ValueError:
        pass
    return text


class PatientEditor(QWidget):
    """Edit form with fixed hooks: ``load``, ``validate``, ``save``; ``loaded`` after each."""

    loaded = Signal(object)  # PatientView

    def __init__(self, ctx: AppContext, patient_id: int | None) -> None:
        super().__init__()
        self.ctx = ctx
        self.patient_id = patient_id
        self.version = 0
        self.view: PatientView | None = None
        self.fields: dict[str, _Field] = {}
        self._baseline: dict[str, Any] = {}
        self._loading = False
        self._external_notice = ""
        self._decimal_point = QLocale().decimalPoint() or "."
        self.setObjectName("patientEditor")
        self._build()
        ctx.bus.changed.connect(self._on_bus)
        if patient_id is not None:
            self.load()
        else:
            self._load_team_choices(())
            self._baseline = self.snapshot()
            self.validate()

    # ---- building the form ----------------------------------------------------------------

    def _line(self, name: str) -> QLineEdit:
        w = QLineEdit()
        w.textChanged.connect(self._changed)
        return w

    def _text(self, name: str, lines: int = 3) -> QPlainTextEdit:
        w = QPlainTextEdit()
        w.setTabChangesFocus(True)
        w.setFixedHeight(w.fontMetrics().lineSpacing() * lines + 12)
        w.textChanged.connect(self._changed)
        return w

    def _combo(self, items: list[tuple[str, Any]]) -> QComboBox:
        w = QComboBox()
        for text, data in items:
            w.addItem(text, data)
        w.currentIndexChanged.connect(self._changed)
        return w

    def _date(self) -> OptionalDateEdit:
        w = OptionalDateEdit()
        w.dateChanged.connect(self._changed)
        return w

    def _add(self, form: QFormLayout, name: str, label: str, widget: QWidget) -> None:
        widget.setObjectName(name)
        widget.setAccessibleName(label)
        message = FieldMessage()
        message.setObjectName(f"{name}_message")
        box = QWidget()
        column = QVBoxLayout(box)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(2)
        column.addWidget(widget)
        column.addWidget(message)
        title = QLabel(f"&{label}{' *' if name in REQUIRED else ''}")
        title.setBuddy(widget)
        form.addRow(title, box)
        self.fields[name] = _Field(name, label, widget, message)

    def _group(self, title: str) -> tuple[QGroupBox, QFormLayout]:
        group = QGroupBox(title)
        form = QFormLayout(group)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        return group, form

    def _build(self) -> None:
        outer = QVBoxLayout(self)
        self.notice = QLabel()
        self.notice.setObjectName("editorNotice")
        self.notice.setWordWrap(True)
        self.notice.setVisible(False)
        outer.addWidget(self.notice)

        body = QWidget()
        grid = QGridLayout(body)
        identity, f1 = self._group("Identity")
        self._add(f1, "mrn", "Record number", self._line("mrn"))
        self._add(f1, "family_name", "Family name", self._line("family_name"))
        self._add(f1, "given_names", "Given names", self._line("given_names"))
        self._add(f1, "date_of_birth", "Date of birth", self._date())
        self._add(f1, "sex", "Sex", self._combo([(s.label, s) for s in Sex]))
        weight = self._line("weight_kg")
        weight.setPlaceholderText(f"in kg, for example 64{self._decimal_point}5")
        self._add(f1, "weight_kg", "Weight (kg)", weight)

        clinical, f2 = self._group("Clinical")
        statuses = [(s.label, s) for s in PatientStatus if s is not PatientStatus.RETIRED]
        self._add(f2, "status", "Status", self._combo(statuses))
        origins = [("Not yet known", None)] + [(o.label, o) for o in Origin]
        self._add(f2, "origin", "Origin", self._combo(origins))
        self._add(f2, "diagnosis", "Diagnosis", self._line("diagnosis"))
        level = self._line("injury_level")
        level.setPlaceholderText("for example T6")
        self._add(f2, "injury_level", "Level of injury", level)
        self._add(f2, "injury_date", "Date of injury", self._date())
        self._add(f2, "allergies", "Allergies", self._text("allergies", 2))

        contact, f3 = self._group("Contact")
        self._add(f3, "phone", "Phone", self._line("phone"))
        self._add(f3, "email", "Email", self._line("email"))
        self._add(f3, "address", "Address", self._text("address", 3))
        self._add(f3, "caregiver_name", "Caregiver", self._line("caregiver_name"))
        self._add(f3, "caregiver_phone", "Caregiver's phone", self._line("caregiver_phone"))
        langs = [(language_name(code), code) for code in LANGUAGES]
        self._add(f3, "preferred_language", "Preferred language", self._combo(langs))

        team, f4 = self._group("Treatment team")
        for d in Discipline:
            self._add(f4, team_key(d), d.label, self._combo([("Not assigned", None)]))

        notes, f5 = self._group("Notes")
        self._add(f5, "notes", "Notes", self._text("notes", 4))

        grid.addWidget(identity, 0, 0)
        grid.addWidget(clinical, 1, 0)
        grid.addWidget(contact, 0, 1)
        grid.addWidget(team, 1, 1)
        grid.addWidget(notes, 2, 0, 1, 2)
        grid.setColumnStretch(0, 1)
        grid.setColumnStretch(1, 1)
        grid.setRowStretch(3, 1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(body)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        outer.addWidget(scroll, 1)

        bar = QHBoxLayout()
        self.summary = QLabel()
        self.summary.setObjectName("editorSummary")
        self.summary.setWordWrap(True)
        bar.addWidget(self.summary, 1)
        self.retire_button = QPushButton("Retire record…")
        self.retire_button.setObjectName("retireButton")
        self.retire_button.clicked.connect(self.retire)
        self.revert_button = QPushButton("Undo my changes")
        self.revert_button.setObjectName("revertButton")
        self.revert_button.clicked.connect(self.revert)
        self.save_button = QPushButton("Save")
        self.save_button.setObjectName("saveButton")
        self.save_button.setToolTip("Save (Ctrl+S)")
        # Ctrl+S saves the editor that holds the focus (several patients may be open).
        self.save_shortcut = QShortcut(QKeySequence.StandardKey.Save, self)
        self.save_shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.save_shortcut.activated.connect(lambda: self.save_button.isEnabled() and self.save())
        self.save_button.clicked.connect(self.save)
        for b in (self.retire_button, self.revert_button, self.save_button):
            bar.addWidget(b)
        outer.addLayout(bar)

        order = [f.widget for f in self.fields.values() if f.name != "notes"]
        order += [self.fields["notes"].widget, self.save_button, self.revert_button]
        order.append(self.retire_button)
        chain_tab_order(order)

        self.retire_button.setVisible(self.patient_id is not None)
        gate(
            self.retire_button,
            self.ctx,
            Permission.RETIRE_PATIENT,
            "Retire this record (with a reason)",
        )
        self._may_edit = self.ctx.can(Permission.EDIT_PATIENT)
        self._may_assign = self.ctx.can(Permission.ASSIGN_TEAM)
        for d in Discipline:
            gate(self.fields[team_key(d)].widget, self.ctx, Permission.ASSIGN_TEAM)

    def focus_first(self) -> None:
        self.fields["mrn" if self.patient_id is None else "family_name"].widget.setFocus()

    def widget(self, name: str) -> QWidget:
        return self.fields[name].widget

    # ---- values ---------------------------------------------------------------------------

    def _value(self, name: str) -> Any:
        w = self.fields[name].widget
        if isinstance(w, QLineEdit):
            return w.text()
        if isinstance(w, QPlainTextEdit):
            return w.toPlainText()
        if isinstance(w, OptionalDateEdit):
            return w.value()
        if isinstance(w, QComboBox):
            kind = ENUM_FIELDS.get(name)
            return enum_data(w, kind) if kind else w.currentData()
        raise TypeError(name)

    def _set(self, name: str, value: Any) -> None:
        w = self.fields[name].widget
        if isinstance(w, QLineEdit):
            w.setText(value or "")
        elif isinstance(w, QPlainTextEdit):
            w.setPlainText(value or "")
        elif isinstance(w, OptionalDateEdit):
            w.set_value(value)
        elif isinstance(w, QComboBox):
            index = w.findData(value)
            if index < 0 and name == "status" and value is PatientStatus.RETIRED:
                w.addItem(PatientStatus.RETIRED.label, PatientStatus.RETIRED)
                index = w.count() - 1
            if index < 0 and name == "preferred_language" and value:
                w.addItem(language_name(value), value)
                index = w.count() - 1
            w.setCurrentIndex(max(index, 0))

    def snapshot(self) -> dict[str, Any]:
        """Raw widget values: what the user sees (for "unsaved changes")."""
        return {name: self._value(name) for name in self.fields}

    def _gather(self) -> tuple[PatientInput, list[Problem]]:
        problems: list[Problem] = []
        weight_text = self._value("weight_kg").strip()
        weight: Decimal | None = None
        if weight_text:
            try:
                weight = parse_decimal(
                    weight_text, decimal_separator=self._decimal_point, what="weight"
                )
            except QuantityError as exc:
                problems.append(Problem("weight_kg", str(exc)))
        values = {name: self._value(name) for name in FIELD_LABELS if name != "weight_kg"}
        values["weight_kg"] = weight
        return PatientInput(**values), problems

    def team_choices(self) -> dict[Discipline, int | None]:
        return {d: self._value(team_key(d)) for d in Discipline}

    # ---- live validation ------------------------------------------------------------------

    def _changed(self, *_args: object) -> None:
        if not self._loading:
            self.validate()

    def validate(self) -> list[Problem]:
        """Show each problem under its field; enable Save only when nothing blocks it."""
        data, problems = self._gather()
        parsed_fields = {p.field for p in problems}
        problems += [p for p in patients.check_patient(data) if p.field not in parsed_fields]
        by_field: dict[str, list[Problem]] = {}
        for p in problems:
            by_field.setdefault(p.field, []).append(p)
        new_and_untouched = self.patient_id is None
        current = self.snapshot()
        for name, f in self.fields.items():
            shown = by_field.get(name, [])
            if new_and_untouched and current.get(name) == self._baseline.get(name):
                # A new, still empty field: list it in the summary, do not shout under it.
                shown = [p for p in shown if p.severity is not Severity.ERROR]
            f.message.show_problems(shown)
        errors = [p for p in problems if p.severity is Severity.ERROR]
        dirty = self.has_unsaved_changes()
        self.save_button.setEnabled(self._may_edit and not errors and dirty)
        self.revert_button.setEnabled(dirty and self.patient_id is not None)
        if not self._may_edit:
            self.save_button.setToolTip(
                "Any team member can edit patient details; your account cannot."
            )
        if errors:
            names = ", ".join(dict.fromkeys(self._label(p.field) for p in errors))
            count = len(errors)
            text = f"{count} problem{'s' if count > 1 else ''} to fix before saving: {names}."
        elif dirty:
            warnings = [p for p in problems if p.severity is not Severity.ERROR]
            text = "Ready to save." + (" Check the notes under the fields." if warnings else "")
        else:
            text = "No unsaved changes." if self.patient_id else "Enter the new patient's details."
        self.summary.setText(text)
        self.summary.setProperty("state", "error" if errors else ("dirty" if dirty else "clean"))
        self.summary.style().unpolish(self.summary)
        self.summary.style().polish(self.summary)
        return problems

    def _label(self, field: str) -> str:
        f = self.fields.get(field)
        return f.label if f else FIELD_LABELS.get(field, field)

    def has_unsaved_changes(self) -> bool:
        return self.snapshot() != self._baseline

    def unsaved_summary(self) -> str:
        now = self.snapshot()
        changed = [self._label(k) for k in self.fields if now[k] != self._baseline.get(k)]
        return ", ".join(changed) + " edited" if changed else "no changes"

    # ---- load and save ----------------------------------------------------------------------

    def _load_team_choices(self, team: tuple[patients.TeamMember, ...]) -> None:
        people = self.ctx.query(users.list_users, include_inactive=False)
        assigned = {m.discipline: m for m in team}
        for d in Discipline:
            combo: QComboBox = self.fields[team_key(d)].widget  # type: ignore[assignment]
            combo.blockSignals(True)
            combo.clear()
            combo.addItem("Not assigned", None)
            for person in people:
                if person.discipline is d:
                    combo.addItem(person.full_name, person.id)
            member = assigned.get(d)
            if member is not None and combo.findData(member.user_id) < 0:
                combo.addItem(f"{member.full_name} (account deactivated)", member.user_id)
            combo.setCurrentIndex(max(combo.findData(member.user_id if member else None), 0))
            combo.blockSignals(False)

    def load(self, view: PatientView | None = None) -> None:
        """Show the stored record (fetched unless given); forget unsaved edits."""
        if view is None:
            assert self.patient_id is not None
            view = self.ctx.call(patients.get_patient, self.patient_id)
        self._loading = True
        try:
            self.view = view
            self.patient_id = view.id
            self.version = view.version
            for name in FIELD_LABELS:
                value = getattr(view, name)
                if name == "weight_kg":
                    value = (
                        format_number(value).replace(".", self._decimal_point)
                        if value is not None
                        else ""
                    )
                self._set(name, value)
            self._load_team_choices(view.team)
        finally:
            self._loading = False
        self._baseline = self.snapshot()
        self._external_notice = ""
        self._show_notice("")
        self.retire_button.setVisible(True)
        self.retire_button.setEnabled(
            self.ctx.can(Permission.RETIRE_PATIENT) and view.status is not PatientStatus.RETIRED
        )
        self.validate()
        self.loaded.emit(view)

    def _show_notice(self, text: str) -> None:
        self.notice.setText(text)
        self.notice.setVisible(bool(text))

    def save(self) -> bool:
        """Create or update; then apply team changes. Returns True when everything was saved."""
        problems = self.validate()
        if any(p.severity is Severity.ERROR for p in problems) or not self._may_edit:
            return False
        data, _ = self._gather()
        team = self.team_choices()
        try:
            if self.patient_id is None:
                view = self.ctx.call(patients.create_patient, data)
            else:
                view = self.ctx.call(patients.update_patient, self.patient_id, self.version, data)
        except ValidationFailed as exc:
            self._show_refusal(exc.problems)
            return False
        except ConflictError as conflict:
            self._conflict(conflict)
            return False
        except (PermissionDenied, NotFound, ServiceError) as exc:
            show_error(self, "Not saved", str(exc))
            return False
        self.patient_id = view.id
        failed: list[Problem] = []
        current = {m.discipline: m.user_id for m in view.team}
        if self._may_assign:
            for d, user_id in team.items():
                if current.get(d) == user_id:
                    continue
                try:
                    view = self.ctx.call(patients.assign_team_member, view.id, d, user_id)
                except ValidationFailed as exc:
                    failed += [Problem(team_key(d), p.message) for p in exc.problems]
                except ServiceError as exc:
                    failed.append(Problem(team_key(d), str(exc)))
        self.load(view)
        self.ctx.bus.changed.emit("patient")
        if failed:
            self._loading = True
            for p in failed:
                self._set(p.field, team[Discipline(p.field.split(":", 1)[1])])
            self._loading = False
            self.validate()
            self._show_refusal(failed)
            return False
        self.summary.setText(f"Saved at {dt.datetime.now():%H:%M}.")
        return True

    def _show_refusal(self, problems: list[Problem]) -> None:
        for p in problems:
            field = p.field if p.field in self.fields else None
            if field is None and p.field in {d.value for d in Discipline}:
                field = team_key(Discipline(p.field))
            if field is not None:
                self.fields[field].message.show_problems([p])
        names = ", ".join(dict.fromkeys(self._label(p.field) for p in problems))
        self.summary.setText(f"Not saved. Fix: {names}.")
        first = next((p.field for p in problems if p.field in self.fields), None)
        if first:
            self.fields[first].widget.setFocus()

    def _conflict(self, conflict: ConflictError) -> None:
        dialog = ConflictDialog(conflict, self)
        dialog.exec()
        if dialog.choice == ConflictDialog.LOAD and confirm(
            self,
            "Load their version",
            f"Your edits ({self.unsaved_summary()}) will be discarded and the form will show "
            f"the version saved by {conflict.changed_by}.",
            yes="Discard my edits and load theirs",
            no="Keep my edits",
        ):
            self.load()
            return
        # Keep: the user's values stay; the next Save deliberately replaces the newer version.
        self.version = conflict.current_version
        self._show_notice(
            f"{conflict.changed_by} saved this patient while you were editing. Your edits are "
            "still here; Save again to replace their values with yours, or Undo my changes to "
            "see theirs."
        )
        self.validate()

    def revert(self) -> None:
        if self.patient_id is None:
            return
        if self.has_unsaved_changes() and not confirm(
            self,
            "Undo my changes",
            f"Discard your unsaved edits ({self.unsaved_summary()}) and show the saved record?",
            yes="Discard my edits",
            no="Keep editing",
        ):
            return
        self.load()

    def retire(self) -> None:
        if self.patient_id is None or self.view is None:
            return
        if self.has_unsaved_changes():
            show_error(self, "Save first", "Save or undo your edits before retiring the record.")
            return
        reason, ok = QInputDialog.getText(
            self,
            "Retire this record",
            f"Retiring {self.view.display_name} ({self.view.mrn}) keeps every entry but takes "
            "the patient off the active lists.\nWhy is the record retired?",
        )
        if not ok:
            return
        try:
            view = self.ctx.call(patients.retire_patient, self.patient_id, self.version, reason)
        except ValidationFailed as exc:
            show_error(self, "Not retired", str(exc))
            return
        except ConflictError as exc:
            show_error(self, "Not retired", exc.message)
            self.load()
            return
        except ServiceError as exc:
            show_error(self, "Not retired", str(exc))
            return
        self.load(view)
        self.ctx.bus.changed.emit("patient")

    # ---- changes elsewhere --------------------------------------------------------------------

    def _on_bus(self, entity: str) -> None:
        if entity not in ("external", "user", "patient_status") or self.patient_id is None:
            return
        try:
            view = self.ctx.call(patients.get_patient, self.patient_id)
        except ServiceError:
            return
        if view == self.view:
            return
        if not self.has_unsaved_changes():
            self.load(view)
        elif view.version != self.version:
            self._show_notice(
                "Someone else has saved changes to this patient since you started editing. "
                "When you save, CareCoord will show you both versions."
            )


def _overview(ctx: AppContext, patient_id: int | None) -> QWidget:
    return PatientEditor(ctx, patient_id)


register_patient_tab(
    PatientTabSpec("overview", "Overview", _overview, order=0, for_new_patient=True)
)
