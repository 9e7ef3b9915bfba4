"""The pump catalog: device models as data, and battery replacement dates.

The catalog lives in ``resources/devices.json``; a caller outside domain reads the file and
passes the decoded dict to ``parse_catalog``, which validates it. Values with no primary source
(CLINICAL.md: "unconfirmed") are null, or listed in the entry's ``unconfirmed`` list, so an
administrator can see, fill and correct them; rules treat an unconfirmed limit as a warning.

Steps a day: SynchroMed II flex allows "up to 13 rate changes a day" [6][17][64]. CareCoord counts
every step start, the 00:00 one included, as a rate change, so 13 rate changes allow at most 13
steps. That is the conservative reading: a schedule CareCoord accepts always fits the device.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from carecoord.domain.errors import Problem, ValidationFailed
from carecoord.domain.program import PumpMode, local_midnight
from carecoord.domain.units import format_date

# Fields an entry may leave null; each null one must be listed in "unconfirmed".
OPTIONAL_FIELDS = (
    "max_steps_per_day",
    "battery_life_typical_months",
    "battery_life_max_months",
    "eri_lead_days",
    "min_rate_ml_per_day",
    "catheter_dead_volume_ml",
)
REQUIRED_FIELDS = (
    "key",
    "manufacturer",
    "name",
    "model_numbers",
    "reservoir_ml",
    "default_alarm_volume_ml",
    "modes",
    "sources",
)
# Fields whose value may be marked unconfirmed while still filled in (a best guess).
MARKABLE_FIELDS = frozenset(OPTIONAL_FIELDS) | {"modes", "default_alarm_volume_ml"}
_ALL_FIELDS = frozenset(REQUIRED_FIELDS) | frozenset(OPTIONAL_FIELDS) | {"unconfirmed"}
_KEY = re.compile(r"^[a-z0-9_]+$")
# Plan battery replacement at least 3 months ahead (some centres 6) [6][16].
MIN_PLAN_AHEAD_MONTHS = 3


@dataclass(frozen=True)
class DeviceModel:
    """One catalog entry. ``None`` means unknown; see ``unconfirmed``."""

    key: str
    manufacturer: str
    name: str
    model_numbers: tuple[str, ...]
    reservoir_ml: Decimal
    default_alarm_volume_ml: Decimal
    modes: frozenset[PumpMode]
    max_steps_per_day: int | None
    battery_life_typical_months: tuple[int, int] | None
    battery_life_max_months: int | None
    eri_lead_days: int | None
    min_rate_ml_per_day: Decimal | None
    catheter_dead_volume_ml: Decimal | None
    sources: tuple[int, ...]
    unconfirmed: frozenset[str]

    def is_unconfirmed(self, field_name: str) -> bool:
        return field_name in self.unconfirmed

    @property
    def label(self) -> str:
        """ "Medtronic SynchroMed II 20 mL (8637-20)"."""
        return f"{self.manufacturer} {self.name} ({', '.join(self.model_numbers)})"

    def to_dict(self) -> dict[str, Any]:
        """The JSON entry form (Decimals as strings), inverse of ``parse_catalog``."""
        return {
            "key": self.key,
            "manufacturer": self.manufacturer,
            "name": self.name,
            "model_numbers": list(self.model_numbers),
            "reservoir_ml": str(self.reservoir_ml),
            "default_alarm_volume_ml": str(self.default_alarm_volume_ml),
            "modes": [m.value for m in PumpMode if m in self.modes],
            "max_steps_per_day": self.max_steps_per_day,
            "battery_life_typical_months": None
            if self.battery_life_typical_months is None
            else list(self.battery_life_typical_months),
            "battery_life_max_months": self.battery_life_max_months,
            "eri_lead_days": self.eri_lead_days,
            "min_rate_ml_per_day": _text_or_none(self.min_rate_ml_per_day),
            "catheter_dead_volume_ml": _text_or_none(self.catheter_dead_volume_ml),
            "sources": list(self.sources),
            "unconfirmed": sorted(self.unconfirmed),
        }


def _text_or_none(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


class _EntryReader:
    def __init__(self, problems: list[Problem], where: str, entry: Mapping[str, Any]) -> None:
        self.problems = problems
        self.where = where
        self.entry = entry

    def fail(self, name: str, message: str) -> None:
        self.problems.append(Problem(f"{self.where}.{name}", f"{self.where}.{name}: {message}"))

    def text(self, name: str) -> str:
        raw = self.entry.get(name)
        if not isinstance(raw, str) or not raw.strip():
            self.fail(name, "expected non-empty text.")
            return ""
        return raw.strip()

    def decimal(self, name: str, *, minimum: Decimal, strict: bool) -> Decimal | None:
        raw = self.entry.get(name)
        if raw is None:
            return None
        if isinstance(raw, bool) or not isinstance(raw, str | int | float):
            self.fail(name, f"expected a number, got {raw!r}.")
            return None
        try:
            # A JSON float goes through its shortest text ("3.0"), never through binary.
            value = Decimal(str(raw).strip())
        except InvalidOperation:
            self.fail(name, f"“{raw}” is not a number.")
            return None
        if not value.is_finite() or value < minimum or (strict and value == minimum):
            relation = "above" if strict else "at least"
            self.fail(name, f"must be {relation} {minimum}, got {raw}.")
            return None
        return value

    def integer(self, name: str, *, minimum: int) -> int | None:
        raw = self.entry.get(name)
        if raw is None:
            return None
        if isinstance(raw, bool) or not isinstance(raw, int) or raw < minimum:
            self.fail(name, f"expected a whole number of at least {minimum}, got {raw!r}.")
            return None
        return raw

    def list_of(self, name: str) -> list[Any]:
        raw = self.entry.get(name)
        if raw is None:
            return []
        if not isinstance(raw, list):
            self.fail(name, "expected a list.")
            return []
        return raw


def _parse_entry(entry: Mapping[str, Any], where: str, problems: list[Problem]) -> DeviceModel:
    read = _EntryReader(problems, where, entry)
    for name in sorted(set(entry) - _ALL_FIELDS):
        read.fail(name, "unknown field (check the spelling).")
    for name in REQUIRED_FIELDS:
        if entry.get(name) is None:
            read.fail(name, "is required.")
    key = read.text("key")
    if key and not _KEY.match(key):
        read.fail("key", f"“{key}” may use only lower-case letters, digits and _.")
    models = read.list_of("model_numbers")
    if not models or not all(isinstance(m, str) and m.strip() for m in models):
        read.fail("model_numbers", "expected a list of one or more model numbers as text.")
    reservoir = read.decimal("reservoir_ml", minimum=Decimal(0), strict=True)
    alarm = read.decimal("default_alarm_volume_ml", minimum=Decimal(0), strict=False)
    if reservoir is not None and alarm is not None and alarm >= reservoir:
        read.fail("default_alarm_volume_ml", "must be below the reservoir volume.")
    modes: set[PumpMode] = set()
    for raw in read.list_of("modes"):
        try:
            modes.add(PumpMode(raw))
        except ValueError:
            read.fail("modes", f"unknown mode {raw!r} (known: {', '.join(PumpMode)}).")
    if "modes" in entry and not modes:
        read.fail("modes", "list at least one mode.")
    max_steps = read.integer("max_steps_per_day", minimum=1)
    typical: tuple[int, int] | None = None
    raw_typical = entry.get("battery_life_typical_months")
    if raw_typical is not None:
        if (
            isinstance(raw_typical, list)
            and len(raw_typical) == 2
            and all(isinstance(v, int) and not isinstance(v, bool) for v in raw_typical)
            and 0 < raw_typical[0] <= raw_typical[1]
        ):
            typical = (raw_typical[0], raw_typical[1])
        else:
            read.fail(
                "battery_life_typical_months",
                f"expected [shortest, longest] months, got {raw_typical!r}.",
            )
    battery_max = read.integer("battery_life_max_months", minimum=1)
    if typical is not None and battery_max is not None and battery_max < typical[1]:
        read.fail("battery_life_max_months", "is shorter than the typical battery life.")
    eri = read.integer("eri_lead_days", minimum=0)
    min_rate = read.decimal("min_rate_ml_per_day", minimum=Decimal(0), strict=True)
    dead = read.decimal("catheter_dead_volume_ml", minimum=Decimal(0), strict=False)
    sources = read.list_of("sources")
    if not sources or not all(isinstance(s, int) and not isinstance(s, bool) for s in sources):
        read.fail("sources", "expected a list of CLINICAL.md source numbers.")
        sources = [s for s in sources if isinstance(s, int)]
    unconfirmed: set[str] = set()
    for raw in read.list_of("unconfirmed"):
        if raw not in MARKABLE_FIELDS:
            read.fail("unconfirmed", f"{raw!r} is not a field that can be marked unconfirmed.")
        else:
            unconfirmed.add(raw)
    for name in OPTIONAL_FIELDS:
        if entry.get(name) is None and name not in unconfirmed:
            read.fail(name, "is empty but not listed as unconfirmed.")
    return DeviceModel(
        key=key,
        manufacturer=read.text("manufacturer"),
        name=read.text("name"),
        model_numbers=tuple(str(m).strip() for m in models if isinstance(m, str)),
        reservoir_ml=reservoir or Decimal(0),
        default_alarm_volume_ml=alarm if alarm is not None else Decimal(0),
        modes=frozenset(modes),
        max_steps_per_day=max_steps,
        battery_life_typical_months=typical,
        battery_life_max_months=battery_max,
        eri_lead_days=eri,
        min_rate_ml_per_day=min_rate,
        catheter_dead_volume_ml=dead,
        sources=tuple(sources),
        unconfirmed=frozenset(unconfirmed),
    )


def parse_catalog(data: Mapping[str, Any]) -> list[DeviceModel]:
    """Validate the decoded catalog JSON; raise ValidationFailed listing every problem."""
    if not isinstance(data, Mapping) or not isinstance(data.get("devices"), list):
        raise ValidationFailed.single("devices", "The catalog must have a list named “devices”.")
    problems: list[Problem] = []
    devices: list[DeviceModel] = []
    seen: set[str] = set()
    for index, entry in enumerate(data["devices"]):
        where = f"devices[{index}]"
        if not isinstance(entry, Mapping):
            problems.append(Problem(where, f"{where}: expected an object."))
            continue
        if isinstance(entry.get("key"), str):
            where = f"devices[{index}] ({entry['key']})"
        device = _parse_entry(entry, where, problems)
        if device.key in seen:
            problems.append(Problem(f"{where}.key", f"{where}: key “{device.key}” is repeated."))
        seen.add(device.key)
        devices.append(device)
    if not devices and not problems:
        problems.append(Problem("devices", "The catalog lists no devices."))
    if problems:
        raise ValidationFailed(problems)
    return devices


def catalog_to_dict(devices: Iterable[DeviceModel]) -> dict[str, Any]:
    """The dict form ``parse_catalog`` reads (for an administrator's corrections)."""
    return {"catalog_version": 1, "devices": [d.to_dict() for d in devices]}


def find_device(devices: Sequence[DeviceModel], key: str) -> DeviceModel:
    for device in devices:
        if device.key == key:
            return device
    raise KeyError(f"No pump “{key}” in the catalog.")


# --------------------------------------------------------------------------------------------
# Implant moment


def implant_moment(
    implant_date: dt.date, implant_time: dt.time | None, tz: dt.tzinfo
) -> dt.datetime:
    """The instant (UTC) the pump was implanted, from which "no increase in the first 24 h"
    counts (CLINICAL.md section 3 [10]).

    ``implant_time`` is the clinic's wall-clock time on ``implant_date``. Without it (a
    back-dated paper record) the end of that day is used: the conservative side, since the
    24-hour window then never ends before the real one. A wall time that a clock change makes
    ambiguous (the repeated hour) or skipped takes the later of its two readings, for the
    same reason.
    """
    if implant_time is None:
        return local_midnight(implant_date + dt.timedelta(days=1), tz)
    wall = dt.datetime.combine(implant_date, implant_time.replace(tzinfo=None), tzinfo=tz)
    return max(wall.replace(fold=0).astimezone(dt.UTC), wall.replace(fold=1).astimezone(dt.UTC))


def implant_words(implant_date: dt.date, implant_time: dt.time | None) -> str:
    """ "12 Mar 2023 at 14:30", or "12 Mar 2023 (time not recorded)"."""
    if implant_time is None:
        return f"{format_date(implant_date)} (time not recorded)"
    return f"{format_date(implant_date)} at {implant_time.strftime('%H:%M')}"


# --------------------------------------------------------------------------------------------
# Battery


def add_months(day: dt.date, months: int) -> dt.date:
    """Calendar months later (or earlier); a missing day goes to the month's last day."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return dt.date(year, month + 1, min(day.day, last))


@dataclass(frozen=True)
class BatteryWindow:
    """When the battery of a pump implanted on ``implant_date`` is expected to run out.

    earliest: start of the typical range; typical: middle of the typical range; latest: the
    maximum life (the design limit, e.g. 84 months [16][53]); plan_by: latest minus the
    planning lead (at least 3 months [6][16]); eri_alarm_by: latest minus the ERI lead (~90
    days [16]), the latest date the replacement indicator should sound.
    ``estimate`` is True when a battery value used is marked unconfirmed in the catalog.
    """

    implant_date: dt.date
    earliest: dt.date
    typical: dt.date
    latest: dt.date
    plan_by: dt.date
    eri_alarm_by: dt.date | None
    estimate: bool


def battery_replacement_window(
    implant_date: dt.date, device: DeviceModel, *, plan_ahead_months: int = MIN_PLAN_AHEAD_MONTHS
) -> BatteryWindow | None:
    """Battery replacement dates, or None when the device's battery life is unknown.

    ``plan_ahead_months`` (default 3, some centres 6 [6][16]; ClinicSettings has
    battery_warning_months) may not be below 3.
    """
    if plan_ahead_months < MIN_PLAN_AHEAD_MONTHS:
        raise ValueError(f"Plan replacement at least {MIN_PLAN_AHEAD_MONTHS} months ahead.")
    if device.battery_life_max_months is None:
        return None
    latest = add_months(implant_date, device.battery_life_max_months)
    if device.battery_life_typical_months is None:
        earliest = typical = latest
    else:
        low, high = device.battery_life_typical_months
        earliest = add_months(implant_date, low)
        typical = add_months(implant_date, (low + high) // 2)
    eri = None
    if device.eri_lead_days is not None:
        eri = latest - dt.timedelta(days=device.eri_lead_days)
    estimate = any(
        device.is_unconfirmed(name)
        for name in ("battery_life_typical_months", "battery_life_max_months", "eri_lead_days")
    )
    return BatteryWindow(
        implant_date=implant_date,
        earliest=earliest,
        typical=typical,
        latest=latest,
        plan_by=add_months(latest, -plan_ahead_months),
        eri_alarm_by=eri,
        estimate=estimate,
    )
