"""The README's PostgreSQL role set-up: the application's role appends audit events and writes
clinical data, but cannot change, remove, empty or unprotect the audit tables."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError

from carecoord.store.database import Database
from tests.conftest import PG_URL

README = Path(__file__).resolve().parents[2] / "README.md"


def _readme_block() -> list[str]:
    source = README.read_text(encoding="utf-8")
    block = re.search(r"<!-- postgres-app-role -->\s*```sql\n(.*?)```", source, re.S)
    assert block, "the README lost its role set-up block"
    return [line.strip().rstrip(";") for line in block.group(1).splitlines() if line.strip()]


@pytest.mark.postgres
def test_application_role_cannot_alter_the_audit_tables(pg_database):
    tag = uuid.uuid4().hex[:8]
    schema, owner, app = f"cc_roles_{tag}", f"cc_owner_{tag}", f"cc_app_{tag}"
    admin = create_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE ROLE {owner}"))
        conn.execute(text(f"CREATE ROLE {app}"))
        conn.execute(text(f"CREATE SCHEMA {schema} AUTHORIZATION {owner}"))
    try:
        db = Database(PG_URL, pg_schema=schema)
        with db.engine.begin() as conn:  # upgrade as the owner
            conn.execute(text(f"SET ROLE {owner}"))
            from alembic import command

            command.upgrade(db._alembic_config(conn), "head")
        with db.engine.begin() as conn:
            conn.execute(text(f"SET ROLE {owner}"))
            for statement in _readme_block():
                statement = statement.replace("carecoord_app", app)
                statement = statement.replace("SCHEMA public", f"SCHEMA {schema}")
                conn.execute(text(statement))
        with db.engine.begin() as conn:  # what the app does: lock the head, append, move it
            conn.execute(text(f"SET ROLE {app}"))
            conn.execute(text("SELECT seq FROM audit_head WHERE id = 1 FOR UPDATE"))
            conn.execute(
                text(
                    "INSERT INTO audit_events (id, seq, at, actor, action, entity, entity_id, "
                    "summary, before, after, prev_hash, hash_version, hash) VALUES (1, 1, "
                    "'2026-12-02T07:00:00+00:00', 'x', 'create', 'patient', '1', 's', '', '', "
                    ":z, 2, :z)"
                ),
                {"z": "0" * 64},
            )
            conn.execute(text("UPDATE audit_head SET seq = 1 WHERE id = 1"))
            conn.execute(text("UPDATE settings SET value = value"))
        for statement in [
            "UPDATE audit_events SET summary = 'y'",
            "DELETE FROM audit_events",
            "TRUNCATE audit_events",
            "DELETE FROM audit_head",
            "ALTER TABLE audit_events DISABLE TRIGGER ALL",
            "DROP TRIGGER audit_events_append_only ON audit_events",
            "SET session_replication_role = replica",
            "DROP TABLE audit_events",
        ]:
            with (
                pytest.raises(DBAPIError, match=r"permission denied|must be owner|append-only"),
                db.engine.begin() as conn,
            ):
                conn.execute(text(f"SET ROLE {app}"))
                conn.execute(text(statement))
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM audit_events")).scalar() == 1
        db.dispose()
    finally:
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
            conn.execute(text(f"DROP OWNED BY {app}"))
            conn.execute(text(f"DROP ROLE {app}"))
            conn.execute(text(f"DROP ROLE {owner}"))
        admin.dispose()
