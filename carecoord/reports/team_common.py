"""Pieces shared by the team documents (evaluation summary, meeting minutes)."""

from __future__ import annotations

import datetime as dt

from reportlab.platypus import Paragraph, Table, TableStyle

from carecoord.domain.units import format_date
from carecoord.reports.style import CALM_BG, GAP_BG, RULE, Styles, esc


def generated_words(when: dt.datetime, who: str, version: int | None = None) -> str:
    local = when.astimezone() if when.tzinfo is not None else when
    text = f"Generated {format_date(local.date())} at {local:%H:%M} by {who.strip() or '—'}"
    if version is not None:
        text += f" from program version {version}"
    return text


def audit_words(head: tuple[int, str] | None) -> str:
    """The audit chain head a team document was printed from, for its footer."""
    return f"Audit trail: event {head[0]} · {head[1]}" if head else ""


def missing(text: str) -> str:
    """A visible gap in a team document (never "None", never an empty cell)."""
    return f'<font backColor="{GAP_BG.hexval().replace("0x", "#")}"><b>[{esc(text)}]</b></font>'


def grid(rows: list[list[object]], widths: list[float], *, header: bool = True) -> Table:
    table = Table(rows, colWidths=widths, hAlign="LEFT", repeatRows=1 if header else 0)
    commands: list[tuple] = [
        ("GRID", (0, 0), (-1, -1), 0.6, RULE),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 4),
        ("RIGHTPADDING", (0, 0), (-1, -1), 4),
    ]
    if header:
        commands.append(("BACKGROUND", (0, 0), (-1, 0), CALM_BG))
    table.setStyle(TableStyle(commands))
    return table


def cell(text: str, styles: Styles, bold: bool = False) -> Paragraph:
    return Paragraph(text, styles.table_bold if bold else styles.table)
