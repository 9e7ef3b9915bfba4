"""Starting the desktop app: open the store, first administrator, sign in, main window.

``run()`` is what ``carecoord`` (no sub-command) calls. No traceback ever reaches a user: store
problems are explained in a message box (exit code 2) and any unexpected error is logged and
shown in a dialog while the app keeps running.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QApplication, QMessageBox, QStyleFactory

from carecoord.domain.settings import ClinicSettings
from carecoord.gui import smoke
from carecoord.gui.context import AppContext
from carecoord.gui.resources import apply_look
from carecoord.gui.signin import FirstAdminDialog, SignInDialog
from carecoord.gui.warmup import Warmup
from carecoord.services import startup
from carecoord.store.database import Database, DatabaseError, resolve_database_url
from carecoord.store.files import create_private, private_dir, tighten

log = logging.getLogger("carecoord.gui")
EXIT_OK, EXIT_STORE_PROBLEM = 0, 2


def log_file() -> Path:
    from platformdirs import user_log_dir

    return Path(user_log_dir("CareCoord", appauthor=False)) / "carecoord.log"


def _setup_logging() -> Path | None:
    logger = logging.getLogger("carecoord")
    for existing in logger.handlers:
        if isinstance(existing, logging.FileHandler):
            return Path(existing.baseFilename)
    try:
        path = log_file()
        private_dir(path.parent)
        create_private(path)  # the log may name patients: readable by its owner only
        tighten(path)
        handler = logging.FileHandler(path, encoding="utf-8")
    except OSError:
        return None
    handler.setFormatter(SafeFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    return path


class SafeFormatter(logging.Formatter):
    """Tracebacks in the log without stored values: a store error is written as its kind, code
    and table, never its SQL parameters or the database's detail line."""

    def formatException(self, ei) -> str:  # type: ignore[no-untyped-def]
        from carecoord.store.faults import log_text

        return log_text(ei[1]) if ei[1] is not None else super().formatException(ei)


def user_words(exc: BaseException) -> str:
    """What the error dialog may say about ``exc``: a store error in words, never SQL."""
    from carecoord.services import boundary
    from carecoord.store.faults import is_store_error

    problem = boundary.translate(exc)
    if problem is not None:
        return str(problem)
    if is_store_error(exc):
        return "The database did not accept a request."
    return str(exc)


def make_excepthook(
    where: Path | None,
) -> Callable[[type[BaseException], BaseException, TracebackType | None], None]:
    """Log an unexpected error and tell the user in words; the app keeps running."""
    showing = False

    def hook(kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        nonlocal showing
        log.error("Unexpected error", exc_info=(kind, exc, tb))
        if issubclass(kind, KeyboardInterrupt):
            QCoreApplication.quit()
            return
        if showing or QApplication.instance() is None:
            return
        showing = True
        try:
            QMessageBox.critical(
                None,
                "Something went wrong",
                "CareCoord met an unexpected problem and did not finish what you asked.\n\n"
                f"{user_words(exc)}\n\nYour open work is still there; check it before saving "
                "again. " + (f"The details were written to {where}." if where else ""),
            )
        finally:
            showing = False

    return hook


def _application(argv: list[str] | None) -> QApplication:
    app = QApplication.instance()
    if app is None:
        app = QApplication(argv if argv is not None else sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setApplicationName("CareCoord")
    app.setOrganizationName("CareCoord")
    fusion = QStyleFactory.create("Fusion")  # the same look on every platform
    if fusion is not None:
        app.setStyle(fusion)
    apply_look(app)
    return app


def open_store(database_url: str | None) -> Database:
    """Open and upgrade the store; raises DatabaseError with words for the user."""
    db = Database(resolve_database_url(database_url))
    db.ensure_ready()
    return db


def run(
    database_url: str | None = None,
    argv: list[str] | None = None,
    *,
    idle_timeout_ms: int | None = None,
) -> int:
    """The desktop app; returns the process exit code."""
    where = _setup_logging()
    app = _application(argv)
    previous_hook = sys.excepthook
    sys.excepthook = make_excepthook(where)
    try:
        try:
            db = open_store(database_url)
        except DatabaseError as exc:
            log.error("Cannot open the store: %s", exc)
            QMessageBox.critical(None, "CareCoord cannot open its data", str(exc))
            return EXIT_STORE_PROBLEM
        try:
            return _session_loop(app, db, idle_timeout_ms)
        finally:
            db.dispose()
    finally:
        sys.excepthook = previous_hook


def _session_loop(app: QApplication, db: Database, idle_timeout_ms: int | None) -> int:
    with db.reading() as reader:  # plain SQL: the dialog need not wait for the ORM
        first = startup.needs_first_admin(reader)
        clinic = startup.clinic_settings(reader)
    driver = None
    if smoke.smoke_requested():
        if not smoke.refuse_unless_new_store(first):
            return EXIT_STORE_PROBLEM
        driver = smoke.SmokeDriver(app)
    code = _sign_in_loop(app, db, idle_timeout_ms, clinic, first)
    if driver is not None:
        return driver.finish(code)
    return code


def _sign_in_loop(
    app: QApplication,
    db: Database,
    idle_timeout_ms: int | None,
    clinic: ClinicSettings,
    first: bool,
) -> int:
    warmup = Warmup(db)  # the ORM and services load while the user types
    try:
        if first:
            warmup.wait()
            if FirstAdminDialog(db).exec() != FirstAdminDialog.DialogCode.Accepted:
                return EXIT_OK
        return _signed_in_sessions(app, db, idle_timeout_ms, clinic, warmup)
    finally:
        warmup.wait()  # never leave the process while a module is half imported


def _signed_in_sessions(
    app: QApplication,
    db: Database,
    idle_timeout_ms: int | None,
    clinic: ClinicSettings,
    warmup: Warmup,
) -> int:
    while True:
        dialog = SignInDialog(db, clinic=clinic.clinic_name, warmup=warmup)
        if dialog.exec() != SignInDialog.DialogCode.Accepted or dialog.actor is None:
            return EXIT_OK
        # Signing in waited for the warm-up: importing on this thread is safe from here.
        from carecoord.gui.main_window import MainWindow
        from carecoord.services import settings

        with db.session() as session:
            clinic = settings.load_settings(session)
        timeout = idle_timeout_ms or clinic.idle_lock_minutes * 60 * 1000
        window = MainWindow(AppContext(db, dialog.actor), idle_timeout_ms=timeout)
        screen = app.primaryScreen().availableGeometry()
        window.resize(int(screen.width() * 0.85), int(screen.height() * 0.85))
        window.show()
        code = app.exec()
        if window.outcome != "sign_out":
            return code
        window.deleteLater()
