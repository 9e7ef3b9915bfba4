"""Upgrading a database whose audit events were hashed without id and actor_id (version 1):
an intact chain is re-based once, with an event saying so; a broken one keeps its break."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator

import pytest
from alembic import command
from sqlalchemy import create_engine, text

from carecoord.domain.audit import GENESIS_HASH, REBASE_ACTION, event_hash_v1
from carecoord.services import audit
from carecoord.store.database import Database
from tests.conftest import PG_URL


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def old_db(request, tmp_path) -> Iterator[Database]:
    """A fresh store at revision 0006 (before version-2 hashing)."""
    if request.param == "sqlite":
        database = Database(f"sqlite:///{tmp_path / 'old.db'}")
        drop = None
    else:
        request.getfixturevalue("pg_database")  # skips (or fails under CI) without a server
        schema = f"cc_mig_{uuid.uuid4().hex[:12]}"
        admin = create_engine(PG_URL)
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        database = Database(PG_URL, pg_schema=schema)

        def drop() -> None:
            with admin.begin() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()

    with database.engine.begin() as conn:
        command.upgrade(database._alembic_config(conn), "0006_implant_time")
    yield database
    database.dispose()
    if drop:
        drop()


def _write_v1_events(db: Database, n: int) -> list[str]:
    hashes, prev = [], GENESIS_HASH
    with db.engine.begin() as conn:
        for seq in range(1, n + 1):
            columns = {
                "id": seq,
                "seq": seq,
                "at": dt.datetime(2026, 11, 1, 9, seq, tzinfo=dt.UTC).isoformat(
                    timespec="microseconds"
                ),
                "actor_id": 7,
                "actor": "Nia King (Nurse)",
                "action": "update",
                "entity": "patient",
                "entity_id": "1",
                "patient_id": 1,
                "summary": f"Edited Allergies ({seq})",
                "before": "",
                "after": '{"allergies":"penicillin"}',
                "prev_hash": prev,
            }
            digest = event_hash_v1(columns)
            conn.execute(
                text(
                    "INSERT INTO audit_events (id, seq, at, actor_id, actor, action, entity, "
                    "entity_id, patient_id, summary, before, after, prev_hash, hash) VALUES "
                    "(:id, :seq, :at, :actor_id, :actor, :action, :entity, :entity_id, "
                    ":patient_id, :summary, :before, :after, :prev_hash, :hash)"
                ),
                {**columns, "hash": digest},
            )
            hashes.append(digest)
            prev = digest
        conn.execute(text("UPDATE audit_head SET seq = :s, hash = :h"), {"s": n, "h": prev})
    return hashes


def _events(db: Database) -> list:
    with db.engine.connect() as conn:
        return conn.execute(text("SELECT * FROM audit_events ORDER BY seq")).mappings().all()


def test_an_intact_old_chain_is_rebased_with_an_event_saying_so(old_db):
    old_hashes = _write_v1_events(old_db, 4)
    old_db.upgrade()
    rows = _events(old_db)
    assert [r["hash_version"] for r in rows] == [2] * 5
    assert rows[-1]["action"] == REBASE_ACTION and rows[-1]["seq"] == 5
    assert "re-based at upgrade: 4 events verified" in rows[-1]["summary"]
    assert old_hashes[-1] in rows[-1]["summary"]  # the old head is on record
    with old_db.session() as s:
        result = audit.verify(s)
    assert result.ok and result.events == 5
    # From now on actor_id is covered too.
    with old_db.engine.begin() as conn:
        conn.execute(
            text("DROP TRIGGER IF EXISTS audit_events_no_update")
        ) if old_db.is_sqlite else conn.execute(
            text("SET LOCAL session_replication_role = replica")
        )
        conn.execute(text("UPDATE audit_events SET actor_id = 8 WHERE seq = 2"))
    with old_db.session() as s:
        assert audit.verify(s).broken.seq == 2


def test_a_broken_old_chain_is_not_rebased_and_stays_broken(old_db):
    _write_v1_events(old_db, 4)
    with old_db.engine.begin() as conn:
        conn.execute(text("UPDATE audit_events SET summary = 'forged' WHERE seq = 3"))
    old_db.upgrade()
    rows = _events(old_db)
    assert [r["hash_version"] for r in rows] == [1, 1, 1, 1, 2]
    assert "NOT re-based" in rows[-1]["summary"] and "event 3" in rows[-1]["summary"]
    with old_db.session() as s:
        broken = audit.verify(s).broken
    assert broken.seq == 3 and "changed" in broken.reason


def test_an_empty_old_chain_upgrades_without_an_event(old_db):
    old_db.upgrade()
    assert _events(old_db) == []
    with old_db.session() as s:
        assert audit.verify(s).ok
