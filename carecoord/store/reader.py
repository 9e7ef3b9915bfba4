"""Reading the store in plain SQL through the driver's own connection, without the ORM.

The patients list is read this way so that a workstation can show it before SQLAlchemy has
loaded (a few tenths of a second on every start; see tests/benchmarks/bench_patient_search.py).
The same SQL also runs inside a service's session (``SessionReader``), so each query is
written once. Queries are written with ``?`` placeholders and contain no literal ``?`` or ``%``.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

Row = tuple[Any, ...]


class Reader(Protocol):
    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[Row]: ...


def as_date(value: Any) -> dt.date:
    """A DATE column as the driver returns it: SQLite gives ISO text, PostgreSQL a date."""
    if isinstance(value, str):
        return dt.date.fromisoformat(value[:10])
    return value  # type: ignore[no-any-return]


class SessionReader:
    """Plain SQL inside an ORM session (same transaction, same connection)."""

    def __init__(self, session: Any) -> None:
        self._session = session

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        connection = self._session.connection()
        if connection.dialect.paramstyle != "qmark":
            sql = sql.replace("?", "%s")
        return [tuple(r) for r in connection.exec_driver_sql(sql, tuple(params))]


class SqliteReader:
    """A read-only connection to the SQLite file (``query_only``: it can never write).

    It runs each SELECT on its own (autocommit), so it always sees the latest committed data
    of every workstation; WAL lets it read while another process writes.
    """

    def __init__(self, path: Path, busy_timeout_ms: int) -> None:
        self._conn = sqlite3.connect(
            path, timeout=busy_timeout_ms / 1000, isolation_level=None, check_same_thread=False
        )
        self._conn.execute("PRAGMA query_only = ON")

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        return self._conn.execute(sql, tuple(params)).fetchall()

    def close(self) -> None:
        self._conn.close()
