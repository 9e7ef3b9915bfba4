"""Another workstation recording a refill: `python -m tests.gui.refill_workstation URL SCHEMA
PATIENT_ID USERNAME`; prints one JSON line."""

from __future__ import annotations

import datetime as dt
import json
import sys
from decimal import Decimal

from carecoord.services import refills
from carecoord.services.users import actor_for, list_users
from carecoord.store.database import Database
from tests.services.refill_helpers import refill


def main(argv: list[str]) -> None:
    url, schema, patient_id, username = argv
    db = Database(url, pg_schema=schema or None)
    with db.session() as s:
        actor = actor_for(next(u for u in list_users(s) if u.username == username))
        context = refills.refill_context(s, actor, int(patient_id))
    with db.session() as s:
        visit = refills.record_refill(
            s,
            actor,
            int(patient_id),
            refill(
                dt.datetime.now(dt.UTC) - dt.timedelta(minutes=10),
                measured_residual_ml=Decimal("0.5"),
                volume_discarded_ml=Decimal("0.5"),
            ),
            based_on_visit_id=context.last_visit_id,
        )
    db.dispose()
    print(json.dumps({"ok": True, "flagged": visit.discrepancy_flagged}))


if __name__ == "__main__":
    main(sys.argv[1:])
