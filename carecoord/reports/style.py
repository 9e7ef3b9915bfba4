"""The look shared by every report: page size, fonts, text styles, header, footer, watermark.

Every page carries the clinic's name at the top and, at the bottom, the patient's name and
record number, "page X of Y", and when, by whom and from which program version the document
was generated. A document for a program that is not yet programmed on the device carries a
DRAFT watermark on every page so that nobody follows it by mistake.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from io import BytesIO
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT
from reportlab.lib.pagesizes import A4, LETTER
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import BaseDocTemplate, Flowable, Frame, PageTemplate, Paragraph

from carecoord.domain.settings import PageSize
from carecoord.reports.fonts import register_fonts, visual

PAGE_SIZES = {PageSize.A4: A4, PageSize.LETTER: LETTER}
MARGIN = 18 * mm
HEADER_SPACE = 16 * mm
FOOTER_SPACE = 24 * mm  # three lines: identity, who generated it, the audit head
INK = colors.HexColor("#1a1a1a")
MUTED = colors.HexColor("#555555")
RULE = colors.HexColor("#8a8a8a")
ALERT = colors.HexColor("#b00020")
ALERT_BG = colors.HexColor("#fdecee")
CALM_BG = colors.HexColor("#eef3f8")
GAP_BG = colors.HexColor("#fff4cc")
WATERMARK = colors.Color(0.75, 0.1, 0.1, alpha=0.16)


def esc(text: object) -> str:
    """Data for a Paragraph: right-to-left letters in display order, markup characters escaped.

    ``None`` becomes an empty string: a caller shows a gap marker instead, never "None".
    """
    if text is None:
        return ""
    return escape(visual(str(text)))


def phone(text: object) -> str:
    """A phone number that never breaks over two lines (a half number is a wrong number).

    Words in brackets after it ("(24 hours)") may go to the next line as a whole."""
    words = " ".join(str(text or "").split())
    parts = re.split(r" (?=\([^)]*[^\W\d_])", words)
    return " ".join(esc(part).replace(" ", "\u00a0") for part in parts)


@dataclass(frozen=True)
class Styles:
    body: ParagraphStyle
    body_bold: ParagraphStyle
    small: ParagraphStyle
    title: ParagraphStyle
    h2: ParagraphStyle
    h3: ParagraphStyle
    big: ParagraphStyle
    big_date: ParagraphStyle
    big_label: ParagraphStyle
    alert: ParagraphStyle
    gap: ParagraphStyle
    bullet: ParagraphStyle
    table: ParagraphStyle
    table_bold: ParagraphStyle
    card: ParagraphStyle
    card_bold: ParagraphStyle
    card_title: ParagraphStyle
    card_number: ParagraphStyle


def make_styles(base_size: float = 12) -> Styles:
    """Text styles; handouts use ``base_size`` 12 (the least for the public), team reports 10."""
    regular, bold = register_fonts()
    lead = base_size * 1.3

    def style(name: str, size: float, font: str = regular, **kw: Any) -> ParagraphStyle:
        kw.setdefault("leading", size * 1.3)
        kw.setdefault("textColor", INK)
        return ParagraphStyle(name, fontName=font, fontSize=size, alignment=TA_LEFT, **kw)

    return Styles(
        body=style("body", base_size, spaceAfter=base_size * 0.4),
        body_bold=style("body_bold", base_size, bold, spaceAfter=base_size * 0.4),
        small=style("small", max(base_size - 2, 9), textColor=MUTED),
        title=style("title", base_size + 9, bold, spaceAfter=4, leading=(base_size + 9) * 1.2),
        h2=style(
            "h2",
            base_size + 4,
            bold,
            spaceBefore=base_size * 0.9,
            spaceAfter=base_size * 0.35,
            keepWithNext=1,  # a heading never ends a page alone
        ),
        h3=style("h3", base_size + 1, bold, spaceBefore=base_size * 0.5, spaceAfter=2),
        big=style("big", base_size + 8, bold, leading=(base_size + 8) * 1.2),
        big_date=style("big_date", base_size + 7, bold, leading=(base_size + 7) * 1.2),
        big_label=style("big_label", base_size, bold, textColor=MUTED),
        alert=style("alert", base_size, bold, textColor=ALERT, spaceAfter=base_size * 0.4),
        gap=style(
            "gap", base_size, bold, backColor=GAP_BG, borderPadding=2, spaceAfter=base_size * 0.4
        ),
        bullet=style(
            "bullet",
            base_size,
            leftIndent=base_size * 1.2,
            bulletIndent=base_size * 0.2,
            spaceAfter=2,
            leading=lead,
        ),
        table=style("table", base_size),
        table_bold=style("table_bold", base_size, bold),
        card=style("card", 9.5, leading=11.5),
        card_bold=style("card_bold", 9.5, bold, leading=11.5),
        card_title=style("card_title", 12, bold, leading=14),
        card_number=style("card_number", 14, bold, leading=17),
    )


@dataclass(frozen=True)
class PageFrame:
    """What the header and footer of every page say (already in the document's language)."""

    clinic_name: str
    footer_identity: str  # "{name} · Record number MRN-1": only {name} is shortened to fit
    footer_generated: str  # "Generated 24 Nov 2026 14:05 by Nia King from program version 3"
    page_of: str  # template with {page} and {pages}: "Page {page} of {pages}"
    draft: bool = False
    draft_word: str = "DRAFT"
    draft_note: str = ""  # "Not yet programmed on the pump"
    footer_name: str = ""  # fills {name} in footer_identity
    footer_audit: str = ""  # "Audit trail: event 1234 · 3f2a9c01b7de", below footer_generated

    def identity_fitting(self, font: str, size: float, width: float) -> str:
        """The identity line, the name shortened so that the record number always shows."""
        template = self.footer_identity
        if "{name}" not in template:
            return _fit(visual(template), font, size, width)
        rest = stringWidth(visual(template.replace("{name}", "")), font, size)
        name = _fit(visual(self.footer_name), font, size, max(width - rest, 20 * mm))
        return visual(template.replace("{name}", "\x00")).replace("\x00", name)


def _fit(text: str, font: str, size: float, width: float) -> str:
    """Shorten a footer line with an ellipsis so it stays on one line (the body has it whole)."""
    if stringWidth(text, font, size) <= width:
        return text
    while text and stringWidth(text + "…", font, size) > width:
        text = text[:-1]
    return text.rstrip() + "…"


def _numbered_canvas_class(frame: PageFrame) -> type[Canvas]:
    regular, bold = register_fonts()

    class NumberedCanvas(Canvas):
        """Remembers each page and draws the footer at the end, when the page count is known."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._pages: list[dict[str, Any]] = []

        def showPage(self) -> None:
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._pages)
            for number, state in enumerate(self._pages, start=1):
                self.__dict__.update(state)
                self._draw_footer(number, total)
                super().showPage()
            super().save()

        def _draw_footer(self, number: int, total: int) -> None:
            width, _height = self._pagesize
            usable = width - 2 * MARGIN
            self.saveState()
            self.setStrokeColor(RULE)
            self.setLineWidth(0.6)
            self.line(MARGIN, FOOTER_SPACE - 3 * mm, width - MARGIN, FOOTER_SPACE - 3 * mm)
            page_text = frame.page_of.format(page=number, pages=total)
            self.setFillColor(INK)
            self.setFont(bold, 10)
            page_width = stringWidth(page_text, bold, 10)
            self.drawRightString(width - MARGIN, FOOTER_SPACE - 8 * mm, page_text)
            self.setFont(bold, 10)
            identity = frame.identity_fitting(bold, 10, usable - page_width - 6 * mm)
            self.drawString(MARGIN, FOOTER_SPACE - 8 * mm, identity)
            self.setFillColor(MUTED)
            self.setFont(regular, 8.5)
            self.drawString(
                MARGIN,
                FOOTER_SPACE - 12.5 * mm,
                _fit(visual(frame.footer_generated), regular, 8.5, usable),
            )
            if frame.footer_audit:
                self.drawString(
                    MARGIN,
                    FOOTER_SPACE - 16.5 * mm,
                    _fit(visual(frame.footer_audit), regular, 8.5, usable),
                )
            self.restoreState()

    return NumberedCanvas


def _on_page(frame: PageFrame) -> Callable[[Canvas, BaseDocTemplate], None]:
    _regular, bold = register_fonts()

    def draw(canvas: Canvas, doc: BaseDocTemplate) -> None:
        width, height = doc.pagesize
        canvas.saveState()
        if frame.draft:
            # Under the content (drawn before the flowables), across the page.
            canvas.setFillColor(WATERMARK)
            canvas.translate(width / 2, height / 2)
            canvas.rotate(40)
            canvas.setFont(bold, 110)
            canvas.drawCentredString(0, 0, frame.draft_word)
            if frame.draft_note:
                canvas.setFont(bold, 22)
                canvas.drawCentredString(0, -34, frame.draft_note)
            canvas.rotate(-40)
            canvas.translate(-width / 2, -height / 2)
        canvas.setFillColor(INK)
        canvas.setFont(bold, 12)
        name = _fit(visual(frame.clinic_name), bold, 12, width - 2 * MARGIN - 40 * mm)
        canvas.drawString(MARGIN, height - 11 * mm, name)
        if frame.draft:
            canvas.setFillColor(ALERT)
            canvas.drawRightString(width - MARGIN, height - 11 * mm, frame.draft_word)
        canvas.setStrokeColor(RULE)
        canvas.setLineWidth(0.6)
        canvas.line(MARGIN, height - 13.5 * mm, width - MARGIN, height - 13.5 * mm)
        canvas.restoreState()

    return draw


def build_pdf(
    story: Sequence[Flowable],
    frame: PageFrame,
    page_size: PageSize,
    *,
    title: str,
    author: str,
    subject: str = "",
) -> bytes:
    """Lay the story out on pages with the shared header, footer and watermark; PDF bytes."""
    register_fonts()
    size = PAGE_SIZES[PageSize(page_size)]
    buffer = BytesIO()
    doc = BaseDocTemplate(
        buffer,
        pagesize=size,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=HEADER_SPACE + 4 * mm,
        bottomMargin=FOOTER_SPACE + 2 * mm,
        title=title,
        author=author,
        subject=subject,
        creator="CareCoord",
    )
    body = Frame(
        doc.leftMargin,
        doc.bottomMargin,
        doc.width,
        doc.height,
        id="body",
        leftPadding=0,
        rightPadding=0,
        topPadding=0,
        bottomPadding=0,
    )
    doc.addPageTemplates([PageTemplate(id="page", frames=[body], onPage=_on_page(frame))])
    doc.build(list(story), canvasmaker=_numbered_canvas_class(frame))
    return buffer.getvalue()


def paragraph(text: str, style: ParagraphStyle) -> Paragraph:
    """A paragraph of markup already escaped (use ``esc`` for data)."""
    return Paragraph(text, style)


def format_generated(when: dt.datetime) -> tuple[dt.date, str]:
    local = when.astimezone() if when.tzinfo is not None else when
    return local.date(), f"{local:%H:%M}"
