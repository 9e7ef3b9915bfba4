"""Pump commands: `carecoord program show --mrn X` prints the program in force and its totals."""

from __future__ import annotations

import argparse

from carecoord.commands.common import open_database
from carecoord.domain.program import (
    days_to_alarm,
    describe_program,
    dose_per_day_by_weekday,
    volume_per_day_ml,
)
from carecoord.domain.refill_status import current_dates_lines
from carecoord.domain.units import (
    format_date,
    format_datetime,
    format_mcg_per_day,
    format_ml,
    format_number,
)
from carecoord.services import patients, programs, refills
from carecoord.services.context import SYSTEM


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    pr = sub.add_parser("program", parents=[common], help="pump programs")
    pr_sub = pr.add_subparsers(dest="program_command", required=True, metavar="ACTION")
    show = pr_sub.add_parser(
        "show",
        parents=[common],
        help="print the program in force for a patient, in words, with its totals",
    )
    show.add_argument("--mrn", required=True, help="the patient's medical record number")
    show.set_defaults(handler=_show)


def _show(args: argparse.Namespace) -> int:
    db = open_database(args)
    with db.session() as session:
        patient = patients.find_by_mrn(session, SYSTEM, args.mrn)
        context = programs.load_draft_context(session, SYSTEM, patient.id)
        forecast = refills.patient_forecast(session, SYSTEM, patient.id)
    print(f"{patient.display_name} ({patient.mrn}), born {format_date(patient.date_of_birth)}")
    implant = context.implant
    if implant is None:
        print("Pump: none recorded as implanted.")
    else:
        print(
            f"Pump: {implant.device_label}, serial {implant.serial_number}, implanted "
            f"{implant.implant_words}"
        )
    active = context.active
    if active is None:
        print("No program is in force: none has been confirmed as programmed on the pump.")
    else:
        print(
            f"{active.title}, programmed {format_datetime(active.programmed_at)} by "
            f"{active.programmed_by}; approved by {active.approved_by}"
        )
        for line in describe_program(active.program, long=False):
            print(f"  {line}")
        doses = dose_per_day_by_weekday(active.program)
        low, high = min(doses.values()), max(doses.values())
        heaviest = max(range(7), key=lambda d: doses[d])
        dose = (
            format_mcg_per_day(low)
            if low == high
            else (f"{format_mcg_per_day(low)} to {format_mcg_per_day(high)}")
        )
        print(f"Dose per day: {dose}")
        volume = volume_per_day_ml(active.program, heaviest)
        print(f"Volume per day: {format_ml(volume, places=4)}/day")
        if implant is not None and implant.device is not None:
            reservoir = implant.device.reservoir_ml
            days = days_to_alarm(active.program, reservoir, context.alarm_volume_ml, heaviest)
            if days is not None:
                print(
                    f"Full reservoir lasts: {format_number(days, 1)} days "
                    f"({format_ml(reservoir)} to the {format_ml(context.alarm_volume_ml)} alarm)"
                )
        if active.reservoir_ml is not None:
            print(
                f"When programmed on {format_date(active.programmed_at.astimezone().date())}: "
                f"reservoir {format_ml(active.reservoir_ml)}; low-reservoir alarm then: programmer "
                f"{format_date(active.vendor_alarm_date, missing='not recorded')}, CareCoord "
                f"{format_date(active.our_alarm_date)}"
            )
        if active.alarm_mismatch:
            print(f"MISMATCH: {active.alarm_mismatch_text}")
    if implant is not None:
        alarm = context.alarm_volume
        if alarm is not None:
            print(f"{alarm.words}.")
            if alarm.warning:
                print(f"WARNING: {alarm.warning}")
        lines = current_dates_lines(
            due_date=forecast.due_date,
            due_reason=forecast.due_reason,
            alarm_date=forecast.alarm_date,
            alarm_volume_ml=forecast.alarm_volume_ml,
            fill_date=forecast.fill_date,
            volume_after_fill_ml=forecast.volume_after_fill_ml,
            today=forecast.today,
        )
        if lines:
            print(f"Now, from the refill record: {forecast.status_words}.")
            for line in lines:
                print(f"  {line}")
        else:
            print("Now: no refill can be planned until a program is confirmed on the pump.")
    pending = context.unfinished
    if pending is not None:
        print(
            f"Not finished: {pending.title}, {pending.status.label.lower()} "
            f"(drafted by {pending.created_by} on {format_datetime(pending.created_at)})"
        )
    return 0
