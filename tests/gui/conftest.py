"""GUI test fixtures: one SQLite file per test, a clinic team, windows that close cleanly.

How to write a GUI test: take ``gui_db`` and ``clinic`` (a ``Team`` of actors whose password is
``tests.conftest.PASSWORD``), build the widget with ``make_ctx(actor)`` or ``make_window(actor)``,
drive it with ``qtbot`` keys and clicks, wait with ``qtbot.waitUntil`` and assert both what the
user sees and what the services return. Message boxes never block: ``boxes`` records them (and
``confirm`` answers "no" unless a test patches it). Background tasks run synchronously.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QMessageBox

from carecoord.gui import tasks
from carecoord.gui.context import AppContext
from carecoord.services.context import Actor
from carecoord.store.database import Database
from tests.conftest import Team, make_team


@pytest.fixture(autouse=True)
def synchronous_tasks() -> Iterator[None]:
    tasks.set_synchronous(True)
    yield
    tasks.set_synchronous(False)
    tasks.wait_for_all()  # no worker outlives its test


@pytest.fixture(autouse=True)
def boxes(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """Every message box shown, as (title, text); none of them blocks the test."""
    shown: list[tuple[str, str]] = []

    def static(kind: str) -> Callable[..., Any]:
        def show(_parent: Any, title: str, text: str, *_a: Any, **_k: Any) -> Any:
            shown.append((title, text))
            return QMessageBox.StandardButton.Ok

        return show

    for kind in ("warning", "critical", "information", "question"):
        monkeypatch.setattr(QMessageBox, kind, staticmethod(static(kind)))
    monkeypatch.setattr(QMessageBox, "about", staticmethod(static("about")))

    def exec_(self: QMessageBox) -> int:
        shown.append((self.windowTitle(), self.text()))
        return 0

    monkeypatch.setattr(QMessageBox, "exec", exec_)
    return shown


@pytest.fixture
def gui_db(tmp_path: Path, sqlite_template: Path) -> Iterator[Database]:
    path = tmp_path / "clinic.db"
    shutil.copy(sqlite_template, path)
    db = Database(f"sqlite:///{path}")
    yield db
    db.dispose()


@pytest.fixture
def clinic(gui_db: Database, password_hash: str) -> Team:
    return make_team(gui_db, password_hash)


@pytest.fixture
def make_ctx(gui_db: Database) -> Callable[[Actor], AppContext]:
    def make(actor: Actor) -> AppContext:
        return AppContext(gui_db, actor)

    return make


@pytest.fixture
def make_window(qtbot: Any, gui_db: Database) -> Iterator[Callable[..., Any]]:
    """Build a MainWindow for an actor; closed at teardown without asking about edits."""
    from carecoord.gui.main_window import MainWindow

    windows: list[MainWindow] = []

    def make(actor: Actor, **kwargs: Any) -> MainWindow:
        kwargs.setdefault("idle_timeout_ms", 60 * 60 * 1000)
        kwargs.setdefault("poll", False)
        window = MainWindow(AppContext(gui_db, actor), **kwargs)
        qtbot.addWidget(window)
        window.resize(1400, 900)
        window.show()
        windows.append(window)
        if kwargs["poll"]:  # the window starts polling just after its first paint
            qtbot.waitUntil(window.poller.timer.isActive, timeout=5000)
        return window

    yield make
    for window in windows:
        window._force_close = True
        window.close()
