"""The main window: navigation list, pages from the registry, open patient workspaces."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence, QPaintEvent
from PySide6.QtWidgets import (
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMessageBox,
    QSplitter,
    QStackedWidget,
    QTabWidget,
    QWidget,
)

import carecoord
from carecoord.domain.permissions import Permission
from carecoord.gui import registry
from carecoord.gui.changes import DEFAULT_POLL_MS, ExternalChangePoller
from carecoord.gui.context import AppContext, ChangeBus
from carecoord.gui.idle import IdleLock
from carecoord.gui.widgets import confirm

if TYPE_CHECKING:
    from carecoord.gui.patient.workspace import PatientWorkspace

OPEN_PATIENTS_KEY = "open_patients"


class _Pages(dict[str, QWidget]):
    """The navigation pages by key; a page not built yet is built when first asked for."""

    def __init__(self, build: Callable[[str], QWidget]) -> None:
        super().__init__()
        self._build = build

    def __missing__(self, key: str) -> QWidget:
        page = self._build(key)
        self[key] = page
        return page


class MainWindow(QMainWindow):
    """``outcome`` is "quit" or "sign_out" once the window has closed.

    Start-up shows the window before most of the app has loaded: a page is built (and its
    module imported) when first shown, and the dashboard fills its sections and the change
    poller starts after the first paint. The patients list reads through the store's plain-SQL
    reader, so it is usable before SQLAlchemy has been imported at all.
    """

    signed_out = Signal()

    def __init__(
        self,
        ctx: AppContext,
        *,
        idle_timeout_ms: int = 10 * 60 * 1000,
        poll_interval_ms: int = DEFAULT_POLL_MS,
        poll: bool = True,
    ) -> None:
        super().__init__()
        self.ctx = ctx
        self.bus: ChangeBus = ctx.bus
        self.outcome = "quit"
        self._force_close = False
        self._closed = False
        ctx.open_patient = self.open_patient
        ctx.new_patient = self.new_patient
        self.setWindowTitle("CareCoord")

        self.nav = QListWidget()
        self.nav.setObjectName("navigation")
        self.nav.setAccessibleName("Navigation")
        self.nav.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.nav.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.stack = QStackedWidget()
        self.pages: dict[str, QWidget] = _Pages(self._build_page)
        self._page_keys: list[str] = []
        self._page_specs: dict[str, registry.PageSpec] = {}
        for spec in registry.pages(ctx):
            self._page_specs[spec.key] = spec
            self._add_nav(spec.key, spec.title, QWidget())  # placeholder until first shown

        self.patient_tabs = QTabWidget()
        self.patient_tabs.setObjectName("patientTabs")
        self.patient_tabs.setTabsClosable(True)
        self.patient_tabs.setMovable(True)
        self.patient_tabs.setDocumentMode(True)
        self.patient_tabs.tabCloseRequested.connect(self.close_patient_tab)
        self._add_nav(OPEN_PATIENTS_KEY, "Open patients", self.patient_tabs)
        self._update_open_patients_entry()
        self.nav.currentRowChanged.connect(self._show_row)
        nav_width = self.nav.fontMetrics().averageCharWidth() * 26
        self.nav.setMinimumWidth(nav_width)

        splitter = QSplitter()
        splitter.addWidget(self.nav)
        splitter.addWidget(self.stack)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([nav_width, nav_width * 5])
        splitter.setChildrenCollapsible(False)
        self.setCentralWidget(splitter)

        self._build_menus()
        self._build_status_bar()
        self.nav.setCurrentRow(0)

        self.idle = IdleLock(self, ctx, idle_timeout_ms)
        self.poller = ExternalChangePoller(ctx, poll_interval_ms, self)
        self.poller.unreachable.connect(self._on_unreachable)
        self.poller.reachable.connect(lambda: self.connection_label.setText("Connected"))
        self._poll = poll
        self._painted = False

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        if not self._painted:
            self._painted = True
            QTimer.singleShot(0, self, self._after_first_paint)

    def _after_first_paint(self) -> None:
        """What the first screen need not wait for: watching for idleness and polling for
        other workstations' saves (the first poll loads the ORM)."""
        if self._closed:
            return
        self.idle.watch_activity()
        if self._poll:
            self.poller.start()

    # ---- navigation ---------------------------------------------------------------------

    def _add_nav(self, key: str, title: str, widget: QWidget) -> None:
        item = QListWidgetItem(title)
        item.setData(Qt.ItemDataRole.UserRole, key)
        item.setSizeHint(QSize(0, round(self.nav.fontMetrics().height() * 2.4)))
        self.nav.addItem(item)
        self.stack.addWidget(widget)
        self._page_keys.append(key)

    def _build_page(self, key: str) -> QWidget:
        if key not in self._page_specs:
            raise KeyError(key)
        row = self._page_keys.index(key)
        placeholder = self.stack.widget(row)
        page = self._page_specs[key].build(self.ctx)
        self.stack.insertWidget(row, page)
        self.stack.removeWidget(placeholder)
        placeholder.deleteLater()
        return page

    def _widget_at(self, row: int) -> QWidget:
        key = self._page_keys[row]
        return self.pages[key] if key in self._page_specs else self.stack.widget(row)

    def _show_row(self, row: int) -> None:
        if row < 0:
            return
        widget = self._widget_at(row)
        self.stack.setCurrentIndex(row)
        refresh = getattr(widget, "refresh_if_stale", None)
        if callable(refresh):
            refresh()

    def show_page(self, key: str) -> QWidget:
        row = self._page_keys.index(key)
        self.nav.setCurrentRow(row)
        return self._widget_at(row)

    def pages_in_navigation(self) -> list[str]:
        """The keys of the navigation's pages (built or not), in their order."""
        return [key for key in self._page_keys if key in self._page_specs]

    def current_page_key(self) -> str:
        return self._page_keys[self.stack.currentIndex()]

    def _update_open_patients_entry(self) -> None:
        row = self._page_keys.index(OPEN_PATIENTS_KEY)
        item = self.nav.item(row)
        count = self.patient_tabs.count()
        item.setText(f"Open patients ({count})" if count else "Open patients (none)")
        item.setHidden(count == 0)

    # ---- patient workspaces -------------------------------------------------------------

    def workspaces(self) -> list[PatientWorkspace]:
        return [self.patient_tabs.widget(i) for i in range(self.patient_tabs.count())]  # type: ignore[misc]

    def open_patient(self, patient_id: int) -> PatientWorkspace:
        for i, ws in enumerate(self.workspaces()):
            if ws.patient_id == patient_id:
                self.patient_tabs.setCurrentIndex(i)
                self.show_page(OPEN_PATIENTS_KEY)
                return ws
        from carecoord.gui.patient.workspace import PatientWorkspace

        return self._add_workspace(PatientWorkspace(self.ctx, patient_id))

    def new_patient(self) -> PatientWorkspace | None:
        if not self.ctx.can(Permission.EDIT_PATIENT):
            return None
        from carecoord.gui.patient.workspace import PatientWorkspace

        return self._add_workspace(PatientWorkspace(self.ctx, None))

    def _add_workspace(self, ws: PatientWorkspace) -> PatientWorkspace:
        index = self.patient_tabs.addTab(ws, ws.tab_title())
        self.patient_tabs.setTabToolTip(index, ws.tab_title())
        ws.title_changed.connect(lambda title, w=ws: self._retitle(w, title))
        self.patient_tabs.setCurrentIndex(index)
        self._update_open_patients_entry()
        self.show_page(OPEN_PATIENTS_KEY)
        ws.focus_first()
        return ws

    def _retitle(self, ws: PatientWorkspace, title: str) -> None:
        index = self.patient_tabs.indexOf(ws)
        if index >= 0:
            self.patient_tabs.setTabText(index, title)
            self.patient_tabs.setTabToolTip(index, title)

    def close_patient_tab(self, index: int) -> bool:
        ws: PatientWorkspace = self.patient_tabs.widget(index)  # type: ignore[assignment]
        if ws.has_unsaved_changes() and not confirm(
            self,
            "Unsaved changes",
            f"{ws.tab_title()} has changes that are not saved:\n{ws.unsaved_summary()}\n\n"
            "Closing the patient discards them.",
            yes="Discard changes and close",
            no="Keep the patient open",
        ):
            return False
        self.patient_tabs.removeTab(index)
        ws.deleteLater()
        self._update_open_patients_entry()
        if self.patient_tabs.count() == 0 and self.current_page_key() == OPEN_PATIENTS_KEY:
            self.nav.setCurrentRow(0)
        return True

    # ---- menus and status bar -----------------------------------------------------------

    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        self.new_patient_action = QAction("&New patient", self)
        self.new_patient_action.setShortcut(QKeySequence.StandardKey.New)
        self.new_patient_action.triggered.connect(self.new_patient)
        self.new_patient_action.setEnabled(self.ctx.can(Permission.EDIT_PATIENT))
        file_menu.addAction(self.new_patient_action)
        file_menu.addSeparator()
        self.sign_out_action = QAction("Sign &out", self)
        self.sign_out_action.triggered.connect(self.sign_out)
        file_menu.addAction(self.sign_out_action)
        quit_action = QAction("&Quit", self)
        quit_action.setShortcut(QKeySequence("Ctrl+Q"))
        quit_action.triggered.connect(self.close)
        file_menu.addAction(quit_action)

        go_menu = self.menuBar().addMenu("&Go")
        for row, key in enumerate(self._page_keys):
            if key == OPEN_PATIENTS_KEY:
                continue
            action = QAction(self.nav.item(row).text(), self)
            action.setShortcut(QKeySequence(f"Ctrl+{row + 1}"))
            action.triggered.connect(lambda _checked=False, k=key: self.show_page(k))
            go_menu.addAction(action)
        close_tab = QAction("&Close patient", self)
        close_tab.setShortcut(QKeySequence("Ctrl+W"))
        close_tab.triggered.connect(self._close_current_patient)
        go_menu.addSeparator()
        go_menu.addAction(close_tab)

        help_menu = self.menuBar().addMenu("&Help")
        about = QAction("&About CareCoord", self)
        about.triggered.connect(self.about)
        help_menu.addAction(about)

    def _close_current_patient(self) -> None:
        if self.patient_tabs.count() and self.current_page_key() == OPEN_PATIENTS_KEY:
            self.close_patient_tab(self.patient_tabs.currentIndex())

    def _build_status_bar(self) -> None:
        bar = self.statusBar()
        self.user_label = QLabel(f"Signed in: {self.ctx.actor.display}")
        self.user_label.setObjectName("statusUser")
        self.where_label = QLabel(f"Data: {self.ctx.where}")
        self.where_label.setObjectName("statusWhere")
        self.connection_label = QLabel("Connected")
        bar.addWidget(self.user_label)
        bar.addPermanentWidget(self.connection_label)
        bar.addPermanentWidget(self.where_label)

    def _on_unreachable(self, message: str) -> None:
        self.connection_label.setText("Not connected: changes cannot be saved")
        self.connection_label.setToolTip(message)

    def about(self) -> None:
        QMessageBox.about(
            self,
            "About CareCoord",
            f"<b>CareCoord {carecoord.__version__}</b><br>"
            "Care coordination for intrathecal baclofen (ITB) pump therapy teams.<br><br>"
            f"Data: {self.ctx.where}",
        )

    # ---- leaving --------------------------------------------------------------------------

    def unsaved_workspaces(self) -> list[PatientWorkspace]:
        return [ws for ws in self.workspaces() if ws.has_unsaved_changes()]

    def _may_leave(self, verb: str) -> bool:
        unsaved = self.unsaved_workspaces()
        if not unsaved:
            return True
        names = "\n".join(f"• {ws.tab_title()}: {ws.unsaved_summary()}" for ws in unsaved)
        return confirm(
            self,
            "Unsaved changes",
            f"These patients have changes that are not saved:\n{names}\n\n{verb} discards them.",
            yes=f"Discard changes and {verb.lower()}",
            no="Go back to my work",
        )

    def sign_out(self) -> None:
        if not self._may_leave("Signing out"):
            return
        self.outcome = "sign_out"
        self._force_close = True
        self.close()
        self.signed_out.emit()

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self._force_close and not self._may_leave("Quitting"):
            event.ignore()
            return
        self._closed = True
        self.idle.stop()
        self.poller.stop()
        event.accept()
