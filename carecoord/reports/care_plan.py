"""The care-plan handout a patient takes home (CLINICAL.md section 6).

Built from plain values (``CarePlanInput``) so that it does not depend on how they are stored;
``services.report_data`` gathers them from the database. Whatever is missing (no program yet,
no phone number) prints as a visible "ask your clinic" marker, never as "None" or a blank.
Text comes from the translation files (``translations``); body text is at least 12 pt.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from reportlab.lib.units import mm
from reportlab.platypus import (
    CondPageBreak,
    Flowable,
    KeepTogether,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from carecoord.domain.enums import Discipline
from carecoord.domain.errors import Severity
from carecoord.domain.program import (
    Program,
    PumpMode,
    dose_per_day_by_weekday,
    hourly_doses,
    validate_program,
)
from carecoord.domain.refills import RefillForecast
from carecoord.domain.settings import PageSize
from carecoord.reports.charts import hourly_dose_chart
from carecoord.reports.program_words import (
    clock,
    concentration_text,
    mcg_per_day_text,
    program_lines,
    weekdays_text,
)
from carecoord.reports.style import (
    ALERT,
    ALERT_BG,
    CALM_BG,
    MARGIN,
    PAGE_SIZES,
    RULE,
    PageFrame,
    Styles,
    build_pdf,
    esc,
    make_styles,
    phone,
)
from carecoord.reports.translations import Translator

# A credit card is 85.6 x 54 mm (ISO/IEC 7810 ID-1): the folded card fits a wallet.
CARD_WIDTH, CARD_HEIGHT = 85.6 * mm, 54 * mm
LONG_NAME = 80  # characters


@dataclass(frozen=True)
class PatientInfo:
    family_name: str
    given_names: str
    mrn: str
    date_of_birth: dt.date | None = None
    preferred_language: str = "en"

    @property
    def display_name(self) -> str:
        family = (self.family_name or "").strip().upper()
        given = (self.given_names or "").strip()
        return f"{family}, {given}" if family and given else family or given


@dataclass(frozen=True)
class ClinicInfo:
    name: str
    phone: str = ""
    emergency_phone: str = ""
    address: str = ""


@dataclass(frozen=True)
class TeamContact:
    role: Discipline | str  # a Discipline is translated; other text is printed as given
    name: str
    phone: str = ""


@dataclass(frozen=True)
class PumpInfo:
    model: str  # "SynchroMed II"
    reservoir_ml: Decimal | None = None


@dataclass(frozen=True)
class ProgramInfo:
    """The program in force and whether it is on the device (otherwise the plan is a draft)."""

    program: Program
    version: int
    programmed_on_device: bool
    # A newer version approved or drafted but not yet on the device (the plan notes it).
    newer_version: int | None = None


@dataclass(frozen=True)
class RefillInfo:
    refill_by: dt.date
    alarm_date: dt.date | None = None
    filled_on: dt.date | None = None

    @classmethod
    def from_forecast(cls, forecast: RefillForecast) -> RefillInfo:
        return cls(forecast.due_date, forecast.alarm_date, forecast.fill_date)


@dataclass(frozen=True)
class Appointment:
    on: dt.date
    at: dt.time | None = None
    place: str = ""


@dataclass(frozen=True)
class CarePlanInput:
    patient: PatientInfo
    clinic: ClinicInfo
    generated_at: dt.datetime
    generated_by: str
    page_size: PageSize = PageSize.A4
    language: str | None = None  # None: the patient's preferred language
    # The day the handout is for (a batch printed for a refill day): dates are said relative
    # to it ("due today"); None: the day it is printed.
    for_day: dt.date | None = None
    pump: PumpInfo | None = None
    program: ProgramInfo | None = None
    refill: RefillInfo | None = None
    next_appointment: Appointment | None = None
    team: tuple[TeamContact, ...] = ()
    goals: tuple[str, ...] = ()
    # The audit chain head when the data was read (event number, first hash digits).
    audit_head: tuple[int, str] | None = None

    @property
    def is_draft(self) -> bool:
        return self.program is not None and not self.program.programmed_on_device


@dataclass
class RenderedReport:
    """The PDF and what it had to leave as gaps (for the GUI to show before printing)."""

    pdf: bytes
    gaps: list[str] = field(default_factory=list)
    language: str = "en"
    language_note: str = ""  # "No translation for fr yet: printed in English."


# ---------------------------------------------------------------------------------------------


def _text(value: str | None) -> str:
    return (value or "").strip()


class _Builder:
    def __init__(self, data: CarePlanInput) -> None:
        self.data = data
        self.tr = Translator(data.language or data.patient.preferred_language)
        self.s: Styles = make_styles(12)
        self.gaps: list[str] = []
        width, _ = PAGE_SIZES[PageSize(data.page_size)]
        self.width = width - 2 * MARGIN
        # A stored program that no longer passes the rules is not printed as instructions.
        self.program = data.program
        self.invalid_program = False
        if data.program is not None and any(
            p.severity is Severity.ERROR for p in validate_program(data.program.program)
        ):
            self.program = None
            self.invalid_program = True
            self.gaps.append("the pump program on record is not valid")

    # -- small pieces ---------------------------------------------------------------------

    def t(self, key: str, **values: object) -> str:
        return esc(self.tr.text(key, **values))

    def gap(self, what: str, key: str = "gap.ask_clinic") -> str:
        """Marker markup for a missing value, remembered in the gap list."""
        self.gaps.append(what)
        return f'<font backColor="#fff4cc"><b>[{self.t(key)}]</b></font>'

    def p(self, markup: str, style_name: str = "body") -> Paragraph:
        return Paragraph(markup, getattr(self.s, style_name))

    def heading(self, key: str) -> Paragraph:
        return self.p(self.t(key), "h2")

    def bullets(self, key: str) -> list[Paragraph]:
        return [Paragraph(esc(line), self.s.bullet, bulletText="•") for line in self.tr.lines(key)]

    def boxed(
        self, rows: list[list[Flowable]], *, background, border, width_ratio=(0.3, 0.7)
    ) -> Table:
        widths = (
            [self.width * width_ratio[0], self.width * width_ratio[1]]
            if len(rows[0]) == 2
            else [self.width]
        )
        table = Table(rows, colWidths=widths, hAlign="LEFT")
        table.setStyle(
            TableStyle(
                [
                    ("BACKGROUND", (0, 0), (-1, -1), background),
                    ("BOX", (0, 0), (-1, -1), 1.5, border),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("LEFTPADDING", (0, 0), (-1, -1), 6),
                    ("RIGHTPADDING", (0, 0), (-1, -1), 6),
                    ("TOPPADDING", (0, 0), (-1, -1), 4),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
                ]
            )
        )
        return table

    # -- values ---------------------------------------------------------------------------

    def emergency_number(self) -> str:
        return _text(self.data.clinic.emergency_phone)

    def dose_text(self) -> str | None:
        info = self.program
        if info is None:
            return None
        program = info.program
        if program.mode is PumpMode.STOPPED:
            return self.tr.text("program.stopped")
        doses = dose_per_day_by_weekday(program)
        low, high = min(doses.values()), max(doses.values())
        if low == high:
            return mcg_per_day_text(self.tr, low)
        return f"{mcg_per_day_text(self.tr, low)} – {mcg_per_day_text(self.tr, high)}"

    def pump_text(self) -> str | None:
        pump = self.data.pump
        if pump is None or not _text(pump.model):
            return None
        if pump.reservoir_ml is None:
            return pump.model.strip()
        return self.tr.text(
            "care.pump.pump_value",
            model=pump.model.strip(),
            reservoir=self.tr.text("unit.ml", n=self.tr.number(pump.reservoir_ml)),
        )

    def medicine_text(self) -> str | None:
        info = self.program
        if info is None:
            return None
        return self.tr.text(
            "care.pump.medicine_value",
            concentration=concentration_text(self.tr, info.program.concentration_mcg_per_ml),
        )

    # -- sections -------------------------------------------------------------------------

    def identity(self) -> list[Flowable]:
        patient = self.data.patient
        name = patient.display_name
        out: list[Flowable] = [self.p(self.t("care.title"), "title")]
        # A very long name in the largest type would push the emergency box off the page.
        name_style = "big" if len(name) <= LONG_NAME else "h3"
        out.append(
            self.p(esc(name) if name else self.gap("patient name", "gap.fill_in"), name_style)
        )
        details = [self.t("care.record", mrn=_text(patient.mrn) or "—")]
        if patient.date_of_birth is not None:
            details.append(self.t("care.born", date=self.tr.date(patient.date_of_birth)))
        out.append(self.p(" · ".join(details), "body"))
        if self.data.is_draft:
            out.append(Spacer(1, 2))
            out.append(
                self.boxed(
                    [[self.p(self.t("draft.banner"), "alert")]], background=ALERT_BG, border=ALERT
                )
            )
        return out

    def emergency_box(self) -> Flowable:
        number = self.emergency_number()
        rows: list[Flowable] = [
            self.p(self.t("care.emergency.heading"), "h3"),
            self.p(self.t("care.emergency.text")),
        ]
        summary = [x for x in (self.pump_text(), self.medicine_text(), self.dose_text()) if x]
        if summary:
            rows.append(self.p("<b>" + " · ".join(esc(x) for x in summary) + "</b>"))
        if number:
            rows.append(
                self.p(
                    self.t("care.emergency.call", clinic=_text(self.data.clinic.name)),
                    "body_bold",
                )
            )
            rows.append(self.p(phone(number), "big"))
        else:
            self.gaps.append("24-hour emergency number")
            rows.append(
                self.p(
                    f'<font backColor="#fff4cc">{self.t("care.emergency.no_number")}</font>',
                    "body_bold",
                )
            )
        return self.boxed([[r] for r in rows], background=ALERT_BG, border=ALERT)

    def pump_section(self) -> list[Flowable]:
        rows: list[list[Flowable]] = []
        pump = self.pump_text()
        rows.append(
            [
                self.p(self.t("care.pump.pump"), "table_bold"),
                self.p(esc(pump) if pump else self.gap("pump model")),
            ]
        )
        medicine = self.medicine_text()
        rows.append(
            [
                self.p(self.t("care.pump.medicine"), "table_bold"),
                self.p(esc(medicine) if medicine else self.gap("medicine and concentration")),
            ]
        )
        dose = self.dose_text()
        rows.append(
            [
                self.p(self.t("care.pump.dose"), "table_bold"),
                self.p(esc(dose), "big") if dose else self.p(self.gap("dose per day")),
            ]
        )
        info = self.program
        if info is not None:
            lines = program_lines(info.program, self.tr)[1:]  # the drug line is shown above
            schedule = "<br/>".join(esc(line) for line in lines)
            rows.append([self.p(self.t("care.pump.schedule"), "table_bold"), self.p(schedule)])
        table = Table(rows, colWidths=[self.width * 0.3, self.width * 0.7], hAlign="LEFT")
        table.setStyle(
            TableStyle(
                [
                    ("GRID", (0, 0), (-1, -1), 0.6, RULE),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("BACKGROUND", (0, 0), (0, -1), CALM_BG),
                ]
            )
        )
        out: list[Flowable] = [self.heading("care.pump.heading"), table]
        if info is not None and info.newer_version is not None:
            out.append(Spacer(1, 4))
            out.append(
                self.p(
                    self.t(
                        "care.pump.newer_waiting", version=info.version, newer=info.newer_version
                    ),
                    "gap",
                )
            )
        if info is None:
            out.append(Spacer(1, 4))
            key = "care.pump.invalid_program" if self.invalid_program else "care.pump.no_program"
            out.append(self.p(self.t(key), "gap"))
        return out

    def generated_on(self) -> dt.date:
        at = self.data.generated_at
        return at.astimezone().date() if at.tzinfo else at.date()

    def passed_dates_row(self) -> list[Flowable] | None:
        """A refill-by or alarm date already past when printed is said in words, not left for
        the reader to notice."""
        refill = self.data.refill
        if refill is None:
            return None
        today = self.data.for_day or self.generated_on()
        if refill.alarm_date is not None and refill.alarm_date < today:
            key = "care.dates.past_alarm"
        elif refill.alarm_date is not None and refill.alarm_date == today:
            key = "care.dates.alarm_today"
        elif refill.refill_by == today:
            key = "care.dates.due_today"
        elif refill.refill_by < today:
            visit = self.data.next_appointment
            booked = visit is not None and visit.on >= today
            key = "care.dates.overdue_booked" if booked else "care.dates.overdue"
        else:
            return None
        return [
            self.p(self.t("care.dates.passed_label"), "big_label"),
            self.p(self.t(key), "alert"),
        ]

    def dates_section(self) -> list[Flowable]:
        refill = self.data.refill
        rows: list[list[Flowable]] = []
        if refill is not None:
            rows.append(
                [
                    self.p(self.t("care.dates.refill_by"), "big_label"),
                    self.p(esc(self.tr.date(refill.refill_by)), "big_date"),
                ]
            )
        else:
            rows.append(
                [
                    self.p(self.t("care.dates.refill_by"), "big_label"),
                    self.p(self.gap("refill-by date")),
                ]
            )
        if refill is not None and refill.alarm_date is not None:
            rows.append(
                [
                    self.p(self.t("care.dates.alarm"), "big_label"),
                    [
                        self.p(esc(self.tr.date(refill.alarm_date)), "big_date"),
                        self.p(self.t("care.dates.alarm_note")),
                    ],
                ]
            )
        else:
            rows.append(
                [self.p(self.t("care.dates.alarm"), "big_label"), self.p(self.gap("alarm date"))]
            )
        passed = self.passed_dates_row()
        if passed is not None:
            rows.append(passed)
        appointment = self.data.next_appointment
        if appointment is not None:
            when = self.tr.date(appointment.on)
            if appointment.at is not None:
                when = self.tr.text(
                    "care.dates.appointment_at", date=when, time=self.tr.time(appointment.at)
                )
            if _text(appointment.place):
                when = self.tr.text(
                    "care.dates.appointment_place", when=when, place=appointment.place.strip()
                )
            rows.append(
                [
                    self.p(self.t("care.dates.appointment"), "big_label"),
                    self.p(esc(when), "body_bold"),
                ]
            )
        else:
            rows.append(
                [
                    self.p(self.t("care.dates.appointment"), "big_label"),
                    self.p(self.gap("next appointment")),
                ]
            )
        table = Table(rows, colWidths=[self.width * 0.3, self.width * 0.7], hAlign="LEFT")
        table.setStyle(
            TableStyle(
                [
                    ("BOX", (0, 0), (-1, -1), 1.5, RULE),
                    ("LINEBELOW", (0, 0), (-1, -2), 0.6, RULE),
                    ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                    ("TOPPADDING", (0, 0), (-1, -1), 5),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 6),
                ]
            )
        )
        return [self.heading("care.dates.heading"), table]

    def chart_section(self) -> list[Flowable]:
        info = self.program
        if info is None or info.program.mode is PumpMode.STOPPED:
            return []
        program = info.program
        groups: dict[tuple, list[int]] = {}
        for weekday in range(7):
            groups.setdefault(program.steps_for(weekday), []).append(weekday)
        out: list[Flowable] = []
        # A regular reference week (no daylight-saving change in UTC): the chart shows the
        # nominal clock hours of the schedule, as the pump's program is written.
        monday = dt.date(2026, 1, 5)
        for days in list(groups.values())[:3]:
            day = monday + dt.timedelta(days=days[0])
            hours = hourly_doses(program, day, "UTC")
            labels = [clock(self.tr, h.start.hour * 60) for h in hours]
            drawing = hourly_dose_chart(
                [h.dose_mcg for h in hours],
                labels,
                width=self.width,
                height=62 * mm,
                axis_title=self.tr.text("care.chart.axis"),
                hours_title=self.tr.text("care.chart.hours"),
            )
            block: list[Flowable] = []
            if len(groups) > 1:
                block.append(
                    self.p(
                        self.t("care.chart.days", days=weekdays_text(self.tr, days)), "body_bold"
                    )
                )
            block.append(drawing)
            out.append(KeepTogether(block))
        return [
            KeepTogether(
                [self.heading("care.chart.heading"), self.p(self.t("care.chart.note")), out[0]]
            ),
            *out[1:],
        ]

    def team_section(self) -> list[Flowable]:
        rows: list[list[Flowable]] = [
            [
                self.p(self.t("care.team.role"), "table_bold"),
                self.p(self.t("care.team.name"), "table_bold"),
                self.p(self.t("care.team.phone"), "table_bold"),
            ]
        ]
        for member in self.data.team:
            role = member.role
            role_text = (
                self.tr.text(f"role.{role.value}") if isinstance(role, Discipline) else str(role)
            )
            number = _text(member.phone)
            rows.append(
                [
                    self.p(esc(role_text)),
                    self.p(esc(_text(member.name)) or self.gap("team member name", "gap.fill_in")),
                    self.p(
                        phone(number)
                        if number
                        else self.gap(f"phone of the {role_text.lower()}", "gap.fill_in")
                    ),
                ]
            )
        clinic_phone = _text(self.data.clinic.phone)
        rows.append(
            [
                self.p(self.t("care.team.clinic"), "table_bold"),
                self.p(esc(_text(self.data.clinic.name))),
                self.p(
                    phone(clinic_phone) if clinic_phone else self.gap("clinic phone", "gap.fill_in")
                ),
            ]
        )
        number = self.emergency_number()
        rows.append(
            [
                self.p(self.t("care.team.emergency"), "table_bold"),
                self.p(esc(_text(self.data.clinic.name))),
                self.p(
                    f"<b>{phone(number)}</b>"
                    if number
                    else self.gap("24-hour emergency number", "gap.fill_in"),
                    "body_bold",
                ),
            ]
        )
        table = Table(
            rows,
            colWidths=[self.width * 0.3, self.width * 0.4, self.width * 0.3],
            hAlign="LEFT",
            repeatRows=1,
        )
        table.setStyle(
            TableStyle(
                [
                    ("GRID", (0, 0), (-1, -1), 0.6, RULE),
                    ("BACKGROUND", (0, 0), (-1, 0), CALM_BG),
                    ("BACKGROUND", (0, -1), (-1, -1), ALERT_BG),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ]
            )
        )
        out: list[Flowable] = [self.heading("care.team.heading")]
        if not self.data.team:
            self.gaps.append("care team")
            out.append(self.p(self.t("care.team.none"), "gap"))
        out.append(table)
        return out

    def safety_sections(self) -> list[Flowable]:
        out: list[Flowable] = []
        out.append(
            KeepTogether(
                [
                    self.heading("care.withdrawal.heading"),
                    *self.bullets("care.withdrawal.signs"),
                    Spacer(1, 3),
                    self.boxed(
                        [[self.p(self.t("care.withdrawal.action"), "body_bold")]],
                        background=ALERT_BG,
                        border=ALERT,
                    ),
                    Spacer(1, 3),
                    self.p(self.t("care.withdrawal.risk")),
                ]
            )
        )
        out.append(
            KeepTogether(
                [
                    self.heading("care.overdose.heading"),
                    *self.bullets("care.overdose.signs"),
                    Spacer(1, 3),
                    self.boxed(
                        [[self.p(self.t("care.overdose.action"), "body_bold")]],
                        background=ALERT_BG,
                        border=ALERT,
                    ),
                ]
            )
        )
        alarms: list[Flowable] = [self.heading("care.alarms.heading")]
        pump = self.data.pump
        if pump is not None and "synchromed" in pump.model.lower():
            alarms += [
                Paragraph(self.t("care.alarms.two_tone"), self.s.bullet, bulletText="•"),
                Paragraph(self.t("care.alarms.single_tone"), self.s.bullet, bulletText="•"),
                self.p(self.t("care.alarms.applies"), "small"),
            ]
        else:
            self.gaps.append("pump alarms")
            alarms.append(self.p(self.t("care.alarms.other_pump"), "gap"))
        out.append(KeepTogether(alarms))
        out.append(
            KeepTogether([self.heading("care.mri.heading"), self.p(self.t("care.mri.text"))])
        )
        out.append(
            KeepTogether(
                [self.heading("care.activity.heading"), *self.bullets("care.activity.items")]
            )
        )
        out.append(
            KeepTogether([self.heading("care.other.heading"), *self.bullets("care.other.items")])
        )
        return out

    def goals_section(self) -> list[Flowable]:
        goals = [g.strip() for g in self.data.goals if g and g.strip()]
        out: list[Flowable] = [self.heading("care.goals.heading")]
        if goals:
            out += [Paragraph(esc(g), self.s.bullet, bulletText="•") for g in goals]
        else:
            self.gaps.append("goals")
            out.append(self.p(self.t("care.goals.none"), "gap"))
        return [KeepTogether(out)]

    def wallet_card(self) -> list[Flowable]:
        s = self.s
        name = self.data.patient.display_name
        number = self.emergency_number()
        missing = f'<font backColor="#fff4cc">[{self.t("gap.fill_in")}]</font>'
        front = [
            Paragraph(self.t("card.front_title"), s.card_title),
            Spacer(1, 2),
            Paragraph(self.t("card.front_text"), s.card_bold),
            Spacer(1, 3),
            Paragraph(f"<b>{self.t('card.name')}:</b> {esc(name)}", s.card),
            Paragraph(f"<b>{self.t('card.record')}:</b> {esc(self.data.patient.mrn)}", s.card),
        ]
        back = [
            Paragraph(f"<b>{self.t('card.pump')}:</b> {esc(self.pump_text()) or missing}", s.card),
            Paragraph(
                f"<b>{self.t('card.drug')}:</b> {esc(self.medicine_text()) or missing}", s.card
            ),
            Paragraph(f"<b>{self.t('card.dose')}:</b> {esc(self.dose_text()) or missing}", s.card),
            Spacer(1, 3),
            Paragraph(f"<b>{self.t('card.call')}:</b>", s.card_bold),
            Paragraph(phone(number), s.card_number) if number else Paragraph(missing, s.card),
            Paragraph(
                f"<b>{self.t('card.clinic')}:</b> {esc(_text(self.data.clinic.name))}", s.card
            ),
        ]
        card = Table(
            [[front, back]],
            colWidths=[CARD_WIDTH, CARD_WIDTH],
            rowHeights=[CARD_HEIGHT],
            hAlign="LEFT",
        )
        card.setStyle(
            TableStyle(
                [
                    ("BOX", (0, 0), (-1, -1), 1, RULE, None, (3, 3)),
                    ("LINEAFTER", (0, 0), (0, 0), 0.6, RULE, None, (1, 3)),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("LEFTPADDING", (0, 0), (-1, -1), 7),
                    ("RIGHTPADDING", (0, 0), (-1, -1), 7),
                    ("TOPPADDING", (0, 0), (-1, -1), 6),
                    ("BACKGROUND", (0, 0), (0, 0), ALERT_BG),
                ]
            )
        )
        return [
            CondPageBreak(CARD_HEIGHT + 30 * mm),
            KeepTogether(
                [
                    Spacer(1, 8 * mm),
                    self.p("✂ " + self.t("card.heading"), "small"),
                    Spacer(1, 2 * mm),
                    card,
                ]
            ),
        ]

    # -- the document ---------------------------------------------------------------------

    def story(self) -> list[Flowable]:
        story: list[Flowable] = []
        story += self.identity()
        story.append(Spacer(1, 4))
        story.append(self.emergency_box())
        story += self.pump_section()
        story += self.dates_section()
        story += self.chart_section()
        story += self.team_section()
        story += self.safety_sections()
        story += self.goals_section()
        story += self.wallet_card()
        return story

    def frame(self) -> PageFrame:
        data = self.data
        date = self.tr.short_date(
            data.generated_at.astimezone().date()
            if data.generated_at.tzinfo
            else data.generated_at.date()
        )
        local = data.generated_at.astimezone() if data.generated_at.tzinfo else data.generated_at
        time = f"{local:%H:%M}"
        who = _text(data.generated_by) or "—"
        if data.program is not None:
            generated = self.tr.text(
                "footer.generated", date=date, time=time, who=who, version=data.program.version
            )
        else:
            generated = self.tr.text("footer.generated_no_program", date=date, time=time, who=who)
        return PageFrame(
            clinic_name=_text(data.clinic.name),
            footer_identity=self.tr.text(
                "footer.identity", name="{name}", mrn=_text(data.patient.mrn)
            ),
            footer_name=data.patient.display_name,
            footer_generated=generated,
            footer_audit=(
                self.tr.text("footer.audit", seq=data.audit_head[0], hash=data.audit_head[1])
                if data.audit_head
                else ""
            ),
            page_of=self.tr.text("page.of", page="{page}", pages="{pages}"),
            draft=data.is_draft,
            draft_word=self.tr.text("draft.word"),
            draft_note=self.tr.text("draft.note"),
        )


def render_care_plan(data: CarePlanInput) -> RenderedReport:
    """The handout as PDF bytes, with the list of what it had to mark as missing."""
    builder = _Builder(data)
    story = builder.story()
    frame = builder.frame()
    pdf = build_pdf(
        story,
        frame,
        data.page_size,
        title=builder.tr.text("care.title"),
        author=_text(data.clinic.name),
        subject=data.patient.display_name,
    )
    gaps = builder.gaps + [f"translation: {g}" for g in builder.tr.gaps]
    wanted = (data.language or data.patient.preferred_language or "").strip().lower()
    note = ""
    if wanted and wanted != builder.tr.language:
        note = f"There is no “{wanted}” translation of the care plan yet: it is printed in English."
    return RenderedReport(
        pdf=pdf,
        gaps=list(dict.fromkeys(gaps)),
        language=builder.tr.language,
        language_note=note,
    )
