"""Refill sections of the dashboard: overdue first, due soon, discrepancies, batteries.

The four sections share one read of ``services.refills.dashboard_data`` per refresh (the
dashboard asks each section in turn within a moment). Every row says its status in words;
red only reinforces "past alarm date: withdrawal risk". Enter or a double-click opens the patient.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from decimal import Decimal

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QLabel,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from carecoord.domain.units import format_date, format_datetime, format_ml
from carecoord.gui.context import AppContext
from carecoord.gui.registry import DashboardSectionSpec, register_dashboard_section
from carecoord.services import refills
from carecoord.services.refills import DashboardData

ID_ROLE = Qt.ItemDataRole.UserRole + 1
RISK_COLOUR = QColor("#b00020")
ROWS_SHOWN = 12  # rows visible without an inner scroll bar; the page itself scrolls
_SHARED_SECONDS = 1.0
# After a clinic-wide change the dashboard recomputes dates in slices, never freezing long.
REFRESH_BUDGET_SECONDS = 1.5
_cache: dict[int, tuple[float, int, DashboardData]] = {}


def shared_data(ctx: AppContext, *, fresh: bool = False) -> DashboardData:
    """One dashboard read for all four sections of a refresh. Any change announced on the bus
    since the read makes it stale, whichever listener asks first."""
    key = id(ctx)
    now = time.monotonic()
    cached = _cache.get(key)
    if (
        not fresh
        and cached is not None
        and now - cached[0] < _SHARED_SECONDS
        and cached[1] == ctx.bus.generation
    ):
        return cached[2]
    data = ctx.call(refills.dashboard_data, refresh_budget_seconds=REFRESH_BUDGET_SECONDS)
    _cache[key] = (now, ctx.bus.generation, data)
    return data


def forget_shared(ctx: AppContext) -> None:
    _cache.pop(id(ctx), None)


def expected_text(expected_ml: Decimal | None) -> str:
    """A volume below zero means the programs would have emptied the pump: say that."""
    if expected_ml is None:
        return "—"
    if expected_ml < 0:
        return "empty (0 mL)"
    return format_ml(expected_ml)


class RefillSection(QWidget):
    """A count line and a list; subclasses say which rows and columns."""

    columns: Sequence[str] = ()
    empty_text = ""

    def __init__(self, ctx: AppContext) -> None:
        super().__init__()
        self.ctx = ctx
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.count_label = QLabel()
        self.count_label.setObjectName("sectionCount")
        self.count_label.setWordWrap(True)
        layout.addWidget(self.count_label)
        self.list = QTreeWidget()
        self.list.setRootIsDecorated(False)
        self.list.setAlternatingRowColors(True)
        self.list.setHeaderLabels(list(self.columns))
        self.list.setSortingEnabled(False)  # kept in the order of urgency
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        # The last column stretches and elides (full text in its tooltip): no sideways scrolling.
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.list.header().setStretchLastSection(True)
        self.list.activated.connect(lambda index: self._open(self.list.itemFromIndex(index)))
        self.list.itemDoubleClicked.connect(lambda item, _c: self._open(item))
        layout.addWidget(self.list)

    def refresh(self) -> None:
        self.show_data(shared_data(self.ctx))

    def show_data(self, data: DashboardData) -> None:
        raise NotImplementedError

    def _fill(self, rows: Sequence[tuple[int, list[str], bool]]) -> None:
        self.list.clear()
        bold = QFont(self.list.font())
        bold.setBold(True)
        for patient_id, texts, risk in rows:
            item = QTreeWidgetItem(texts)
            item.setData(0, ID_ROLE, patient_id)
            item.setToolTip(len(texts) - 1, texts[-1])
            if risk:
                for c in range(len(texts)):
                    item.setForeground(c, QBrush(RISK_COLOUR))
                    item.setFont(c, bold)
            self.list.addTopLevelItem(item)
        row_height = max(self.list.sizeHintForRow(0), self.list.fontMetrics().height() + 6)
        header = self.list.header().sizeHint().height()
        shown = min(max(len(rows), 1), ROWS_SHOWN)
        self.list.setFixedHeight(header + row_height * shown + 8)
        for c in range(len(self.columns) - 1):
            self.list.resizeColumnToContents(c)
        self.list.setVisible(bool(rows))

    def _refresh_page(self) -> None:
        parent = self.parentWidget()
        while parent is not None and not hasattr(parent, "refresh_if_stale"):
            parent = parent.parentWidget()
        if parent is not None and parent.isVisible():
            forget_shared(self.ctx)
            parent.refresh()  # type: ignore[attr-defined]

    def _open(self, item: QTreeWidgetItem | None) -> None:
        if item is not None:
            self.ctx.open_patient(item.data(0, ID_ROLE))


def _more(shown: int, total: int) -> str:
    return f" (the first {shown} are listed)" if total > shown else ""


class OverdueRefills(RefillSection):
    columns = ("Status", "Patient", "Record", "Phone", "Due", "Alarm date", "Next visit", "Why due")

    def show_data(self, data: DashboardData) -> None:
        n, risk = data.overdue_count, data.past_alarm_count
        left = data.stale_remaining
        if n == 0:
            text = (
                "No refill is overdue among the patients whose dates are recomputed."
                if left
                else "No refill is overdue."
            )
        else:
            text = f"{n} refill{'s' if n != 1 else ''} overdue"
            if risk:
                text += f", {risk} past the alarm date: withdrawal risk, call first"
            text += "." + _more(len(data.overdue), n)
        if left:
            # Their stored dates are from before a change: they are not listed until
            # recomputed, which carries on in a moment.
            names = ", ".join(r.name for r in data.recomputing[:5])
            more = f" and {left - 5} more" if left > 5 else ""
            text += (
                f"\nRefill dates being recomputed for {left} patient{'s' if left != 1 else ''} "
                f"({names}{more}): not listed in any section until their new dates are known."
            )
            QTimer.singleShot(300, self._refresh_page)
        self.count_label.setText(text)
        self.count_label.setProperty("risk", bool(risk))
        self.count_label.style().unpolish(self.count_label)
        self.count_label.style().polish(self.count_label)
        self._fill(
            [
                (
                    r.patient_id,
                    [
                        r.status,
                        r.name,
                        r.mrn,
                        r.phone,
                        format_date(r.due_date),
                        format_date(r.alarm_date),
                        format_datetime(r.next_appointment_at, missing="Not booked"),
                        r.due_reason,
                    ],
                    r.past_alarm,
                )
                for r in data.overdue
            ]
        )


class DueSoonRefills(RefillSection):
    columns = ("Status", "Patient", "Record", "Phone", "Due", "Alarm date", "Next visit", "Why due")

    def show_data(self, data: DashboardData) -> None:
        n = data.due_soon_count
        self.count_label.setText(
            f"{n} refill{'s' if n != 1 else ''} due in the next {data.due_days} days."
            + _more(len(data.due_soon), n)
            if n
            else f"No refill is due in the next {data.due_days} days."
        )
        self._fill(
            [
                (
                    r.patient_id,
                    [
                        r.status,
                        r.name,
                        r.mrn,
                        r.phone,
                        format_date(r.due_date),
                        format_date(r.alarm_date),
                        format_datetime(r.next_appointment_at, missing="Not booked"),
                        r.due_reason,
                    ],
                    r.past_alarm,
                )
                for r in data.due_soon
            ]
        )


class RefillDiscrepancies(RefillSection):
    columns = ("Status", "Patient", "Record", "Refill", "Expected", "Measured")

    def show_data(self, data: DashboardData) -> None:
        n = data.discrepancy_count
        self.count_label.setText(
            f"{n} refill discrepanc{'ies' if n != 1 else 'y'} waiting for a physiatrist's review."
            + _more(len(data.discrepancies), n)
            if n
            else "No refill discrepancy is waiting for review."
        )
        self._fill(
            [
                (
                    r.patient_id,
                    [
                        r.status,
                        r.name,
                        r.mrn,
                        format_datetime(r.refill_at),
                        expected_text(r.expected_ml),
                        format_ml(r.measured_ml),
                    ],
                    False,
                )
                for r in data.discrepancies
            ]
        )


class BatteryReplacements(RefillSection):
    columns = ("Status", "Patient", "Record", "Replace by", "Plan by", "ERI alarm expected by")

    def show_data(self, data: DashboardData) -> None:
        n = data.battery_count
        months = data.battery_months
        self.count_label.setText(
            f"{n} pump batter{'ies' if n != 1 else 'y'} to replace in the next {months} months."
            + _more(len(data.battery), n)
            if n
            else f"No pump battery needs replacing in the next {months} months."
        )
        self._fill(
            [
                (
                    r.patient_id,
                    [
                        r.status,
                        r.name,
                        r.mrn,
                        format_date(r.replace_by),
                        format_date(r.plan_by),
                        format_date(r.eri_by),
                    ],
                    r.replace_by <= data.today,
                )
                for r in data.battery
            ]
        )


SECTIONS: list[tuple[str, str, Callable[[AppContext], QWidget], int]] = [
    ("refills_overdue", "Overdue refills", OverdueRefills, 1),
    ("refills_due", "Refills due soon", DueSoonRefills, 2),
    ("refill_discrepancies", "Refill discrepancies to review", RefillDiscrepancies, 3),
    ("battery_replacements", "Pump battery replacements", BatteryReplacements, 4),
]
for _key, _title, _factory, _order in SECTIONS:
    register_dashboard_section(DashboardSectionSpec(_key, _title, _factory, order=_order))
