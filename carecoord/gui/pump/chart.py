"""Charts drawn with QPainter: the dose in each hour of a day, and dose per day over months.

They paint only what they were given (``set_*``); no service call happens while painting.
Every chart also has a text form (``summary``) for screen readers and tests.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from carecoord.domain.units import format_date, format_number

BAR = QColor("#2a7ab0")
BAR_OLD = QColor("#b9c7d1")
AXIS = QColor("#55636e")
GRID = QColor("#e3e9ed")
TEXT = QColor("#1f2a33")


def _axis(value: float, ticks: int = 4) -> tuple[float, float]:
    """A round axis maximum at or above ``value`` and its tick step (1, 2, 2.5, 5 x 10^n)."""
    if value <= 0:
        return 1.0, 0.25
    raw = value / ticks
    exponent = 10 ** int(f"{raw:e}".split("e")[1])
    step = next(s * exponent for s in (1, 2, 2.5, 5, 10) if s * exponent >= raw)
    count = -(-value // step)
    return step * count, step


class HourlyDoseChart(QWidget):
    """24 bars: mcg delivered in each clock hour; the active program as outlines to compare."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("hourlyDoseChart")
        self.hours: list[Decimal] = []
        self.labels: list[str] = []  # "02:00", "02:00 (again)"; default: 00 to 23
        self.compare: list[Decimal] = []
        self.note = ""
        self.setMinimumHeight(self.fontMetrics().height() * 9)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def sizeHint(self) -> QSize:
        return QSize(self.fontMetrics().averageCharWidth() * 70, self.fontMetrics().height() * 12)

    def set_hours(
        self,
        hours: list[Decimal],
        compare: list[Decimal] | None = None,
        note: str = "",
        labels: list[str] | None = None,
    ) -> None:
        self.hours = list(hours)
        self.labels = list(labels) if labels else [f"{h:02d}:00" for h in range(len(hours))]
        self.compare = list(compare or [])
        self.note = note
        self.setAccessibleDescription(self.summary())
        self.update()

    def summary(self) -> str:
        if not self.hours:
            return self.note or "No dose to show."
        parts = [
            f"{label} {format_number(v, 2)} mcg"
            for label, v in zip(self.labels, self.hours, strict=True)
        ]
        return "Dose in each hour: " + "; ".join(parts)

    def paintEvent(self, _event: object) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        fm = self.fontMetrics()
        left = fm.horizontalAdvance("0000.0") + 8
        top = fm.height()
        bottom = fm.height() * 2 + 4
        area = QRectF(left, top, max(10, self.width() - left - 8), self.height() - top - bottom)
        p.fillRect(self.rect(), QColor("#ffffff"))
        if not self.hours:
            p.setPen(AXIS)
            p.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, self.note or "No dose to show")
            return
        values = [float(v) for v in self.hours] + [float(v) for v in self.compare]
        ymax, ystep = _axis(max(values))
        # Grid lines and labels (mcg in the hour).
        for i in range(round(ymax / ystep) + 1):
            y = area.bottom() - area.height() * i * ystep / ymax
            p.setPen(QPen(GRID, 1))
            p.drawLine(QPointF(area.left(), y), QPointF(area.right(), y))
            p.setPen(AXIS)
            label = format_number(Decimal(str(i * ystep)), 2)
            p.drawText(
                QRectF(0, y - fm.height() / 2, left - 4, fm.height()),
                Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                label,
            )
        n = len(self.hours)
        slot = area.width() / n
        for i, value in enumerate(self.hours):
            x = area.left() + i * slot
            h = area.height() * float(value) / ymax
            p.fillRect(QRectF(x + slot * 0.15, area.bottom() - h, slot * 0.7, h), BAR)
            if i < len(self.compare):
                old = area.height() * float(self.compare[i]) / ymax
                p.setPen(QPen(QColor("#c0392b"), 2, Qt.PenStyle.DashLine))
                p.drawLine(
                    QPointF(x + slot * 0.05, area.bottom() - old),
                    QPointF(x + slot * 0.95, area.bottom() - old),
                )
        p.setPen(AXIS)
        p.drawLine(area.bottomLeft(), area.bottomRight())
        step = 1 if slot > fm.horizontalAdvance("00") + 6 else (3 if slot * 3 > 24 else 6)
        for i in range(0, n, step):
            x = area.left() + i * slot
            p.drawText(
                QRectF(x, area.bottom() + 2, slot * step, fm.height()),
                Qt.AlignmentFlag.AlignLeft,
                self.labels[i][:2] if i < len(self.labels) else f"{i:02d}",
            )
        caption = "mcg in each clock hour"
        if self.compare:
            caption += "; dashed line: active program"
        if self.note:
            caption += f"   {self.note}"
        p.drawText(
            QRectF(left, area.bottom() + fm.height() + 2, area.width(), fm.height()),
            Qt.AlignmentFlag.AlignLeft,
            caption,
        )
        p.end()


