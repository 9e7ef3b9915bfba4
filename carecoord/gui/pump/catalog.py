"""The pump catalog window: every model's values, which are unconfirmed, their sources; an
administrator corrects a value (kept as an audited override of the shipped catalog)."""

from __future__ import annotations

from PySide6.QtCore import QLocale, Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from carecoord.domain.devices import DeviceModel
from carecoord.domain.permissions import Permission
from carecoord.domain.units import format_ml
from carecoord.gui.context import AppContext, gate
from carecoord.gui.widgets import FieldMessage, heading
from carecoord.services import pumps
from carecoord.services.errors import ServiceError, ValidationFailed

FIELDS = list(pumps.CATALOG_FIELD_LABELS)
UNCONFIRMED = QColor("#fff3c4")


class CorrectionDialog(QDialog):
    def __init__(self, ctx: AppContext, device: DeviceModel, field: str, parent: QWidget) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.device = device
        self.field = field
        self.result_device: DeviceModel | None = None
        self._point = QLocale().decimalPoint() or "."
        label = pumps.CATALOG_FIELD_LABELS[field]
        self.setWindowTitle(f"Correct {device.name}: {label}")
        layout = QVBoxLayout(self)
        intro = QLabel(
            f"<b>{device.label}</b><br>{label}. Leave empty if it is not known. Tick "
            "“Confirmed” only when a primary source (manufacturer's manual) gives the value."
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        self.value = QLineEdit(pumps.catalog_value_text(device, field).replace(".", self._point))
        self.value.setObjectName("catalogValue")
        if field == "battery_life_typical_months":
            self.value.setPlaceholderText("shortest-longest, e.g. 60-84")
        elif field == "modes":
            self.value.setPlaceholderText("e.g. Stopped, Simple continuous")
        layout.addWidget(self.value)
        self.confirmed = QCheckBox("&Confirmed from a primary source")
        self.confirmed.setObjectName("catalogConfirmed")
        self.confirmed.setChecked(not device.is_unconfirmed(field))
        layout.addWidget(self.confirmed)
        self.message = FieldMessage()
        layout.addWidget(self.message)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.save_button = buttons.addButton(
            "Save correction", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.save_button.setObjectName("saveCorrection")
        self.save_button.clicked.connect(self.save)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.resize(self.fontMetrics().averageCharWidth() * 70, self.sizeHint().height())

    def save(self) -> None:
        try:
            device = self.ctx.call(
                pumps.correct_device,
                self.device.key,
                self.field,
                self.value.text(),
                confirmed=self.confirmed.isChecked(),
                decimal_separator=self._point,
            )
        except ValidationFailed as exc:
            self.message.show_problems(exc.problems)
            return
        except ServiceError as exc:
            self.message.setText(str(exc))
            self.message.setVisible(True)
            return
        self.result_device = device
        self.ctx.bus.changed.emit("device_catalog")
        self.accept()


class CatalogPage(QWidget):
    def __init__(self, ctx: AppContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.devices: list[DeviceModel] = []
        layout = QVBoxLayout(self)
        layout.addWidget(heading("Pump catalog"))
        info = QLabel(
            "The pump models CareCoord knows. A value marked “unconfirmed” has no primary "
            "source: rules treat it with caution. Sources are numbered as in the clinical "
            "reference; an administrator corrects a value after checking the manufacturer's "
            "manual."
        )
        info.setWordWrap(True)
        layout.addWidget(info)
        self.table = QTableWidget(0, 3 + len(FIELDS))
        self.table.setObjectName("catalogTable")
        self.table.setHorizontalHeaderLabels(
            ["Model", "Reservoir", "Sources", *[pumps.CATALOG_FIELD_LABELS[f] for f in FIELDS]]
        )
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setWordWrap(True)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.activated.connect(lambda _i: self.correct())
        layout.addWidget(self.table, 1)
        row = QHBoxLayout()
        row.addStretch(1)
        self.correct_button = QPushButton("&Correct the selected value…")
        self.correct_button.setObjectName("correctButton")
        self.correct_button.clicked.connect(self.correct)
        gate(self.correct_button, ctx, Permission.EDIT_CATALOG, "Correct the selected value")
        row.addWidget(self.correct_button)
        layout.addLayout(row)
        self.sources = QLabel()
        self.sources.setObjectName("catalogSources")
        self.sources.setWordWrap(True)
        self.sources.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.sources)
        ctx.bus.changed.connect(lambda e: e in ("device_catalog", "external") and self.refresh())
        self.refresh()

    def refresh(self) -> None:
        self.devices = self.ctx.query(pumps.load_catalog)
        titles = pumps.source_titles()
        self.table.setRowCount(len(self.devices))
        for r, device in enumerate(self.devices):
            cells = [
                device.label,
                format_ml(device.reservoir_ml),
                ", ".join(f"[{n}]" for n in device.sources),
            ]
            for c, text in enumerate(cells):
                self.table.setItem(r, c, QTableWidgetItem(text))
            for c, field in enumerate(FIELDS, start=3):
                text = pumps.catalog_value_text(device, field) or "not known"
                item = QTableWidgetItem(text)
                if device.is_unconfirmed(field):
                    item.setText(f"{text} (unconfirmed)")
                    item.setBackground(QBrush(UNCONFIRMED))
                    item.setToolTip("No primary source: check with the manufacturer")
                self.table.setItem(r, c, item)
        self.table.resizeRowsToContents()
        used = sorted({n for d in self.devices for n in d.sources})
        self.sources.setText(
            "<b>Sources</b><br>" + "<br>".join(f"[{n}] {titles.get(n, '?')}" for n in used)
        )

    def correct(self) -> None:
        if not self.ctx.can(Permission.EDIT_CATALOG):
            return
        r, c = self.table.currentRow(), self.table.currentColumn()
        if r < 0 or c < 3:
            return
        dialog = CorrectionDialog(self.ctx, self.devices[r], FIELDS[c - 3], self)
        self.correction_dialog = dialog
        if dialog.exec():
            self.refresh()
            self.table.setCurrentCell(r, c)


def open_catalog(ctx: AppContext, parent: QWidget) -> CatalogPage:
    """The catalog in a window of its own (from the implant record)."""
    dialog = QDialog(parent)
    dialog.setWindowTitle("Pump catalog")
    layout = QVBoxLayout(dialog)
    page = CatalogPage(ctx)
    layout.addWidget(page)
    close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
    close.rejected.connect(dialog.reject)
    layout.addWidget(close)
    dialog.resize(dialog.fontMetrics().averageCharWidth() * 160, dialog.fontMetrics().height() * 36)
    dialog.setModal(False)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.show()
    return page
