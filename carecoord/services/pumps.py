"""Implanted pumps: the device catalog in use and each patient's implant record."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import sys
from dataclasses import asdict, dataclass
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

import carecoord
from carecoord.domain.devices import (
    MARKABLE_FIELDS,
    BatteryWindow,
    DeviceModel,
    battery_replacement_window,
    catalog_to_dict,
    find_device,
    implant_moment,
    implant_words,
    parse_catalog,
)
from carecoord.domain.errors import Problem, ValidationFailed, raise_if_errors
from carecoord.domain.patients import clean_text
from carecoord.domain.permissions import Permission
from carecoord.domain.program import PumpMode
from carecoord.domain.program_status import PocketSide
from carecoord.domain.units import QuantityError, format_number, parse_decimal
from carecoord.services import audit
from carecoord.services.context import Actor, require
from carecoord.services.errors import ConflictError, FieldConflict, NotFound
from carecoord.services.pathway import patient_or_404
from carecoord.services.settings import load_settings
from carecoord.store.models import SettingRow
from carecoord.store.models_pump import Implant
from carecoord.store.models_refills import PatientAlarmVolume

ENV_RESOURCES = "CARECOORD_RESOURCES"
# The administrator's corrections of the catalog, kept as a settings row (JSON catalog).
CATALOG_OVERRIDE_KEY = "device_catalog"
# Longest catheter in common use is well under this; a longer one is a typing error.
MAX_CATHETER_LENGTH_CM = Decimal(200)


# --------------------------------------------------------------------------------------------
# Catalog


def catalog_file() -> Path:
    """resources/devices.json: $CARECOORD_RESOURCES, the bundle's folder, or the checkout's."""
    candidates: list[Path] = []
    if os.environ.get(ENV_RESOURCES):
        candidates.append(Path(os.environ[ENV_RESOURCES]))
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        candidates.append(Path(bundle) / "resources")
    candidates.append(Path(carecoord.__file__).resolve().parent.parent / "resources")
    for folder in candidates:
        if (folder / "devices.json").is_file():
            return folder / "devices.json"
    return candidates[-1] / "devices.json"


@lru_cache(maxsize=1)
def base_catalog() -> tuple[DeviceModel, ...]:
    """The catalog shipped with the app (validated)."""
    data = json.loads(catalog_file().read_text(encoding="utf-8"))
    return tuple(parse_catalog(data))


def load_catalog(session: Session) -> list[DeviceModel]:
    """The catalog in use: the shipped one with the administrator's corrections applied."""
    row = session.get(SettingRow, CATALOG_OVERRIDE_KEY)
    base = list(base_catalog())
    if row is None:
        return base
    try:
        corrected = {d.key: d for d in parse_catalog(json.loads(row.value))}
    except (ValueError, ValidationFailed):
        return base  # a damaged override never hides the shipped values
    return [corrected.get(d.key, d) for d in base] + [
        d for key, d in corrected.items() if key not in {b.key for b in base}
    ]


def source_titles() -> dict[int, str]:
    """Titles of the sources the catalog cites (CLINICAL.md numbering)."""
    data = json.loads(catalog_file().read_text(encoding="utf-8"))
    return {int(k): str(v) for k, v in data.get("source_titles", {}).items()}


# Values an administrator may correct: those that may be marked unconfirmed.
CATALOG_FIELD_LABELS = {
    "default_alarm_volume_ml": "Default alarm volume (mL)",
    "modes": "Modes",
    "max_steps_per_day": "Most steps a day",
    "battery_life_typical_months": "Typical battery life (months)",
    "battery_life_max_months": "Longest battery life (months)",
    "eri_lead_days": "Replacement indicator lead (days)",
    "min_rate_ml_per_day": "Lowest rate (mL/day)",
    "catheter_dead_volume_ml": "Catheter dead volume (mL)",
}
assert set(CATALOG_FIELD_LABELS) == set(MARKABLE_FIELDS)


