"""Opening the store: SQLite by default, PostgreSQL for several workstations.

Everything the rest of the app knows about connections lives here: URL resolution, SQLite
pragmas (WAL, foreign keys, busy timeout, BEGIN IMMEDIATE), schema checks and upgrades with a
backup first. Failures become ``DatabaseError`` subclasses whose message a user can read.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import os
import re
import sqlite3
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from carecoord.store.files import create_private, private_dir, secure_sqlite_file, write_private
from carecoord.store.reader import Reader, SessionReader, SqliteReader

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from sqlalchemy.orm import Session

# SQLAlchemy takes a few tenths of a second to import. Opening a current SQLite store and
# reading the patients list do not need it, so this module imports it only where it is used:
# the first screen appears sooner (tests/benchmarks/bench_patient_search.py measures it).

APP_NAME = "CareCoord"
ENV_URL = "CARECOORD_DATABASE_URL"
MIGRATIONS_DIR = Path(__file__).with_name("migrations")
SQLITE_BUSY_TIMEOUT_MS = 15_000
# FULL: every commit is on the disk before the save is acknowledged, so a power cut cannot lose
# a refill the nurse was told was saved (NORMAL, with WAL, never corrupts the file but can lose
# the last commits). tests/benchmarks/bench_synchronous.py measures what it costs per save.
SQLITE_SYNCHRONOUS = "FULL"
# Any 64-bit constant: the PostgreSQL advisory lock that serialises schema upgrades.
UPGRADE_LOCK_KEY = 0x0CA2EC00D


_REVISION = re.compile(r"^revision\s*=\s*['\"]([^'\"]+)['\"]", re.M)
_DOWN_REVISION = re.compile(r"^down_revision\s*=\s*(None|['\"]([^'\"]+)['\"])", re.M)


@functools.cache
def _revision_graph() -> dict[str, str | None]:
    """revision -> parent, read from the migration files as text.

    Start-up only needs to know whether the database is current; reading the files avoids
    importing Alembic (a tenth of a second) on every start. Upgrades still use Alembic.
    """
    graph: dict[str, str | None] = {}
    for path in (MIGRATIONS_DIR / "versions").glob("*.py"):
        source = path.read_text(encoding="utf-8")
        rev, down = _REVISION.search(source), _DOWN_REVISION.search(source)
        if rev and down:
            graph[rev.group(1)] = down.group(2)
    return graph


def known_revisions() -> frozenset[str]:
    return frozenset(_revision_graph())


def known_head() -> str:
    graph = _revision_graph()
    parents = {p for p in graph.values() if p}
    heads = sorted(set(graph) - parents)
    if len(heads) != 1:
        raise DatabaseError(f"The app's migrations have {len(heads)} heads ({', '.join(heads)}).")
    return heads[0]


class DatabaseError(Exception):
    """A store problem explained for a user (no traceback, no driver jargon first)."""


class DatabaseUnreachable(DatabaseError):
    pass


class NotADatabase(DatabaseError):
    pass


class SchemaTooNew(DatabaseError):
    pass


class DamagedDatabase(NotADatabase):
    """A SQLite file that exists but is empty or fails SQLite's own integrity check."""


class SchemaOutdated(DatabaseError):
    pass


def read_audit_head(conn: sqlite3.Connection) -> tuple[int, str] | None:
    """(sequence, hash) of the audit chain head stored in a SQLite file, if it has one."""
    try:
        row = conn.execute("SELECT seq, hash FROM audit_head WHERE id = 1").fetchone()
    except sqlite3.Error:
        return None
    return (int(row[0]), str(row[1])) if row else None


def checkpoint_path(backup: Path) -> Path:
    """The checkpoint file that travels with a backup (its name plus ``.checkpoint``)."""
    return backup.with_name(backup.name + ".checkpoint")


def write_head_checkpoint(backup: Path, seq: int, digest: str) -> Path:
    """Beside a backup: the audit head it contains, as a checkpoint file (domain.audit)."""
    from carecoord.domain.audit import Checkpoint

    now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    target = checkpoint_path(backup)
    write_private(target, Checkpoint(seq, digest, now).to_text())
    return target


def default_data_dir() -> Path:
    from platformdirs import user_data_dir

    return Path(user_data_dir(APP_NAME, appauthor=False))


def default_database_url() -> str:
    return f"sqlite:///{default_data_dir() / 'carecoord.db'}"


