"""A date field that may be empty, shown unambiguously ("17 May 1980")."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QDate
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
        self.set_value(None)
        self.calendarWidget().setCurrentPage(
            default_year or dt.date.today().year, dt.date.today().month
        )

    def value(self) -> dt.date | None:
        d = self.date()
        if d == _EMPTY:
            return None
        return dt.date(d.year(), d.month(), d.day())

    def set_value(self, value: dt.date | None) -> None:
        self.setDate(_EMPTY if value is None else QDate(value.year, value.month, value.day))