def catalog_value_text(device: DeviceModel, field_name: str) -> str:
    """A catalog value as an administrator types it ("" when unknown)."""
    value = getattr(device, field_name)
    if value is None:
        return ""
    if field_name == "modes":
        return ", ".join(m.label for m in PumpMode if m in value)
    if field_name == "battery_life_typical_months":
        return f"{value[0]}-{value[1]}"
    if isinstance(value, Decimal):
        return format_number(value)
    return str(value)


# ASCII digits only: "²".isdigit() is true, but int("²") raises.
_WHOLE = re.compile(r"[0-9]{1,6}")


def parse_catalog_value(field_name: str, text: str, *, decimal_separator: str = ".") -> Any:
    """Typed text -> the catalog's JSON form of the value; blank means unknown (None)."""
    text = clean_text(text)
    if not text:
        return None
    label = CATALOG_FIELD_LABELS[field_name]
    try:
        if field_name == "modes":
            known = {m.label.lower(): m for m in PumpMode} | {m.value: m for m in PumpMode}
            modes = []
            for part in (p.strip().lower() for p in text.split(",")):
                if part not in known:
                    names = ", ".join(m.label for m in PumpMode)
                    raise ValidationFailed.single(
                        field_name, f"“{part}” is not a pump mode (known: {names})."
                    )
                modes.append(known[part].value)
            return modes
        if field_name == "battery_life_typical_months":
            parts = text.replace("–", "-").split("-")
            if len(parts) != 2 or not all(_WHOLE.fullmatch(p.strip()) for p in parts):
                raise ValidationFailed.single(
                    field_name, "Write the typical battery life as shortest-longest, e.g. 60-84."
                )
            return [int(parts[0]), int(parts[1])]
        if field_name in ("max_steps_per_day", "battery_life_max_months", "eri_lead_days"):
            if not _WHOLE.fullmatch(text):
                raise ValidationFailed.single(field_name, f"{label}: enter a whole number.")
            return int(text)
        return str(parse_decimal(text, decimal_separator=decimal_separator, what=label.lower()))
    except QuantityError as exc:
        raise ValidationFailed.single(field_name, str(exc)) from exc


def correct_device(
    session: Session,
    actor: Actor,
    key: str,
    field_name: str,
    text: str,
    *,
    confirmed: bool,
    decimal_separator: str = ".",
) -> DeviceModel:
    """An administrator corrects one catalog value and says whether it is now confirmed.

    The corrected catalog is validated whole and kept as a settings row; the shipped file is
    never changed, so an update of the app cannot silently lose a correction.
    """
    require(actor, Permission.EDIT_CATALOG)
    if field_name not in CATALOG_FIELD_LABELS:
        raise ValidationFailed.single(field_name, "This catalog value cannot be corrected here.")
    catalog = load_catalog(session)
    try:
        device = find_device(catalog, key)
    except KeyError as exc:
        raise NotFound(f"No pump “{key}” in the catalog.") from exc
    value = parse_catalog_value(field_name, text, decimal_separator=decimal_separator)
    entry = device.to_dict()
    before = {"value": entry[field_name], "unconfirmed": field_name in device.unconfirmed}
    entry[field_name] = value
    unconfirmed = set(entry["unconfirmed"])
    if confirmed:
        if value is None:
            raise ValidationFailed.single(
                field_name,
                "An empty value cannot be confirmed: enter the value or leave it "
                "marked unconfirmed.",
            )
        unconfirmed.discard(field_name)
    else:
        unconfirmed.add(field_name)
    entry["unconfirmed"] = sorted(unconfirmed)
    after = {"value": value, "unconfirmed": field_name in unconfirmed}
    if before == after:
        return device
    entries = [entry if d.key == key else d.to_dict() for d in catalog]
    try:
        corrected = parse_catalog({"devices": entries})
    except ValidationFailed as exc:
        raise ValidationFailed(
            [Problem(field_name, p.message.split(": ", 1)[-1]) for p in exc.problems]
        ) from exc
    row = session.get(SettingRow, CATALOG_OVERRIDE_KEY)
    text_value = json.dumps(catalog_to_dict(corrected), ensure_ascii=False)
    if row is None:
        session.add(SettingRow(key=CATALOG_OVERRIDE_KEY, value=text_value))
    else:
        row.value = text_value
    session.flush()
    audit.record(
        session,
        actor,
        action="update",
        entity="device_catalog",
        entity_id=key,
        summary=f"Corrected {device.name}: {CATALOG_FIELD_LABELS[field_name]}"
        + (" (confirmed)" if confirmed else " (still unconfirmed)"),
        before=before,
        after=after,
    )
    session.commit()
    return find_device(corrected, key)


