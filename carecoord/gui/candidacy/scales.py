"""Inputs for the clinical scales: each gives the domain's dict form (or None when left empty),
takes one back, and announces every edit. What the user typed is kept as typed, so a wrong
grade ("5") is shown with the domain's message instead of being silently dropped."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QVBoxLayout,
    QWidget,
)

from carecoord.domain.scales import (
    COMMON_MUSCLE_GROUPS,
    FIM_ITEMS,
    GAS_LEVELS,
    MAS_DESCRIPTIONS,
    MAS_LABELS,
    PENN_FREQUENCY_LABELS,
    PENN_SEVERITY_LABELS,
    TARDIEU_QUALITY_LABELS,
    ScaleKind,
    Side,
    TardieuSpeed,
)


def _combo(items: list[tuple[str, Any]], editable: bool = False) -> QComboBox:
    combo = QComboBox()
    for text, data in items:
        combo.addItem(text, data)
    combo.setEditable(editable)
    return combo


def _set_combo(combo: QComboBox, value: Any) -> None:
    index = combo.findData(value)
    if index < 0 and combo.isEditable():
        combo.setEditText("" if value is None else str(value))
        return
    combo.setCurrentIndex(max(index, 0))


class ScaleInput(QWidget):
    changed = Signal()
    kind: ScaleKind

    def value(self) -> dict[str, Any] | None:
        raise NotImplementedError

    def set_value(self, value: dict[str, Any] | None) -> None:
        raise NotImplementedError

    def set_read_only(self, read_only: bool) -> None:
        for child in self.findChildren(QWidget):
            if isinstance(child, QComboBox | QLineEdit | QPushButton):
                child.setEnabled(not read_only)

    def _emit(self, *_args: object) -> None:
        self.changed.emit()


class _RowsInput(ScaleInput):
    """A table of muscle groups, one row each, with Add and Remove buttons."""

    columns: tuple[str, ...] = ()
    add_text = "Add muscle group"

    def __init__(self) -> None:
        super().__init__()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.table = QTableWidget(0, len(self.columns))
        self.table.setHorizontalHeaderLabels(list(self.columns))
        self.table.verticalHeader().setVisible(False)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        layout.addWidget(self.table)
        buttons = QHBoxLayout()
        self.add_button = QPushButton(self.add_text)
        self.add_button.clicked.connect(lambda: (self.add_row(), self._emit()))
        self.remove_button = QPushButton("Remove selected row")
        self.remove_button.clicked.connect(self._remove)
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.remove_button)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        self._fit()

    def _fit(self) -> None:
        rows = max(self.table.rowCount(), 1)
        height = self.table.horizontalHeader().height() + rows * 34 + 6
        self.table.setFixedHeight(min(height, 34 * 8))

    def _ensure_row(self) -> None:
        """An empty form shows one empty row to type into (empty rows are not values)."""
        if self.table.rowCount() == 0 and self.add_button.isVisibleTo(self) is not False:
            self.add_row()
        self._fit()

    def _remove(self) -> None:
        row = self.table.currentRow()
        if row >= 0:
            self.table.removeRow(row)
            self._fit()
            self._emit()

    def _group_combo(self, text: str = "") -> QComboBox:
        combo = _combo([(g, g) for g in COMMON_MUSCLE_GROUPS], editable=True)
        combo.setEditText(text)
        combo.setToolTip("Choose a muscle group or type another")
        combo.editTextChanged.connect(self._emit)
        return combo

    def _side_combo(self, side: str = "left") -> QComboBox:
        combo = _combo([(s.label, s.value) for s in Side])
        _set_combo(combo, side)
        combo.currentIndexChanged.connect(self._emit)
        return combo

    def add_row(self, data: dict[str, Any] | None = None) -> int:
        row = self.table.rowCount()
        self.table.insertRow(row)
        self._fill_row(row, data or {})
        self.table.setRowHeight(row, 32)
        self._fit()
        return row

    def _fill_row(self, row: int, data: dict[str, Any]) -> None:
        raise NotImplementedError

    def _cell(self, row: int, column: int) -> Any:
        return self.table.cellWidget(row, column)

    def _text(self, row: int, column: int) -> str:
        w = self._cell(row, column)
        if isinstance(w, QComboBox):
            if w.isEditable():
                return w.currentText().strip()
            data = w.currentData()
            return "" if data is None else str(data)
        if isinstance(w, QLineEdit):
            return w.text().strip()
        return ""

    def set_read_only(self, read_only: bool) -> None:
        super().set_read_only(read_only)
        self.add_button.setVisible(not read_only)
        self.remove_button.setVisible(not read_only)


class MasInput(_RowsInput):
    """Modified Ashworth grade per muscle group and side [44]; the grade list holds the six
    labels, and a typed grade outside them is kept and refused with the domain's words."""

    kind = ScaleKind.MAS
    columns = ("Muscle group", "Side", "Grade (0, 1, 1+, 2, 3, 4)")

    def _fill_row(self, row: int, data: dict[str, Any]) -> None:
        self.table.setCellWidget(row, 0, self._group_combo(data.get("muscle_group", "")))
        self.table.setCellWidget(row, 1, self._side_combo(data.get("side", "left")))
        grade = _combo([("", "")] + [(g, g) for g in MAS_LABELS], editable=True)
        for i, label in enumerate(MAS_LABELS, start=1):
            grade.setItemData(i, f"{label}: {MAS_DESCRIPTIONS[label]}", 3)  # tooltip role
        grade.setEditText(str(data.get("grade", "")))
        grade.editTextChanged.connect(self._emit)
        grade.setAccessibleName("Ashworth grade")
        self.table.setCellWidget(row, 2, grade)

    def value(self) -> dict[str, Any] | None:
        ratings = []
        for row in range(self.table.rowCount()):
            group, side, grade = (self._text(row, c) for c in range(3))
            if not group and not grade:
                continue
            ratings.append({"muscle_group": group, "side": side, "grade": grade})
        return {"scale": "mas", "ratings": ratings} if ratings else None

    def set_value(self, value: dict[str, Any] | None) -> None:
        self.table.setRowCount(0)
        for rating in (value or {}).get("ratings", []):
            self.add_row(rating)
        self._ensure_row()

    def set_groups(self, groups: list[tuple[str, str]]) -> None:
        """Start with these groups and sides (e.g. the baseline's) and empty grades."""
        self.table.setRowCount(0)
        for group, side in groups:
            self.add_row({"muscle_group": group, "side": side, "grade": ""})


