"""Noticing saves made on other workstations: poll the audit change counter.

Every save anywhere appends an audit event, so ``services.audit.change_counter`` grows. The
poller reads it every few seconds (off the GUI thread) and emits ``bus.changed("external")``
when it grew for a reason other than this workstation's own saves.

On PostgreSQL every save also sends NOTIFY (services.audit); a background thread LISTENs and
asks for a poll at once, so other workstations refresh within a moment. Polling stays on as
the fallback when the listening connection is lost.
"""

from __future__ import annotations

import importlib
import logging
import threading

from PySide6.QtCore import QObject, QTimer, Signal

from carecoord.gui import tasks
from carecoord.gui.context import AppContext

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
        self.listener: NotificationListener | None = None
        ctx.bus.changed.connect(self._on_local_change)

    def start(self) -> None:
        # Load the ORM here, on the GUI thread, rather than first on a pool thread in poll()
        # (the window calls start() after its first paint, so the first screen never waits).
        importlib.import_module("carecoord.services.audit")
        self._ctx.db.load_orm()
        self.poll()
        self.timer.start()
        if not self._ctx.db.is_sqlite and self.listener is None:
            self.listener = NotificationListener(self._ctx.db.url)
            self.listener.notified.connect(self.poll)
            self.listener.start()

    def stop(self) -> None:
        self.timer.stop()
        if self.listener is not None:
            self.listener.stop()
            self.listener = None

    def _on_local_change(self, entity: str) -> None:
        if entity != "external":
            self._resync = True  # our own save moved the counter: take it as the new baseline

    def _read(self) -> int:
        from carecoord.services import audit

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


class NotificationListener(QObject):
    """LISTENs for the PostgreSQL change notices on its own thread; ``notified`` reaches the
    GUI thread (queued). A lost connection is retried quietly: polling covers the gap."""

    notified = Signal()
    RETRY_SECONDS = 5.0

    def __init__(self, url: str, channel: str | None = None) -> None:
        from sqlalchemy.engine import make_url

        from carecoord.services import audit

        super().__init__()
        self._dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
        self._channel = channel or audit.NOTIFY_CHANNEL
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.listening = threading.Event()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="carecoord-listen", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=3)

    def _run(self) -> None:
        import psycopg

        while not self._stop.is_set():
            try:
                with psycopg.connect(self._dsn, autocommit=True, connect_timeout=5) as conn:
                    conn.execute(f'LISTEN "{self._channel}"')
                    self.listening.set()
                    while not self._stop.is_set():
                        # Wake up at least every half second to notice stop().
                        if any(True for _ in conn.notifies(timeout=0.5, stop_after=1)):
                            self.notified.emit()
            except Exception as exc:  # the connection failed: polling still works
                self.listening.clear()
                log.info("Change notices unavailable (%s); polling only.", exc)
                self._stop.wait(self.RETRY_SECONDS)