def device_for(session: Session, key: str) -> DeviceModel | None:
    try:
        return find_device(load_catalog(session), key)
    except KeyError:
        return None


# --------------------------------------------------------------------------------------------
# Implant record


@dataclass(frozen=True)
class ImplantInput:
    device_key: str
    serial_number: str
    implant_date: dt.date
    catheter_tip_level: str = ""
    catheter_length_cm: Decimal | None = None
    implant_time: dt.time | None = None  # clinic time; None: not recorded (paper records)
    pocket_side: PocketSide | None = None
    surgeon: str = ""
    revisions: str = ""
    explant_date: dt.date | None = None
    explant_reason: str = ""


FIELD_LABELS = {
    "device_key": "Pump model",
    "serial_number": "Serial number",
    "implant_date": "Implant date",
    "implant_time": "Implant time",
    "catheter_tip_level": "Catheter tip level",
    "catheter_length_cm": "Catheter length",
    "pocket_side": "Pocket",
    "surgeon": "Surgeon",
    "revisions": "Revisions and notes",
    "explant_date": "Explant date",
    "explant_reason": "Reason for explant",
}
EDITABLE = tuple(FIELD_LABELS)


@dataclass(frozen=True)
class ImplantView:
    id: int
    patient_id: int
    device: DeviceModel | None  # None: the key is no longer in the catalog
    device_key: str
    serial_number: str
    implant_date: dt.date
    implant_time: dt.time | None
    catheter_tip_level: str
    catheter_length_cm: Decimal | None
    pocket_side: PocketSide | None
    surgeon: str
    revisions: str
    explant_date: dt.date | None
    explant_reason: str
    version: int
    battery: BatteryWindow | None

    @property
    def active(self) -> bool:
        return self.explant_date is None

    @property
    def device_label(self) -> str:
        return self.device.label if self.device else f"Unknown model “{self.device_key}”"

    def implanted_at(self, tz: dt.tzinfo) -> dt.datetime:
        """The implant instant the 24-hour rule counts from (end of day without a time)."""
        return implant_moment(self.implant_date, self.implant_time, tz)

    @property
    def implant_words(self) -> str:
        return implant_words(self.implant_date, self.implant_time)

    def as_input(self) -> ImplantInput:
        return ImplantInput(**{k: getattr(self, k) for k in EDITABLE})


def _normalised(data: ImplantInput) -> ImplantInput:
    values = asdict(data)
    for key, value in values.items():
        if type(value) is str:
            values[key] = clean_text(value)
    values["serial_number"] = values["serial_number"].upper()
    return ImplantInput(**values)


