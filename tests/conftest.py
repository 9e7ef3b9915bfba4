"""Shared fixtures: a fresh database per test on SQLite and on PostgreSQL, and a clinic team.

Every store and service test takes ``db`` and so runs twice. PostgreSQL tests use one schema per
test process, migrated once and emptied before each test. Without a reachable server they are
skipped with the reason on a developer's machine and fail under CI (CI=true).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import settings as hypothesis_settings
from sqlalchemy import Connection, create_engine, text

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from carecoord.domain.enums import Discipline
from carecoord.services.context import Actor
from carecoord.store.database import Database
from carecoord.store.models import User
from carecoord.store.schema import metadata

# Property tests: a small profile by default; the deep one is run by hand with
# CARECOORD_HYPOTHESIS=deep (a test that sets its own max_examples keeps it).
hypothesis_settings.register_profile("small", max_examples=100, deadline=None)
hypothesis_settings.register_profile("deep", max_examples=20_000, deadline=None)
hypothesis_settings.load_profile(os.environ.get("CARECOORD_HYPOTHESIS", "small"))

PG_URL = os.environ.get(
    "CARECOORD_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
PASSWORD = "correct-horse-1"
HEAD = ""


def _pg_reason() -> str | None:
    try:
        engine = create_engine(PG_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
    except Exception as exc:  # any failure means "not reachable" here
        return f"PostgreSQL not reachable at {PG_URL}: {str(exc).splitlines()[0]}"
    return None


@pytest.fixture(scope="session")
def password_hash() -> str:
    from argon2 import PasswordHasher

    return PasswordHasher().hash(PASSWORD)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    db = Database(f"sqlite:///{path}")
    db.upgrade()
    db.dispose()
    return path


@pytest.fixture(scope="session")
def pg_database() -> Iterator[Database]:
    reason = _pg_reason()
    if reason:
        if os.environ.get("CI"):
            pytest.fail(reason + " (CI requires the PostgreSQL tests to run)")
        pytest.skip(reason)
    schema = f"cc_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    db = Database(PG_URL, pg_schema=schema)
    db.upgrade()
    global HEAD
    HEAD = db.head_revision()
    yield db
    db.dispose()
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


def _empty_pg(db: Database) -> None:
    tables = [t.name for t in metadata.sorted_tables]
    with db.engine.begin() as conn:
        # The audit tables refuse TRUNCATE by trigger; a superuser's replica mode skips triggers.
        conn.execute(text("SET LOCAL session_replication_role = replica"))
        conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        conn.execute(
            text("INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, :h)"), {"h": "0" * 64}
        )
        conn.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": HEAD})


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> Iterator[Database]:
    if request.param == "sqlite":
        path = tmp_path / "carecoord.db"
        shutil.copy(sqlite_template, path)
        database = Database(f"sqlite:///{path}")
        yield database
        database.dispose()
    else:
        database = request.getfixturevalue("pg_database")
        _empty_pg(database)
        yield database


@contextlib.contextmanager
def tampering(db: Database) -> Iterator[Connection]:
    """A connection that edits the store by hand, as someone with the file or a superuser
    login could: the append-only triggers are bypassed (dropped on SQLite, replica mode on
    PostgreSQL), so only the hash chain and the checkpoints stand in the way."""
    with db.engine.begin() as conn:
        if db.is_sqlite:
            for (name,) in conn.execute(
                text("SELECT name FROM sqlite_master WHERE type = 'trigger'")
            ).all():
                conn.execute(text(f'DROP TRIGGER "{name}"'))
        else:
            conn.execute(text("SET LOCAL session_replication_role = replica"))
        yield conn


@dataclass
class Team:
    admin: Actor
    physiatrist: Actor
    pt: Actor
    ot: Actor
    nurse: Actor
    social_worker: Actor

    def of(self, discipline: Discipline) -> Actor:
        return {
            Discipline.PHYSIATRIST: self.physiatrist,
            Discipline.PHYSICAL_THERAPIST: self.pt,
            Discipline.OCCUPATIONAL_THERAPIST: self.ot,
            Discipline.NURSE: self.nurse,
            Discipline.SOCIAL_WORKER: self.social_worker,
        }[discipline]


def make_team(db: Database, password_hash: str) -> Team:
    """Insert an administrator and one user per discipline (password ``PASSWORD``)."""
    people = [
        ("admin", "Alex Admin", None, True),
        ("mdoe", "Dr Maria Doe", Discipline.PHYSIATRIST, False),
        ("ppatel", "Priya Patel", Discipline.PHYSICAL_THERAPIST, False),
        ("olsen", "Ola Olsen", Discipline.OCCUPATIONAL_THERAPIST, False),
        ("nking", "Nia King", Discipline.NURSE, False),
        ("swu", "Sam Wu", Discipline.SOCIAL_WORKER, False),
    ]
    actors = []
    with db.session() as session:
        for username, name, discipline, is_admin in people:
            user = User(
                username=username,
                full_name=name,
                discipline=discipline.value if discipline else None,
                is_admin=is_admin,
                password_hash=password_hash,
                phone="+1 555 0100",
            )
            session.add(user)
            session.flush()
            actors.append(Actor(user.id, username, name, discipline, is_admin))
        session.commit()
    return Team(*actors)


@pytest.fixture
def team(db: Database, password_hash: str) -> Team:
    return make_team(db, password_hash)


_postgres_passed = 0


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    global _postgres_passed
    if report.when == "call" and report.passed and "postgres" in report.keywords:
        _postgres_passed += 1


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Under CI a run in which no PostgreSQL test passed is a failed run."""
    workerinput = getattr(session.config, "workerinput", None)
    if workerinput is not None or not os.environ.get("CI"):
        return
    if session.testscollected and _postgres_passed == 0:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
        print("\nCI: no PostgreSQL test passed; the shared store was not tested.")
