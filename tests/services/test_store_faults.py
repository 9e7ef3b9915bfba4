"""Store faults reach the user as typed errors in words, and nothing is half saved.

A killed PostgreSQL connection (pg_terminate_backend), a full disk (SQLite's max_page_count,
and a small tmpfs where this machine lets a test mount one), a read-only file system, and two
workstations saving the same record at the same moment.
"""

from __future__ import annotations

import datetime as dt
import shutil

import pytest
from sqlalchemy import func, select

from carecoord.domain.users import UserInput
from carecoord.services import audit, boundary, patients, recalls, users
from carecoord.services.errors import (
    ChangedMeanwhile,
    ConnectionLost,
    NotFound,
    StoreFull,
    StoreProblem,
    StoreReadOnly,
    StoreUnreachable,
)
from carecoord.store.database import Database
from carecoord.store.models import Patient
from carecoord.store.models_refills import RefillAppointment
from tests.services.fault_helpers import (
    inserting,
    kill_connection_before,
    mount_tmpfs,
    read_only_file,
    remount_read_only,
    selecting,
    sqlite_page_limit,
    unmount,
)
from tests.services.test_patients import sample

NO_SQL = ("SELECT", "INSERT", "UPDATE", "[SQL", "parameters", "psycopg", "sqlite3", "argon2")


def _words_only(exc: BaseException) -> None:
    text = str(exc)
    assert "Nothing was saved" in text or "saved" in text
    for jargon in NO_SQL:
        assert jargon not in text, text


def _patient_count(db: Database) -> int:
    with db.session() as s:
        return s.scalar(select(func.count()).select_from(Patient)) or 0


def _postgres_only(db: Database) -> None:
    if db.is_sqlite:
        pytest.skip("a SQLite file has no server connection to lose")


# ---- a killed PostgreSQL connection ---------------------------------------------------------


def test_a_read_whose_connection_is_killed_is_tried_once_more(db, team):
    _postgres_only(db)
    with db.session() as s:
        patients.create_patient(s, team.nurse, sample())
    with kill_connection_before(db, selecting) as killed:
        found = boundary.run(db, patients.search_patients, team.nurse, "")
    assert len(killed) == 1
    assert found.total == 1


def test_a_read_killed_twice_says_the_connection_was_lost(db, team):
    _postgres_only(db)
    with (
        kill_connection_before(db, selecting, times=2) as killed,
        pytest.raises(ConnectionLost, match="connection to the database was lost") as lost,
    ):
        boundary.run(db, patients.search_patients, team.nurse, "")
    assert len(killed) == 2
    _words_only(lost.value)


def test_a_save_whose_connection_is_killed_saves_nothing_and_says_so(db, team):
    """Killed as the patient row is sent: the save is not retried (it wrote), nothing is kept,
    the audit chain is whole, and the same save succeeds once the server is back."""
    _postgres_only(db)
    with (
        kill_connection_before(db, inserting("patients")) as killed,
        pytest.raises(ConnectionLost, match="Nothing was saved") as lost,
    ):
        boundary.run(db, patients.create_patient, team.nurse, sample())
    assert len(killed) == 1
    _words_only(lost.value)
    assert _patient_count(db) == 0
    saved = boundary.run(db, patients.create_patient, team.nurse, sample())
    assert saved.id and _patient_count(db) == 1
    with db.session() as s:
        assert audit.verify(s).ok


def test_a_connection_killed_while_idle_in_the_pool_is_replaced_unseen(db, team):
    """The server dropped a pooled connection between two actions (a restart, a DBA): the next
    action checks it out, finds it dead and takes a fresh one, with no error at all."""
    _postgres_only(db)
    from sqlalchemy import create_engine, text

    with db.session() as s:
        pid = s.execute(text("SELECT pg_backend_pid()")).scalar()
    admin = create_engine(db.url)
    with admin.connect() as conn:
        assert conn.execute(text("SELECT pg_terminate_backend(:p, 5000)"), {"p": pid}).scalar()
    admin.dispose()
    assert boundary.run(db, patients.search_patients, team.nurse, "").total == 0


def test_the_cli_says_the_connection_was_lost_without_sql(db, team, capsys):
    from carecoord.commands.common import run_handler

    _postgres_only(db)

    def handler(_args) -> int:
        with db.session() as s:
            patients.create_patient(s, team.nurse, sample())
        return 0

    with kill_connection_before(db, inserting("patients")):
        code = run_handler(handler, None)  # type: ignore[arg-type]
    err = capsys.readouterr().err
    assert code == 1 and "connection to the database was lost" in err
    assert not any(jargon in err for jargon in NO_SQL), err


# ---- a full disk and a read-only file -------------------------------------------------------


def test_a_full_disk_is_said_in_words_and_nothing_is_saved(db, team):
    """SQLite's max_page_count stops the file growing, as a full disk would."""
    if not db.is_sqlite:
        pytest.skip("the server's disk cannot be filled from a test")
    with sqlite_page_limit(db), pytest.raises(StoreFull, match="disk that holds") as full:
        for i in range(200):  # until a new page is needed
            boundary.run(db, patients.create_patient, team.nurse, sample(mrn=f"FULL-{i}"))
    _words_only(full.value)
    stored = _patient_count(db)
    assert 0 < stored < 200
    with db.session() as s:
        assert audit.verify(s).events == stored
        with pytest.raises(NotFound):
            patients.find_by_mrn(s, team.nurse, f"FULL-{stored}")


