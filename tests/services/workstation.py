"""A second workstation for multi-process tests: run as `python -m tests.services.workstation`.

Commands (argv): URL SCHEMA ACTION ...; prints one JSON line with the outcome.
  edit PATIENT_ID EXPECTED_VERSION USERNAME PHONE  -- save a phone number edit
  create PREFIX COUNT USERNAME                      -- register COUNT patients
"""

from __future__ import annotations

import datetime as dt
import json
import sys

from carecoord.domain.enums import Origin, PatientStatus, Sex
from carecoord.domain.patients import PatientInput
from carecoord.services import patients
from carecoord.services.errors import ConflictError
from carecoord.services.users import actor_for, list_users
from carecoord.store.database import Database


def main(argv: list[str]) -> None:
    url, schema, action, *rest = argv
    db = Database(url, pg_schema=schema or None)
    with db.session() as s:
        people = {u.username: u for u in list_users(s)}
    if action == "edit":
        pid, version, username, phone = int(rest[0]), int(rest[1]), rest[2], rest[3]
        actor = actor_for(people[username])
        with db.session() as s:
            current = patients.get_patient(s, actor, pid).as_input()
        current.phone = phone
        try:
            with db.session() as s:
                saved = patients.update_patient(s, actor, pid, version, current)
            print(json.dumps({"ok": True, "version": saved.version}))
        except ConflictError as exc:
            print(json.dumps({"ok": False, "conflict": exc.message}))
    elif action == "create":
        prefix, count, username = rest[0], int(rest[1]), rest[2]
        actor = actor_for(people[username])
        for i in range(count):
            data = PatientInput(
                mrn=f"{prefix}-{i}",
                family_name="Parallel",
                given_names=f"Patient {i}",
                date_of_birth=dt.date(1970, 1, 1),
                sex=Sex.MALE,
                origin=Origin.SPINAL,
                status=PatientStatus.REFERRED,
            )
            with db.session() as s:
                patients.create_patient(s, actor, data)
        print(json.dumps({"ok": True}))


if __name__ == "__main__":
    main(sys.argv[1:])
