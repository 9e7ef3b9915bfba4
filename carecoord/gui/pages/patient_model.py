"""The patients list model: pages of ``search_patients`` fetched lazily, sorted by SQL."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal

from carecoord.domain.enums import PatientStatus
from carecoord.domain.patients import age_on
from carecoord.domain.units import format_date
from carecoord.services.patient_list import PatientRow, SearchPage

PAGE_SIZE = 200
ObjectRole = Qt.ItemDataRole.UserRole + 1  # the PatientRow
SortRole = Qt.ItemDataRole.UserRole + 2  # the raw value of the cell

# (header, service sort key)
COLUMNS: list[tuple[str, str]] = [
    ("Name", "name"),
    ("Record number", "mrn"),
    ("Date of birth", "dob"),
    ("Status", "status"),
    ("Diagnosis", "diagnosis"),
]
NAME, MRN, DOB, STATUS, DIAGNOSIS = range(len(COLUMNS))

# fetch(text=, statuses=, sort=, descending=, offset=, limit=, with_total=) -> SearchPage
Fetch = Callable[..., SearchPage]
Index = QModelIndex | QPersistentModelIndex


class PatientListModel(QAbstractTableModel):
    """Rows are loaded ``PAGE_SIZE`` at a time (canFetchMore/fetchMore); ``data`` only reads
    rows already in memory. ``sort`` asks the service again with the column's sort key."""

    total_changed = Signal(int)

    def __init__(self, fetch: Fetch, today: dt.date | None = None) -> None:
        super().__init__()
        self._fetch = fetch
        self._today = today
        self.rows: list[PatientRow] = []
        self.total = 0
        self.text = ""
        self.statuses: set[PatientStatus] | None = None
        self.sort_key = "name"
        self.descending = False
        self.loaded = False  # sort() before the first query only records the order

    # ---- querying ---------------------------------------------------------------------------

    def set_query(
        self,
        text: str | None = None,
        statuses: set[PatientStatus] | bool | None = False,
    ) -> None:
        """Change the search (``statuses=False`` keeps the current filter) and reload."""
        if text is not None:
            self.text = text
        if statuses is not False:
            self.statuses = statuses or None  # type: ignore[assignment]
        self.reload()

    def reload(self) -> None:
        page = self._fetch(
            text=self.text,
            statuses=self.statuses,
            sort=self.sort_key,
            descending=self.descending,
            offset=0,
            limit=PAGE_SIZE,
            with_total=True,
        )
        self.loaded = True
        self.beginResetModel()
        self.rows = list(page.rows)
        self.total = page.total
        self.endResetModel()
        self.total_changed.emit(self.total)

    def canFetchMore(self, parent: Index = QModelIndex()) -> bool:  # noqa: B008
        return not parent.isValid() and len(self.rows) < self.total

    def fetchMore(self, parent: Index = QModelIndex()) -> None:  # noqa: B008
        if parent.isValid() or len(self.rows) >= self.total:
            return
        page = self._fetch(
            text=self.text,
            statuses=self.statuses,
            sort=self.sort_key,
            descending=self.descending,
            offset=len(self.rows),
            limit=PAGE_SIZE,
            with_total=False,
        )
        if not page.rows:
            self.total = len(self.rows)  # the list shrank meanwhile
            return
        start = len(self.rows)
        self.beginInsertRows(QModelIndex(), start, start + len(page.rows) - 1)
        self.rows.extend(page.rows)
        self.endInsertRows()

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if not 0 <= column < len(COLUMNS):
            return
        key, descending = COLUMNS[column][1], order == Qt.SortOrder.DescendingOrder
        if self.loaded and (key, descending) == (self.sort_key, self.descending):
            return  # the view re-announces the current order (e.g. when sorting is enabled)
        self.sort_key, self.descending = key, descending
        if self.loaded:
            self.reload()

    # ---- Qt model ---------------------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section][0]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self.rows):
            return None
        row = self.rows[index.row()]
        column = index.column()
        if role == ObjectRole:
            return row
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return self._text(row, column)
        if role == SortRole:
            return (
                f"{row.family_name}, {row.given_names}",
                row.mrn,
                row.date_of_birth,
                row.status.value,
                row.diagnosis,
            )[column]
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return f"{COLUMNS[column][0]}: {self._text(row, column)}"
        return None

    def _text(self, row: PatientRow, column: int) -> str:
        if column == NAME:
            return f"{row.family_name.upper()}, {row.given_names}"
        if column == MRN:
            return row.mrn
        if column == DOB:
            age = age_on(row.date_of_birth, self._today or dt.date.today())
            return f"{format_date(row.date_of_birth)} (age {age})"
        if column == STATUS:
            return row.status.label
        if column == DIAGNOSIS:
            origin = f" · {row.origin.label}" if row.origin else ""
            return f"{row.diagnosis or '—'}{origin}"
        return ""

    def row_at(self, row: int) -> PatientRow:
        return self.rows[row]