@pytest.fixture
def small_disk(tmp_path, sqlite_template):
    """The template database on a RAM file system only a little larger than it."""
    size_kib = sqlite_template.stat().st_size // 1024 + 160
    where = mount_tmpfs(size_kib)
    if where is None:
        pytest.skip("this machine does not let a test mount a small file system")
    shutil.copy(sqlite_template, where / "clinic.db")
    yield where
    unmount(where)


def test_a_really_full_disk_keeps_every_acknowledged_save(small_disk, password_hash):
    from tests.conftest import make_team

    db = Database(f"sqlite:///{small_disk / 'clinic.db'}")
    team = make_team(db, password_hash)
    acknowledged = []
    with pytest.raises(StoreFull) as full:
        for i in range(5000):
            view = boundary.run(db, patients.create_patient, team.nurse, sample(mrn=f"DISK-{i}"))
            acknowledged.append(view.mrn)
    _words_only(full.value)
    db.dispose()
    db = Database(f"sqlite:///{small_disk / 'clinic.db'}")
    try:
        with db.session() as s:
            for mrn in acknowledged:
                assert patients.find_by_mrn(s, team.nurse, mrn) is not None
            with pytest.raises(NotFound):
                patients.find_by_mrn(s, team.nurse, f"DISK-{len(acknowledged)}")
            assert audit.verify(s).ok
    finally:
        db.dispose()


def test_a_read_only_database_file_says_so(db, team):
    """Reads still work; a save says the file is read-only and that nothing was saved."""
    if not db.is_sqlite:
        pytest.skip("a read-only PostgreSQL server is the DBA's setting, not a file")
    boundary.run(db, patients.create_patient, team.nurse, sample())
    db.dispose()
    with read_only_file(db.sqlite_path) as read_only:
        if not read_only:
            pytest.skip("this machine cannot make a file read-only for this user")
        try:
            assert boundary.run(db, patients.search_patients, team.nurse, "").total == 1
            with pytest.raises(StoreReadOnly, match="read-only") as refused:
                boundary.run(db, patients.create_patient, team.nurse, sample(mrn="MRN-2"))
            _words_only(refused.value)
        finally:
            db.dispose()
    assert _patient_count(db) == 1


def test_a_database_on_read_only_media_says_it_cannot_be_opened(small_disk, password_hash):
    """A folder or disk that became read-only (a WAL file cannot even be read there)."""
    from tests.conftest import make_team

    db = Database(f"sqlite:///{small_disk / 'clinic.db'}")
    team = make_team(db, password_hash)
    db.dispose()
    if not remount_read_only(small_disk):
        pytest.skip("this machine does not let a test make a file system read-only")
    try:
        with pytest.raises(StoreUnreachable, match="cannot be opened") as refused:
            boundary.run(db, patients.create_patient, team.nurse, sample(mrn="MRN-2"))
        _words_only(refused.value)
    finally:
        db.dispose()


# ---- two saves of one record at the same moment ---------------------------------------------


def test_a_save_on_a_row_changed_meanwhile_is_a_worded_conflict(db, team):
    """This workstation read the appointment; another cancelled it before this one saved: the
    database's stale-row error becomes ChangedMeanwhile and nothing of this save is kept."""
    if db.is_sqlite:
        pytest.skip("SQLite writers wait for each other: a save never meets a stale row")
    starts = dt.datetime.now(dt.UTC) + dt.timedelta(days=3)
    with db.session() as s:
        patient = patients.create_patient(s, team.nurse, sample())
        appointment = recalls.book_appointment(s, team.nurse, patient.id, starts)

    def cancel_after_the_other(session):
        seen = session.get(RefillAppointment, appointment)  # opened here first
        assert seen is not None and seen.version == 1
        with db.session() as other:
            recalls.cancel_appointment(other, team.nurse, appointment, 1, "Patient in hospital")
        recalls.cancel_appointment(session, team.social_worker, appointment, 1, "Moved away")

    with pytest.raises(ChangedMeanwhile, match="at the same moment") as conflict:
        boundary.run(db, cancel_after_the_other)
    _words_only(conflict.value)
    with db.session() as s:
        row = s.get(RefillAppointment, appointment)
        assert "Patient in hospital" in row.note and "Moved away" not in row.note
        assert audit.verify(s).ok


def test_two_administrators_adding_one_username_never_show_the_hash(db, team, monkeypatch):
    """The second one's check ran before the first one's row existed (as on two workstations):
    the database refuses the double; the refusal names the username, not the stored hash."""
    with db.session() as s:
        users.add_user(s, team.admin, _new_user("bsmith"))
    monkeypatch.setattr(users, "_check_unique", lambda *_a, **_k: None)
    with pytest.raises(ValueError, match="bsmith") as refused:
        boundary.run(db, users.add_user, team.admin, _new_user("bsmith"))
    assert "argon2" not in str(refused.value) and "INSERT" not in str(refused.value)
    with db.session() as s:
        assert [u.username for u in users.list_users(s)].count("bsmith") == 1
        assert audit.verify(s).ok


def _new_user(username: str) -> UserInput:
    from carecoord.domain.enums import Discipline

    return UserInput(
        username=username,
        full_name="Bea Smith",
        discipline=Discipline.NURSE,
        is_admin=False,
        phone="",
        password="long-enough-pass-1",
    )


def test_every_store_problem_is_a_service_error_with_words():
    """Every fault the store can name has a typed error whose words say what happened and
    what to do, and none of them is SQL."""
    from carecoord.store.faults import Fault

    for fault in Fault:
        problem = boundary.problem_for(fault)
        assert isinstance(problem, StoreProblem)
        assert len(str(problem)) > 40 and str(problem).endswith(".")
        assert not any(jargon in str(problem) for jargon in NO_SQL)
