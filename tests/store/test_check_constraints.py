"""The database itself refuses values outside the ranges that matter, whoever writes them, on
both stores; an upgrade keeps rows stored before the constraints existed."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from carecoord.domain import ranges
from carecoord.domain.patients import MAX_WEIGHT_KG, MIN_WEIGHT_KG
from carecoord.domain.program import MAX_CONCENTRATION_MCG_PER_ML
from carecoord.store import guard
from carecoord.store.database import Database
from tests.services.pump_helpers import implanted_patient

D = Decimal


def _revision():
    import importlib.util

    from carecoord.store.database import MIGRATIONS_DIR

    path = MIGRATIONS_DIR / "versions" / "0008_value_ranges.py"
    spec = importlib.util.spec_from_file_location("value_ranges_revision", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_revision_s_bounds_are_the_domain_s():
    """A revision never imports app code, so its numbers are written out: they must agree."""
    rev = _revision()
    assert str(ranges.MAX_ANY_RESERVOIR_ML) == rev.MAX_VOLUME
    assert f"'{ranges.EARLIEST_TREATMENT_DATE.isoformat()}'" == rev.EARLIEST
    assert f"'{guard.LATEST_STORED_YEAR}-12-31'" == rev.LATEST
    checks = dict(rev.CHECKS["patients"])
    assert f"BETWEEN {MIN_WEIGHT_KG} AND {MAX_WEIGHT_KG}" in checks["weight_kg_range"]
    assert ranges.WEIGHT_KG.low == MIN_WEIGHT_KG and ranges.WEIGHT_KG.high == MAX_WEIGHT_KG
    assert (
        str(MAX_CONCENTRATION_MCG_PER_ML)
        in dict(rev.CHECKS["refill_visits"])["concentration_range"]
    )
    assert dict(rev.CHECKS["goals"])["weight_range"].endswith(f"<= {ranges.GAS_WEIGHT.high}")


def _refused(db: Database, sql: str, **params) -> bool:
    try:
        with db.engine.begin() as conn:
            conn.execute(text(sql), params)
    except IntegrityError:
        return True
    return False


def test_no_writer_can_store_an_absurd_value(db, team):
    """Plain SQL, past the services and the ORM guard: each out-of-range value is refused by
    the database; values at the bounds are accepted."""
    with db.session() as s:
        patient, _ = implanted_patient(s, team.nurse)
    pid = patient.id
    update = "UPDATE patients SET weight_kg = :v WHERE id = :id"
    for value in ("1000000000000", "0.4", "-1", "650.5"):
        assert _refused(db, update, v=value, id=pid), value
    for value in ("0.5", "650", "72.4"):
        assert not _refused(db, update, v=value, id=pid), value
    alarm = (
        "INSERT INTO patient_alarm_volumes (patient_id, alarm_volume_ml, reason, set_at, version)"
        " VALUES (:id, :v, 'r', :at, 1)"
    )
    now = dt.datetime.now(dt.UTC)
    assert _refused(db, alarm, id=pid, v="0.0000001", at=now)
    assert not _refused(db, alarm, id=pid, v="2", at=now)
    meeting = (
        "INSERT INTO meetings (held_on, starts_at, location, status, notes, version, created_at,"
        " updated_at) VALUES (:d, '', '', 'planned', '', 1, :at, :at)"
    )
    assert _refused(db, meeting, d=dt.date(9999, 1, 1), at=now)
    assert _refused(db, meeting, d=dt.date(1, 1, 1), at=now)
    assert not _refused(db, meeting, d=dt.date.today(), at=now)
    appointment = (
        "INSERT INTO refill_appointments (patient_id, starts_at, duration_minutes, status, note,"
        " created_at, version) VALUES (:id, :at, :m, 'booked', '', :at, 1)"
    )
    assert _refused(db, appointment, id=pid, at=now, m=10**9)
    assert _refused(db, appointment, id=pid, at=now, m=0)
    assert not _refused(db, appointment, id=pid, at=now, m=30)
    goal = (
        "INSERT INTO goals (patient_id, area, description, weight, retired, retired_reason,"
        " version, created_at) VALUES (:id, 'sleep', 'g', :w, false, '', 1, :at)"
    )
    assert _refused(db, goal, id=pid, w="1000000000000", at=now)
    assert not _refused(db, goal, id=pid, w="1", at=now)


@pytest.mark.parametrize("store", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_upgrade_keeps_rows_stored_before_the_constraints(store, tmp_path, request):
    """Nothing a clinician entered is deleted: an absurd weight stored by an older version
    survives the upgrade (and the foreign keys stay whole); a new one is refused."""
    import uuid

    from alembic import command
    from sqlalchemy import create_engine

    from tests.conftest import PG_URL, make_team

    if store == "sqlite":
        db = Database(f"sqlite:///{tmp_path / 'old.db'}")
        schema = None
    else:
        request.getfixturevalue("pg_database")  # skips without a server
        schema = f"cc_up_{uuid.uuid4().hex[:10]}"
        with create_engine(PG_URL).begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        db = Database(PG_URL, pg_schema=schema)
    try:
        with db.engine.begin() as conn:
            command.upgrade(db._alembic_config(conn), "0007_audit_append_only")
        from argon2 import PasswordHasher

        team = make_team(db, PasswordHasher().hash("correct-horse-1"))
        with db.session() as s:
            patient, _ = implanted_patient(s, team.nurse)
        with db.engine.begin() as conn:
            conn.execute(text("UPDATE patients SET weight_kg = '1000000000000'"))
        with db.engine.connect() as conn:
            triggers_before = conn.execute(
                text("SELECT count(*) FROM sqlite_master WHERE type = 'trigger'")
                if store == "sqlite"
                else text("SELECT 0")
            ).scalar()
        db.upgrade()
        assert db.schema_state().up_to_date
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT weight_kg FROM patients")).scalar() == "1000000000000"
            if store == "sqlite":
                triggers = conn.exec_driver_sql(
                    "SELECT count(*) FROM sqlite_master WHERE type = 'trigger'"
                ).scalar()
                assert triggers == triggers_before  # the forecast triggers survive the rebuild
                assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
                assert conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall() == []
        assert _refused(db, "UPDATE patients SET weight_kg = '2000' WHERE id = :id", id=patient.id)
    finally:
        db.dispose()
        if schema:
            with create_engine(PG_URL).begin() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
