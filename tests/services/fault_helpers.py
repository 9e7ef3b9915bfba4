"""Faults for tests: a PostgreSQL connection killed mid-transaction, a full disk, a read-only
file system."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

from sqlalchemy import create_engine, event, text

from carecoord.store.database import Database


@contextlib.contextmanager
def kill_connection_before(
    db: Database, matches: Callable[[str], bool], times: int = 1
) -> Iterator[list[str]]:
    """Terminate the server process of the connection about to run a statement that
    ``matches`` (pg_terminate_backend, as a DBA or a failing network would), ``times`` times.
    Yields the statements that were cut off."""
    admin = create_engine(db.url)
    killed: list[str] = []

    def before(conn, _cursor, statement, _params, _context, _many):  # type: ignore[no-untyped-def]
        if len(killed) >= times or not matches(statement):
            return
        pid = conn.connection.dbapi_connection.info.backend_pid
        with admin.connect() as other:
            other.execute(text("SELECT pg_terminate_backend(:p, 5000)"), {"p": pid})
        killed.append(statement)

    event.listen(db.engine, "before_cursor_execute", before)
    try:
        yield killed
    finally:
        event.remove(db.engine, "before_cursor_execute", before)
        admin.dispose()


def inserting(table: str) -> Callable[[str], bool]:
    return lambda statement: statement.lstrip().upper().startswith(f"INSERT INTO {table.upper()}")


def selecting(statement: str) -> bool:
    return statement.lstrip().upper().startswith("SELECT")


@contextlib.contextmanager
def sqlite_page_limit(db: Database) -> Iterator[None]:
    """Every new connection may not grow the file (SQLite's max_page_count): a full disk."""

    def on_connect(dbapi_connection, _record):  # type: ignore[no-untyped-def]
        (pages,) = dbapi_connection.execute("PRAGMA page_count").fetchone()
        dbapi_connection.execute(f"PRAGMA max_page_count = {pages}")

    db.dispose()
    event.listen(db.engine, "connect", on_connect)
    try:
        yield
    finally:
        event.remove(db.engine, "connect", on_connect)
        db.dispose()


def mount_tmpfs(size_kib: int) -> Path | None:
    """A small RAM file system (needs the right to mount); None where that is not allowed."""
    where = Path("/tmp") / f"carecoord-tmpfs-{uuid.uuid4().hex[:8]}"
    where.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size_kib}k", "tmpfs", str(where)],
        capture_output=True,
    )
    if done.returncode != 0:
        where.rmdir()
        return None
    return where


@contextlib.contextmanager
def read_only_file(path: Path) -> Iterator[bool]:
    """Make the database file read-only (its folder stays writable, as on a clinic PC whose
    file lost its write permission). Root ignores permissions, so there the file is made
    immutable instead. Yields False where neither works."""
    path.chmod(0o444)
    immutable = False
    if os.access(path, os.W_OK):
        immutable = subprocess.run(["chattr", "+i", str(path)], capture_output=True).returncode == 0
    try:
        yield immutable or not os.access(path, os.W_OK)
    finally:
        if immutable:
            subprocess.run(["chattr", "-i", str(path)], capture_output=True)
        path.chmod(0o644)


def remount_read_only(where: Path) -> bool:
    done = subprocess.run(["mount", "-o", "remount,ro", str(where)], capture_output=True)
    return done.returncode == 0


def unmount(where: Path) -> None:
    subprocess.run(["umount", "-l", str(where)], capture_output=True)
    shutil.rmtree(where, ignore_errors=True)
