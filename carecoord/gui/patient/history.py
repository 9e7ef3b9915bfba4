"""The Audit tab: a patient's history for a person to read (when, who, what, old -> new)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget

from carecoord.domain.permissions import Permission
from carecoord.domain.units import format_datetime
from carecoord.gui.context import AppContext
from carecoord.gui.patient.overview import pretty_value
from carecoord.gui.registry import PatientTabSpec, register_patient_tab
from carecoord.services import audit
from carecoord.services.errors import ServiceError
from carecoord.services.patients import FIELD_LABELS

SEQ_ROLE = Qt.ItemDataRole.UserRole + 1


class _Item(QTreeWidgetItem):
    """Sorts by the event sequence on the When column, by text elsewhere."""

    def __lt__(self, other: QTreeWidgetItem) -> bool:
        column = self.treeWidget().sortColumn() if self.treeWidget() else 0
        if column == 0:
            return (self.data(0, SEQ_ROLE) or 0) < (other.data(0, SEQ_ROLE) or 0)
        return self.text(column).casefold() < other.text(column).casefold()


class PatientHistory(QWidget):
    def __init__(self, ctx: AppContext, patient_id: int | None) -> None:
        super().__init__()
        self.ctx = ctx
        self.patient_id = patient_id
        layout = QVBoxLayout(self)
        self.info = QLabel(
            "Every change to this patient, newest first. Expand an entry (Right arrow) to see "
            "each field's old and new value."
        )
        self.info.setWordWrap(True)
        layout.addWidget(self.info)
        self.tree = QTreeWidget()
        self.tree.setObjectName("auditTree")
        self.tree.setHeaderLabels(["When", "Who", "What"])
        self.tree.setSortingEnabled(True)
        self.tree.setAlternatingRowColors(True)
        self.tree.setUniformRowHeights(False)
        self.tree.setWordWrap(True)
        layout.addWidget(self.tree, 1)
        self.entries: list[audit.AuditEntry] = []
        ctx.bus.changed.connect(self._on_bus)
        self.refresh()

    def _on_bus(self, entity: str) -> None:
        if entity not in ("user", "settings"):  # any patient record may have changed
            self.refresh()

    def refresh(self) -> None:
        if self.patient_id is None:
            return
        try:
            self.entries = self.ctx.call(audit.patient_history, self.patient_id)
        except ServiceError as exc:
            self.info.setText(str(exc))
            return
        self.tree.setSortingEnabled(False)
        self.tree.clear()
        for entry in self.entries:
            what = entry.summary
            if entry.action == "assign":
                what = f"Treatment team: {entry.summary}"
            item = _Item([format_datetime(entry.at), entry.actor, what])
            item.setData(0, SEQ_ROLE, entry.seq)
            for field, old, new in entry.changes:
                label = FIELD_LABELS.get(field, field.replace("_", " ").capitalize())
                old, new = pretty_value(field, old), pretty_value(field, new)
                if old == new:  # e.g. an empty field at registration
                    continue
                child = _Item(["", "", f"{label}: {old} → {new}"])
                child.setData(0, SEQ_ROLE, 0)
                item.addChild(child)
            self.tree.addTopLevelItem(item)
        self.tree.setSortingEnabled(True)
        self.tree.sortItems(0, Qt.SortOrder.DescendingOrder)
        self.tree.expandAll()
        for column in range(2):
            self.tree.resizeColumnToContents(column)

    def lines(self) -> list[str]:
        """Every visible line as text (for tests and copying)."""
        out = []
        for i in range(self.tree.topLevelItemCount()):
            item = self.tree.topLevelItem(i)
            out.append(" | ".join(item.text(c) for c in range(3)))
            out += [f"    {item.child(j).text(2)}" for j in range(item.childCount())]
        return out


def _history(ctx: AppContext, patient_id: int | None) -> QWidget:
    return PatientHistory(ctx, patient_id)


register_patient_tab(
    PatientTabSpec("audit", "Audit", _history, order=90, permission=Permission.VIEW_AUDIT)
)