class TardieuInput(_RowsInput):
    """Modified Tardieu [46]: R1 (angle of catch) must not be beyond R2 (passive range)."""

    kind = ScaleKind.TARDIEU
    columns = ("Muscle group", "Side", "R1 angle of catch (°)", "R2 passive range (°)", "Quality")

    def _fill_row(self, row: int, data: dict[str, Any]) -> None:
        self.table.setCellWidget(row, 0, self._group_combo(data.get("muscle_group", "")))
        self.table.setCellWidget(row, 1, self._side_combo(data.get("side", "left")))
        for column, key in ((2, "r1_deg"), (3, "r2_deg")):
            edit = QLineEdit(str(data.get(key, "") or ""))
            edit.setPlaceholderText("degrees")
            edit.textChanged.connect(self._emit)
            self.table.setCellWidget(row, column, edit)
        quality = _combo(
            [("", None)] + [(f"{q}: {TARDIEU_QUALITY_LABELS[q]}", q) for q in range(6)]
        )
        _set_combo(quality, data.get("quality"))
        quality.currentIndexChanged.connect(self._emit)
        self.table.setCellWidget(row, 4, quality)

    def value(self) -> dict[str, Any] | None:
        out = []
        for row in range(self.table.rowCount()):
            group, side, r1, r2, quality = (self._text(row, c) for c in range(5))
            if not any((group, r1, r2, quality)):
                continue
            out.append(
                {
                    "muscle_group": group,
                    "side": side,
                    "r1_deg": r1,
                    "r2_deg": r2,
                    "quality": quality,
                    "speed": TardieuSpeed.V3.value,
                }
            )
        return {"scale": "tardieu", "measurements": out} if out else None

    def set_value(self, value: dict[str, Any] | None) -> None:
        self.table.setRowCount(0)
        for m in (value or {}).get("measurements", []):
            self.add_row(m)
        self._ensure_row()


class GasInput(_RowsInput):
    """Goal Attainment Scaling [47]: each goal scored -2..+2 with an optional weight."""

    kind = ScaleKind.GAS
    columns = ("Goal", "Attainment", "Weight")
    add_text = "Add goal"

    def _fill_row(self, row: int, data: dict[str, Any]) -> None:
        text = QLineEdit(str(data.get("description", "")))
        text.textChanged.connect(self._emit)
        self.table.setCellWidget(row, 0, text)
        score = _combo([("", None)] + [(f"{s:+d} {GAS_LEVELS[s]}", s) for s in GAS_LEVELS])
        _set_combo(score, data.get("score"))
        score.currentIndexChanged.connect(self._emit)
        self.table.setCellWidget(row, 1, score)
        weight = QLineEdit(str(data.get("weight", "") or ""))
        weight.setPlaceholderText("1")
        weight.textChanged.connect(self._emit)
        self.table.setCellWidget(row, 2, weight)

    def value(self) -> dict[str, Any] | None:
        goals = []
        for row in range(self.table.rowCount()):
            text, score, weight = (self._text(row, c) for c in range(3))
            if not text and not score:
                continue
            goals.append({"description": text, "score": score, "weight": weight})
        return {"scale": "gas", "goals": goals} if goals else None

    def set_value(self, value: dict[str, Any] | None) -> None:
        self.table.setRowCount(0)
        for g in (value or {}).get("goals", []):
            self.add_row(g)
        self._ensure_row()


