"""`carecoord program show`: the program in force in words, with its totals."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from carecoord.cli import main
from carecoord.domain.units import format_date
from carecoord.services import programs, refills
from carecoord.store.database import Database
from tests.conftest import make_team
from tests.services.pump_helpers import continuous, example2, implanted_patient
from tests.services.refill_helpers import local, programmed


@pytest.fixture
def url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'cli.db'}"


def test_program_show_prints_words_and_totals(url, capsys, password_hash):
    """Worked example 2 of CLINICAL.md: 360 mcg/day, 0.72 mL/day, 25 days to the alarm."""
    db = Database(url)
    db.upgrade()
    team = make_team(db, password_hash)
    now = dt.datetime.now(dt.UTC)
    with db.session() as s:
        patient, _ = implanted_patient(s, team.nurse)
        draft = programs.save_draft(s, team.nurse, patient.id, example2())
        approved = programs.approve(
            s, team.physiatrist, draft.id, draft.version, now=now - dt.timedelta(hours=2)
        )
        day = (now - dt.timedelta(hours=1)).astimezone(programs.clinic_zone()).date()
        programs.mark_programmed(
            s,
            team.nurse,
            approved.id,
            approved.version,
            programmed_at=now - dt.timedelta(hours=1),
            reservoir_ml=Decimal(20),
            vendor_alarm_date=day + dt.timedelta(days=26),
        )
    db.dispose()
    assert main(["program", "show", "--mrn", "mrn-100", "--database-url", url]) == 0
    out = capsys.readouterr().out
    assert "LOPEZ, Ana (MRN-100)" in out
    assert "Program 1, programmed" in out and "by Nia King" in out
    assert "  Baclofen 500 mcg/mL" in out
    assert "Dose per day: 360 mcg/day" in out
    assert "Volume per day: 0.72 mL/day" in out
    assert "low-reservoir alarm then: programmer" in out
    assert "Full reservoir lasts: 25 days (20 mL to the 2 mL alarm)" in out
    assert "MISMATCH" in out and "1 day later" in out


def test_program_show_unknown_patient_and_no_program(url, capsys, password_hash):
    db = Database(url)
    db.upgrade()
    team = make_team(db, password_hash)
    with db.session() as s:
        implanted_patient(s, team.nurse, mrn="MRN-7")
    db.dispose()
    assert main(["program", "show", "--mrn", "NOPE", "--database-url", url]) == 1
    assert "No patient has the record number NOPE" in capsys.readouterr().err
    assert main(["program", "show", "--mrn", "MRN-7", "--database-url", url]) == 0
    assert "No program is in force" in capsys.readouterr().out


def test_program_help():
    with pytest.raises(SystemExit) as exc:
        main(["program", "show", "--help"])
    assert exc.value.code == 0


def test_program_show_prints_the_current_dates_and_the_alarm_volume(url, capsys, password_hash):
    """`program show` says the current due and alarm dates from the refill record, passed
    ones in words, and the alarm volume it uses (a Prometra patient's 2.5 mL: 3 mL, warned)."""
    db = Database(url)
    db.upgrade()
    team = make_team(db, password_hash)
    day0 = dt.date.today() - dt.timedelta(days=30)
    with db.session() as s:
        patient, _ = implanted_patient(s, team.nurse, implant_date=day0, device_key="prometra2_20")
        refills.set_patient_alarm_volume(
            s, team.nurse, patient.id, Decimal("2.5"), "Team", expected_version=0
        )
        programmed(s, team, patient.id, continuous("15"), at=local(day0, tz="UTC"))
    db.dispose()
    assert main(["program", "show", "--mrn", "MRN-100", "--database-url", url]) == 0
    out = capsys.readouterr().out
    alarm = day0 + dt.timedelta(days=23)  # (20 - 3) / 0.72 = 23.6
    assert "Alarm volume 3 mL (the pump's own refill point)." in out
    assert "WARNING: This patient's alarm volume (2.5 mL) is below the pump's own refill" in out
    assert "Now, from the refill record: Overdue" in out
    assert (
        f"Low-reservoir alarm date {format_date(alarm)} (7 days ago, 3 mL left) has passed" in out
    )
    assert "Refill was due" in out and "now overdue" in out
    assert f"Counted from the last fill on {format_date(day0)} to 20 mL." in out
