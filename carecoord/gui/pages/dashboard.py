"""The Dashboard: a column of sections from the registry; later features add their own."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QPaintEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QScrollArea,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from carecoord.domain.enums import PatientStatus
from carecoord.domain.units import format_date
from carecoord.gui import registry
from carecoord.gui.context import AppContext
from carecoord.gui.registry import DashboardSectionSpec, register_dashboard_section
from carecoord.gui.widgets import heading, scale_font
from carecoord.services.errors import ServiceError

ID_ROLE = Qt.ItemDataRole.UserRole + 1


class StatusCounts(QWidget):
    """How many patients are at each step: a tile per status, the word under the number."""

    def __init__(self, ctx: AppContext) -> None:
        super().__init__()
        self.ctx = ctx
        row = QHBoxLayout(self)
        self.labels: dict[PatientStatus, QLabel] = {}
        for status in PatientStatus:
            tile = QFrame()
            tile.setObjectName("countTile")
            column = QVBoxLayout(tile)
            number = QLabel("0")
            number.setObjectName("countNumber")
            scale_font(number, 1.6)
            column.addWidget(number)
            column.addWidget(QLabel(status.label))
            row.addWidget(tile)
            self.labels[status] = number
        row.addStretch(1)
        self.counts: dict[PatientStatus, int] = {}

    def refresh(self) -> None:
        from carecoord.services import patients  # with the sections, after the first paint

        self.counts = self.ctx.call(patients.count_by_status)
        for status, label in self.labels.items():
            label.setText(str(self.counts.get(status, 0)))
            label.setAccessibleName(f"{status.label}: {self.counts.get(status, 0)}")


class MyPatients(QWidget):
    """Patients on whose team the signed-in user is; Enter or double-click opens one."""

    def __init__(self, ctx: AppContext) -> None:
        super().__init__()
        self.ctx = ctx
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.empty = QLabel(
            "You are not on any patient's treatment team yet. Open a patient and choose "
            "yourself in its Treatment team section."
        )
        self.empty.setWordWrap(True)
        layout.addWidget(self.empty)
        self.list = QTreeWidget()
        self.list.setObjectName("myPatients")
        self.list.setRootIsDecorated(False)
        self.list.setHeaderLabels(["Name", "Record number", "Date of birth", "Status"])
        self.list.setSortingEnabled(True)
        self.list.setAlternatingRowColors(True)
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.list.activated.connect(lambda index: self._open(self.list.itemFromIndex(index)))
        self.list.itemDoubleClicked.connect(lambda item, _column: self._open(item))
        layout.addWidget(self.list)

    def refresh(self) -> None:
        from carecoord.services import patients

        rows = self.ctx.call(patients.my_patients)
        self.list.setSortingEnabled(False)
        self.list.clear()
        for row in rows:
            item = QTreeWidgetItem(
                [
                    f"{row.family_name.upper()}, {row.given_names}",
                    row.mrn,
                    format_date(row.date_of_birth),
                    row.status.label,
                ]
            )
            item.setData(0, ID_ROLE, row.id)
            self.list.addTopLevelItem(item)
        self.list.setSortingEnabled(True)
        self.list.sortByColumn(0, Qt.SortOrder.AscendingOrder)  # A to Z, as people read a list
        # Show up to a dozen rows without an inner scroll bar; the page itself scrolls.
        row_height = max(self.list.sizeHintForRow(0), self.list.fontMetrics().height() + 6)
        header = self.list.header().sizeHint().height()
        self.list.setMinimumHeight(header + row_height * min(max(len(rows), 1), 12) + 6)
        for c in range(3):
            self.list.resizeColumnToContents(c)
        if rows:
            self.list.setCurrentItem(self.list.topLevelItem(0))
        self.empty.setVisible(not rows)
        self.list.setVisible(bool(rows))

    def _open(self, item: QTreeWidgetItem | None) -> None:
        if item is not None:
            self.ctx.open_patient(item.data(0, ID_ROLE))


class DashboardPage(QWidget):
    """The sections are built just after the page is first painted (their features and the
    ORM load then), so the window appears at once; asking for ``sections`` builds them now."""

    def __init__(self, ctx: AppContext) -> None:
        super().__init__()
        self.ctx = ctx
        self._stale = False
        outer = QVBoxLayout(self)
        outer.addWidget(heading(f"Good to see you, {ctx.actor.full_name}"))
        body = QWidget()
        self.column = QVBoxLayout(body)
        self.loading = QLabel("Loading the dashboard…")
        self.loading.setObjectName("dashboardLoading")
        self.column.addWidget(self.loading)
        self.column.addStretch(1)
        self._sections: dict[str, QWidget] | None = None
        self._build_scheduled = False
        self._boxes: dict[str, QGroupBox] = {}
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setWidget(body)
        outer.addWidget(scroll, 1)
        ctx.bus.changed.connect(self._on_bus)

    @property
    def sections(self) -> dict[str, QWidget]:
        return self._build_sections()

    @property
    def boxes(self) -> dict[str, QGroupBox]:
        self._build_sections()
        return self._boxes

    def _build_sections(self) -> dict[str, QWidget]:
        if self._sections is not None:
            return self._sections
        self._sections = {}
        self.column.removeWidget(self.loading)
        self.loading.deleteLater()
        for index, spec in enumerate(registry.dashboard_sections(self.ctx)):
            box = QGroupBox(spec.title)
            box.setObjectName(f"section_{spec.key}")
            inner = QVBoxLayout(box)
            widget = spec.factory(self.ctx)
            inner.addWidget(widget)
            self.column.insertWidget(index, box)
            self._sections[spec.key] = widget
            self._boxes[spec.key] = box
        self.refresh()
        # Lay the filled column out now, so the next paint never shows it squeezed.
        self.column.activate()
        self.column.parentWidget().adjustSize()
        return self._sections

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        if self._sections is None and not self._build_scheduled:
            # Once the window has been drawn with "Loading…", build the sections.
            self._build_scheduled = True
            QTimer.singleShot(0, self, self._build_if_shown)

    def _build_if_shown(self) -> None:
        self._build_scheduled = False
        # Another page may have been chosen meanwhile: then wait until this one is painted.
        if self._sections is None and self.isVisible():
            self._build_sections()

    def refresh(self) -> None:
        """Ask every section to reload; a failing section says so instead of breaking the page."""
        self._stale = False
        for key, widget in self.sections.items():
            refresh = getattr(widget, "refresh", None)
            if not callable(refresh):
                continue
            try:
                refresh()
            except ServiceError as exc:
                self._boxes[key].setToolTip(str(exc))

    def refresh_if_stale(self) -> None:
        if self._stale and self._sections is not None:
            self.refresh()

    def _on_bus(self, _entity: str) -> None:
        if self._sections is None:
            return  # not built yet: it reads fresh data when it is
        if self.isVisible():
            self.refresh()
        else:
            self._stale = True


register_dashboard_section(
    DashboardSectionSpec("status_counts", "Patients by status", StatusCounts, order=10)
)
register_dashboard_section(DashboardSectionSpec("my_patients", "My patients", MyPatients, order=20))
