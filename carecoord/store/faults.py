"""What went wrong in the store, read from a driver error, and how to log it without data.

``classify`` names the fault (connection lost, disk full, read-only, ...) from SQLite's error
names and PostgreSQL's SQLSTATE codes; the services word it for the user. ``log_text`` is what
the log may keep of an error: the traceback and the kind of error, never a parameter value or
the database's detail line (which repeats the values of a key, e.g. a username or an MRN).
"""

from __future__ import annotations

import traceback
from enum import StrEnum


class Fault(StrEnum):
    CONNECTION_LOST = "connection_lost"  # the server or network dropped an open connection
    UNREACHABLE = "unreachable"  # no connection could be made
    FILE_UNAVAILABLE = "file_unavailable"  # the SQLite file (or its folder) cannot be opened
    DISK_FULL = "disk_full"
    READ_ONLY = "read_only"
    BUSY = "busy"  # another writer held the lock past the busy timeout
    CHANGED_MEANWHILE = "changed_meanwhile"  # a stale version, a deadlock, a serialisation loss
    DUPLICATE = "duplicate"  # a unique rule: someone saved the same entry a moment ago
    DAMAGED = "damaged"
    DISK_ERROR = "disk_error"  # the disk failed to read or write
    REFUSED = "refused"  # another rule of the stored data (a reference, a check)


# SQLite primary result codes (sqlite3.Error.sqlite_errorname starts with one of them).
_SQLITE = {
    "SQLITE_FULL": Fault.DISK_FULL,
    "SQLITE_READONLY": Fault.READ_ONLY,
    "SQLITE_BUSY": Fault.BUSY,
    "SQLITE_LOCKED": Fault.BUSY,
    "SQLITE_CORRUPT": Fault.DAMAGED,
    "SQLITE_NOTADB": Fault.DAMAGED,
    "SQLITE_CANTOPEN": Fault.FILE_UNAVAILABLE,
    "SQLITE_IOERR": Fault.DISK_ERROR,
    "SQLITE_CONSTRAINT_UNIQUE": Fault.DUPLICATE,
    "SQLITE_CONSTRAINT_PRIMARYKEY": Fault.DUPLICATE,
    "SQLITE_CONSTRAINT": Fault.REFUSED,
}
# PostgreSQL SQLSTATE codes, most specific first (a prefix names a whole class).
_POSTGRES = (
    ("57P01", Fault.CONNECTION_LOST),  # admin_shutdown: pg_terminate_backend, server stop
    ("57P02", Fault.CONNECTION_LOST),  # crash_shutdown
    ("57P03", Fault.UNREACHABLE),  # cannot_connect_now (starting up)
    ("08", Fault.CONNECTION_LOST),  # connection exception
    ("53100", Fault.DISK_FULL),
    ("25006", Fault.READ_ONLY),  # read_only_sql_transaction (a standby, a read-only setting)
    ("40", Fault.CHANGED_MEANWHILE),  # serialization_failure, deadlock_detected
    ("55P03", Fault.BUSY),  # lock_not_available
    ("57014", Fault.BUSY),  # query_canceled (statement timeout)
    ("23505", Fault.DUPLICATE),
    ("23", Fault.REFUSED),
    ("58030", Fault.DISK_ERROR),  # io_error
    ("XX001", Fault.DAMAGED),  # data_corrupted
    ("XX002", Fault.DAMAGED),  # index_corrupted
)
# psycopg errors raised without a SQLSTATE when the connection broke
_LOST_WORDS = (
    "server closed the connection",
    "connection is closed",
    "consuming input failed",
    "terminating connection",
    "connection already closed",
    "ssl connection has been closed",
    "could not receive data",
    "could not send data",
    "connection timed out",
)
_UNREACHABLE_WORDS = ("connection refused", "could not connect", "timeout expired", "no route")


def _driver_error(exc: BaseException) -> BaseException | None:
    """The DBAPI error inside a SQLAlchemy error (or the error itself when it is one)."""
    import sqlite3

    if isinstance(exc, sqlite3.Error):
        return exc
    orig = getattr(exc, "orig", None)
    if orig is not None and isinstance(orig, Exception):
        return orig
    module = type(exc).__module__
    return exc if module.startswith("psycopg") else None