def resolve_database_url(explicit: str | None = None) -> str:
    """Command line first, then the environment, then the embedded default."""
    url = explicit or os.environ.get(ENV_URL) or default_database_url()
    return normalise_url(url)


# sqlite:///file.db (relative) or sqlite:////abs/file.db, with nothing SQLAlchemy would decode.
_PLAIN_SQLITE_URL = re.compile(r"^sqlite(?:\+pysqlite)?:///([^?%#]+)$")


def _plain_sqlite_file(url: str) -> str | None:
    """The file of a plain SQLite URL, read without SQLAlchemy; None for any other URL."""
    match = _PLAIN_SQLITE_URL.match(url)
    return match.group(1) if match else None


def normalise_url(url: str) -> str:
    """Accept the forms people paste (postgres://, postgresql://) and use psycopg 3."""
    if _plain_sqlite_file(url) is not None:
        return url
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        parsed = make_url(url)
        parsed.port  # noqa: B018 - a port that is not a number raises here, not later
    except (ArgumentError, ValueError) as exc:
        shown = re.sub(r"//([^:/@]*):[^@/]*@", r"//\1:***@", url)  # never show a password
        raise DatabaseError(
            f"“{shown}” is not a database address. Use sqlite:///path/to/file.db or "
            "postgresql://user@host:5432/database."
        ) from exc
    backend = parsed.get_backend_name()
    if backend in {"postgres", "postgresql"}:
        parsed = parsed.set(drivername="postgresql+psycopg")
    elif backend != "sqlite":
        raise DatabaseError(f"CareCoord works with SQLite or PostgreSQL, not “{backend}”.")
    return parsed.render_as_string(hide_password=False)


def describe_url(url: str) -> str:
    """Where the data lives, for the status bar and messages (never the password)."""
    plain = _plain_sqlite_file(url)
    if plain is not None:
        return f"SQLite file {plain}"
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return f"SQLite file {parsed.database}"
    return f"PostgreSQL {parsed.host or 'localhost'}:{parsed.port or 5432}/{parsed.database}"


def _configure_sqlite(engine: Engine) -> None:
    from sqlalchemy import event

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):  # type: ignore[no-untyped-def]
        # Let SQLAlchemy's "begin" event issue BEGIN itself, so it can be IMMEDIATE.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute(f"PRAGMA synchronous = {SQLITE_SYNCHRONOUS}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):  # type: ignore[no-untyped-def]
        # Writers take the lock at the start and wait for each other instead of failing
        # half-way through a transaction (DESIGN.md, "SQLite with several processes").
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def _is_driver_error(exc: Exception) -> bool:
    from sqlalchemy.exc import DBAPIError

    return isinstance(exc, DBAPIError)


# How far a session's unit of work got, for the message after a lost connection: a read can
# be tried again; a save that failed before COMMIT left nothing; one that failed during COMMIT
# may or may not have been kept; one that failed after COMMIT was kept.
READING, WROTE, COMMITTING, COMMITTED = "reading", "wrote", "committing", "committed"


def _track_progress(factory: Any) -> None:
    from sqlalchemy import event

    def wrote(session: Session, *_args: Any) -> None:
        if session.info.get("progress") in (None, READING, COMMITTED):
            session.info["progress"] = WROTE

    def dml(state: Any) -> None:
        if state.is_insert or state.is_update or state.is_delete:
            wrote(state.session)

    def committing(session: Session) -> None:
        if session.info.get("progress") == WROTE:
            session.info["progress"] = COMMITTING

    def committed(session: Session) -> None:
        if session.info.get("progress") == COMMITTING:
            session.info["progress"] = COMMITTED

    event.listen(factory, "before_flush", wrote)
    event.listen(factory, "do_orm_execute", dml)
    event.listen(factory, "before_commit", committing)
    event.listen(factory, "after_commit", committed)


def session_progress(session: Session) -> str:
    """READING (nothing sent yet), WROTE, COMMITTING or COMMITTED: how far the unit of work
    got. A session that committed and then wrote again counts as WROTE."""
    return str(session.info.get("progress", READING))


@dataclass(frozen=True)
class SchemaState:
    current: str | None  # None: empty database
    head: str
    known: bool  # the current revision is one this app knows

    @property
    def is_empty(self) -> bool:
        return self.current is None

    @property
    def up_to_date(self) -> bool:
        return self.current == self.head


