"""Candidacy commands: where a patient stands (with every reason) and the team meetings.

Both read clinical records, so the user signs in with --as (password asked, or
CARECOORD_PASSWORD) and the services check the permission as in the app.
"""

from __future__ import annotations

import argparse

from carecoord.commands.common import open_database, read_password, sign_in_as
from carecoord.domain.candidacy import ItemState
from carecoord.domain.meetings import MeetingStatus
from carecoord.services import candidacy, meetings, patients

MARK = {ItemState.MET: "met", ItemState.NOT_MET: "NOT MET", ItemState.WARNING: "check"}


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    cd = sub.add_parser(
        "candidacy",
        parents=[common],
        help="a patient's candidacy status, its reasons and the checklist",
    )
    cd.add_argument("mrn", metavar="RECORD", help="the patient's record number")
    cd.add_argument("--as", dest="as_user", required=True, metavar="USER", help="your username")
    cd.set_defaults(handler=_candidacy)
    mt = sub.add_parser(
        "meetings", parents=[common], help="planned and past team meetings with their agendas"
    )
    mt.add_argument("--as", dest="as_user", required=True, metavar="USER", help="your username")
    mt.add_argument("--planned", action="store_true", help="only the meetings not yet finished")
    mt.set_defaults(handler=_meetings)


def _actor(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    db = open_database(args)
    actor = sign_in_as(db, args.as_user, read_password(f"Password of {args.as_user}: "))
    return db, actor


def _candidacy(args: argparse.Namespace) -> int:
    db, actor = _actor(args)
    with db.session() as session:
        patient = patients.find_by_mrn(session, actor, args.mrn)
        a = candidacy.candidacy(session, actor, patient.id)
    print(f"{patient.display_name} ({patient.mrn}): {a.status.label}")
    for reason in a.reasons:
        print(f"  why: {reason.words}")
    for item in a.checklist:
        print(f"  [{MARK[item.state]}] {item.label}: {item.words}")
    for warning in a.warnings:
        print(f"  check: {warning.words}")
    if a.screening_next_step is not None:
        print(f"Next screening step: {a.screening_next_step.words}")
    return 0


def _meetings(args: argparse.Namespace) -> int:
    db, actor = _actor(args)
    with db.session() as session:
        views = meetings.list_meetings(session, actor)
    if args.planned:
        views = [v for v in views if v.status is MeetingStatus.PLANNED]
    if not views:
        print("No team meeting.")
        return 0
    for v in views:
        print(f"{v.title} ({v.status.label.lower()}). {v.quorum.words}")
        for n, item in enumerate(v.agenda, start=1):
            outcome = item.decision or item.outcome.label
            print(f"  {n}. {item.patient} ({item.mrn}), {item.origin.label.lower()}: {outcome}")
        if v.present:
            print(f"  Present: {', '.join(p.words for p in v.present)}")
    return 0
