"""Small charts drawn with reportlab.graphics: the 24-hour dose chart and scales before/after."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.shapes import Drawing, Line, Rect, String
from reportlab.lib import colors

from carecoord.reports.fonts import register_fonts, visual

BAR = colors.HexColor("#2b5d8a")
BEFORE = colors.HexColor("#9aa7b4")
AFTER = colors.HexColor("#2b5d8a")


def nice_axis(value: float) -> tuple[float, float]:
    """(top, step): a round step and a top at or just above the highest bar, 3 to 6 steps."""
    if value <= 0:
        return 1.0, 0.25
    step = 1e-3
    while True:
        for factor in (1, 2, 2.5, 5):
            candidate = step * factor
            if value / candidate <= 5:
                count = int(value / candidate) + (0 if value % candidate == 0 else 1)
                return candidate * max(count, 1), candidate
        step *= 10


def hourly_dose_chart(
    doses_mcg: Sequence[Decimal],
    hour_labels: Sequence[str],
    *,
    width: float,
    height: float,
    axis_title: str,
    hours_title: str,
) -> Drawing:
    """One bar per clock hour; labels every third hour so they stay readable at 10 pt.

    Drawn from plain shapes rather than reportlab's chart widget: the same picture at a
    fraction of the cost, which matters when a whole refill list is printed.
    """
    regular, bold = register_fonts()
    drawing = Drawing(width, height)
    left, bottom = 44.0, 34.0
    plot_width, plot_height = width - 54.0, height - 60.0
    values = [float(d) for d in doses_mcg]
    top, step = nice_axis(max(values, default=0) * 1.05)  # headroom above the highest bar
    grid = colors.HexColor("#d0d0d0")
    ticks = round(top / step)
    for index in range(ticks + 1):
        value = step * index
        y = bottom + plot_height * value / top
        drawing.add(Line(left, y, left + plot_width, y, strokeColor=grid, strokeWidth=0.5))
        drawing.add(Line(left - 4, y, left, y, strokeColor=colors.black, strokeWidth=0.5))
        drawing.add(
            String(
                left - 6,
                y - 3.5,
                f"{round(value, 6):g}",
                fontName=regular,
                fontSize=10,
                textAnchor="end",
            )
        )
    drawing.add(
        Line(left, bottom, left, bottom + plot_height, strokeColor=colors.black, strokeWidth=0.6)
    )
    drawing.add(
        Line(left, bottom, left + plot_width, bottom, strokeColor=colors.black, strokeWidth=0.6)
    )
    count = max(len(values), 1)
    slot = plot_width / count
    for index, value in enumerate(values):
        bar_height = plot_height * value / top if top else 0
        if bar_height > 0:
            drawing.add(
                Rect(
                    left + index * slot + 1,
                    bottom,
                    slot - 2,
                    bar_height,
                    fillColor=BAR,
                    strokeColor=None,
                )
            )
        if index % 3 == 0 and index < len(hour_labels):
            x = left + index * slot
            drawing.add(Line(x, bottom, x, bottom - 4, strokeColor=colors.black, strokeWidth=0.5))
            drawing.add(
                String(
                    x + slot / 2,
                    bottom - 14,
                    visual(hour_labels[index]),
                    fontName=regular,
                    fontSize=10,
                    textAnchor="middle",
                )
            )
    drawing.add(String(4, height - 10, visual(axis_title), fontName=bold, fontSize=10))
    drawing.add(
        String(
            width / 2, 4, visual(hours_title), fontName=regular, fontSize=10, textAnchor="middle"
        )
    )
    return drawing


def before_after_chart(
    names: Sequence[str],
    before: Sequence[float | None],
    after: Sequence[float | None],
    *,
    panel_width: float,
    height: float,
    per_row: int = 4,
    before_label: str = "Before screening",
    after_label: str = "After screening",
) -> Drawing:
    """One small panel per scale, each with its own axis (an Ashworth grade of 3 and a Barthel
    score of 60 cannot share one), before and after side by side; a legend on top."""
    regular, _bold = register_fonts()
    rows = max(1, -(-len(names) // per_row))
    legend = 16
    drawing = Drawing(panel_width * min(len(names), per_row), rows * height + legend)
    for index, name in enumerate(names):
        row, column = divmod(index, per_row)
        x0 = column * panel_width
        y0 = (rows - 1 - row) * height
        chart = VerticalBarChart()
        chart.x, chart.y = x0 + 28, y0 + 26
        chart.width, chart.height = panel_width - 40, height - 36
        chart.data = [[before[index] or 0], [after[index] or 0]]
        chart.bars[0].fillColor = BEFORE
        chart.bars[1].fillColor = AFTER
        chart.bars.strokeColor = None
        chart.barSpacing = 4
        top, step = nice_axis(max(before[index] or 0, after[index] or 0))
        chart.valueAxis.valueMin = 0
        chart.valueAxis.valueMax = top
        chart.valueAxis.valueStep = step
        chart.valueAxis.labels.fontName = regular
        chart.valueAxis.labels.fontSize = 8
        chart.valueAxis.labelTextFormat = lambda v: f"{v:g}"
        chart.categoryAxis.categoryNames = [""]
        drawing.add(chart)
        drawing.add(
            String(
                x0 + 28 + chart.width / 2,
                y0 + 12,
                visual(name),
                fontName=regular,
                fontSize=8.5,
                textAnchor="middle",
            )
        )
    y = rows * height + 3
    drawing.add(Rect(28, y, 9, 9, fillColor=BEFORE, strokeColor=None))
    drawing.add(String(41, y + 1, before_label, fontName=regular, fontSize=9))
    drawing.add(Rect(150, y, 9, 9, fillColor=AFTER, strokeColor=None))
    drawing.add(String(163, y + 1, after_label, fontName=regular, fontSize=9))
    return drawing
