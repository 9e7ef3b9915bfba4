"""One open patient: a header and a tab per registered patient tab (Overview, Audit, ...)."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QLabel, QTabWidget, QVBoxLayout, QWidget

from carecoord.domain.units import format_date
from carecoord.gui import registry
from carecoord.gui.context import AppContext
from carecoord.services.patients import PatientView


class PatientWorkspace(QWidget):
    """``patient_id`` is None while a new patient is being registered; the tabs that need a
    saved patient appear once the Overview has saved it."""

    title_changed = Signal(str)

    def __init__(self, ctx: AppContext, patient_id: int | None) -> None:
        super().__init__()
        self.ctx = ctx
        self.patient_id = patient_id
        self.view: PatientView | None = None
        self.setObjectName("patientWorkspace")
        layout = QVBoxLayout(self)
        self.header = QLabel("New patient" if patient_id is None else "")
        self.header.setObjectName("patientHeader")
        self.header.setWordWrap(True)
        layout.addWidget(self.header)
        self.tabs = QTabWidget()
        self.tabs.setObjectName("patientWorkspaceTabs")
        layout.addWidget(self.tabs, 1)
        self.tab_widgets: dict[str, QWidget] = {}
        self._build_tabs()

    def _build_tabs(self) -> None:
        for spec in registry.patient_tabs(self.ctx):
            if spec.key in self.tab_widgets:
                continue
            if self.patient_id is None and not spec.for_new_patient:
                continue
            widget = spec.factory(self.ctx, self.patient_id)
            self.tab_widgets[spec.key] = widget
            self.tabs.addTab(widget, spec.title)
            loaded = getattr(widget, "loaded", None)
            if loaded is not None:
                loaded.connect(self._on_loaded)
            initial = getattr(widget, "view", None)
            if self.view is None and isinstance(initial, PatientView):
                self._on_loaded(initial)

    def _on_loaded(self, view: PatientView) -> None:
        created = self.patient_id is None
        self.patient_id = view.id
        self.view = view
        if created:
            self._build_tabs()
        self.header.setText(
            f"<b>{view.display_name}</b> &nbsp; Record {view.mrn} &nbsp; "
            f"Born {format_date(view.date_of_birth)} &nbsp; Status: {view.status.label}"
        )
        self.title_changed.emit(self.tab_title())

    def tab(self, key: str) -> QWidget:
        return self.tab_widgets[key]

    def show_tab(self, key: str) -> QWidget:
        widget = self.tab_widgets[key]
        self.tabs.setCurrentWidget(widget)
        return widget

    def tab_title(self) -> str:
        if self.view is None:
            return "New patient" if self.patient_id is None else "Patient"
        return f"{self.view.display_name} ({self.view.mrn})"

    def has_unsaved_changes(self) -> bool:
        return any(
            callable(getattr(w, "has_unsaved_changes", None)) and w.has_unsaved_changes()
            for w in self.tab_widgets.values()
        )

    def unsaved_summary(self) -> str:
        parts = []
        for key, w in self.tab_widgets.items():
            if callable(getattr(w, "has_unsaved_changes", None)) and w.has_unsaved_changes():
                summary = getattr(w, "unsaved_summary", None)
                title = self.tabs.tabText(self.tabs.indexOf(w)) or key
                parts.append(f"{title}: {summary() if callable(summary) else 'edited'}")
        return "; ".join(parts)

    def focus_first(self) -> None:
        current = self.tabs.currentWidget()
        focus = getattr(current, "focus_first", None)
        if callable(focus):
            focus()
