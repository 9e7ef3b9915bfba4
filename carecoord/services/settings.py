"""Clinic settings: read by every rule that a clinic may tune, changed by an administrator."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from carecoord.domain.errors import ValidationFailed, raise_if_errors
from carecoord.domain.permissions import Permission
from carecoord.domain.settings import ClinicSettings, validate_settings
from carecoord.services import audit
from carecoord.services.context import Actor, require
from carecoord.store.models import SettingRow


def load_settings(session: Session) -> ClinicSettings:
    rows = session.scalars(select(SettingRow)).all()
    return ClinicSettings.from_dict({r.key: r.value for r in rows})


def update_settings(session: Session, actor: Actor, **changes: Any) -> ClinicSettings:
    require(actor, Permission.EDIT_SETTINGS)
    current = load_settings(session)
    unknown = sorted(set(changes) - set(current.to_dict()))
    if unknown:
        raise ValidationFailed.single("settings", f"No such setting: {', '.join(unknown)}.")
    # Round-trip through text so a bad value is refused now, not on the next start.
    text = current.to_dict() | {k: str(v) for k, v in changes.items()}
    updated = ClinicSettings.from_dict(text)
    raise_if_errors(validate_settings(updated))
    before, after = current.to_dict(), updated.to_dict()
    for key, value in after.items():
        if before[key] == value:
            continue
        row = session.get(SettingRow, key)
        if row is None:
            session.add(SettingRow(key=key, value=value))
        else:
            row.value = value
    changed = {k: after[k] for k in after if after[k] != before[k]}
    if changed:
        session.flush()
        audit.record(
            session,
            actor,
            action="update",
            entity="settings",
            entity_id="clinic",
            summary="Changed clinic settings: " + ", ".join(changed),
            before={k: before[k] for k in changed},
            after=changed,
        )
    session.commit()
    return updated
