"""The audit trail: every change is chained over every stored column; tampering is found and
named in words; the database refuses edits; external checkpoints catch a rewritten chain."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from carecoord.domain.audit import Checkpoint, StoredEvent, event_hash, parse_checkpoint
from carecoord.services import audit, patients
from carecoord.store.models import AuditEvent
from tests.conftest import tampering
from tests.services.test_patients import sample


def _events(db, n, prefix="V"):
    with db.session() as s:
        for i in range(n):
            patients.create_patient(s, _events.actor, sample(f"{prefix}-{i}"))


@pytest.fixture(autouse=True)
def _actor(team):
    _events.actor = team.nurse


def _verify(db, checkpoint=None):
    with db.session() as s:
        return audit.verify(s, checkpoint)


def _rehash_from(conn, seq: int) -> None:
    """What a careful forger does after an edit: recompute every later hash and the head."""
    rows = conn.execute(select(AuditEvent.__table__).order_by(AuditEvent.seq)).mappings().all()
    prev = "0" * 64
    for row in rows:
        columns = {k: v for k, v in row.items() if k != "hash"}
        if row["seq"] >= seq:
            columns["prev_hash"] = prev
            digest = event_hash(columns)
            conn.execute(
                text("UPDATE audit_events SET prev_hash = :p, hash = :h WHERE seq = :s"),
                {"p": prev, "h": digest, "s": row["seq"]},
            )
            prev = digest
        else:
            prev = row["hash"]
    conn.execute(
        text("UPDATE audit_head SET seq = :s, hash = :h"), {"s": rows[-1]["seq"], "h": prev}
    )


def test_chain_verifies_and_names_a_changed_event(db):
    _events(db, 5)
    result = _verify(db)
    assert result.ok and result.events == 5 and result.head.seq == 5
    with tampering(db) as conn:  # one byte of event 3's summary changes
        conn.execute(
            text(
                "UPDATE audit_events SET summary = 'Registered patient LOPEZ, Anb (V-2)' WHERE seq = 3"
            )
        )
    result = _verify(db)
    assert not result.ok and result.broken.seq == 3 and "changed" in result.broken.reason


@pytest.mark.parametrize(
    ("column", "new_value"),
    [
        ("id", "id + 1000"),
        ("actor_id", "coalesce(actor_id, 0) + 1"),
        ("at", "'2026-01-01T00:00:00.000000+00:00'"),
        ("actor", "'Somebody Else (Nurse)'"),
        ("action", "'view'"),
        ("entity", "'user'"),
        ("entity_id", "'999'"),
        ("patient_id", "coalesce(patient_id, 0) + 1"),
        ("summary", "'nothing happened'"),
        ("before", "'{}'"),
        ("after", '\'{"allergies":""}\''),
        ("prev_hash", "'" + "1" * 64 + "'"),
        ("hash_version", "1"),
        ("hash", "'" + "2" * 64 + "'"),
    ],
)
def test_every_stored_column_is_covered_by_the_chain(db, column, new_value):
    """Changing any one column of event 2, including id and actor_id, breaks it."""
    _events(db, 3)
    with tampering(db) as conn:
        conn.execute(text(f"UPDATE audit_events SET {column} = {new_value} WHERE seq = 2"))
    broken = _verify(db).broken
    assert broken is not None and broken.seq in (2, 3), column


def test_every_column_of_the_model_is_in_the_hash():
    """A column added to the model later is hashed without anyone remembering to."""
    row = {c.name: 1 for c in AuditEvent.__table__.columns if c.name != "hash"}
    row["hash_version"] = 2
    base = event_hash(row)
    for name in row:
        if name == "hash_version":
            continue
        assert event_hash({**row, name: 2}) != base, name


def test_removed_last_event_is_detected(db):
    _events(db, 3, "W")
    with tampering(db) as conn:
        conn.execute(text("DELETE FROM audit_events WHERE seq = 3"))
    assert _verify(db).broken.seq == 2


def test_removed_middle_event_is_detected(db):
    _events(db, 3, "X")
    with tampering(db) as conn:
        conn.execute(text("DELETE FROM audit_events WHERE seq = 2"))
    broken = _verify(db).broken
    assert broken.seq == 3 and "missing" in broken.reason


def test_newest_events_removed_and_head_rewritten_is_found_by_a_checkpoint(db):
    """Without a checkpoint a cleanly cut chain looks whole; the checkpoint names the loss."""
    _events(db, 5, "Y")
    checkpoint = _verify(db).head
    with tampering(db) as conn:
        conn.execute(text("DELETE FROM audit_events WHERE seq > 3"))
        row = conn.execute(text("SELECT hash FROM audit_events WHERE seq = 3")).one()
        conn.execute(text("UPDATE audit_head SET seq = 3, hash = :h"), {"h": row.hash})
    assert _verify(db).ok  # the chain alone cannot see it
    broken = _verify(db, checkpoint).broken
    assert broken.seq == 5 and "events 4 to 5 were removed" in broken.reason
    assert "saw 5 events, the database now holds 3" in broken.reason


def test_a_chain_rewritten_as_a_whole_is_found_by_a_checkpoint(db, team):
    """An actor_id changed and every later hash recomputed: only the checkpoint sees it."""
    _events(db, 4, "Z")
    checkpoint = _verify(db).head
    with tampering(db) as conn:
        conn.execute(
            text("UPDATE audit_events SET actor_id = :a WHERE seq = 2"), {"a": team.admin.user_id}
        )
        _rehash_from(conn, 2)
    assert _verify(db).ok
    broken = _verify(db, checkpoint).broken
    assert broken.seq == 4 and "rewritten" in broken.reason
    # Events written after the checkpoint do not hide it.
    _events(db, 2, "ZZ")
    assert "rewritten" in _verify(db, checkpoint).broken.reason


def test_history_after_the_checkpoint_may_grow(db):
    _events(db, 2, "G")
    checkpoint = _verify(db).head
    _events(db, 3, "H")
    result = _verify(db, checkpoint)
    assert result.ok and result.head.seq == 5


def test_a_changed_timestamp_is_reported_in_words(db):
    """Not 'Invalid isoformat string': the event is named and its time quoted."""
    _events(db, 3, "T")
    with tampering(db) as conn:
        conn.execute(text("UPDATE audit_events SET at = 'last Tuesday' WHERE seq = 2"))
    broken = _verify(db).broken
    assert broken.seq == 2
    assert "changed" in broken.reason and "“last Tuesday”, which is not a time" in broken.reason


def test_the_database_refuses_to_change_or_remove_events(db):
    """Append-only in the store itself: UPDATE and DELETE (and TRUNCATE) are refused, the
    chain head cannot move back; the application still appends."""
    _events(db, 2, "R")
    statements = [
        "UPDATE audit_events SET summary = 'x' WHERE seq = 1",
        "DELETE FROM audit_events WHERE seq = 2",
        "UPDATE audit_head SET seq = 1",
        "DELETE FROM audit_head",
    ]
    if not db.is_sqlite:
        statements += ["TRUNCATE audit_events", "TRUNCATE audit_head"]
    for statement in statements:
        with (
            pytest.raises(DBAPIError, match=r"append-only|only moves forward"),
            db.engine.begin() as conn,
        ):
            conn.execute(text(statement))
    result = _verify(db)
    assert result.ok and result.events == 2
    _events(db, 1, "RR")
    assert _verify(db).events == 3


def test_checkpoint_text_round_trips_and_refuses_junk():
    cp = Checkpoint(12, "ab" * 32, "2026-12-02T06:00:00+00:00")
    assert parse_checkpoint(cp.to_text()) == cp
    for junk, words in [
        ("hello", "not a CareCoord audit checkpoint"),
        ('{"seq": 1}', "not a CareCoord audit checkpoint"),
        ('{"carecoord_audit_checkpoint": 1, "seq": "x", "hash": "", "at": ""}', "event number"),
        ('{"carecoord_audit_checkpoint": 1, "seq": 1, "hash": "zz", "at": ""}', "hash"),
        (
            '{"carecoord_audit_checkpoint": 1, "seq": 1, "hash": "' + "a" * 64 + '", "at": "x"}',
            "time",
        ),
    ]:
        with pytest.raises(ValueError, match=words):
            parse_checkpoint(junk)


def test_stored_event_columns_match_the_model(db):
    """What verify hashes is every column the table has."""
    _events(db, 1, "S")
    with db.session() as s:
        stored = next(audit._stored(s))
    assert isinstance(stored, StoredEvent)
    assert set(stored.columns) | {"hash"} == {c.name for c in AuditEvent.__table__.columns}


def test_change_counter_grows_with_each_change(db, team):
    with db.session() as s:
        before = audit.change_counter(s)
        patients.create_patient(s, team.nurse, sample())
        assert audit.change_counter(s) == before + 1
