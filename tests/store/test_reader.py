"""Plain-SQL reads (store/reader.py): the patients list without the ORM, on both stores."""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from carecoord.domain.enums import PatientStatus
from carecoord.services import patient_list, patients
from carecoord.store.database import Database, NotADatabase, describe_url, normalise_url
from tests.services.test_patients import sample

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    "url",
    ["sqlite:///clinic.db", "sqlite:////srv/care coord/clinic.db", "sqlite+pysqlite:///a/b.db"],
)
def test_plain_sqlite_urls_read_without_sqlalchemy_agree_with_it(url: str):
    """The light URL reading gives what SQLAlchemy would, for the address and its words."""
    from sqlalchemy.engine import make_url

    assert normalise_url(url) == make_url(url).render_as_string(hide_password=False)
    assert describe_url(url) == f"SQLite file {make_url(url).database}"


FILTERS: list[set[PatientStatus] | None] = [
    None,
    {s for s in PatientStatus if s is not PatientStatus.RETIRED},  # the list's default
    {PatientStatus.CANDIDATE},
    {PatientStatus.RETIRED, PatientStatus.DECLINED},
    set(PatientStatus),
]


@pytest.mark.parametrize("statuses", FILTERS)
@pytest.mark.parametrize("sort", ["name", "mrn", "dob", "status", "diagnosis"])
def test_the_light_reader_and_a_session_give_the_same_pages(db, team, statuses, sort):
    """The window's reader (SQLite: the file itself) and the service's session run one query:
    same rows, same order, same totals, for each filter and sort, both directions."""
    statuses_cycle = list(PatientStatus)
    with db.session() as s:
        for i in range(12):
            patients.create_patient(
                s,
                team.nurse,
                sample(
                    f"R-{i:02d}",
                    family_name=["Ng", "Okafor", "Silva"][i % 3],
                    given_names=f"Pat{i}",
                    date_of_birth=dt.date(1970 + i % 4, 1, 1 + i),
                    diagnosis=["Stroke", "Spinal cord injury", "Cerebral palsy"][i % 3],
                    status=statuses_cycle[i % len(statuses_cycle)],
                ),
            )
    for descending in (False, True):
        query = dict(statuses=statuses, sort=sort, descending=descending, limit=5)
        with db.session() as s:
            by_session = [
                patients.search_patients(s, team.nurse, "", offset=o, **query) for o in (0, 5, 10)
            ]
        with db.reading() as reader:
            by_reader = [
                patient_list.search_patients(reader, team.nurse, "", offset=o, **query)
                for o in (0, 5, 10)
            ]
        assert by_reader == by_session
        expected = (
            12
            if not statuses
            else sum(1 for i in range(12) if statuses_cycle[i % len(statuses_cycle)] in statuses)
        )
        assert by_reader[0].total == expected
        seen = [r.mrn for page in by_reader for r in page.rows]
        assert len(seen) == len(set(seen)) == expected  # pages never overlap nor skip


def test_the_sqlite_reader_cannot_write(tmp_path: Path):
    db = Database(f"sqlite:///{tmp_path / 'c.db'}")
    db.ensure_ready()
    with db.reading() as reader, pytest.raises(sqlite3.OperationalError, match="readonly"):
        reader.rows("DELETE FROM patients")  # type: ignore[union-attr]
    db.dispose()


def test_reading_a_file_that_is_not_a_database_is_explained(tmp_path: Path):
    path = tmp_path / "notes.db"
    path.write_text("my notes\n" * 200)
    db = Database(f"sqlite:///{path}")
    with pytest.raises(NotADatabase, match="not a CareCoord database"), db.reading() as reader:
        reader.rows("SELECT count(*) FROM patients")


def test_a_current_sqlite_store_opens_and_lists_patients_without_loading_sqlalchemy(tmp_path):
    """Start-up's promise, checked in a fresh process: opening an up-to-date SQLite store and
    reading the patients list import no SQLAlchemy (a few tenths of a second)."""
    url = f"sqlite:///{tmp_path / 'clinic.db'}"
    db = Database(url)
    db.ensure_ready()  # creates the schema (this one does load Alembic and SQLAlchemy)
    db.dispose()
    code = f"""
import sys
from carecoord.domain.enums import Discipline
from carecoord.services.context import Actor
from carecoord.services.patient_list import search_patients
from carecoord.store.database import Database
db = Database({url!r})
state = db.ensure_ready()
with db.reading() as reader:
    page = search_patients(reader, Actor(1, "n", "N", Discipline.NURSE, False), "")
print(state.up_to_date, page.total, "sqlalchemy" in sys.modules, "alembic" in sys.modules)
"""
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        env=dict(os.environ),
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "0", "False", "False"]


def test_what_the_sign_in_dialog_reads_agrees_with_the_services(db, team):
    """Before sign-in the app reads two facts in plain SQL; the services say the same."""
    from carecoord.services import settings, startup, users

    with db.session() as s:
        settings.update_settings(s, team.admin, clinic_name="Northside Rehab", idle_lock_minutes=7)
        s.commit()
    with db.reading() as reader, db.session() as s:
        assert startup.needs_first_admin(reader) is users.needs_first_admin(s) is False
        assert startup.clinic_settings(reader) == settings.load_settings(s)
        assert startup.clinic_settings(reader).clinic_name == "Northside Rehab"


def test_an_empty_store_needs_its_first_administrator(tmp_path: Path):
    from carecoord.services import startup

    db = Database(f"sqlite:///{tmp_path / 'new.db'}")
    db.ensure_ready()
    with db.reading() as reader:
        assert startup.needs_first_admin(reader) is True
        assert startup.clinic_settings(reader).clinic_name  # the defaults
    db.dispose()


@pytest.mark.parametrize("typed", ["\U0010ffff", "ana\U0010ffff", "x\ud7ff", "'; --", "%_"])
def test_any_typed_search_is_answered_not_crashed(db, team, typed: str):
    """Whatever is typed or pasted into the search box gets an answer (here: no patient)."""
    with db.session() as s:
        patients.create_patient(s, team.nurse, sample("T-1"))
    with db.reading() as reader:
        assert patient_list.search_patients(reader, team.nurse, typed).total == 0
    with db.session() as s:
        assert patients.search_patients(s, team.nurse, typed).total == 0
