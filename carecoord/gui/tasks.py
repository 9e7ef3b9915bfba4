"""Long work off the GUI thread: run a function on a thread pool, get the result back on the GUI.

    handle = run_task(build_reports, on_done=show, on_error=explain,
                      progress="Building reports…", parent=window)

The function runs on ``QThreadPool.globalInstance()``. If it accepts a ``task`` keyword it is
given a ``TaskToken`` to report progress (``task.report(done, total)``) and to check
``task.cancelled`` (set when the user presses Cancel in the progress dialog). ``on_done`` or
``on_error`` is always called on the GUI thread; a cancelled task calls neither.

Tests call ``set_synchronous(True)`` (see tests/gui/conftest.py): the function then runs at once
on the calling thread and the callbacks fire before ``run_task`` returns.
"""

from __future__ import annotations

import inspect
import logging
import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, Qt, QThreadPool, Signal, Slot
from PySide6.QtWidgets import QProgressDialog, QWidget

log = logging.getLogger(__name__)
_synchronous = False
_running: set[TaskHandle] = set()  # keep handles (and their QObjects) alive until done


def set_synchronous(value: bool) -> None:
    """Run every task on the calling thread (tests)."""
    global _synchronous
    _synchronous = value


class TaskToken:
    """Given to the function: progress reporting and cancellation, thread-safe."""

    def __init__(self, emit_progress: Callable[[int, int], None]) -> None:
        self._cancel = threading.Event()
        self._emit = emit_progress

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def cancel(self) -> None:
        self._cancel.set()

    def report(self, done: int, total: int) -> None:
        self._emit(done, total)


class _Signals(QObject):
    done = Signal(object)
    failed = Signal(object)
    progress = Signal(int, int)


class _Runnable(QRunnable):
    def __init__(self, call: Callable[[], Any], signals: _Signals) -> None:
        super().__init__()
        self.setAutoDelete(True)
        self._call = call
        self._signals = signals

    def run(self) -> None:
        try:
            result = self._call()
        except BaseException as exc:
            self._signals.failed.emit(exc)
        else:
            self._signals.done.emit(result)


class TaskHandle(QObject):
    """A running task: ``cancel()``, ``finished`` (bool) and ``wait()`` for tests and shutdown.

    A QObject living on the GUI thread, so its slots (and the callbacks) run there.
    """

    def __init__(
        self,
        on_done: Callable[[Any], None] | None,
        on_error: Callable[[BaseException], None] | None,
        dialog: QProgressDialog | None,
    ) -> None:
        super().__init__()
        self.signals = _Signals()
        self.token = TaskToken(self.signals.progress.emit)
        self.finished = False
        self._done_event = threading.Event()
        self._on_done = on_done
        self._on_error = on_error
        self._dialog = dialog
        # Queued: the callbacks run on the thread that owns ``signals`` (the GUI thread).
        self.signals.done.connect(self._finish_ok, Qt.ConnectionType.QueuedConnection)
        self.signals.failed.connect(self._finish_error, Qt.ConnectionType.QueuedConnection)
        if dialog is not None:
            self.signals.progress.connect(self._show_progress, Qt.ConnectionType.QueuedConnection)
            dialog.canceled.connect(self.cancel)

    @Slot()
    def cancel(self) -> None:
        self.token.cancel()

    @property
    def cancelled(self) -> bool:
        return self.token.cancelled

    def wait(self, timeout_s: float | None = None) -> bool:
        """Block until the function returned (callbacks still need the event loop)."""
        return self._done_event.wait(timeout_s)

    @Slot(int, int)
    def _show_progress(self, done: int, total: int) -> None:
        if self._dialog is not None and not self.cancelled:
            self._dialog.setMaximum(max(total, 0))
            self._dialog.setValue(done)

    def _close(self) -> None:
        self.finished = True
        self._done_event.set()
        if self._dialog is not None:
            self._dialog.canceled.disconnect(self.cancel)
            self._dialog.close()
            self._dialog.deleteLater()
            self._dialog = None
        _running.discard(self)

    @Slot(object)
    def _finish_ok(self, result: Any) -> None:
        self._close()
        if not self.cancelled and self._on_done is not None:
            self._on_done(result)

    @Slot(object)
    def _finish_error(self, exc: BaseException) -> None:
        self._close()
        if self.cancelled:
            return
        if self._on_error is not None:
            self._on_error(exc)
        else:
            log.error("Background task failed", exc_info=exc)


def _wants_token(fn: Callable[..., Any]) -> bool:
    try:
        return "task" in inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False


def run_task(
    fn: Callable[..., Any],
    *args: Any,
    on_done: Callable[[Any], None] | None = None,
    on_error: Callable[[BaseException], None] | None = None,
    progress: str | None = None,
    cancellable: bool = True,
    parent: QWidget | None = None,
    **kwargs: Any,
) -> TaskHandle:
    """Run ``fn(*args, **kwargs)`` off the GUI thread; see the module docstring."""
    dialog = None
    if progress is not None:
        dialog = QProgressDialog(progress, "Cancel" if cancellable else "", 0, 0, parent)
        dialog.setWindowTitle("Please wait")
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.setMinimumDuration(400)
        dialog.setAutoClose(False)
        dialog.setAutoReset(False)
        if not cancellable:
            dialog.setCancelButton(None)
    handle = TaskHandle(on_done, on_error, dialog)
    if _wants_token(fn):
        kwargs["task"] = handle.token

    def call() -> Any:
        return fn(*args, **kwargs)

    _running.add(handle)
    if _synchronous:
        try:
            result = call()
        except BaseException as exc:
            handle._finish_error(exc)
        else:
            handle._finish_ok(result)
        return handle
    QThreadPool.globalInstance().start(_Runnable(call, handle.signals))
    return handle


def wait_for_all(timeout_s: float = 10.0) -> bool:
    """Let running tasks finish (application shutdown, test teardown)."""
    return QThreadPool.globalInstance().waitForDone(int(timeout_s * 1000))