class PennInput(ScaleInput):
    kind = ScaleKind.PENN

    def __init__(self) -> None:
        super().__init__()
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        self.frequency = _combo(
            [("Not scored", None)] + [(f"{k}: {v}", k) for k, v in PENN_FREQUENCY_LABELS.items()]
        )
        self.severity = _combo(
            [("No severity", None)] + [(f"{k}: {v}", k) for k, v in PENN_SEVERITY_LABELS.items()]
        )
        self.frequency.setAccessibleName("Spasm frequency")
        self.severity.setAccessibleName("Spasm severity")
        row.addWidget(QLabel("Frequency"))
        row.addWidget(self.frequency, 2)
        row.addWidget(QLabel("Severity"))
        row.addWidget(self.severity, 1)
        self.frequency.currentIndexChanged.connect(self._emit)
        self.severity.currentIndexChanged.connect(self._emit)

    def value(self) -> dict[str, Any] | None:
        f, s = self.frequency.currentData(), self.severity.currentData()
        if f is None and s is None:
            return None
        return {"scale": "penn", "frequency": f if f is not None else "", "severity": s}

    def set_value(self, value: dict[str, Any] | None) -> None:
        _set_combo(self.frequency, (value or {}).get("frequency"))
        _set_combo(self.severity, (value or {}).get("severity"))


class _ChoiceInput(ScaleInput):
    key = ""
    choices: list[tuple[str, Any]] = []

    def __init__(self) -> None:
        super().__init__()
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        self.combo = _combo([("Not scored", None), *self.choices])
        self.combo.currentIndexChanged.connect(self._emit)
        row.addWidget(self.combo)
        row.addStretch(1)

    def value(self) -> dict[str, Any] | None:
        data = self.combo.currentData()
        return None if data is None else {"scale": self.kind.value, self.key: data}

    def set_value(self, value: dict[str, Any] | None) -> None:
        _set_combo(self.combo, (value or {}).get(self.key))


class GmfcsInput(_ChoiceInput):
    kind = ScaleKind.GMFCS
    key = "level"
    choices = [(f"Level {r}", i) for i, r in enumerate(("I", "II", "III", "IV", "V"), start=1)]


class PainInput(_ChoiceInput):
    kind = ScaleKind.PAIN_NRS
    key = "score"
    choices = [(f"{n} of 10", n) for n in range(11)]


class BarthelInput(ScaleInput):
    kind = ScaleKind.BARTHEL

    def __init__(self) -> None:
        super().__init__()
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        self.edit = QLineEdit()
        self.edit.setPlaceholderText("0-100")
        self.edit.setMaximumWidth(120)
        self.edit.textChanged.connect(self._emit)
        row.addWidget(self.edit)
        row.addWidget(QLabel("of 100"))
        row.addStretch(1)

    def value(self) -> dict[str, Any] | None:
        text = self.edit.text().strip()
        return {"scale": "barthel", "total": text} if text else None

    def set_value(self, value: dict[str, Any] | None) -> None:
        total = (value or {}).get("total")
        self.edit.setText("" if total is None else str(total))


class FimInput(ScaleInput):
    """Functional Independence Measure: 18 items 1-7, total 18-126 [50]."""

    kind = ScaleKind.FIM

    def __init__(self) -> None:
        super().__init__()
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        self.items: dict[str, QComboBox] = {}
        for index, (key, label) in enumerate(FIM_ITEMS):
            combo = _combo([("–", None)] + [(str(n), n) for n in range(1, 8)])
            combo.setAccessibleName(f"FIM {label}")
            combo.currentIndexChanged.connect(self._emit)
            combo.currentIndexChanged.connect(self._total)
            r, c = divmod(index, 3)
            grid.addWidget(QLabel(label), r, c * 2)
            grid.addWidget(combo, r, c * 2 + 1)
            self.items[key] = combo
        self.total = QLabel()
        grid.addWidget(self.total, 6, 0, 1, 6)
        self._total()

    def _total(self, *_args: object) -> None:
        scores = [c.currentData() for c in self.items.values()]
        done = [s for s in scores if s is not None]
        self.total.setText(f"Total {sum(done)} of 126 ({len(done)} of 18 items scored)")

    def value(self) -> dict[str, Any] | None:
        items = {k: c.currentData() for k, c in self.items.items() if c.currentData() is not None}
        return {"scale": "fim", "items": items} if items else None

    def set_value(self, value: dict[str, Any] | None) -> None:
        items = (value or {}).get("items", {})
        for key, combo in self.items.items():
            _set_combo(combo, items.get(key))
        self._total()


INPUTS: dict[ScaleKind, type[ScaleInput]] = {
    ScaleKind.MAS: MasInput,
    ScaleKind.PENN: PennInput,
    ScaleKind.TARDIEU: TardieuInput,
    ScaleKind.GAS: GasInput,
    ScaleKind.GMFCS: GmfcsInput,
    ScaleKind.PAIN_NRS: PainInput,
    ScaleKind.FIM: FimInput,
    ScaleKind.BARTHEL: BarthelInput,
}


def scale_input(kind: ScaleKind) -> ScaleInput:
    return INPUTS[kind]()
