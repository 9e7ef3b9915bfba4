"""A workstation racing another one: run as `python -m tests.services.racer`.

argv: URL SCHEMA ACTION USERNAME START SLOT PATIENT_ID...
Waits until the epoch time START, then for the i-th patient acts at START + i * SLOT seconds,
so that two racers started with the same arguments act on the same patient at the same moment.
Prints one JSON line: {patient_id: "saved" | "conflict: ..." | "refused: ..." | "error: ..."}.

Actions: refill (a refill based on no earlier refill), draft (start the physical therapy
evaluation), recall (log a recall call, which opens the patient's recall if none is open),
user (an administrator adds the user race<N>, N the "patient id").
"""

from __future__ import annotations

import datetime as dt
import json
import sys
import time

from carecoord.domain.enums import Discipline
from carecoord.domain.errors import ValidationFailed
from carecoord.domain.refill_status import ContactOutcome
from carecoord.domain.users import UserInput
from carecoord.services import evaluations, recalls, refills, users
from carecoord.services.errors import ConflictError, ServiceError
from carecoord.services.users import actor_for, list_users
from carecoord.store.database import Database
from tests.services.refill_helpers import refill


def _refill_input() -> refills.RefillInput:
    return refill(
        dt.datetime.combine(dt.date.today() - dt.timedelta(days=2), dt.time(10), tzinfo=dt.UTC)
    )


def main(argv: list[str]) -> None:
    url, schema, action, username, start, slot, *ids = argv
    db = Database(url, pg_schema=schema or None)
    with db.session() as s:
        actor = actor_for(next(u for u in list_users(s) if u.username == username))
    outcomes: dict[str, str] = {}
    for i, patient_id in enumerate(int(x) for x in ids):
        time.sleep(max(0.0, float(start) + i * float(slot) - time.time()))
        try:
            with db.session() as s:
                if action == "refill":
                    refills.record_refill(
                        s, actor, patient_id, _refill_input(), based_on_visit_id=None
                    )
                elif action == "draft":
                    evaluations.start_evaluation(
                        s, actor, patient_id, Discipline.PHYSICAL_THERAPIST, {}
                    )
                elif action == "recall":
                    recalls.log_contact_attempt(s, actor, patient_id, ContactOutcome.NO_ANSWER)
                elif action == "user":  # the "patient id" numbers the username
                    users.add_user(
                        s,
                        actor,
                        UserInput(
                            username=f"race{patient_id}",
                            full_name=f"Racing User {patient_id}",
                            discipline=Discipline.NURSE,
                            password="long-enough-pass-1",
                        ),
                    )
                else:
                    raise SystemExit(f"unknown action {action}")
            outcomes[str(patient_id)] = "saved"
        except ConflictError as exc:
            outcomes[str(patient_id)] = f"conflict: {exc.message}"
        except (ValidationFailed, ServiceError) as exc:
            outcomes[str(patient_id)] = f"refused: {exc}"
        except Exception as exc:
            outcomes[str(patient_id)] = f"error: {type(exc).__name__}"
    db.dispose()
    print(json.dumps(outcomes))


if __name__ == "__main__":
    main(sys.argv[1:])
