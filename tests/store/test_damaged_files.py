"""Damaged SQLite files are refused at open, in `db status` and before a backup, with words
that say what to do (restore the last backup); an empty existing file is never a new store."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from carecoord.cli import main
from carecoord.store.database import (
    DamagedDatabase,
    Database,
    DatabaseError,
    NotADatabase,
    normalise_url,
)

PAGE = 4096


def demo_file(tmp_path: Path, sqlite_template: Path, name: str = "clinic.db") -> Path:
    """A current store with some rows, checkpointed so every page is in the main file."""
    path = tmp_path / name
    shutil.copy(sqlite_template, path)
    with sqlite3.connect(path) as conn:
        conn.executemany(
            "INSERT INTO settings (key, value, version) VALUES (?, ?, 1)",
            [(f"note_{i}", "x" * 500) for i in range(400)],
        )
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path


def overwrite_pages(path: Path, first: int, count: int) -> None:
    with path.open("r+b") as f:
        for page in range(first, first + count):
            f.seek(page * PAGE)
            f.write(bytes([0xA5]) * PAGE)


def test_a_zero_length_file_is_refused_not_taken_as_a_new_database(tmp_path):
    """A truncated file was taken as new: `audit verify` then said "intact: 0 events"."""
    empty = tmp_path / "carecoord.db"
    empty.touch()
    db = Database(f"sqlite:///{empty}")
    with pytest.raises(DamagedDatabase) as exc:
        db.ensure_ready()
    message = str(exc.value)
    assert "empty (0 bytes)" in message and "Restore the last backup" in message
    assert empty.stat().st_size == 0  # nothing was written into it
    db.dispose()


def test_a_missing_file_is_still_a_new_database(tmp_path):
    path = tmp_path / "new" / "carecoord.db"
    db = Database(f"sqlite:///{path}")
    assert db.ensure_ready().up_to_date
    assert path.stat().st_size > 0
    db.dispose()


def test_eight_overwritten_pages_are_refused_at_open_naming_the_newest_backup(
    tmp_path, sqlite_template
):
    """With 8 pages overwritten `db status` said "Up to date" and the app opened."""
    path = demo_file(tmp_path, sqlite_template)
    good = Database(f"sqlite:///{path}")
    backup = good.backup_sqlite("manual")
    good.dispose()
    pages = path.stat().st_size // PAGE
    overwrite_pages(path, pages // 2, 8)
    db = Database(f"sqlite:///{path}")
    with pytest.raises(DamagedDatabase) as exc:
        db.ensure_ready()
    message = str(exc.value)
    assert "is damaged" in message and "Restore the last backup" in message
    assert backup is not None and backup.name in message
    db.dispose()


def test_backup_refuses_to_copy_a_damaged_file(tmp_path, sqlite_template):
    """A damaged copy could replace the last good backup."""
    path = demo_file(tmp_path, sqlite_template)
    overwrite_pages(path, path.stat().st_size // PAGE // 2, 8)
    db = Database(f"sqlite:///{path}")
    with pytest.raises(NotADatabase):
        db.backup_sqlite("manual")
    assert db.backups() == []
    db.dispose()


def test_db_status_runs_the_full_integrity_check(tmp_path, sqlite_template, capsys):
    path = demo_file(tmp_path, sqlite_template)
    url = f"sqlite:///{path}"
    assert main(["db", "status", "--database-url", url]) == 0
    out = capsys.readouterr().out
    assert "File: intact" in out and "Up to date." in out
    overwrite_pages(path, path.stat().st_size // PAGE // 2, 8)
    assert main(["db", "status", "--database-url", url]) == 1
    err = capsys.readouterr().err
    assert "is damaged" in err and "Restore the last backup" in err
    assert "Traceback" not in err


def test_an_overwritten_header_says_not_a_database_and_what_to_do(tmp_path, sqlite_template):
    path = demo_file(tmp_path, sqlite_template)
    overwrite_pages(path, 0, 1)
    db = Database(f"sqlite:///{path}")
    with pytest.raises(NotADatabase, match="restore the last backup"):
        db.ensure_ready()
    db.dispose()


def test_a_malformed_database_url_is_explained_without_its_password():
    """ "postgresql://u@host:abc/db" said "invalid literal for int()"."""
    with pytest.raises(DatabaseError) as exc:
        normalise_url("postgresql://nurse:s3cret@db.clinic:abc/carecoord")
    assert "not a database address" in str(exc.value)
    assert "s3cret" not in str(exc.value) and "int()" not in str(exc.value)


def test_quick_check_at_open_is_cheap_for_a_small_clinic(tmp_path, sqlite_template):
    """The check runs on every start: it must not make the first screen slow."""
    import time

    path = demo_file(tmp_path, sqlite_template)
    db = Database(f"sqlite:///{path}")
    started = time.perf_counter()
    db.check_file()
    assert time.perf_counter() - started < 1.0
    db.dispose()
