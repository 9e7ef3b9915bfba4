"""Small shared widgets and helpers: field messages, tab order, dialogs in words."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from enum import Enum
from typing import TypeVar

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QFrame, QLabel, QMessageBox, QSizePolicy, QWidget

from carecoord.domain.errors import Problem, Severity


class FieldMessage(QLabel):
    """The words shown under a form field: what is wrong (error) or worth checking (warning).

    The text carries the meaning ("Fix:", "Check:"); colour from the style sheet only reinforces
    it (property ``severity``).
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("fieldMessage")  # the style sheet selects FieldMessage by class
        self.setWordWrap(True)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
        self.show_problems([])

    def show_problems(self, problems: Sequence[Problem]) -> None:
        if not problems:
            self.clear()
            self.setProperty("severity", "none")
            self.setVisible(False)
        else:
            lines = []
            for p in problems:
                prefix = "Fix:" if p.severity is Severity.ERROR else "Check:"
                lines.append(f"{prefix} {p.message}")
            worst = "error" if any(p.severity is Severity.ERROR for p in problems) else "warning"
            self.setText("\n".join(lines))
            self.setProperty("severity", worst)
            self.setVisible(True)
        self.style().unpolish(self)
        self.style().polish(self)


class WrappingLabel(QLabel):
    """A word-wrapped label that keeps the height its wrapped text needs at its width.

    A layout inside a resizable scroll area sizes a wrapped label by its unwrapped hint and can
    squeeze it below its text (the lines then overlap); this label sets its minimum height from
    ``heightForWidth`` whenever its text or width changes.
    """

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(text, parent)
        self.setWordWrap(True)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)

    def setText(self, text: str) -> None:
        super().setText(text)
        self._fit()

    def resizeEvent(self, event: object) -> None:
        super().resizeEvent(event)  # type: ignore[arg-type]
        self._fit()

    def _fit(self) -> None:
        needed = self.heightForWidth(max(self.width(), 1))
        if needed > 0 and needed != self.minimumHeight():
            self.setMinimumHeight(needed)


E = TypeVar("E", bound=Enum)


def enum_data(combo: QComboBox, kind: type[E]) -> E | None:
    """The chosen enum member (Qt hands a StrEnum item's data back as a plain str)."""
    value = combo.currentData()
    return None if value is None else kind(value)


def chain_tab_order(widgets: Sequence[QWidget]) -> None:
    """Make Tab follow the reading order of ``widgets``."""
    for first, second in itertools.pairwise(widgets):
        QWidget.setTabOrder(first, second)


def scale_font(widget: QWidget, factor: float, bold: bool = True) -> None:
    """Make a widget's text larger relative to the platform font (scaling is honoured)."""
    font = widget.font()
    if font.pointSizeF() > 0:
        font.setPointSizeF(font.pointSizeF() * factor)
    else:
        font.setPixelSize(round(font.pixelSize() * factor))
    font.setBold(bold)
    widget.setFont(font)


def fit_text(button: QWidget) -> None:
    """Room for a button's text in bold (the style sheet makes default buttons bold), so the
    words are never clipped."""
    font = button.font()
    font.setBold(True)
    from PySide6.QtGui import QFontMetrics

    width = QFontMetrics(font).horizontalAdvance(button.text().replace("&", "")) + 48
    button.setMinimumWidth(max(button.minimumWidth(), width))


def heading(text: str, level: int = 1) -> QLabel:
    label = QLabel(text)
    label.setObjectName("heading" if level == 1 else "subheading")
    label.setWordWrap(True)
    scale_font(label, 1.5 if level == 1 else 1.2)
    return label


def hline() -> QFrame:
    line = QFrame()
    line.setFrameShape(QFrame.Shape.HLine)
    line.setFrameShadow(QFrame.Shadow.Sunken)
    return line


def show_error(parent: QWidget | None, title: str, text: str) -> None:
    QMessageBox.warning(parent, title, text)


def confirm(parent: QWidget | None, title: str, text: str, yes: str, no: str = "Cancel") -> bool:
    """A question whose buttons say what will happen (not "Yes"/"No")."""
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Question)
    box.setWindowTitle(title)
    box.setText(text)
    yes_button = box.addButton(yes, QMessageBox.ButtonRole.AcceptRole)
    no_button = box.addButton(no, QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(no_button)
    box.exec()
    return box.clickedButton() is yes_button