class DoseHistoryChart(QWidget):
    """Dose per day over time as a step line: one level per programmed program."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("doseHistoryChart")
        # (from, until, mcg/day, label); until None = still in force.
        self.periods: list[tuple[dt.date, dt.date | None, Decimal, str]] = []
        self.today = dt.date.today()
        self.setMinimumHeight(self.fontMetrics().height() * 10)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def sizeHint(self) -> QSize:
        return QSize(self.fontMetrics().averageCharWidth() * 80, self.fontMetrics().height() * 14)

    def set_periods(
        self,
        periods: list[tuple[dt.date, dt.date | None, Decimal, str]],
        today: dt.date | None = None,
    ) -> None:
        self.periods = sorted(periods, key=lambda p: p[0])
        self.today = today or dt.date.today()
        self.setAccessibleDescription(self.summary())
        self.update()

    def summary(self) -> str:
        if not self.periods:
            return "No program has been programmed yet."
        return "; ".join(
            f"{label}: {format_number(dose, 1)} mcg/day from {format_date(start)}"
            for start, _end, dose, label in self.periods
        )

    def paintEvent(self, _event: object) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.fillRect(self.rect(), QColor("#ffffff"))
        fm = self.fontMetrics()
        if not self.periods:
            p.setPen(AXIS)
            p.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, self.summary())
            return
        left = fm.horizontalAdvance("00000") + 10
        top = fm.height() * 1.5
        bottom = fm.height() * 2 + 6
        area = QRectF(left, top, max(10, self.width() - left - 12), self.height() - top - bottom)
        first = self.periods[0][0]
        last = max(self.today, *(p[1] or self.today for p in self.periods))
        span = max(1, (last - first).days)
        ymax, ystep = _axis(max(float(p[2]) for p in self.periods) * 1.1)

        def x_of(day: dt.date) -> float:
            return area.left() + area.width() * (day - first).days / span

        def y_of(dose: float) -> float:
            return area.bottom() - area.height() * dose / ymax

        for i in range(round(ymax / ystep) + 1):
            y = area.bottom() - area.height() * i * ystep / ymax
            p.setPen(QPen(GRID, 1))
            p.drawLine(QPointF(area.left(), y), QPointF(area.right(), y))
            p.setPen(AXIS)
            p.drawText(
                QRectF(0, y - fm.height() / 2, left - 4, fm.height()),
                Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                format_number(Decimal(str(i * ystep)), 1),
            )
        # Month ticks.
        month = dt.date(first.year, first.month, 1)
        months = []
        while month <= last:
            months.append(month)
            month = dt.date(month.year + month.month // 12, month.month % 12 + 1, 1)
        every = max(1, len(months) // 8)
        for i, m in enumerate(months):
            if m < first:
                continue
            x = x_of(m)
            p.setPen(QPen(GRID, 1))
            p.drawLine(QPointF(x, area.top()), QPointF(x, area.bottom()))
            label = m.strftime("%b %Y")
            if i % every == 0 and x + 2 + fm.horizontalAdvance(label) <= self.width():
                p.setPen(AXIS)
                p.drawText(QPointF(x + 2, area.bottom() + fm.ascent() + 2), label)
        path = QPainterPath()
        for index, (start, end, dose, _label) in enumerate(self.periods):
            until = end or self.today
            y = y_of(float(dose))
            if index == 0:
                path.moveTo(x_of(start), y)
            else:
                path.lineTo(x_of(start), y)
            path.lineTo(x_of(until), y)
        p.setPen(QPen(BAR, 2.5))
        p.drawPath(path)
        bold = QFont(self.font())
        bold.setBold(True)
        p.setFont(bold)
        label_end = -1.0  # right edge of the last label: crowded titration steps keep a dot only
        for index, (start, _end, dose, label) in enumerate(self.periods):
            x, y = x_of(start), y_of(float(dose))
            p.setBrush(BAR)
            p.drawEllipse(QPointF(x, y), 3.5, 3.5)
            text = f"{label}: {format_number(dose, 0)}"
            width = p.fontMetrics().horizontalAdvance(text)
            last = index == len(self.periods) - 1
            if x + 4 > label_end or last:
                p.setPen(TEXT)
                p.drawText(QPointF(min(x + 4, area.right() - width), y - 6), text)
                label_end = x + 4 + width + 6
            p.setPen(QPen(BAR, 2.5))
        p.setFont(self.font())
        p.setPen(AXIS)
        p.drawLine(area.bottomLeft(), area.bottomRight())
        p.drawText(
            QRectF(left, area.bottom() + fm.height() + 4, area.width(), fm.height()),
            Qt.AlignmentFlag.AlignLeft,
            "Dose per day (mcg) of each programmed program, over time (every program is "
            "listed below)",
        )
        p.end()
