"""The store itself marks forecasts stale: every writer of a forecast input, whatever it imported.

The triggers of migration 0005 fire for plain SQL as for the ORM, and a fresh process that
imports only the store and the programs service moves `carecoord due` to the new date.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from sqlalchemy import text

from carecoord.domain.units import format_date
from carecoord.store.database import Database
from tests.conftest import PASSWORD
from tests.services.pump_helpers import example2, implanted_patient
from tests.services.refill_helpers import local, programmed

TODAY = dt.date.today()
ROOT = Path(__file__).resolve().parents[2]


def _forecast(db: Database, patient_id: int) -> tuple[bool, int]:
    with db.engine.connect() as conn:
        stale, generation = conn.execute(
            text("SELECT stale, generation FROM refill_forecasts WHERE patient_id = :p"),
            {"p": patient_id},
        ).one()
    return bool(stale), generation


def _fresh(db: Database) -> None:
    from carecoord.services import refills

    with db.session() as s:
        assert refills.refresh_stale_forecasts(s) == 0


def _pump_patient(db: Database, team, mrn: str = "MRN-1", days: int = 10) -> int:
    day0 = TODAY - dt.timedelta(days=days)
    with db.session() as s:
        patient, _ = implanted_patient(s, team.nurse, mrn=mrn, implant_date=day0)
        programmed(s, team, patient.id, example2(), at=local(day0))
    return patient.id


def _cli_url(db: Database) -> str:
    """The URL a separate process uses to reach this test's database (its own PG schema)."""
    if db.pg_schema:
        return f"{db.url}?options=-csearch_path%3D{db.pg_schema}"
    return db.url


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE pump_programs SET note = 'changed by a script' WHERE patient_id = :p",
        "UPDATE implants SET surgeon = 'changed by a script' WHERE patient_id = :p",
        "UPDATE patients SET status = 'retired' WHERE id = :p",
        "INSERT INTO patient_alarm_volumes (patient_id, alarm_volume_ml, reason, set_at, version)"
        " VALUES (:p, '4', 'withdrawal at 2 mL', CURRENT_TIMESTAMP, 1)",
        "INSERT INTO refill_appointments (patient_id, starts_at, duration_minutes, status, note,"
        " created_at, version) VALUES (:p, CURRENT_TIMESTAMP, 30, 'booked', '',"
        " CURRENT_TIMESTAMP, 1)",
    ],
    ids=["program", "implant", "status", "alarm-volume", "appointment"],
)
def test_plain_sql_write_of_an_input_marks_that_patients_forecast(db, team, statement):
    """No ORM, no service imported for it: the database marks the row and bumps its generation."""
    patient_id = _pump_patient(db, team)
    other = _pump_patient(db, team, "MRN-2")
    _fresh(db)
    before = _forecast(db, patient_id)
    assert before[0] is False
    with db.engine.begin() as conn:
        conn.execute(text(statement), {"p": patient_id})
    stale, generation = _forecast(db, patient_id)
    assert stale and generation > before[1]
    assert _forecast(db, other)[0] is False  # another patient's dates stay current


def test_a_patient_edit_that_is_not_the_status_leaves_the_forecast_current(db, team):
    patient_id = _pump_patient(db, team)
    _fresh(db)
    with db.engine.begin() as conn:
        conn.execute(
            text("UPDATE patients SET phone = '555 0199' WHERE id = :p"), {"p": patient_id}
        )
    assert _forecast(db, patient_id)[0] is False


def test_a_refill_setting_marks_every_forecast_and_another_setting_none(db, team):
    first, second = _pump_patient(db, team), _pump_patient(db, team, "MRN-2")
    _fresh(db)
    with db.engine.begin() as conn:
        conn.execute(
            text("INSERT INTO settings (key, value, version) VALUES ('clinic_name', 'X', 1)")
        )
    assert not _forecast(db, first)[0] and not _forecast(db, second)[0]
    with db.engine.begin() as conn:
        conn.execute(
            text("INSERT INTO settings (key, value, version) VALUES ('refill_margin_days', '9', 1)")
        )
    assert _forecast(db, first)[0] and _forecast(db, second)[0]
    _fresh(db)
    with db.engine.begin() as conn:
        conn.execute(text("DELETE FROM settings WHERE key = 'refill_margin_days'"))
    assert _forecast(db, first)[0] and _forecast(db, second)[0]


