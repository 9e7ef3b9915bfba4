"""The pump program in the handout's language.

English uses ``domain.program.describe_program`` itself (one wording for the screen and the
handout). Other languages build the same lines from the same program with templates from the
translation file; a test checks that the English templates give exactly ``describe_program``'s
lines, so the two cannot drift apart.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

from carecoord.domain.exact import dec
from carecoord.domain.program import (
    MINUTES_PER_DAY,
    Program,
    PumpMode,
    Step,
    describe_program,
    dose_per_day_by_weekday,
    require_valid,
)
from carecoord.domain.units import format_number
from carecoord.reports.translations import DEFAULT_LANGUAGE, Translator


def program_lines(program: Program, tr: Translator) -> list[str]:
    """One line per schedule stretch, boluses and the total a day (raises for an invalid one)."""
    if tr.language == DEFAULT_LANGUAGE:
        return describe_program(program, long=True)
    return localized_program_lines(program, tr)


def _num(tr: Translator, value: Decimal | Fraction, places: int) -> str:
    return tr.number(
        Decimal(format_number(dec(value) if isinstance(value, Fraction) else value, places))
    )


def mcg_per_day_text(tr: Translator, value: Decimal) -> str:
    return tr.text("unit.mcg_per_day", n=_num(tr, value, 2))


def concentration_text(tr: Translator, value: Decimal) -> str:
    return tr.text("unit.concentration", n=tr.number(value))


def clock(tr: Translator, minute: int) -> str:
    minute %= MINUTES_PER_DAY
    if minute == 0:
        return tr.text("clock.midnight")
    if minute == 720:
        return tr.text("clock.noon")
    hours, mins = divmod(minute, 60)
    if tr.text("clock.style") == "24h":
        return f"{hours}:{mins:02d}"
    hour12 = hours % 12 or 12
    shown = f"{hour12}" if mins == 0 else f"{hour12}:{mins:02d}"
    return tr.text("clock.am" if hours < 12 else "clock.pm", h=shown)


def _and_list(tr: Translator, items: list[str]) -> str:
    if len(items) == 1:
        return items[0]
    return tr.text("list.and", first=", ".join(items[:-1]), last=items[-1])


def weekdays_text(tr: Translator, days: list[int]) -> str:
    if len(days) == 7:
        return tr.text("days.every_day")
    runs: list[list[int]] = []
    for day in days:
        if runs and runs[-1][-1] == day - 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    parts: list[str] = []
    for run in runs:
        if len(run) >= 3:
            parts.append(tr.text("days.range", first=tr.weekday(run[0]), last=tr.weekday(run[-1])))
        else:
            parts.extend(tr.weekday(d) for d in run)
    return _and_list(tr, parts)


def _duration(tr: Translator, minutes: int) -> str:
    if minutes % 60 == 0:
        hours = minutes // 60
        return tr.text("duration.hour_one") if hours == 1 else tr.text("duration.hours", n=hours)
    return (
        tr.text("duration.minute_one") if minutes == 1 else tr.text("duration.minutes", n=minutes)
    )


def _rate(tr: Translator, mcg_per_hour: Fraction) -> str:
    return tr.text("unit.mcg_per_hour", n=_num(tr, mcg_per_hour, 3))


def _schedule(tr: Translator, program: Program, steps: tuple[Step, ...]) -> list[str]:
    concentration = program.concentration_mcg_per_ml
    ends = [s.start_minute for s in steps[1:]] + [MINUTES_PER_DAY]
    merged: list[list] = []  # [start, end, exact mcg/h]
    for step, end in zip(steps, ends, strict=True):
        rate = step.exact_mcg_per_hour(concentration)
        if merged and merged[-1][2] == rate:
            merged[-1][1] = end
        else:
            merged.append([step.start_minute, end, rate])
    if len(merged) == 1:
        return [tr.text("program.all_day", rate=_rate(tr, merged[0][2]))]
    if merged[0][2] == merged[-1][2]:  # same rate either side of midnight: one stretch
        first = merged.pop(0)
        merged[-1][1] = first[1]
    return [
        tr.text("program.from_to", start=clock(tr, s), end=clock(tr, e), rate=_rate(tr, r))
        for s, e, r in merged
    ]


def _groups(program: Program) -> list[tuple[list[int], tuple[Step, ...]]]:
    groups: list[tuple[list[int], tuple[Step, ...]]] = []
    for weekday in range(7):
        steps = program.steps_for(weekday)
        for days, group_steps in groups:
            if group_steps == steps:
                days.append(weekday)
                break
        else:
            groups.append(([weekday], steps))
    return groups


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


def localized_program_lines(program: Program, tr: Translator) -> list[str]:
    require_valid(program)
    lines = [
        tr.text(
            "program.drug_line",
            concentration=concentration_text(tr, program.concentration_mcg_per_ml),
        )
    ]
    if program.mode is PumpMode.STOPPED:
        lines.append(tr.text("program.stopped"))
        return lines
    groups = _groups(program)
    for days, steps in groups:
        if len(groups) > 1:
            lines.append(
                tr.text("program.days_heading", days=_capitalised(weekdays_text(tr, days)))
            )
        lines.extend(_schedule(tr, program, steps))
    bolus = program.periodic_bolus
    if program.mode is PumpMode.PERIODIC_BOLUS and bolus is not None:
        times = _and_list(tr, [clock(tr, m) for m in bolus.start_minutes])
        lines.append(
            tr.text(
                "program.bolus",
                dose=tr.text("unit.mcg", n=_num(tr, bolus.dose_mcg, 2)),
                times=times,
                duration=_duration(tr, bolus.duration_minutes),
            )
        )
    one_time = program.one_time_bolus
    if program.mode is PumpMode.ONE_TIME_BOLUS and one_time is not None:
        lines.append(
            tr.text(
                "program.one_time",
                dose=tr.text("unit.mcg", n=_num(tr, one_time.dose_mcg, 2)),
                duration=_duration(tr, one_time.duration_minutes),
            )
        )
    doses = dose_per_day_by_weekday(program)
    if min(doses.values()) == max(doses.values()):
        lines.append(tr.text("program.total", dose=mcg_per_day_text(tr, doses[0])))
    else:
        for days, _steps in groups:
            lines.append(
                tr.text(
                    "program.total_on",
                    days=weekdays_text(tr, days),
                    dose=mcg_per_day_text(tr, doses[days[0]]),
                )
            )
    return lines
