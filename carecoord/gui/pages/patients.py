"""The Patients page: search as you type, status filter, sortable lazy list, open by keyboard."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QLocale, Qt, QTimer
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from carecoord.domain.enums import PatientStatus
from carecoord.domain.permissions import Permission
from carecoord.gui.context import AppContext, gate
from carecoord.gui.pages.patient_model import ObjectRole, PatientListModel
from carecoord.gui.widgets import heading
from carecoord.services import patient_list
from carecoord.services.patient_list import PatientRow

# Each keystroke queries at once: the indexed search answers in milliseconds (see the
# benchmark in tests/benchmarks); a zero-delay timer still merges keys typed in one burst.
SEARCH_DELAY_MS = 0
ACTIVE = "active"  # status filter: everyone but retired


def count_text(n: int) -> str:
    """ "1,234 patients" with the clinic locale's digit grouping (a comma in the C locale)."""
    locale = QLocale()
    number = f"{n:,}" if locale.language() == QLocale.Language.C else locale.toString(n)
    return f"{number} patient{'s' if n != 1 else ''}"


class PatientsPage(QWidget):
    def __init__(self, ctx: AppContext, search_delay_ms: int = SEARCH_DELAY_MS) -> None:
        super().__init__()
        self.ctx = ctx
        self._stale = False
        layout = QVBoxLayout(self)
        layout.addWidget(heading("Patients"))

        bar = QHBoxLayout()
        self.search = QLineEdit()
        self.search.setObjectName("patientSearch")
        self.search.setPlaceholderText("Search by name or record number")
        self.search.setClearButtonEnabled(True)
        self.search.setAccessibleName("Search patients")
        search_label = QLabel("&Search")
        search_label.setBuddy(self.search)
        bar.addWidget(search_label)
        bar.addWidget(self.search, 3)
        self.status = QComboBox()
        self.status.setObjectName("statusFilter")
        self.status.addItem("All except retired", ACTIVE)
        self.status.addItem("All statuses", None)
        for s in PatientStatus:
            # The value, not the enum: a first Python enum in a Qt item costs PySide6 ~30 ms.
            self.status.addItem(s.label, s.value)
        status_label = QLabel("S&tatus")
        status_label.setBuddy(self.status)
        bar.addWidget(status_label)
        bar.addWidget(self.status, 1)
        self.count = QLabel()
        self.count.setObjectName("patientCount")
        bar.addWidget(self.count)
        self.new_button = QPushButton("&New patient…")
        self.new_button.setObjectName("newPatientButton")
        gate(self.new_button, ctx, Permission.EDIT_PATIENT, "Register a new patient (Ctrl+N)")
        self.new_button.clicked.connect(lambda: self.ctx.new_patient())
        bar.addWidget(self.new_button)
        layout.addLayout(bar)

        self.model = PatientListModel(self._fetch)
        self.model.total_changed.connect(lambda n: self.count.setText(count_text(n)))
        self.table = QTableView()
        self.table.setObjectName("patientTable")
        self.table.setModel(self.model)
        self.table.setSortingEnabled(True)
        self.table.horizontalHeader().setSortIndicator(0, Qt.SortOrder.AscendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.setTabKeyNavigation(False)
        self.table.verticalHeader().setVisible(False)
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        chars = self.fontMetrics().averageCharWidth()
        for column, width in enumerate((30, 20, 24, 14)):
            header.resizeSection(column, chars * width)
        # Enter (and, on most styles, double-click) activates; double-click always opens.
        self.table.activated.connect(self._open_index)
        self.table.doubleClicked.connect(self._open_index)
        layout.addWidget(self.table, 1)
        hint = QLabel(
            "Type to search; press Down to reach the list, Enter to open a patient. "
            "Click a column title to sort."
        )
        hint.setObjectName("hint")
        hint.setWordWrap(True)
        layout.addWidget(hint)

        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(search_delay_ms)
        self._search_timer.timeout.connect(self.apply_search)
        self.search.textChanged.connect(lambda _t: self._search_timer.start())
        self.status.currentIndexChanged.connect(lambda _i: self.apply_search())
        # Down or Page Down in the search box goes to the list. Shortcuts of the box rather
        # than an event filter: no Python runs for the box's other events.
        for key in (Qt.Key.Key_Down, Qt.Key.Key_PageDown):
            down = QShortcut(QKeySequence(key), self.search)
            down.setContext(Qt.ShortcutContext.WidgetShortcut)
            down.activated.connect(self._down_from_search)
        self.search.returnPressed.connect(self._enter_in_search)
        ctx.bus.changed.connect(self._on_bus)
        self.apply_search()

    def _fetch(self, **query: Any) -> patient_list.SearchPage:
        # Plain SQL, not the ORM: the list is usable while the rest of the app still loads.
        return self.ctx.read(patient_list.search_patients, **query)

    def _statuses(self) -> set[PatientStatus] | None:
        choice = self.status.currentData()
        if choice == ACTIVE:
            return {s for s in PatientStatus if s is not PatientStatus.RETIRED}
        return {PatientStatus(choice)} if choice else None

    def apply_search(self) -> None:
        """Run the search now (the text box waits for a pause in typing)."""
        self._search_timer.stop()
        self.model.set_query(self.search.text(), self._statuses())
        if self.model.rowCount():
            self.table.selectRow(0)

    def refresh(self) -> None:
        self._stale = False
        current = self.selected_row()
        self.model.reload()
        if current is not None:
            for i, row in enumerate(self.model.rows):
                if row.id == current.id:
                    self.table.selectRow(i)
                    break

    def refresh_if_stale(self) -> None:
        if self._stale:
            self.refresh()

    def _on_bus(self, entity: str) -> None:
        if entity in ("patient", "external"):
            if self.isVisible():
                self.refresh()
            else:
                self._stale = True

    def selected_row(self) -> PatientRow | None:
        index = self.table.currentIndex()
        return index.data(ObjectRole) if index.isValid() else None

    def _open_index(self, index: Any) -> None:
        row: PatientRow | None = index.data(ObjectRole)
        if row is not None:
            self.ctx.open_patient(row.id)

    def _enter_in_search(self) -> None:
        if self._search_timer.isActive():
            self.apply_search()
        if self.model.rowCount() == 1:
            self.ctx.open_patient(self.model.rows[0].id)
        elif self.model.rowCount():
            self.table.setFocus()

    def _down_from_search(self) -> None:
        if self._search_timer.isActive():
            self.apply_search()
        if not self.model.rowCount():
            return
        self.table.setFocus()
        if not self.table.currentIndex().isValid():
            self.table.selectRow(0)
