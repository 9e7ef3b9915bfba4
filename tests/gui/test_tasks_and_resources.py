"""The background task helper, and finding the style sheet and icon."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from PySide6.QtWidgets import QPushButton

from carecoord.gui import tasks
from carecoord.gui.resources import ENV_RESOURCES, app_icon, resources_dir, style_sheet


def test_synchronous_mode_runs_at_once(qtbot):
    """In tests the function runs on the calling thread and the callback fires immediately."""
    got: list[int] = []
    handle = tasks.run_task(lambda x: x * 2, 21, on_done=got.append)
    assert got == [42] and handle.finished


def test_thread_pool_hands_results_back_to_the_gui_thread(qtbot):
    """Off the GUI thread: the result and the error come back on the GUI thread."""
    tasks.set_synchronous(False)
    main = threading.get_ident()
    seen: dict[str, object] = {}

    def work():
        seen["worker"] = threading.get_ident()
        return "done"

    def done(result):
        seen["result"] = result
        seen["callback"] = threading.get_ident()

    tasks.run_task(work, on_done=done)
    qtbot.waitUntil(lambda: "result" in seen)
    assert seen["worker"] != main and seen["callback"] == main

    errors: list[BaseException] = []
    tasks.run_task(lambda: 1 / 0, on_error=errors.append)
    qtbot.waitUntil(lambda: bool(errors))
    assert isinstance(errors[0], ZeroDivisionError)
    assert tasks.wait_for_all()


def test_cancel_from_the_progress_dialog(qtbot):
    """Pressing Cancel sets the token; the task stops and neither callback runs."""
    tasks.set_synchronous(False)
    started = threading.Event()
    calls: list[str] = []

    def slow(task):
        started.set()
        for i in range(500):
            if task.cancelled:
                return "stopped"
            task.report(i, 500)
            threading.Event().wait(0.01)
        return "finished"

    handle = tasks.run_task(
        slow,
        on_done=lambda r: calls.append(r),
        on_error=lambda e: calls.append("error"),
        progress="Building reports…",
    )
    assert started.wait(5)
    cancel_button = handle._dialog.findChild(QPushButton)
    cancel_button.click()
    assert handle.cancelled
    qtbot.waitUntil(lambda: handle.finished, timeout=5000)
    assert calls == []


def test_resources_are_found(monkeypatch, tmp_path):
    """The style sheet and icon come from resources/; CARECOORD_RESOURCES overrides the folder."""
    assert (resources_dir() / "icons" / "carecoord.svg").is_file()
    assert (resources_dir() / "icons" / "carecoord.png").is_file()
    assert "QListWidget#navigation" in style_sheet()
    assert not app_icon().isNull()
    (tmp_path / "style.qss").write_text("QWidget { color: black; }")
    monkeypatch.setenv(ENV_RESOURCES, str(tmp_path))
    assert resources_dir() == Path(tmp_path)
    assert style_sheet() == "QWidget { color: black; }"


@pytest.mark.parametrize("size", [16, 256])
def test_icon_renders(qtbot, size):
    """The SVG icon renders at small and large sizes."""
    pixmap = app_icon().pixmap(size, size)
    assert not pixmap.isNull()
