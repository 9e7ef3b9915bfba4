"""Noticing saves made on other workstations: poll the audit change counter.

Every save anywhere appends an audit event, so ``services.audit.change_counter`` grows. The
poller reads it every few seconds (off the GUI thread) and emits ``bus.changed("external")``
when it grew for a reason other than this workstation's own saves.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject, QTimer, Signal

from carecoord.gui import tasks
from carecoord.gui.context import AppContext
from carecoord.services import audit

log = logging.getLogger(__name__)
DEFAULT_POLL_MS = 4000


class ExternalChangePoller(QObject):
    """Polls ``change_counter``; ``unreachable(str)`` reports a lost connection in words."""

    unreachable = Signal(str)
    reachable = Signal()

    def __init__(
        self, ctx: AppContext, interval_ms: int = DEFAULT_POLL_MS, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self._baseline: int | None = None
        self._busy = False
        self._resync = False
        self._was_unreachable = False
        self.timer = QTimer(self)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self.poll)
        ctx.bus.changed.connect(self._on_local_change)

    def start(self) -> None:
        self.poll()
        self.timer.start()

    def stop(self) -> None:
        self.timer.stop()

    def _on_local_change(self, entity: str) -> None:
        if entity != "external":
            self._resync = True  # our own save moved the counter: take it as the new baseline

    def _read(self) -> int:
        with self._ctx.db.session() as session:
            return audit.change_counter(session)

    def poll(self) -> None:
        if self._busy:
            return
        self._busy = True
        resync = self._resync
        self._resync = False
        tasks.run_task(
            self._read,
            on_done=lambda value: self._got(value, resync),
            on_error=self._failed,
        )

    def _got(self, value: int, resync: bool) -> None:
        self._busy = False
        if self._was_unreachable:
            self._was_unreachable = False
            self.reachable.emit()
        previous, self._baseline = self._baseline, value
        if previous is not None and value != previous and not resync:
            self._ctx.bus.changed.emit("external")

    def _failed(self, exc: BaseException) -> None:
        self._busy = False
        explained = self._ctx.db.explain(exc) if isinstance(exc, Exception) else exc
        if not self._was_unreachable:
            log.warning("Change poll failed: %s", explained)
        self._was_unreachable = True
        self.unreachable.emit(str(explained))
