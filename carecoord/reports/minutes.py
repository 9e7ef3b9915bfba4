"""Team meeting minutes: date, attendance, quorum, each patient discussed with the decision
and its reasons, and the patients moved to the next meeting.

Built from plain values shaped after ``domain.meetings`` and ``domain.decisions``; the quorum
is computed here with the domain rule and the clinic's settings, never typed in.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import CondPageBreak, Flowable, Paragraph, Spacer

from carecoord.domain.candidacy import CandidacyStatus
from carecoord.domain.decisions import TeamDecision
from carecoord.domain.enums import Discipline
from carecoord.domain.meetings import AgendaOrigin, ItemOutcome, MeetingStatus, quorum
from carecoord.domain.settings import ClinicSettings, PageSize
from carecoord.domain.units import format_date, format_long_date
from carecoord.reports.care_plan import PatientInfo, RenderedReport
from carecoord.reports.style import MARGIN, PAGE_SIZES, PageFrame, build_pdf, esc, make_styles
from carecoord.reports.team_common import audit_words, cell, generated_words, grid, missing


@dataclass(frozen=True)
class MeetingAttendee:
    name: str
    discipline: Discipline | None  # None: an administrator or a guest


@dataclass(frozen=True)
class MinutesItem:
    patient: PatientInfo
    origin: AgendaOrigin = AgendaOrigin.READY
    outcome: ItemOutcome = ItemOutcome.PENDING
    decision: TeamDecision | None = None
    candidacy_status: CandidacyStatus | None = None
    note: str = ""


@dataclass(frozen=True)
class MeetingMinutesInput:
    clinic_name: str
    held_on: dt.date
    generated_at: dt.datetime
    generated_by: str
    status: MeetingStatus = MeetingStatus.FINISHED
    attendees: tuple[MeetingAttendee, ...] = ()
    items: tuple[MinutesItem, ...] = ()
    settings: ClinicSettings = field(default_factory=ClinicSettings)
    page_size: PageSize = PageSize.A4
    # The audit chain head when the data was read (event number, first hash digits).
    audit_head: tuple[int, str] | None = None
    patient_ids: tuple[int, ...] = ()  # of the agenda, for the audit of a printout


def render_meeting_minutes(data: MeetingMinutesInput) -> RenderedReport:
    s = make_styles(10.5)
    width = PAGE_SIZES[PageSize(data.page_size)][0] - 2 * MARGIN
    gaps: list[str] = []
    story: list[Flowable] = [
        Paragraph("Team meeting minutes", s.title),
        Paragraph(esc(format_long_date(data.held_on)), s.big),
    ]
    if data.status is not MeetingStatus.FINISHED:
        story.append(Paragraph("Meeting not finished: these minutes may still change.", s.alert))

    story.append(Paragraph("Attendance", s.h2))
    present = [a for a in data.attendees if a.name.strip()]
    if present:
        rows: list[list[object]] = [[cell("Name", s, True), cell("Discipline", s, True)]]
        order = list(Discipline)
        for a in sorted(
            present,
            key=lambda a: (order.index(a.discipline) if a.discipline else len(order), a.name),
        ):
            rows.append(
                [
                    cell(esc(a.name), s),
                    cell(esc(a.discipline.label if a.discipline else "Other"), s),
                ]
            )
        story.append(grid(rows, [width * 0.6, width * 0.4]))
    else:
        gaps.append("attendance")
        story.append(Paragraph(missing("Nobody is marked present"), s.body))
    q = quorum([a.discipline for a in present if a.discipline is not None], data.settings)
    quorum_style = s.body_bold if q.met else s.alert
    story.append(Spacer(1, 4))
    story.append(Paragraph(esc(q.words), quorum_style))

    discussed = [i for i in data.items if i.outcome is ItemOutcome.DISCUSSED]
    other = [i for i in data.items if i.outcome is not ItemOutcome.DISCUSSED]
    # A long table splits over pages (its header repeats) instead of leaving page 1 empty.
    story.append(CondPageBreak(45 * mm))
    story.append(Paragraph("Patients discussed", ParagraphStyle("h2_split", s.h2, keepWithNext=0)))
    if discussed:
        rows = [
            [
                cell("Patient", s, True),
                cell("Decision", s, True),
                cell("Reasons and notes", s, True),
            ]
        ]
        for item in discussed:
            patient = f"<b>{esc(item.patient.display_name)}</b><br/>{esc(item.patient.mrn)}"
            if item.candidacy_status is not None:
                patient += f"<br/>Candidacy: {esc(item.candidacy_status.label)}"
            if item.origin is AgendaOrigin.CARRIED_OVER:
                patient += "<br/>(carried over)"
            decision = item.decision
            if decision is None:
                decision_text = "No decision (discussed only)"
                reason = esc(item.note.strip()) if item.note.strip() else "—"
            else:
                decision_text = f"<b>{esc(decision.kind.label)}</b>"
                if decision.defer_until is not None:
                    decision_text += f"<br/>review on {format_date(decision.defer_until)}"
                reasons = [r for r in (decision.reason.strip(), item.note.strip()) if r]
                if reasons:
                    reason = "<br/>".join(esc(r) for r in reasons)
                elif decision.kind.needs_reason:
                    gaps.append(f"reason for {item.patient.mrn}")
                    reason = missing("Reason not recorded")
                else:
                    reason = "—"
            rows.append([cell(patient, s), cell(decision_text, s), cell(reason, s)])
        story.append(grid(rows, [width * 0.32, width * 0.24, width * 0.44]))
    else:
        story.append(Paragraph("No patient was discussed.", s.body))

    if other:
        story.append(Paragraph("Not discussed", s.h2))
        for item in other:
            story.append(
                Paragraph(
                    f"{esc(item.patient.display_name)} ({esc(item.patient.mrn)}): "
                    f"{esc(item.outcome.label.lower())}",
                    s.bullet,
                    bulletText="•",
                )
            )

    frame = PageFrame(
        clinic_name=data.clinic_name.strip(),
        footer_identity=f"Team meeting of {format_date(data.held_on)}",
        footer_generated=generated_words(data.generated_at, data.generated_by) + " · Confidential",
        footer_audit=audit_words(data.audit_head),
        page_of="Page {page} of {pages}",
    )
    pdf = build_pdf(
        story,
        frame,
        data.page_size,
        title=f"Team meeting minutes {format_date(data.held_on)}",
        author=data.clinic_name,
    )
    return RenderedReport(pdf=pdf, gaps=gaps)