def test_a_result_computed_from_inputs_read_before_a_change_is_not_stored_as_current(db, team):
    """The recomputation stores its values only if the row was not marked again meanwhile."""
    from carecoord.services import refills
    from carecoord.services.programs import clinic_zone
    from carecoord.services.settings import load_settings

    patient_id = _pump_patient(db, team)
    with db.session() as s:
        generation = refills._generation(s, patient_id)
        values = refills.compute_forecast(
            s, patient_id, load_settings(s), None, clinic_zone(), dt.datetime.now(dt.UTC)
        )
        s.commit()
    with db.engine.begin() as conn:  # another workstation changes the program meanwhile
        conn.execute(
            text("UPDATE pump_programs SET note = 'x' WHERE patient_id = :p"), {"p": patient_id}
        )
    with db.session() as s:
        now = dt.datetime.now(dt.UTC)
        stored = refills._save_values(
            s, patient_id, generation, refills.forecast_row_values(values, now)
        )
        s.commit()
    assert stored is False
    assert _forecast(db, patient_id)[0] is True


def test_every_forecast_trigger_is_in_place_at_the_head_revision(db):
    """A later migration that rebuilds one of these tables must create its trigger again."""
    with db.engine.connect() as conn:
        if db.is_sqlite:
            names = conn.execute(
                text("SELECT name FROM sqlite_master WHERE type = 'trigger'")
            ).scalars()
        else:
            names = conn.execute(
                text(
                    "SELECT DISTINCT trigger_name FROM information_schema.triggers"
                    " WHERE trigger_schema = current_schema()"
                )
            ).scalars()
        found = {n for n in names if n.endswith("_forecast")}
    tables = ["pump_programs", "implants", "refill_visits", "refill_appointments"]
    tables += ["patient_alarm_volumes"]
    if db.is_sqlite:
        wanted = {f"trg_{t}_{k}_forecast" for t in tables for k in ("ins", "upd", "del")}
        wanted |= {f"trg_settings_{k}_forecast" for k in ("ins", "upd", "del")}
    else:
        wanted = {f"trg_{t}_forecast" for t in [*tables, "settings"]}
    wanted.add("trg_patients_status_forecast")
    assert wanted <= found


FRESH_PROCESS = textwrap.dedent(
    """
    import datetime as dt, sys
    from decimal import Decimal
    from carecoord.store.database import Database
    from carecoord.services import programs, users
    from carecoord.domain.program import continuous_program

    db = Database(sys.argv[1])
    with db.session() as s:
        nurse = users.sign_in(s, "nking", sys.argv[2])
        doctor = users.sign_in(s, "mdoe", sys.argv[2])
        at = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
        draft = programs.save_draft(
            s, nurse, int(sys.argv[3]), continuous_program(Decimal(500), Decimal(17)),
            reason="Spasticity worse at night",
        )
        ok = programs.approve(s, doctor, draft.id, draft.version, now=at,
                              reason="Spasticity worse at night")
        programs.mark_programmed(s, nurse, ok.id, ok.version, programmed_at=at,
                                 reservoir_ml=Decimal(20), vendor_alarm_date=None)
    db.dispose()
    print("refills imported" if "carecoord.services.refills" in sys.modules else "no refills")
    """
)


def test_a_program_changed_by_a_process_that_never_imported_refills_moves_the_due_date(
    db, team, tmp_path
):
    """`carecoord due` shows the date of the new program, not the one computed before it."""

    patient_id = _pump_patient(db, team, "MRN-FRESH", days=2)
    url = _cli_url(db)
    env = {**os.environ, "CARECOORD_PASSWORD": PASSWORD}
    before = subprocess.run(
        [sys.executable, "-m", "carecoord", "due", "--days", "365", "--database-url", url],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=120,
    )
    assert "MRN-FRESH" in before.stdout, before.stderr
    # Worked example 2 from a fill 2 days ago: alarm day 25, due day 20.
    day0 = TODAY - dt.timedelta(days=2)
    old_due = format_date(day0 + dt.timedelta(days=20))
    assert f"due {old_due}" in before.stdout
    script = tmp_path / "change_program.py"
    script.write_text(FRESH_PROCESS)
    changed = subprocess.run(
        [sys.executable, str(script), url, PASSWORD, str(patient_id)],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=120,
    )
    assert changed.returncode == 0, changed.stderr
    assert "no refills" in changed.stdout
    after = subprocess.run(
        [sys.executable, "-m", "carecoord", "due", "--days", "365", "--database-url", url],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=120,
    )
    assert "MRN-FRESH" in after.stdout, after.stderr
    assert f"due {old_due}" not in after.stdout
    # 17 mcg/h = 408 mcg/day = 0.816 mL/day from the change an hour ago: due earlier.
    with db.session() as s:
        from carecoord.services import refills

        forecast = refills.patient_forecast(s, team.nurse, patient_id)
    assert forecast.due_date is not None and forecast.due_date < day0 + dt.timedelta(days=20)
    assert f"due {format_date(forecast.due_date)}" in after.stdout