def validate_implant(
    data: ImplantInput,
    catalog: list[DeviceModel],
    today: dt.date,
    now_time: dt.time | None = None,
) -> list[Problem]:
    """Every problem with an implant record, on its field."""
    problems: list[Problem] = []
    if not data.device_key:
        problems.append(Problem("device_key", "Choose the pump model."))
    elif data.device_key not in {d.key for d in catalog}:
        problems.append(Problem("device_key", "This pump model is not in the catalog."))
    if not data.serial_number:
        problems.append(Problem("serial_number", "Enter the pump's serial number."))
    elif len(data.serial_number) > 64:
        problems.append(Problem("serial_number", "The serial number is too long (64 at most)."))
    if data.implant_date > today:
        problems.append(Problem("implant_date", "The implant date is in the future."))
    elif (
        data.implant_time is not None
        and data.implant_date == today
        and now_time is not None
        and data.implant_time > now_time
    ):
        problems.append(
            Problem(
                "implant_time",
                f"The implant time {data.implant_time.strftime('%H:%M')} today is still to "
                "come: enter the time of the operation, or leave it blank if not known.",
            )
        )
    elif data.implant_date.year < 1980:
        problems.append(Problem("implant_date", "The implant date is too far in the past."))
    if len(data.catheter_tip_level) > 32:
        problems.append(Problem("catheter_tip_level", "Write the level briefly (e.g. T10)."))
    length = data.catheter_length_cm
    if length is not None and not (0 < length <= MAX_CATHETER_LENGTH_CM):
        problems.append(
            Problem("catheter_length_cm", "The catheter length must be between 0 and 200 cm.")
        )
    if len(data.surgeon) > 120:
        problems.append(Problem("surgeon", "The surgeon's name is too long (120 at most)."))
    if data.explant_date is not None:
        if data.explant_date < data.implant_date:
            problems.append(Problem("explant_date", "The explant date is before the implant."))
        elif data.explant_date > today:
            problems.append(Problem("explant_date", "The explant date is in the future."))
        if not data.explant_reason:
            problems.append(Problem("explant_reason", "Give the reason for the explant."))
    return problems


def check_implant(session: Session, data: ImplantInput) -> list[Problem]:
    """Live validation for the form: the same rule the save applies."""
    return validate_implant(_normalised(data), load_catalog(session), *_now_parts())


def _values(row: Implant) -> dict[str, Any]:
    values = {k: getattr(row, k) for k in EDITABLE}
    values["implant_time"] = _time_text(row.implant_time)
    return values


def _time_text(value: dt.time | None) -> str | None:
    """HH:MM for the audit record (and a comparison that ignores seconds)."""
    return None if value is None else value.strftime("%H:%M")


def _now_parts() -> tuple[dt.date, dt.time]:
    now = dt.datetime.now()
    return now.date(), now.time()


def _apply(row: Implant, data: ImplantInput) -> None:
    for key in EDITABLE:
        value = getattr(data, key)
        if key == "pocket_side":
            value = value.value if value is not None else ""
        if key == "implant_time" and value is not None:
            value = value.replace(second=0, microsecond=0, tzinfo=None)
        setattr(row, key, value)


def _view(session: Session, row: Implant) -> ImplantView:
    device = device_for(session, row.device_key)
    battery = None
    if device is not None:
        months = max(3, load_settings(session).battery_warning_months)
        battery = battery_replacement_window(row.implant_date, device, plan_ahead_months=months)
    return ImplantView(
        id=row.id,
        patient_id=row.patient_id,
        device=device,
        device_key=row.device_key,
        serial_number=row.serial_number,
        implant_date=row.implant_date,
        implant_time=row.implant_time,
        catheter_tip_level=row.catheter_tip_level,
        catheter_length_cm=row.catheter_length_cm,
        pocket_side=PocketSide(row.pocket_side) if row.pocket_side else None,
        surgeon=row.surgeon,
        revisions=row.revisions,
        explant_date=row.explant_date,
        explant_reason=row.explant_reason,
        version=row.version,
        battery=battery,
    )


def active_implant_row(session: Session, patient_id: int) -> Implant | None:
    """The implant in place (not explanted), newest first; None without a pump."""
    return session.scalars(
        select(Implant)
        .where(Implant.patient_id == patient_id, Implant.explant_date.is_(None))
        .order_by(Implant.implant_date.desc(), Implant.id.desc())
        .limit(1)
    ).first()


