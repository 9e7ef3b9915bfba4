"""The audit trail: every change is chained; tampering is found and named."""

from __future__ import annotations

from sqlalchemy import text

from carecoord.services import audit, patients
from tests.services.test_patients import sample


def test_chain_verifies_and_names_a_changed_event(db, team):
    with db.session() as s:
        for i in range(5):
            patients.create_patient(s, team.nurse, sample(f"V-{i}"))
    with db.session() as s:
        result = audit.verify(s)
    assert result.ok and result.events == 5
    with db.engine.begin() as conn:  # one byte of event 3's summary changes
        conn.execute(
            text(
                "UPDATE audit_events SET summary = 'Registered patient LOPEZ, Anb (V-2)' WHERE seq = 3"
            )
        )
    with db.session() as s:
        result = audit.verify(s)
    assert not result.ok and result.broken.seq == 3 and "changed" in result.broken.reason


def test_removed_last_event_is_detected(db, team):
    with db.session() as s:
        for i in range(3):
            patients.create_patient(s, team.nurse, sample(f"W-{i}"))
    with db.engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_events WHERE seq = 3"))
    with db.session() as s:
        assert audit.verify(s).broken.seq == 2


def test_removed_middle_event_is_detected(db, team):
    with db.session() as s:
        for i in range(3):
            patients.create_patient(s, team.nurse, sample(f"X-{i}"))
    with db.engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_events WHERE seq = 2"))
    with db.session() as s:
        broken = audit.verify(s).broken
    assert broken.seq == 3 and "missing" in broken.reason


def test_change_counter_grows_with_each_change(db, team):
    with db.session() as s:
        before = audit.change_counter(s)
        patients.create_patient(s, team.nurse, sample())
        assert audit.change_counter(s) == before + 1
