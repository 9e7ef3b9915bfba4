"""A date field that may be empty, shown unambiguously ("17 May 1980")."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QDate
from PySide6.QtGui import QFocusEvent, QKeyEvent
from PySide6.QtWidgets import QDateEdit, QWidget

DATE_FORMAT = "d MMM yyyy"
_EMPTY = QDate(1800, 1, 1)  # the minimum date stands for "not entered"


class OptionalDateEdit(QDateEdit):
    """``value()`` is a ``datetime.date`` or None ("Not entered")."""

    def __init__(self, parent: QWidget | None = None, *, default_year: int | None = None) -> None:
        super().__init__(parent)
        self.setDisplayFormat(DATE_FORMAT)
        self.setMinimumDate(_EMPTY)
        self.setSpecialValueText("Not entered")
        self.setCalendarPopup(True)
        self._default_year = default_year
        self._advanced = False
        self.set_value(None)
        self.calendarWidget().setCurrentPage(
            default_year or dt.date.today().year, dt.date.today().month
        )

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Typing "17 May 1980" works from an empty field and from any section."""
        text = event.text()
        if text in (" ", "/", "-", ".") and self._advanced:
            # Qt already moved on after a complete section: the separator is not a second move.
            self._advanced = False
            return
        if text and text.isprintable() and not text.isspace():
            if self.value() is None:
                # Leave "Not entered" for a real date the typed sections then overwrite.
                self.setDate(QDate(self._default_year or dt.date.today().year, 1, 1))
                self.setCurrentSection(QDateEdit.Section.DaySection)
            line = self.lineEdit()
            if not line.hasSelectedText() and self._section_is_whole():
                self.setSelectedSection(self.currentSection())
        before = self.currentSection()
        super().keyPressEvent(event)
        self._advanced = bool(text) and text.isalnum() and self.currentSection() != before

    def _section_is_whole(self) -> bool:
        """True when the cursor sits at the start of a section (nothing typed there yet)."""
        index = self.currentSectionIndex()
        line = self.lineEdit()
        text = line.text()
        starts = [0]
        for i, ch in enumerate(text):
            if ch == " ":
                starts.append(i + 1)
        return index < len(starts) and line.cursorPosition() in (starts[index],)

    def focusInEvent(self, event: QFocusEvent) -> None:
        super().focusInEvent(event)
        if self.value() is not None:
            self.setSelectedSection(self.currentSection())

    def value(self) -> dt.date | None:
        d = self.date()
        if d == _EMPTY:
            return None
        return dt.date(d.year(), d.month(), d.day())

    def set_value(self, value: dt.date | None) -> None:
        self.setDate(_EMPTY if value is None else QDate(value.year, value.month, value.day))
