"""`carecoord due` and `carecoord calendar`, as a daily reminder job runs them."""

from __future__ import annotations

import datetime as dt
import shutil

import pytest
from icalendar import Calendar

from carecoord.cli import main
from carecoord.services import recalls
from carecoord.store.database import Database
from tests.conftest import make_team
from tests.services.pump_helpers import example2, implanted_patient
from tests.services.refill_helpers import local, programmed

TODAY = dt.date.today()


@pytest.fixture(autouse=True)
def utc_clinic(monkeypatch):
    monkeypatch.setenv("TZ", "UTC")


@pytest.fixture
def clinic_db(tmp_path, sqlite_template, password_hash):
    path = tmp_path / "clinic.db"
    shutil.copy(sqlite_template, path)
    db = Database(f"sqlite:///{path}")
    team = make_team(db, password_hash)
    yield db, team
    db.dispose()


def pump_patient(db, team, mrn, days):
    day0 = TODAY - dt.timedelta(days=days)
    with db.session() as s:
        patient, _ = implanted_patient(s, team.nurse, mrn=mrn, implant_date=day0)
        programmed(s, team, patient.id, example2(), at=local(day0))
    return patient.id


def test_due_lists_overdue_first_with_the_withdrawal_risk_in_words(clinic_db, capsys):
    db, team = clinic_db
    pump_patient(db, team, "MRN-SOON", 10)  # due in 10 days
    pump_patient(db, team, "MRN-LATE", 27)  # alarm day 25: past it
    assert main(["due", "--database-url", db.url]) == 3
    out = capsys.readouterr().out
    assert "OVERDUE: 1, 1 past the alarm date: withdrawal risk, call first" in out
    assert out.index("MRN-LATE") < out.index("DUE IN THE NEXT 14 DAYS: 1") < out.index("MRN-SOON")
    assert "Overdue 7 days; past alarm date" in out
    assert main(["due", "--days", "5", "--database-url", db.url]) == 3
    assert "DUE IN THE NEXT 5 DAYS: 0" in capsys.readouterr().out


def test_due_exit_code_zero_when_nothing_is_overdue_and_errors_in_words(clinic_db, capsys):
    db, team = clinic_db
    pump_patient(db, team, "MRN-SOON", 10)
    assert main(["due", "--database-url", db.url]) == 0
    assert "OVERDUE: 0" in capsys.readouterr().out
    assert main(["due", "--days", "-1", "--database-url", db.url]) == 1
    assert "--days must be between 0 and 365" in capsys.readouterr().err


def test_calendar_writes_the_booked_visits(clinic_db, tmp_path, capsys):
    db, team = clinic_db
    patient_id = pump_patient(db, team, "MRN-SOON", 10)
    with db.session() as s:
        recalls.book_appointment(s, team.nurse, patient_id, local(TODAY + dt.timedelta(days=3)))
    out = tmp_path / "refills.ics"
    assert main(["calendar", "--out", str(out), "--database-url", db.url]) == 0
    assert "Wrote 1 booked refill visit" in capsys.readouterr().out
    events = list(Calendar.from_ical(out.read_bytes()).walk("VEVENT"))
    assert "MRN-SOON" in str(events[0]["summary"])
    assert main(["calendar", "--out", str(tmp_path / "x.txt"), "--database-url", db.url]) == 1
    assert ".ics" in capsys.readouterr().err


def test_due_names_the_database_it_read_and_when_the_dates_were_computed(clinic_db, capsys):
    db, team = clinic_db
    pump_patient(db, team, "MRN-SOON", 10)
    assert main(["due", "--database-url", db.url]) == 0
    out = capsys.readouterr().out
    assert f"Read from SQLite file {db.sqlite_path} at " in out
    assert "Refill dates recomputed for the records as stored then (newest computed " in out


@pytest.mark.parametrize("command", ["due", "calendar", "refill-list"])
def test_read_commands_refuse_a_database_that_cannot_be_the_clinics(
    command, tmp_path, sqlite_template, capsys, monkeypatch
):
    """Never "no refill overdue" from the wrong database: a missing file (not created), an
    empty file, a database without CareCoord tables or without patients is refused by name
    with exit code 1; so is a misspelled address."""
    monkeypatch.setenv("CARECOORD_PASSWORD", "x")
    argv = {
        "due": ["due"],
        "calendar": ["calendar", "--out", str(tmp_path / "r.ics")],
        "refill-list": [
            "report",
            "refill-list",
            "--as",
            "nking",
            "--out-dir",
            str(tmp_path / "plans"),
        ],
    }[command]
    missing = tmp_path / "nowhere" / "clinc.db"
    empty = tmp_path / "empty.db"
    empty.touch()
    no_schema = tmp_path / "other.db"
    import sqlite3

    with sqlite3.connect(no_schema) as conn:  # a valid SQLite file with no tables
        conn.execute("PRAGMA user_version = 1")
    no_patients = tmp_path / "fresh.db"
    shutil.copy(sqlite_template, no_patients)
    cases = [
        (f"sqlite:///{missing}", f"There is no CareCoord database at SQLite file {missing}"),
        (f"sqlite:///{empty}", f"SQLite file {empty} is an empty file"),
        (f"sqlite:///{no_schema}", f"SQLite file {no_schema} has no CareCoord records"),
        (f"sqlite:///{no_patients}", f"SQLite file {no_patients} has no patients"),
        ("sqlit:///clinic.db", "CareCoord works with SQLite or PostgreSQL, not “sqlit”"),
        ("clinic.db", "“clinic.db” is not a database address"),
    ]
    for url, words in cases:
        assert main([*argv, "--database-url", url]) == 1, url
        captured = capsys.readouterr()
        assert words in captured.err, (url, captured.err)
        assert "Traceback" not in captured.err
        assert "nothing" not in captured.out.lower()  # no all-clear line
    assert not missing.exists() and not missing.parent.exists()
    assert empty.stat().st_size == 0
    assert not (tmp_path / "r.ics").exists() and not (tmp_path / "plans").exists()


def test_due_refuses_an_unreachable_or_misspelled_postgresql_database(capsys):
    assert main(["due", "--database-url", "postgresql://postgres@127.0.0.1:1/test"]) == 1
    assert "Cannot reach the database at PostgreSQL 127.0.0.1:1/test" in capsys.readouterr().err