def record_implant(
    session: Session, actor: Actor, patient_id: int, data: ImplantInput
) -> ImplantView:
    """Record a newly implanted pump; a pump still in place must be explanted first."""
    require(actor, Permission.EDIT_DEVICE)
    patient = patient_or_404(session, patient_id, lock=True)  # one pump in place at a time
    data = _normalised(data)
    raise_if_errors(validate_implant(data, load_catalog(session), *_now_parts()))
    current = active_implant_row(session, patient_id)
    if current is not None and data.explant_date is None:
        raise ValidationFailed.single(
            "device_key",
            f"A pump (serial {current.serial_number}) is still recorded as implanted: enter its "
            "explant date first.",
        )
    row = Implant(patient_id=patient_id, updated_by_id=actor.user_id or None)
    _apply(row, data)
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor,
        action="create",
        entity="implant",
        entity_id=row.id,
        patient_id=patient_id,
        summary=f"Recorded implant of {row.device_key} serial {row.serial_number} for "
        f"{patient.family_name.upper()}",
        after=_values(row),
    )
    session.commit()
    return _view(session, row)


def _conflict(session: Session, row: Implant, yours: ImplantInput) -> ConflictError:
    last = audit.last_change(session, "implant", row.id)
    theirs = _values(row)
    mine = asdict(yours)
    fields = []
    for key in EDITABLE:
        mine_value = mine[key].value if hasattr(mine[key], "value") else mine[key]
        if key == "implant_time":
            mine_value = _time_text(mine[key])
        if (theirs[key] or None) != (mine_value or None):
            fields.append(FieldConflict(key, FIELD_LABELS[key], str(mine_value), str(theirs[key])))
    return ConflictError(
        entity_label=f"the implant record (serial {row.serial_number})",
        changed_by=last.actor if last else "Someone",
        changed_at=dt.datetime.fromisoformat(last.at) if last else None,
        current_version=row.version,
        current=theirs,
        fields=fields,
    )


def update_implant(
    session: Session, actor: Actor, implant_id: int, expected_version: int, data: ImplantInput
) -> ImplantView:
    """Save edits of an implant record made on ``expected_version`` (explant included)."""
    require(actor, Permission.EDIT_DEVICE)
    row = session.get(Implant, implant_id)
    if row is None:
        raise NotFound("This implant record no longer exists.")
    data = _normalised(data)
    raise_if_errors(validate_implant(data, load_catalog(session), *_now_parts()))
    if row.version != expected_version:
        raise _conflict(session, row, data)
    before = _values(row)
    _apply(row, data)
    row.updated_by_id = actor.user_id or None
    after = _values(row)
    if before == after:
        session.rollback()
        return _view(session, row)
    try:
        session.flush()
    except StaleDataError:
        session.rollback()
        fresh = session.get(Implant, implant_id)
        assert fresh is not None
        raise _conflict(session, fresh, data) from None
    changed = [k for k in EDITABLE if before[k] != after[k]]
    audit.record(
        session,
        actor,
        action="update",
        entity="implant",
        entity_id=row.id,
        patient_id=row.patient_id,
        summary="Edited implant record: " + ", ".join(FIELD_LABELS[k] for k in changed),
        before={k: before[k] for k in changed},
        after={k: after[k] for k in changed},
    )
    session.commit()
    return _view(session, row)


def patient_alarm_volume(session: Session, patient_id: int) -> Decimal | None:
    """The patient's own alarm volume [21], or None (the clinic setting applies)."""
    row = session.get(PatientAlarmVolume, patient_id)
    return None if row is None else row.alarm_volume_ml


def active_implant(session: Session, patient_id: int) -> ImplantView | None:
    """The pump in place now (no explant date), or None."""
    row = active_implant_row(session, patient_id)
    return None if row is None else _view(session, row)


def implants_of(session: Session, actor: Actor, patient_id: int) -> list[ImplantView]:
    """Every pump the patient has had, newest first."""
    require(actor, Permission.VIEW_PATIENTS)
    rows = session.scalars(
        select(Implant)
        .where(Implant.patient_id == patient_id)
        .order_by(Implant.implant_date.desc(), Implant.id.desc())
    ).all()
    return [_view(session, r) for r in rows]


def catalog_as_dict(session: Session) -> dict[str, Any]:
    return catalog_to_dict(load_catalog(session))
