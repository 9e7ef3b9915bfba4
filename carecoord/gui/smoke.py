"""Start-up self-check of an installed copy: the real first start, driven without a person.

With ``CARECOORD_SMOKE_TEST=1`` the app does what a new clinic's first user does (creates the
first administrator, signs in, waits for the main window), prints what it saw, and quits. It is
how the desktop bundle is checked after a build and how hospital IT can check an installation
on a scratch data directory. It refuses to run on a store that already has users, so it can
never add an account to a clinic's data.
"""

from __future__ import annotations

import os
import sys
import time

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from carecoord.gui.signin import FirstAdminDialog, SignInDialog

ENV_FLAG = "CARECOORD_SMOKE_TEST"
SMOKE_USERNAME = "smoke.admin"
SMOKE_PASSWORD = "smoke-test-password-1"
TICK_MS = 50
DEADLINE_S = 60.0
EXIT_SMOKE_FAILED = 3


def smoke_requested() -> bool:
    return os.environ.get(ENV_FLAG, "") == "1"


def say(line: str) -> None:
    print(f"smoke: {line}", flush=True)


class SmokeDriver:
    """Answers the first-start dialogs and closes the main window once it is shown."""

    def __init__(self, app: QApplication) -> None:
        self.app = app
        self.started = time.monotonic()
        self.seen: list[str] = []
        self.timer = QTimer(app)
        self.timer.setInterval(TICK_MS)
        self.timer.timeout.connect(self.tick)
        self.timer.start()

    @property
    def failed(self) -> bool:
        return not any(line.startswith("main window shown") for line in self.seen)

    def finish(self, code: int) -> int:
        """The process exit code: the app's own, or a failure when the window never came up."""
        self.timer.stop()
        if self.failed:
            say("failed: the main window did not come up")
            return EXIT_SMOKE_FAILED
        say(f"quit with exit code {code}")
        return code

    def _once(self, what: str) -> bool:
        if what in self.seen:
            return False
        self.seen.append(what)
        say(what)
        return True

    def tick(self) -> None:
        if time.monotonic() - self.started > DEADLINE_S:
            say(f"gave up after {DEADLINE_S:.0f} s; saw {self.seen or 'nothing'}")
            self.timer.stop()
            self.app.exit(EXIT_SMOKE_FAILED)
            for widget in self.app.topLevelWidgets():
                widget.close()
            return
        modal = QApplication.activeModalWidget()
        if isinstance(modal, FirstAdminDialog) and modal.isVisible():
            if self._once("first administrator requested"):
                modal.full_name.setText("Smoke Test Administrator")
                modal.username.setText(SMOKE_USERNAME)
                modal.discipline.setCurrentIndex(0)  # no clinical role
                modal.password.setText(SMOKE_PASSWORD)
                modal.repeat.setText(SMOKE_PASSWORD)
                modal.try_create()
            return
        if isinstance(modal, SignInDialog) and modal.isVisible():
            if self._once("sign-in requested"):
                modal.username.setText(SMOKE_USERNAME)
                modal.password.setText(SMOKE_PASSWORD)
                modal.try_sign_in()
            return
        if modal is not None:
            say(f"unexpected dialog: {modal.windowTitle()!r}")
            self.timer.stop()
            modal.close()
            self.app.exit(EXIT_SMOKE_FAILED)
            return
        from carecoord.gui.main_window import MainWindow

        for widget in self.app.topLevelWidgets():
            if isinstance(widget, MainWindow) and widget.isVisible():
                self.seen.append(f"main window shown: {widget.windowTitle()}")
                say(self.seen[-1])
                titles = [widget.nav.item(row).text() for row in range(widget.nav.count())]
                say(f"pages: {', '.join(titles)}")
                self.timer.stop()
                # Pages are built on first visit: open each, so a page that cannot load (a
                # module left out of a bundle, say) fails the check instead of a user's click.
                try:
                    opened = [key for key in widget.pages_in_navigation() if widget.show_page(key)]
                except Exception as exc:
                    say(f"a page failed to open: {exc!r}")
                    widget.close()
                    self.app.exit(EXIT_SMOKE_FAILED)
                    return
                say(f"pages opened: {', '.join(opened)}")
                widget.close()
                return


def refuse_unless_new_store(needs_first_admin: bool) -> bool:
    """True when the smoke test may go on; it only ever runs on a store without users."""
    if needs_first_admin:
        return True
    print(
        "The start-up self-check only runs on a new, empty data store. "
        "Point it at a scratch database with --database-url.",
        file=sys.stderr,
    )
    return False
