"""Signing in and creating the first administrator, driven by keys and clicks."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog

from carecoord.gui.app import run
from carecoord.gui.signin import FirstAdminDialog, SignInDialog
from carecoord.services import users
from carecoord.store.database import Database
from tests.conftest import PASSWORD


def test_wrong_then_right_password(qtbot, gui_db, clinic):
    """A wrong password is refused in words inside the dialog; the right one signs in."""
    dialog = SignInDialog(gui_db)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.keyClicks(dialog.username, "nking")
    qtbot.keyClicks(dialog.password, "not-my-password")
    qtbot.mouseClick(dialog.sign_in_button, Qt.MouseButton.LeftButton)
    assert dialog.message.isVisible()
    assert "not right" in dialog.message.text()
    assert dialog.result() != QDialog.DialogCode.Accepted
    assert dialog.password.text() == ""
    qtbot.keyClicks(dialog.password, PASSWORD)
    qtbot.keyClick(dialog.password, Qt.Key.Key_Return)
    assert dialog.result() == QDialog.DialogCode.Accepted
    assert dialog.actor is not None and dialog.actor.username == "nking"


def test_five_wrong_passwords_lock_the_account(qtbot, gui_db, clinic):
    """The fifth wrong password shows the lockout message; the right one is then refused."""
    dialog = SignInDialog(gui_db)
    qtbot.addWidget(dialog)
    dialog.username.setText("nking")
    for _ in range(5):
        dialog.password.setText("wrong-password")
        dialog.try_sign_in()
    assert "locked for 15 minutes" in dialog.message.text()
    dialog.password.setText(PASSWORD)
    dialog.try_sign_in()
    assert "locked" in dialog.message.text() and dialog.actor is None


def test_first_administrator_dialog(qtbot, tmp_path):
    """A brand-new database asks for its first administrator; Create waits for valid input."""
    db = Database(f"sqlite:///{tmp_path / 'new.db'}")
    db.ensure_ready()
    with db.session() as s:
        assert users.needs_first_admin(s)
    dialog = FirstAdminDialog(db)
    qtbot.addWidget(dialog)
    dialog.show()
    assert not dialog.create_button.isEnabled()
    qtbot.keyClicks(dialog.full_name, "Alex Admin")
    qtbot.keyClicks(dialog.username, "alex")
    qtbot.keyClicks(dialog.password, "short")
    assert "at least 8 characters" in dialog.messages["password"].text()
    qtbot.keyClicks(dialog.password, "-enough-now")
    qtbot.keyClicks(dialog.repeat, "short-enough-no")
    assert "not the same" in dialog.messages["repeat"].text()
    assert not dialog.create_button.isEnabled()
    qtbot.keyClicks(dialog.repeat, "w")
    assert dialog.create_button.isEnabled()
    qtbot.mouseClick(dialog.create_button, Qt.MouseButton.LeftButton)
    assert dialog.result() == QDialog.DialogCode.Accepted
    with db.session() as s:
        assert not users.needs_first_admin(s)
        actor = users.sign_in(s, "alex", "short-enough-now")
    assert actor.is_admin
    db.dispose()


def test_run_refuses_a_file_that_is_not_a_database(qtbot, tmp_path, boxes):
    """A damaged or foreign file is explained in a message box and run() returns 2."""
    bogus = tmp_path / "notes.db"
    bogus.write_bytes(b"this is not sqlite at all" * 100)
    assert run(f"sqlite:///{bogus}") == 2
    title, text = boxes[-1]
    assert "cannot open" in title.lower()
    assert str(bogus) in text and "Traceback" not in text


def test_run_refuses_an_empty_file_and_says_to_restore_the_last_backup(qtbot, tmp_path, boxes):
    """A zero-length file (truncated by a crash or a failed copy) is not a new database: the
    message box says what to do, and the file stays as it was."""
    empty = tmp_path / "carecoord.db"
    empty.touch()
    assert run(f"sqlite:///{empty}") == 2
    title, text = boxes[-1]
    assert "cannot open" in title.lower()
    assert "empty (0 bytes)" in text and "Restore the last backup" in text
    assert empty.stat().st_size == 0


def test_run_refuses_a_file_with_damaged_pages_naming_the_backup(
    qtbot, tmp_path, sqlite_template, boxes
):
    """Eight overwritten pages: refused at open (quick_check), the newest backup named."""
    import shutil
    import sqlite3

    path = Path(tmp_path / "clinic.db")
    shutil.copy(sqlite_template, path)
    with sqlite3.connect(path) as conn:
        conn.executemany(
            "INSERT INTO settings (key, value, version) VALUES (?, ?, 1)",
            [(f"k{i}", "x" * 500) for i in range(400)],
        )
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    backup = Database(f"sqlite:///{path}").backup_sqlite("manual")
    with path.open("r+b") as f:
        f.seek(path.stat().st_size // 2 // 4096 * 4096)
        f.write(b"\xa5" * 4096 * 8)
    assert run(f"sqlite:///{path}") == 2
    _title, text = boxes[-1]
    assert "is damaged" in text and "Restore the last backup" in text
    assert backup is not None and backup.name in text
    assert "Traceback" not in text


def test_run_refuses_a_newer_schema(qtbot, tmp_path, sqlite_template, boxes):
    """A database written by a newer CareCoord is refused with words, not changed."""
    import shutil
    import sqlite3

    path = Path(tmp_path / "newer.db")
    shutil.copy(sqlite_template, path)
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE alembic_version SET version_num = 'f00dfeed9999'")
    assert run(f"sqlite:///{path}") == 2
    assert "newer version" in boxes[-1][1]


def test_unexpected_errors_are_shown_not_crashed(qtbot, boxes, caplog):
    """The exception hook logs the traceback and shows the user words, not a traceback."""
    from carecoord.gui.app import make_excepthook

    hook = make_excepthook(Path("/tmp/carecoord.log"))
    try:
        raise RuntimeError("disk full")
    except RuntimeError as exc:
        hook(type(exc), exc, exc.__traceback__)
    title, text = boxes[-1]
    assert title == "Something went wrong"
    assert "disk full" in text and "Traceback" not in text
    assert "Traceback" in caplog.text


def test_signing_in_waits_for_the_background_loading(qtbot, gui_db, clinic):
    """The dialog is shown while the ORM loads on a thread; Enter waits for it, then signs in."""
    from carecoord.gui.warmup import Warmup

    warmup = Warmup(gui_db)
    dialog = SignInDialog(gui_db, clinic="Rehab Centre", warmup=warmup)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.keyClicks(dialog.username, "nking")
    qtbot.keyClicks(dialog.password, PASSWORD)
    qtbot.keyClick(dialog.password, Qt.Key.Key_Return)
    assert not warmup._thread.is_alive()
    assert dialog.result() == QDialog.DialogCode.Accepted
    assert dialog.actor is not None and dialog.actor.username == "nking"
