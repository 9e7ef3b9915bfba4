"""audit: every column hashed (version 2), the chain re-based once, tables append-only

Revision ID: 0007_audit_append_only
Revises: 0006_implant_time
Create Date: 2026-12-02 06:50:00.000000

Events written before this revision were hashed without ``id`` and ``actor_id``. If their chain
is intact it is re-hashed under version 2 and a "chain re-based at upgrade" event says so, with
the old head; if it is already broken the old events keep version 1 (so the break stays visible)
and the event says where it broke. Afterwards the database itself refuses UPDATE and DELETE of
audit events and lets the chain head move only forward (SQLite and PostgreSQL triggers).
"""

import datetime as dt

import sqlalchemy as sa
from alembic import op

from carecoord.domain.audit import (
    GENESIS_HASH,
    REBASE_ACTION,
    StoredEvent,
    canonical_json,
    event_hash_v2,
    verify_chain,
)

revision = "0007_audit_append_only"
down_revision = "0006_implant_time"
branch_labels = None
depends_on = None

APPEND_ONLY = "The audit trail is append-only: an event cannot be changed or removed."
HEAD_FORWARD = "The audit chain head only moves forward."

SQLITE_TRIGGERS = [
    f"""CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
    BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}'); END""",
    f"""CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
    BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}'); END""",
    f"""CREATE TRIGGER audit_head_forward BEFORE UPDATE ON audit_head
    WHEN NEW.seq <= OLD.seq OR NEW.id <> OLD.id
    BEGIN SELECT RAISE(ABORT, '{HEAD_FORWARD}'); END""",
    f"""CREATE TRIGGER audit_head_no_delete BEFORE DELETE ON audit_head
    BEGIN SELECT RAISE(ABORT, '{HEAD_FORWARD}'); END""",
]

POSTGRES_TRIGGERS = [
    f"""CREATE FUNCTION carecoord_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN RAISE EXCEPTION '{APPEND_ONLY}'; END $$""",
    f"""CREATE FUNCTION carecoord_audit_head_forward() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP <> 'UPDATE' OR NEW.seq <= OLD.seq OR NEW.id <> OLD.id THEN
        RAISE EXCEPTION '{HEAD_FORWARD}';
      END IF;
      RETURN NEW;
    END $$""",
    """CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION carecoord_audit_append_only()""",
    """CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION carecoord_audit_append_only()""",
    """CREATE TRIGGER audit_head_forward BEFORE UPDATE OR DELETE ON audit_head
    FOR EACH ROW EXECUTE FUNCTION carecoord_audit_head_forward()""",
    """CREATE TRIGGER audit_head_no_truncate BEFORE TRUNCATE ON audit_head
    FOR EACH STATEMENT EXECUTE FUNCTION carecoord_audit_head_forward()""",
]

COLUMNS = (
    "id",
    "seq",
    "at",
    "actor_id",
    "actor",
    "action",
    "entity",
    "entity_id",
    "patient_id",
    "summary",
    "before",
    "after",
    "prev_hash",
    "hash_version",
)


def _rebase(bind: sa.engine.Connection) -> None:
    events = sa.table("audit_events", *(sa.column(c) for c in (*COLUMNS, "hash")))
    head = sa.table("audit_head", sa.column("id"), sa.column("seq"), sa.column("hash"))
    rows = [dict(r) for r in bind.execute(sa.select(events).order_by(events.c.seq)).mappings()]
    if not rows:
        return
    stored = [StoredEvent({c: r[c] for c in COLUMNS}, r["hash"]) for r in rows]
    broken = verify_chain(stored)
    head_row = bind.execute(sa.select(head.c.seq, head.c.hash).where(head.c.id == 1)).first()
    last = dict(rows[-1])  # as stored before re-hashing
    if broken is None and head_row is not None and tuple(head_row) != (last["seq"], last["hash"]):
        broken_text = f"the chain head did not name event {last['seq']}"
    elif broken is not None:
        broken_text = f"event {broken.seq}: {broken.reason}"
    else:
        broken_text = ""
    prev = GENESIS_HASH
    if not broken_text:
        for row in rows:
            row["prev_hash"] = prev
            row["hash_version"] = 2
            row["hash"] = event_hash_v2({c: row[c] for c in COLUMNS})
            bind.execute(
                events.update()
                .where(events.c.id == row["id"])
                .values(prev_hash=row["prev_hash"], hash_version=2, hash=row["hash"])
            )
            prev = row["hash"]
        summary = (
            f"Audit chain re-based at upgrade: {len(rows)} events verified under hashing "
            "version 1 and re-hashed under version 2, which covers every column "
            f"(old head: event {last['seq']}, hash {last['hash']})"
        )
    else:
        prev = last["hash"]
        summary = (
            "Audit chain NOT re-based at upgrade: it was already broken at "
            f"{broken_text}. Events up to {last['seq']} keep hashing version 1"
        )
    event = {
        "id": max(r["id"] for r in rows) + 1,
        "seq": last["seq"] + 1,
        "at": dt.datetime.now(dt.UTC).isoformat(timespec="microseconds"),
        "actor_id": None,
        "actor": "CareCoord (upgrade)",
        "action": REBASE_ACTION,
        "entity": "audit",
        "entity_id": "chain",
        "patient_id": None,
        "summary": summary,
        "before": "",
        "after": canonical_json({"events": len(rows), "rehashed": not broken_text}),
        "prev_hash": prev,
        "hash_version": 2,
    }
    event["hash"] = event_hash_v2(event)
    bind.execute(events.insert().values(**event))
    bind.execute(
        head.update().where(head.c.id == 1).values(seq=event["seq"], hash=event["hash"])
    )


def upgrade() -> None:
    bind = op.get_bind()
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("hash_version", sa.Integer(), nullable=False, server_default="2")
        )
    bind.execute(sa.text("UPDATE audit_events SET hash_version = 1"))
    _rebase(bind)
    for statement in POSTGRES_TRIGGERS if bind.dialect.name == "postgresql" else SQLITE_TRIGGERS:
        bind.execute(sa.text(statement))


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        for trigger, table in (
            ("audit_events_append_only", "audit_events"),
            ("audit_events_no_truncate", "audit_events"),
            ("audit_head_forward", "audit_head"),
            ("audit_head_no_truncate", "audit_head"),
        ):
            bind.execute(sa.text(f"DROP TRIGGER {trigger} ON {table}"))
        bind.execute(sa.text("DROP FUNCTION carecoord_audit_append_only()"))
        bind.execute(sa.text("DROP FUNCTION carecoord_audit_head_forward()"))
    else:
        for trigger in (
            "audit_events_no_update",
            "audit_events_no_delete",
            "audit_head_forward",
            "audit_head_no_delete",
        ):
            bind.execute(sa.text(f"DROP TRIGGER {trigger}"))
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_column("hash_version")
