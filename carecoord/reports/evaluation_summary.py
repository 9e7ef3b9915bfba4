"""Evaluation summary for the team: each discipline's findings and recommendation, the scales
before and after screening with a small chart, and the candidacy status with its reasons.

Built from plain values shaped after ``domain.evaluations``, ``domain.screening`` and
``domain.candidacy``; the ``from_*`` constructors take those domain objects directly.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether, Paragraph, Spacer

from carecoord.domain.candidacy import CandidacyAssessment
from carecoord.domain.enums import Discipline
from carecoord.domain.evaluations import Evaluation, Recommendation
from carecoord.domain.settings import ClinicSettings, PageSize
from carecoord.domain.units import format_date, format_number
from carecoord.reports.care_plan import PatientInfo, RenderedReport
from carecoord.reports.charts import before_after_chart
from carecoord.reports.style import (
    MARGIN,
    PAGE_SIZES,
    PageFrame,
    build_pdf,
    esc,
    make_styles,
)
from carecoord.reports.team_common import audit_words, cell, generated_words, grid, missing


@dataclass(frozen=True)
class DisciplineFinding:
    discipline: Discipline
    clinician: str = ""
    signed_on: dt.date | None = None  # None: not signed (a draft)
    findings: str = ""
    recommendation: Recommendation | None = None
    reason: str = ""
    version: int = 1

    @classmethod
    def from_evaluation(cls, evaluation: Evaluation, clinician: str = "") -> DisciplineFinding:
        values = evaluation.values
        signed = evaluation.signed_at.date() if evaluation.signed_at else None
        return cls(
            discipline=evaluation.discipline,
            clinician=clinician,
            signed_on=signed,
            findings=str(values.get("findings") or ""),
            recommendation=evaluation.recommendation,
            reason=str(values.get("recommendation_reason") or ""),
            version=evaluation.version,
        )


@dataclass(frozen=True)
class ScaleComparison:
    """One scale before and after screening (e.g. mean Modified Ashworth 2.5 -> 1.25)."""

    name: str
    before: Decimal | None
    after: Decimal | None
    lower_is_better: bool = True
    unit: str = ""
    # How the scale writes the values when not as numbers (Ashworth "1+", not 1.5).
    before_label: str = ""
    after_label: str = ""
    scale_max: Decimal | None = None  # the top of the scale, for a chart axis readers compare

    @property
    def change_words(self) -> str:
        if self.before is None or self.after is None:
            return "—"
        change = self.after - self.before
        if change == 0:
            return "no change"
        better = (change < 0) == self.lower_is_better
        return f"{'+' if change > 0 else '−'}{format_number(abs(change), 2)} ({'better' if better else 'worse'})"


@dataclass(frozen=True)
class ScreeningSummary:
    dose_words: str  # "50 mcg bolus"
    given_on: dt.date | None
    response_words: str  # "Positive response: mean MAS reduction 1.5 at 4 h"
    adverse_events: tuple[str, ...] = ()
    earlier_trials: tuple[str, ...] = ()  # "50 mcg bolus on 27 Oct 2026: no response"


@dataclass(frozen=True)
class CandidacySummary:
    status: str
    reasons: tuple[str, ...] = ()
    other_blockers: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()

    @classmethod
    def from_assessment(cls, assessment: CandidacyAssessment) -> CandidacySummary:
        return cls(
            status=assessment.status.label,
            reasons=tuple(r.words for r in assessment.reasons),
            other_blockers=tuple(r.words for r in assessment.other_blockers),
            warnings=tuple(r.words for r in assessment.warnings),
        )


@dataclass(frozen=True)
class EvaluationSummaryInput:
    patient: PatientInfo
    clinic_name: str
    generated_at: dt.datetime
    generated_by: str
    page_size: PageSize = PageSize.A4
    findings: tuple[DisciplineFinding, ...] = ()
    required: tuple[Discipline, ...] = tuple(Discipline)
    scales: tuple[ScaleComparison, ...] = ()
    screening: ScreeningSummary | None = None
    candidacy: CandidacySummary | None = None
    diagnosis: str = ""
    origin: str = ""
    program_version: int | None = None  # the pump program in force, once implanted
    # The audit chain head when the data was read (event number, first hash digits).
    audit_head: tuple[int, str] | None = None

    @staticmethod
    def required_from(settings: ClinicSettings) -> tuple[Discipline, ...]:
        from carecoord.domain.evaluations import required_disciplines

        return required_disciplines(settings)


def _para_text(text: str) -> str:
    """Multi-line free text as paragraph markup (line breaks kept)."""
    return "<br/>".join(esc(line) for line in text.strip().splitlines())


def _bullets(items: Iterable[str], style) -> list[Flowable]:
    return [Paragraph(esc(i), style, bulletText="•") for i in items if i.strip()]


def render_evaluation_summary(data: EvaluationSummaryInput) -> RenderedReport:
    s = make_styles(10.5)
    width = PAGE_SIZES[PageSize(data.page_size)][0] - 2 * MARGIN
    gaps: list[str] = []
    story: list[Flowable] = [
        Paragraph("Evaluation summary", s.title),
        Paragraph(esc(data.patient.display_name), s.big),
    ]
    line = [f"Record number {esc(data.patient.mrn)}"]
    if data.patient.date_of_birth:
        line.append(f"born {format_date(data.patient.date_of_birth)}")
    if data.diagnosis.strip():
        line.append(esc(data.diagnosis.strip()))
    if data.origin.strip():
        line.append(esc(data.origin.strip()))
    story.append(Paragraph(" · ".join(line), s.body))

    # Candidacy first: it is what the team meets to decide.
    story.append(Paragraph("Candidacy", s.h2))
    if data.candidacy is None:
        gaps.append("candidacy status")
        story.append(Paragraph(missing("Candidacy not assessed yet"), s.body))
    else:
        c = data.candidacy
        story.append(Paragraph(f"Status: <b>{esc(c.status)}</b>", s.body))
        story += _bullets(c.reasons, s.bullet)
        if c.other_blockers:
            story.append(Paragraph("Also open:", s.body_bold))
            story += _bullets(c.other_blockers, s.bullet)
        if c.warnings:
            story.append(Paragraph("Warnings:", s.alert))
            story += _bullets(c.warnings, s.bullet)

    story.append(Paragraph("Findings and recommendations by discipline", s.h2))
    by_discipline = {f.discipline: f for f in data.findings}
    order = list(data.required) + [d for d in by_discipline if d not in data.required]
    rows: list[list[object]] = [
        [cell("Discipline", s, True), cell("Findings", s, True), cell("Recommendation", s, True)]
    ]
    for discipline in order:
        finding = by_discipline.get(discipline)
        head = f"<b>{esc(discipline.label)}</b>"
        if finding is None:
            gaps.append(f"{discipline.label.lower()} evaluation")
            rows.append([cell(head, s), cell(missing("No evaluation recorded"), s), cell("—", s)])
            continue
        who = esc(finding.clinician.strip()) if finding.clinician.strip() else ""
        state = (
            f"signed {format_date(finding.signed_on)}"
            if finding.signed_on
            else '<font color="#b00020"><b>draft, not signed</b></font>'
        )
        version = f", version {finding.version}" if finding.version > 1 else ""
        head += f"<br/>{who}<br/>{state}{version}" if who else f"<br/>{state}{version}"
        findings = _para_text(finding.findings) or missing("No findings written")
        if finding.recommendation is None:
            recommendation = missing("No recommendation")
        else:
            recommendation = f"<b>{esc(finding.recommendation.label)}</b>"
            if finding.reason.strip():
                recommendation += f"<br/>{_para_text(finding.reason)}"
        rows.append([cell(head, s), cell(findings, s), cell(recommendation, s)])
    story.append(grid(rows, [width * 0.24, width * 0.48, width * 0.28]))

    story.append(Paragraph("Screening trial", s.h2))
    if data.screening is None:
        gaps.append("screening trial")
        story.append(Paragraph(missing("No screening trial recorded"), s.body))
    else:
        sc = data.screening
        when = f" on {format_date(sc.given_on)}" if sc.given_on else ""
        story.append(Paragraph(f"{esc(sc.dose_words)}{when}", s.body))
        story.append(Paragraph(f"<b>{esc(sc.response_words)}</b>", s.body))
        if sc.adverse_events:
            story.append(Paragraph("Adverse events:", s.body_bold))
            story += _bullets(sc.adverse_events, s.bullet)
        if sc.earlier_trials:
            story.append(Paragraph("Earlier trials:", s.body_bold))
            story += _bullets(sc.earlier_trials, s.bullet)

    scales = [sc for sc in data.scales if sc.name.strip()]
    scale_block: list[Flowable] = [Paragraph("Scales before and after screening", s.h2)]
    if not scales:
        gaps.append("scales")
        scale_block.append(Paragraph(missing("No scale scores recorded"), s.body))
    else:
        rows = [
            [
                cell("Scale", s, True),
                cell("Before", s, True),
                cell("After", s, True),
                cell("Change", s, True),
            ]
        ]
        for sc in scales:
            unit = f" {esc(sc.unit)}" if sc.unit else ""
            before = (
                f"{esc(sc.before_label) or format_number(sc.before, 2)}{unit}"
                if sc.before is not None
                else missing("not scored")
            )
            after = (
                f"{esc(sc.after_label) or format_number(sc.after, 2)}{unit}"
                if sc.after is not None
                else missing("not scored")
            )
            rows.append(
                [
                    cell(esc(sc.name), s),
                    cell(before, s),
                    cell(after, s),
                    cell(esc(sc.change_words), s),
                ]
            )
        scale_block.append(grid(rows, [width * 0.46, width * 0.16, width * 0.16, width * 0.22]))
        scale_block.append(Spacer(1, 3 * mm))
        scale_block.append(
            before_after_chart(
                [_short(sc.name) for sc in scales],
                [float(sc.before) if sc.before is not None else None for sc in scales],
                [float(sc.after) if sc.after is not None else None for sc in scales],
                panel_width=width / 4,
                height=42 * mm,
                tops=[float(sc.scale_max) if sc.scale_max is not None else None for sc in scales],
            )
        )
    story.append(KeepTogether(scale_block))

    frame = PageFrame(
        clinic_name=data.clinic_name.strip(),
        footer_identity="{name} · Record number " + data.patient.mrn,
        footer_name=data.patient.display_name,
        footer_generated=generated_words(data.generated_at, data.generated_by, data.program_version)
        + " · Confidential",
        footer_audit=audit_words(data.audit_head),
        page_of="Page {page} of {pages}",
    )
    pdf = build_pdf(
        story,
        frame,
        data.page_size,
        title="Evaluation summary",
        author=data.clinic_name,
        subject=data.patient.display_name,
    )
    return RenderedReport(pdf=pdf, gaps=gaps)


def _short(name: str, limit: int = 24) -> str:
    name = name.strip()
    return name if len(name) <= limit else name[: limit - 1] + "…"


__all__: Sequence[str] = (
    "CandidacySummary",
    "DisciplineFinding",
    "EvaluationSummaryInput",
    "ScaleComparison",
    "ScreeningSummary",
    "render_evaluation_summary",
)