def is_store_error(exc: BaseException) -> bool:
    """A SQLAlchemy or driver error (whose text may hold SQL and stored values)."""
    import sys

    sa_exc = sys.modules.get("sqlalchemy.exc")
    if sa_exc is not None and isinstance(exc, sa_exc.SQLAlchemyError):
        return True
    orm_exc = sys.modules.get("sqlalchemy.orm.exc")
    if orm_exc is not None and isinstance(exc, orm_exc.StaleDataError):
        return True
    return _driver_error(exc) is not None


def classify(exc: BaseException) -> Fault | None:
    """The store fault behind ``exc``; None when it is not a store error."""
    import sqlite3

    from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
    from sqlalchemy.orm.exc import StaleDataError

    if isinstance(exc, StaleDataError):
        return Fault.CHANGED_MEANWHILE
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return Fault.CONNECTION_LOST
    driver = _driver_error(exc)
    if driver is None:
        return None
    if isinstance(driver, sqlite3.Error):
        name = getattr(driver, "sqlite_errorname", "") or ""
        for prefix in sorted(_SQLITE, key=len, reverse=True):
            if name.startswith(prefix):
                return _SQLITE[prefix]
        text = str(driver).lower()
        if "readonly" in text or "read-only" in text:
            return Fault.READ_ONLY
        if "disk is full" in text:
            return Fault.DISK_FULL
        if "locked" in text or "busy" in text:
            return Fault.BUSY
        if "not a database" in text or "malformed" in text:
            return Fault.DAMAGED
        if "unable to open" in text:
            return Fault.FILE_UNAVAILABLE
        if "unique constraint" in text:
            return Fault.DUPLICATE
        return Fault.REFUSED if isinstance(driver, sqlite3.IntegrityError) else None
    code = getattr(driver, "sqlstate", None) or ""
    for prefix, fault in _POSTGRES:
        if code.startswith(prefix):
            return fault
    text = str(driver).lower()
    if any(words in text for words in _LOST_WORDS):
        return Fault.CONNECTION_LOST
    if any(words in text for words in _UNREACHABLE_WORDS):
        return Fault.UNREACHABLE
    if isinstance(exc, IntegrityError):
        return Fault.REFUSED
    if isinstance(exc, OperationalError):
        return Fault.CONNECTION_LOST if code == "" else None
    return None


def safe_message(exc: BaseException) -> str:
    """One line about ``exc`` that carries no stored value: for a store error its kind, its
    SQLSTATE or SQLite code, and the table or constraint it concerns; otherwise its class."""
    import sqlite3

    from sqlalchemy.orm.exc import StaleDataError

    if isinstance(exc, StaleDataError):
        return f"StaleDataError: {str(exc).splitlines()[0]}"  # table name and row counts only
    driver = _driver_error(exc)
    if driver is None:
        return type(exc).__name__
    parts = [type(exc).__name__]
    if driver is not exc:
        parts.append(type(driver).__name__)
    if isinstance(driver, sqlite3.Error):
        parts.append(getattr(driver, "sqlite_errorname", "") or "")
        # SQLite's messages name tables and columns, never values ("UNIQUE constraint
        # failed: users.username", "database or disk is full").
        parts.append(str(driver).splitlines()[0] if str(driver) else "")
    else:
        code = getattr(driver, "sqlstate", None)
        if code:
            parts.append(f"SQLSTATE {code}")
        diag = getattr(driver, "diag", None)
        for name in ("table_name", "constraint_name"):
            value = getattr(diag, name, None) if diag is not None else None
            if value:
                parts.append(f"{name.split('_')[0]} {value}")
        if not code:  # a connection-level message: no data in it
            first = str(driver).strip().splitlines()
            parts.append(first[0] if first else "")
    fault = classify(exc)
    if fault is not None:
        parts.append(f"({fault.value})")
    return " ".join(p for p in parts if p)


def log_text(exc: BaseException) -> str:
    """A traceback for the log in which every store error is replaced by ``safe_message``
    (the SQL statement's text is kept out too: the frames say where it came from)."""
    chain: list[BaseException] = []
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        chain.append(current)
        current = current.__cause__ or (
            None if current.__suppress_context__ else current.__context__
        )
    blocks = []
    for item in reversed(chain):
        frames = "".join(traceback.format_tb(item.__traceback__))
        words = safe_message(item) if is_store_error(item) else _plain(item)
        blocks.append(f"Traceback (most recent call last):\n{frames}{words}")
    return "\n\nwhich led to:\n\n".join(blocks)


def _plain(exc: BaseException) -> str:
    return "".join(traceback.format_exception_only(type(exc), exc)).rstrip()
