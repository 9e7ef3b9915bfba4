"""`carecoord report ...`: print a care plan, an evaluation summary or meeting minutes to PDF."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from carecoord.commands.common import (
    CommandError,
    open_database,
    open_for_reading,
    read_password,
    sign_in_as,
)
from carecoord.domain.units import format_date
from carecoord.reports.batch import write_care_plans, write_pdf
from carecoord.reports.care_plan import RenderedReport, render_care_plan
from carecoord.reports.evaluation_summary import render_evaluation_summary
from carecoord.reports.minutes import render_meeting_minutes
from carecoord.reports.translations import available_languages
from carecoord.services import report_data
from carecoord.services.context import Actor
from carecoord.services.patients import find_by_mrn
from carecoord.store.database import Database


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    signer = argparse.ArgumentParser(add_help=False)
    signer.add_argument(
        "--as",
        dest="as_user",
        required=True,
        metavar="USERNAME",
        help="who prints (named on every page); password asked, or CARECOORD_PASSWORD",
    )
    report = sub.add_parser("report", parents=[common], help="print reports to PDF files")
    kinds = report.add_subparsers(dest="report_command", required=True, metavar="REPORT")

    care = kinds.add_parser(
        "care-plan",
        parents=[common, signer],
        help="the patient's care-plan handout",
        description="The care-plan handout, in the patient's preferred language unless "
        "--language is given. Anything not yet recorded is printed as a gap to fill in and "
        "listed on standard error.",
    )
    care.add_argument("--mrn", required=True, help="the patient's record number")
    care.add_argument("--out", required=True, type=Path, help="PDF file to write")
    care.add_argument(
        "--language",
        choices=sorted(available_languages()),
        help="language of the handout (default: the patient's preferred language)",
    )
    care.set_defaults(handler=_care_plan)

    summary = kinds.add_parser(
        "evaluation-summary",
        parents=[common, signer],
        help="the team's evaluation summary of a patient",
    )
    summary.add_argument("--mrn", required=True, help="the patient's record number")
    summary.add_argument("--out", required=True, type=Path, help="PDF file to write")
    summary.set_defaults(handler=_evaluation_summary)

    minutes = kinds.add_parser(
        "meeting-minutes", parents=[common, signer], help="minutes of a team meeting"
    )
    minutes.add_argument(
        "--date", required=True, type=_date, help="day of the meeting (YYYY-MM-DD)"
    )
    minutes.add_argument("--out", required=True, type=Path, help="PDF file to write")
    minutes.set_defaults(handler=_meeting_minutes)

    batch = kinds.add_parser(
        "refill-list",
        parents=[common, signer],
        help="care plans for every patient on a day's refill list, one file each",
    )
    batch.add_argument(
        "--date", type=_date, help="day of the refills (YYYY-MM-DD, default: tomorrow)"
    )
    batch.add_argument("--out-dir", required=True, type=Path, help="folder for the PDF files")
    batch.set_defaults(handler=_refill_list)


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError as exc:
        raise argparse.ArgumentTypeError(
            f"“{text}” is not a date: write it as YYYY-MM-DD, like 2026-11-24"
        ) from exc


def _sign_in(args: argparse.Namespace, *, reading: bool = False) -> tuple[Database, Actor]:
    db = open_for_reading(args) if reading else open_database(args)
    password = read_password(f"Password of {args.as_user}: ")
    return db, sign_in_as(db, args.as_user, password)


def _check_out(path: Path) -> None:
    if path.is_dir():
        raise CommandError(f"{path} is a folder: give a file name ending in .pdf.")
    if not path.parent.exists():
        raise CommandError(f"The folder {path.parent} does not exist.")


def _save(
    report: RenderedReport,
    path: Path,
    what: str,
    disclosed: Callable[[Session], None] | None = None,
    db: Database | None = None,
) -> int:
    try:
        write_pdf(path, report.pdf)
    except OSError as exc:
        raise CommandError(f"Cannot write {path}: {exc.strerror or exc}.") from exc
    if disclosed is not None and db is not None:
        with db.session() as session:
            disclosed(session)
    print(f"{what} written: {path}")
    if report.language_note:
        print(report.language_note, file=sys.stderr)
    if report.gaps:
        print(
            "Marked on the page as still to be filled in: " + ", ".join(report.gaps) + ".",
            file=sys.stderr,
        )
    return 0


def _care_plan(args: argparse.Namespace) -> int:
    _check_out(args.out)
    db, actor = _sign_in(args)
    with db.session() as session:
        patient = find_by_mrn(session, actor, args.mrn)
        data = report_data.gather_care_plan(session, actor, patient.id, language=args.language)
    return _save(
        render_care_plan(data),
        args.out,
        "Care plan",
        _disclosure(actor, "care_plan", args.out, patient_id=patient.id),
        db,
    )


def _evaluation_summary(args: argparse.Namespace) -> int:
    _check_out(args.out)
    db, actor = _sign_in(args)
    with db.session() as session:
        patient = find_by_mrn(session, actor, args.mrn)
        data = report_data.gather_evaluation_summary(session, actor, patient.id)
    return _save(
        render_evaluation_summary(data),
        args.out,
        "Evaluation summary",
        _disclosure(actor, "evaluation_summary", args.out, patient_id=patient.id),
        db,
    )


def _meeting_minutes(args: argparse.Namespace) -> int:
    _check_out(args.out)
    db, actor = _sign_in(args)
    with db.session() as session:
        data = report_data.gather_meeting_minutes(session, actor, args.date)
    patient_ids = list(data.patient_ids)
    return _save(
        render_meeting_minutes(data),
        args.out,
        "Meeting minutes",
        _disclosure(
            actor, "meeting_minutes", args.out, meeting_on=args.date, patient_ids=patient_ids
        ),
        db,
    )


def _disclosure(actor: Actor, document: str, out: Path, **where: Any) -> Callable[[Session], None]:
    def record(session: Session) -> None:
        report_data.record_disclosure(
            session, actor, document, report_data.SAVED, file_name=out.name, **where
        )

    return record


def _refill_list(args: argparse.Namespace) -> int:
    day = args.date or dt.date.today() + dt.timedelta(days=1)
    if args.out_dir.exists() and not args.out_dir.is_dir():
        raise CommandError(f"{args.out_dir} is a file, not a folder.")
    db, actor = _sign_in(args, reading=True)
    with db.session() as session:
        ids = report_data.refill_list(session, actor, day)
    if not ids:
        print(f"No patient is on the refill list of {format_date(day)}: nothing printed.")
        return 0

    def gather(patient_id: object) -> object:
        with db.session() as session:
            return report_data.gather_care_plan(session, actor, int(patient_id), for_day=day)  # type: ignore[arg-type]

    def written(patient_id: object, path: Path) -> None:
        with db.session() as session:
            report_data.record_disclosure(
                session,
                actor,
                "care_plan",
                report_data.SAVED,
                patient_id=int(patient_id),  # type: ignore[call-overload]
                file_name=path.name,
            )

    result = write_care_plans(ids, gather, args.out_dir, written=written)  # type: ignore[arg-type]
    print(f"Refill list of {format_date(day)}: {result.words} Folder: {args.out_dir}")
    for patient, why in result.failed:
        print(f"  patient {patient}: {why}", file=sys.stderr)
    return 1 if result.failed else 0
