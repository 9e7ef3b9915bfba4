"""Extension points: what the main window shows is assembled from these registries.

A later feature adds itself without touching the main window:

    # carecoord/gui/refills/view.py
    register_patient_tab(PatientTabSpec("refills", "Refills", RefillsTab, order=50))
    register_dashboard_section(DashboardSectionSpec("refills_due", "Refills due", RefillsDue, 20))

and lists its module in ``VIEW_MODULES`` below so it is imported before the first patient
workspace or dashboard section is built. Navigation pages are declared in ``PAGES`` by module
path instead: the window lists them at once but imports a page's module only when the page is
first shown, so the first screen does not wait for every feature (and SQLAlchemy) to load.

Views follow a small duck-typed protocol, every method optional:
    refresh() -> None                 reload from services (bus changes, page shown)
    has_unsaved_changes() -> bool     asked before a tab, a workspace or the window closes
    unsaved_summary() -> str          words for that question ("Overview: 3 fields edited")
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtWidgets import QWidget

from carecoord.domain.permissions import Permission
from carecoord.gui.context import AppContext

VIEW_MODULES: list[str] = [
    "carecoord.gui.pages.dashboard",
    "carecoord.gui.pages.patients",
    "carecoord.gui.pages.team",
    "carecoord.gui.patient.overview",
    "carecoord.gui.patient.history",
    "carecoord.gui.pump.tab",
    "carecoord.gui.candidacy.evaluations",
    "carecoord.gui.candidacy.candidacy_tab",
    "carecoord.gui.meetings.page",
    "carecoord.gui.meetings.dashboard",
    "carecoord.gui.reports.tab",
    "carecoord.gui.reports.batch_section",
    "carecoord.gui.refills.dashboard",
    "carecoord.gui.refills.tab",
    "carecoord.gui.refills.recall",
]


@dataclass(frozen=True)
class PageSpec:
    """An entry of the navigation list and the page it opens. ``factory`` is a callable or,
    to import the page only when it is first shown, "package.module:ClassName"."""

    key: str
    title: str
    factory: Callable[[AppContext], QWidget] | str
    order: int = 100
    shortcut: str = ""  # e.g. "Ctrl+1"; the main window numbers pages without one
    permission: Permission | None = None  # hidden for users without it

    def build(self, ctx: AppContext) -> QWidget:
        factory = self.factory
        if isinstance(factory, str):
            module, _, name = factory.partition(":")
            factory = getattr(importlib.import_module(module), name)
        return factory(ctx)  # type: ignore[operator,no-any-return]


@dataclass(frozen=True)
class PatientTabSpec:
    """A tab of the patient workspace. ``factory(ctx, patient_id)``; patient_id is None only
    for tabs with ``for_new_patient`` (the Overview of a patient being registered)."""

    key: str
    title: str
    factory: Callable[[AppContext, int | None], QWidget]
    order: int = 100
    for_new_patient: bool = False
    permission: Permission | None = None


@dataclass(frozen=True)
class DashboardSectionSpec:
    """A box on the dashboard; the widget should have ``refresh()``."""

    key: str
    title: str
    factory: Callable[[AppContext], QWidget]
    order: int = 100
    permission: Permission | None = None


_pages: dict[str, PageSpec] = {}
_patient_tabs: dict[str, PatientTabSpec] = {}
_sections: dict[str, DashboardSectionSpec] = {}


def register_page(spec: PageSpec) -> None:
    _pages[spec.key] = spec


PAGES: list[PageSpec] = [
    PageSpec("dashboard", "Dashboard", "carecoord.gui.pages.dashboard:DashboardPage", order=10),
    PageSpec("patients", "Patients", "carecoord.gui.pages.patients:PatientsPage", order=20),
    PageSpec("meetings", "Meetings", "carecoord.gui.meetings.page:MeetingsPage", order=35),
    PageSpec("team", "Team", "carecoord.gui.pages.team:TeamPage", order=40),
    PageSpec("recall", "Recall", "carecoord.gui.refills.recall:RecallPage", order=45),
]
for _spec in PAGES:
    register_page(_spec)


def register_patient_tab(spec: PatientTabSpec) -> None:
    _patient_tabs[spec.key] = spec


def register_dashboard_section(spec: DashboardSectionSpec) -> None:
    _sections[spec.key] = spec


def _allowed(ctx: AppContext, permission: Permission | None) -> bool:
    return permission is None or ctx.can(permission)


def pages(ctx: AppContext) -> list[PageSpec]:
    """The navigation pages; their modules are not imported here (see ``PageSpec.build``)."""
    return sorted((p for p in _pages.values() if _allowed(ctx, p.permission)), key=_key)


def patient_tabs(ctx: AppContext) -> list[PatientTabSpec]:
    load_views()
    return sorted((t for t in _patient_tabs.values() if _allowed(ctx, t.permission)), key=_key)


def dashboard_sections(ctx: AppContext) -> list[DashboardSectionSpec]:
    load_views()
    return sorted((s for s in _sections.values() if _allowed(ctx, s.permission)), key=_key)


def _key(spec: PageSpec | PatientTabSpec | DashboardSectionSpec) -> tuple[int, str]:
    return (spec.order, spec.title)


def load_views() -> None:
    """Import every view module so its registrations run (idempotent)."""
    for name in VIEW_MODULES:
        importlib.import_module(name)
