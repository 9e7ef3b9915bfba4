"""Idle lock: after a quiet while the window is covered until the same person types a password.

An application-wide event filter restarts a timer on every key press, click, wheel or mouse
move. When it fires, a ``LockOverlay`` covers the whole window (patient data hidden), the
window's content is disabled (so shortcuts and Tab cannot reach it) but left exactly as it was:
unsaved forms stay untouched underneath.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMainWindow,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from carecoord.gui.context import AppContext
from carecoord.gui.widgets import heading

ACTIVITY_EVENTS = frozenset(
    {
        QEvent.Type.KeyPress,
        QEvent.Type.MouseButtonPress,
        QEvent.Type.MouseMove,
        QEvent.Type.Wheel,
        QEvent.Type.TouchBegin,
    }
)


class ActivityFilter(QObject):
    """Installed on the QApplication: any input anywhere counts as activity."""

    activity = Signal()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() in ACTIVITY_EVENTS:
            self.activity.emit()
        return False


class LockOverlay(QFrame):
    """Covers the main window; asks for the signed-in user's password."""

    unlocked = Signal()

    def __init__(self, window: QMainWindow, ctx: AppContext) -> None:
        super().__init__(window)
        self.ctx = ctx
        self.setObjectName("lockOverlay")
        self.setAutoFillBackground(True)
        outer = QVBoxLayout(self)
        outer.addStretch(1)
        row = QHBoxLayout()
        row.addStretch(1)
        card = QFrame()
        card.setObjectName("lockCard")
        box = QVBoxLayout(card)
        box.addWidget(heading("CareCoord is locked"))
        info = QLabel(
            f"Locked after a period without activity. Signed in as {ctx.actor.display}.\n"
            "Your open work is kept exactly as you left it. Enter your password to continue."
        )
        info.setWordWrap(True)
        box.addWidget(info)
        self.password = QLineEdit()
        self.password.setObjectName("lockPassword")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setPlaceholderText("Your password")
        self.password.returnPressed.connect(self.try_unlock)
        box.addWidget(self.password)
        self.message = QLabel()
        self.message.setObjectName("lockMessage")
        self.message.setWordWrap(True)
        self.message.setVisible(False)
        box.addWidget(self.message)
        self.unlock_button = QPushButton("Unlock")
        self.unlock_button.setObjectName("unlockButton")
        self.unlock_button.setDefault(True)
        self.unlock_button.clicked.connect(self.try_unlock)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.unlock_button)
        box.addLayout(buttons)
        card.setMinimumWidth(card.fontMetrics().averageCharWidth() * 60)
        row.addWidget(card)
        row.addStretch(1)
        outer.addLayout(row)
        outer.addStretch(2)
        self.hide()  # IdleLock makes it follow the window's size

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.parent() and event.type() == QEvent.Type.Resize:
            self.setGeometry(self.parentWidget().rect())
        return False

    def try_unlock(self) -> None:
        from carecoord.services import users
        from carecoord.services.errors import ServiceError

        try:
            ok = self.ctx.call(users.verify_password, self.password.text())
        except ServiceError as exc:  # the store's problem in words: stay locked, say why
            self.message.setText(str(exc))
            self.message.setVisible(True)
            return
        self.password.clear()
        if ok:
            self.message.setVisible(False)
            self.unlocked.emit()
        else:
            self.message.setText(
                "That password is not right. After 5 wrong passwords the account is locked "
                "for 15 minutes."
            )
            self.message.setVisible(True)
            self.password.setFocus()


class IdleLock(QObject):
    """Starts the idle timer, shows the overlay when it fires, and restores the window."""

    locked_changed = Signal(bool)

    def __init__(self, window: QMainWindow, ctx: AppContext, timeout_ms: int) -> None:
        super().__init__(window)
        self.window = window
        self.overlay = LockOverlay(window, ctx)
        self.overlay.unlocked.connect(self.unlock)
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(max(timeout_ms, 1))
        self.timer.timeout.connect(self.lock)
        self.filter = ActivityFilter(self)
        self.filter.activity.connect(self._on_activity)
        self._focus: QWidget | None = None
        self.is_locked = False
        self._watching = False
        self.timer.start()

    def watch_activity(self) -> None:
        """Start noticing keys and clicks. Called by the window after its first paint:
        watching every event makes PySide6 wrap each new kind of event for Python once,
        about 25 ms, which the first screen need not wait for."""
        if self._watching:
            return
        self._watching = True
        self.window.installEventFilter(self.overlay)
        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(self.filter)

    def _on_activity(self) -> None:
        if not self.is_locked:
            self.timer.start()

    def lock(self) -> None:
        if self.is_locked:
            return
        self.is_locked = True
        self.timer.stop()
        self._focus = QApplication.focusWidget()
        for widget in self._covered():
            widget.setEnabled(False)
        self.overlay.setGeometry(self.window.rect())
        self.overlay.show()
        self.overlay.raise_()
        self.overlay.password.setFocus(Qt.FocusReason.OtherFocusReason)
        self.locked_changed.emit(True)

    def unlock(self) -> None:
        self.is_locked = False
        self.overlay.hide()
        for widget in self._covered():
            widget.setEnabled(True)
        if self._focus is not None:
            self._focus.setFocus(Qt.FocusReason.OtherFocusReason)
        self._focus = None
        self.timer.start()
        self.locked_changed.emit(False)

    def _covered(self) -> list[QWidget]:
        covered: list[QWidget] = [self.window.menuBar()]
        if self.window.centralWidget() is not None:
            covered.append(self.window.centralWidget())
        return covered

    def stop(self) -> None:
        self.timer.stop()
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self.filter)
