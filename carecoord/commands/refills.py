"""Refill commands for scheduled jobs: the due and overdue list, the refill calendar."""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

from carecoord.commands.common import CommandError, open_for_reading
from carecoord.domain.units import format_date, format_datetime
from carecoord.services import recalls, refills
from carecoord.services.context import SYSTEM
from carecoord.services.settings import load_settings
from carecoord.store.database import describe_url

# Exit codes of `carecoord due`, for a daily reminder job.
EXIT_NONE_OVERDUE = 0
EXIT_ERROR = 1
EXIT_OVERDUE = 3


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    due = sub.add_parser(
        "due",
        parents=[common],
        help="print the overdue refills (withdrawal risk first) and those due soon",
        description=(
            "Prints the overdue refills first (those past the low-reservoir alarm date say "
            "'withdrawal risk'), then the refills due in the next N days, for a daily reminder "
            "job. Exit code: 0 when no refill is overdue, 3 when at least one is overdue, "
            "1 when the list could not be made (the reason is printed on standard error: no "
            "database at that address, no CareCoord records, no patients) or some patients' "
            "dates changed while it was made. It names the database it read and when the "
            "dates were computed."
        ),
    )
    due.add_argument(
        "--days",
        type=int,
        metavar="N",
        help="refills due in the next N days (default: the clinic setting, 14)",
    )
    due.set_defaults(handler=_due)
    cal = sub.add_parser(
        "calendar",
        parents=[common],
        help="export the booked refill visits as an iCalendar (.ics) file",
        description=(
            "Writes every booked refill visit from now on as an iCalendar file that a clinic "
            "calendar can import; importing a newer file updates the same events."
        ),
    )
    cal.add_argument("--out", required=True, metavar="FILE", help="the .ics file to write")
    cal.set_defaults(handler=_calendar)


def _line(row: refills.DueRow) -> str:
    booked = format_datetime(row.next_appointment_at, missing="not booked")
    return (
        f"  {row.status} | {row.name} | {row.mrn} | phone {row.phone or 'not recorded'} | "
        f"due {format_date(row.due_date)} | alarm {format_date(row.alarm_date)} | "
        f"next visit {booked}"
    )


def _due(args: argparse.Namespace) -> int:
    if args.days is not None and not 0 <= args.days <= 365:
        raise CommandError("--days must be between 0 and 365.")
    db = open_for_reading(args)
    try:
        with db.session() as session:
            data = refills.dashboard_data(session, SYSTEM, due_days=args.days)
            clinic = load_settings(session).clinic_name
    finally:
        db.dispose()
    print(f"{clinic}: refills on {format_date(data.today)}")
    print(f"Read from {describe_url(db.url)} at {format_datetime(data.read_at)}.")
    print(
        "Refill dates recomputed for the records as stored then"
        + (f" (newest computed {format_datetime(data.computed_at)})." if data.computed_at else ".")
    )
    if data.stale_remaining:
        # Changed on another workstation while this list was made: no date is guessed.
        print(
            f"BEING RECOMPUTED: {data.stale_remaining} patient"
            f"{'s' if data.stale_remaining != 1 else ''} changed while this list was made; "
            "their dates are not listed. Run the command again."
        )
        for row in data.recomputing:
            print(f"  {row.status} | {row.name} | {row.mrn}")
    heading = f"OVERDUE: {data.overdue_count}"
    if data.past_alarm_count:
        heading += f", {data.past_alarm_count} past the alarm date: withdrawal risk, call first"
    print(heading)
    for row in data.overdue:
        print(_line(row))
    if data.overdue_count > len(data.overdue):
        print(f"  ... and {data.overdue_count - len(data.overdue)} more")
    print(f"DUE IN THE NEXT {data.due_days} DAYS: {data.due_soon_count}")
    for row in data.due_soon:
        print(_line(row))
    if data.due_soon_count > len(data.due_soon):
        print(f"  ... and {data.due_soon_count - len(data.due_soon)} more")
    if data.overdue_count:
        return EXIT_OVERDUE
    return EXIT_ERROR if data.stale_remaining else EXIT_NONE_OVERDUE


def _calendar(args: argparse.Namespace) -> int:
    out = Path(args.out)
    if out.suffix.lower() != ".ics":
        raise CommandError("--out must name a .ics file.")
    db = open_for_reading(args)
    try:
        with db.session() as session:
            data = recalls.export_calendar(session, SYSTEM, start=dt.datetime.now(dt.UTC))
    finally:
        db.dispose()
    try:
        out.write_bytes(data)
    except OSError as exc:
        raise CommandError(f"Cannot write {out}: {exc.strerror or exc}.") from exc
    count = data.count(b"BEGIN:VEVENT")
    print(f"Wrote {count} booked refill visit{'s' if count != 1 else ''} to {out}.")
    return 0