class Database:
    """An open store: engine, session factory, plain-SQL readers and schema management.

    A plain SQLite file is opened without SQLAlchemy: the engine is created on first use, so
    checking the schema and reading the patients list can happen before the ORM has loaded.
    """

    def __init__(self, url: str, *, pg_schema: str | None = None) -> None:
        self.url = normalise_url(url)
        self.pg_schema = pg_schema
        self._readers = threading.local()
        self._open_readers: list[SqliteReader] = []
        self._readers_lock = threading.Lock()
        self._file_checked = False
        plain = _plain_sqlite_file(self.url)
        if plain is not None:
            self.dialect = "sqlite"
            self._sqlite_file: str | None = plain
        else:
            from sqlalchemy.engine import make_url

            parsed = make_url(self.url)
            self.dialect = parsed.get_backend_name()
            self._sqlite_file = parsed.database if self.dialect == "sqlite" else None
        if self._sqlite_file and self._sqlite_file != ":memory:":
            private_dir(Path(self._sqlite_file).expanduser().parent)
        if not self.is_sqlite:
            self.load_orm()  # PostgreSQL needs SQLAlchemy at once; a bad URL fails here

    @functools.cached_property
    def engine(self) -> Engine:
        from sqlalchemy import create_engine

        if self.is_sqlite:
            self._secure_file()
            engine = create_engine(
                self.url,
                connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
                hide_parameters=True,  # an error's text never carries patient data or hashes
            )
            _configure_sqlite(engine)
            return engine
        connect_args: dict[str, object] = {"connect_timeout": 5}
        if self.pg_schema:
            connect_args["options"] = f"-csearch_path={self.pg_schema}"
        # pre-ping: a pooled connection the server dropped (restart, pg_terminate_backend,
        # network) is replaced at checkout instead of failing the next read or save.
        return create_engine(
            self.url, connect_args=connect_args, pool_pre_ping=True, hide_parameters=True
        )

    def load_orm(self) -> Engine:
        """Import SQLAlchemy and create the engine now, on this thread (otherwise it happens on
        first use of ``engine`` or ``session``)."""
        return self.engine

    @functools.cached_property
    def _sessions(self) -> Any:
        from sqlalchemy.orm import sessionmaker

        from carecoord.store import guard

        factory = sessionmaker(self.engine, expire_on_commit=False)
        _track_progress(factory)
        guard.install(factory)
        return factory

    @property
    def is_sqlite(self) -> bool:
        return self.dialect == "sqlite"

    @property
    def sqlite_path(self) -> Path | None:
        if not self.is_sqlite:
            return None
        name = self._sqlite_file
        return Path(name) if name and name != ":memory:" else None

    def _secure_file(self) -> None:
        """The file (new or existing) readable by its owner only, before SQLite opens it."""
        path = self.sqlite_path
        if path is not None:
            with contextlib.suppress(OSError):  # a read-only folder: SQLite will say so
                secure_sqlite_file(path.expanduser())

    def session(self) -> Session:
        return self._sessions()  # type: ignore[no-any-return]

    @contextlib.contextmanager
    def reading(self) -> Iterator[Reader]:
        """Plain-SQL reads (``carecoord.store.reader``): the SQLite file directly, without the
        ORM; other stores through a short session. Driver errors come out in words."""
        path = self.sqlite_path
        if path is None:
            with self.session() as session:
                try:
                    yield SessionReader(session)
                except Exception as exc:
                    if _is_driver_error(exc):
                        raise self.explain(exc) from exc
                    raise
            return
        reader: SqliteReader | None = getattr(self._readers, "reader", None)
        try:
            if reader is None:
                self._secure_file()
                reader = SqliteReader(path, SQLITE_BUSY_TIMEOUT_MS)
                self._readers.reader = reader
                with self._readers_lock:
                    self._open_readers.append(reader)
            yield reader
        except sqlite3.Error as exc:
            raise self.explain(exc) from exc

    @contextlib.contextmanager
    def connect(self) -> Iterator[object]:
        """A raw connection with store errors translated for the user."""
        from sqlalchemy.exc import DBAPIError

        try:
            with self.engine.connect() as conn:
                yield conn
        except DBAPIError as exc:
            raise self.explain(exc) from exc

    def explain(self, exc: Exception) -> DatabaseError:
        """Turn a driver error into words a clinic user (or their IT) can act on."""
        detail = str(getattr(exc, "orig", exc)).strip().splitlines()[0] if str(exc) else ""
        if self.is_sqlite:
            if "malformed" in detail:
                return self._damaged(detail)
            if "not a database" in detail:
                return NotADatabase(
                    f"The file {self.sqlite_path} is not a CareCoord database (or it is damaged). "
                    "Choose another file or restore the last backup." + self._backup_hint()
                )
            if "unable to open" in detail:
                return DatabaseUnreachable(
                    f"Cannot open the database file {self.sqlite_path}: {detail}."
                )
            return DatabaseError(f"The database file could not be used: {detail}.")
        from sqlalchemy.exc import OperationalError

        if isinstance(exc, OperationalError):
            return DatabaseUnreachable(
                f"Cannot reach the database at {describe_url(self.url)}. Check that the server is "
                f"running and the address is right. ({detail})"
            )
        return DatabaseError(f"The database refused the request: {detail}.")

    # ---- damaged files -------------------------------------------------------------------

    def backups(self) -> list[Path]:
        """The backups written beside the SQLite file, newest first."""
        path = self.sqlite_path
        if path is None:
            return []
        found = path.parent.glob(f"{path.stem}.backup-*{path.suffix}")
        return sorted(found, key=lambda p: p.stat().st_mtime, reverse=True)

    def _backup_hint(self) -> str:
        newest = next(iter(self.backups()), None)
        if newest is None:
            return " No backup was found beside it; ask IT for the last copy of the file."
        return f" The newest backup beside it is {newest.name}."

    def _damaged(self, detail: str) -> DamagedDatabase:
        return DamagedDatabase(
            f"The database file {self.sqlite_path} is damaged ({detail}). CareCoord will not use "
            "it, so that nothing more is lost. Restore the last backup: close CareCoord, move the "
            "damaged file aside (keep it for IT), copy the backup in its place under the same "
            "name, and start again." + self._backup_hint()
        )

    def check_file(self, *, full: bool = False) -> None:
        """Refuse an existing SQLite file that is empty or damaged (``PRAGMA quick_check``, or
        with ``full`` the slower ``integrity_check`` that also compares every index).

        An empty file is never taken for a new database: a new one is created only where no
        file exists, so a file truncated by a crash or a failed copy is refused, not emptied of
        its meaning. PostgreSQL checks its own pages; nothing is done for it.
        """
        path = self.sqlite_path
        if path is None or not path.exists():
            return
        if path.is_file() and path.stat().st_size == 0:
            raise DamagedDatabase(
                f"The database file {path} is empty (0 bytes): it was truncated or not copied "
                "whole. CareCoord will not start a new database in its place. Restore the last "
                "backup: close CareCoord, copy the backup over this file (same name), and start "
                "again; to start a new clinic instead, move the empty file away."
                + self._backup_hint()
            )
        pragma = "PRAGMA integrity_check(20)" if full else "PRAGMA quick_check(20)"
        try:
            connection = sqlite3.connect(path, timeout=SQLITE_BUSY_TIMEOUT_MS / 1000)
            try:
                connection.execute("PRAGMA query_only = ON")
                found = [row[0] for row in connection.execute(pragma).fetchall()]
            finally:
                connection.close()
        except sqlite3.Error as exc:
            raise self.explain(exc) from exc
        if found != ["ok"]:
            raise self._damaged("SQLite: " + "; ".join(str(f) for f in found[:3]))

    # ---- schema -------------------------------------------------------------------------

    def _alembic_config(self, connection: object | None = None):  # type: ignore[no-untyped-def]
        from alembic.config import Config

        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
        cfg.attributes["connection"] = connection
        return cfg

    def head_revision(self) -> str:
        return known_head()

    def schema_state(self) -> SchemaState:
        head = known_head()
        if not self._file_checked:
            self.check_file()
            self._file_checked = True
        names, current = self._tables_and_revision()
        if "alembic_version" not in names:
            if "patients" in names:
                raise NotADatabase(
                    "This database has CareCoord tables but no version; restore a backup."
                )
            if names:
                raise NotADatabase(
                    f"{describe_url(self.url)} holds other tables; it is not a CareCoord database."
                )
            return SchemaState(None, head, True)
        known = current is None or current in known_revisions()
        return SchemaState(current, head, known)

    def _tables_and_revision(self) -> tuple[set[str], str | None]:
        if self.sqlite_path is not None:  # plain SQL: no ORM needed to open a current file
            if not self.sqlite_path.exists():
                return set(), None  # a new database: opening a reader would create the file
            with self.reading() as reader:
                names = {
                    name
                    for (name,) in reader.rows(
                        "SELECT name FROM sqlite_master WHERE type = 'table'"
                    )
                    if not name.startswith("sqlite_")
                }
                if "alembic_version" not in names:
                    return names, None
                found = reader.rows("SELECT version_num FROM alembic_version")
                return names, found[0][0] if found else None
        from sqlalchemy import inspect, text
        from sqlalchemy.exc import DBAPIError

        try:
            with self.engine.connect() as conn:
                names = set(inspect(conn).get_table_names())
                if "alembic_version" not in names:
                    return names, None
                return names, conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
        except DBAPIError as exc:
            raise self.explain(exc) from exc

    def check_schema(self) -> SchemaState:
        """Refuse a database newer than this app; report whether an upgrade is needed."""
        state = self.schema_state()
        if not state.known:
            raise SchemaTooNew(
                f"The database at {describe_url(self.url)} was written by a newer version of "
                "CareCoord (schema "
                f"{state.current}). Install the newer version; this one will not change the data."
            )
        return state

    def backup_sqlite(self, label: str) -> Path | None:
        """Consistent copy of the SQLite file next to it (sqlite3 backup API, WAL included).

        The copy is readable by its owner only and its name says which audit event it ends
        with (``...-audit1234.db``); a ``.checkpoint`` file beside it holds that head's hash.
        """
        path = self.sqlite_path
        if path is None or not path.exists():
            return None
        # A copy of a damaged file would be damaged too, and could replace the last good one.
        self.check_file(full=True)
        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        partial = path.with_name(f"{path.stem}.backup-{stamp}-{label}{path.suffix}.partial")
        partial.unlink(missing_ok=True)
        create_private(partial)
        self._secure_file()
        source = sqlite3.connect(path)
        try:
            dest = sqlite3.connect(partial)
            try:
                source.backup(dest)
                head = read_audit_head(dest)
            finally:
                dest.close()
        finally:
            source.close()
        named = f"-audit{head[0]}" if head else ""
        target = path.with_name(f"{path.stem}.backup-{stamp}-{label}{named}{path.suffix}")
        partial.replace(target)
        if head:
            write_head_checkpoint(target, *head)
        return target

    def upgrade(self) -> Path | None:
        """Bring the schema to this app's head; back up a SQLite file first. Returns the backup."""
        from alembic import command
        from sqlalchemy import text
        from sqlalchemy.exc import DBAPIError

        state = self.check_schema()
        if state.up_to_date:
            return None
        backup = None
        if self.is_sqlite and not state.is_empty:
            backup = self.backup_sqlite(f"before-{state.head[:8]}")
        try:
            with self.engine.connect() as conn:
                raw = conn.connection.driver_connection if self.is_sqlite else None
                if raw is not None:
                    # A new CHECK constraint rebuilds its table (Alembic's batch mode), dropping
                    # it while other tables refer to it. SQLite's documented procedure: foreign
                    # keys off outside the transaction, all of them checked before the commit.
                    raw.execute("PRAGMA foreign_keys = OFF")
                try:
                    with conn.begin():
                        if raw is None:
                            conn.execute(
                                text("SELECT pg_advisory_xact_lock(:k)"), {"k": UPGRADE_LOCK_KEY}
                            )
                        command.upgrade(self._alembic_config(conn), "head")
                        if raw is not None and raw.execute("PRAGMA foreign_key_check").fetchone():
                            raise DatabaseError(
                                "The upgrade would leave records pointing at records that do not "
                                "exist; nothing was changed. Restore the last backup."
                            )
                finally:
                    if raw is not None:
                        raw.execute("PRAGMA foreign_keys = ON")
        except DBAPIError as exc:
            raise self.explain(exc) from exc
        return backup

    def ensure_ready(self) -> SchemaState:
        """Open for use: upgrade an older schema, refuse a newer one."""
        state = self.check_schema()
        if not state.up_to_date:
            self.upgrade()
            state = self.schema_state()
        return state

    def dispose(self) -> None:
        with self._readers_lock:
            readers, self._open_readers = self._open_readers, []
        for reader in readers:
            reader.close()
        self._readers = threading.local()
        if "engine" in self.__dict__:  # created only if something needed the ORM
            self.engine.dispose()
