"""Charts drawn on the server as SVG: no script, no library, the same picture for every
browser and for the saved page.

Each function takes the numbers and returns the markup of one <svg role="img">, labelled by
its <title> and described by its <desc> (ids from `label_id`). Pages show the same numbers as
a table beneath, so the picture is never the only way to read them. Colours come from the
stylesheet's classes (chart-*), so they follow the site's palette and contrast.
"""

import datetime
import math
from collections.abc import Sequence

from django.utils.formats import date_format, number_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

WIDTH = 640
LINE_HEIGHT = 240
AXIS_LEFT = 56  # room for the y axis' numbers
AXIS_BOTTOM = 28  # room for the x axis' labels
TOP = 12
ROW = 24  # a horizontal bar's row
LABEL_WIDTH = 52  # a horizontal bar's label ("10.12")
VALUE_WIDTH = 96  # room after the longest bar for its values


def nice_ceiling(value: float) -> float:
    """The axis' top: the value rounded up to 1, 2 or 5 times a power of ten."""
    if value <= 0:
        return 1
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if value <= step * power:
            return step * power
    return 10 * power  # pragma: no cover - the loop ends at 10


def _px(value: float) -> str:
    """A coordinate, to a tenth of a unit: enough for the eye, short for the wire."""
    return f"{value:.1f}".removesuffix(".0")


def _number(value: float, decimals: int = 0) -> str:
    return number_format(value, decimal_pos=decimals, use_l10n=True, force_grouping=True)


def _svg(label_id: str, title: str, description: str, height: float, body: SafeString) -> str:
    return format_html(
        '<svg class="chart" role="img" viewBox="0 0 {} {}" aria-labelledby="{}-title"'
        ' aria-describedby="{}-desc"'
        ' preserveAspectRatio="xMinYMin meet" xmlns="http://www.w3.org/2000/svg">'
        '<title id="{}-title">{}</title><desc id="{}-desc">{}</desc>{}</svg>',
        WIDTH,
        round(height),
        *(label_id, label_id),
        *(label_id, title),
        *(label_id, description),
        body,
    )


def _y_axis(top_value: float, *, height: float, percent: bool = False) -> SafeString:
    """Gridlines and numbers at 0, ½ and the top of a vertical axis."""
    lines = []
    for share in (0, 0.5, 1):
        y = TOP + (1 - share) * height
        value = top_value * share
        text = f"{_number(value)}%" if percent else _number(value, 0 if value >= 10 else 1)
        if value == int(value):
            text = f"{_number(int(value))}%" if percent else _number(int(value))
        lines.append((AXIS_LEFT, WIDTH, _px(y), _px(y), AXIS_LEFT - 6, _px(y + 4), text))
    return format_html_join(
        "",
        '<line class="chart-grid" x1="{}" x2="{}" y1="{}" y2="{}"/>'
        '<text class="chart-axis" x="{}" y="{}" text-anchor="end">{}</text>',
        lines,
    )


def cumulative_line(
    points: Sequence[tuple[datetime.date, int]],
    *,
    label_id: str,
    title: str,
    description: str,
) -> str:
    """A running total over days, as a stepped line with its area filled: `points` are the
    days on which it grew, earliest first, with the total at the end of each."""
    height = LINE_HEIGHT - TOP - AXIS_BOTTOM
    first, last = points[0][0], points[-1][0]
    span = max((last - first).days, 1)
    top_value = nice_ceiling(points[-1][1])
    plot_width = WIDTH - AXIS_LEFT - 8

    def x(day: datetime.date) -> float:
        return AXIS_LEFT + (day - first).days / span * plot_width

    def y(value: float) -> float:
        return TOP + (1 - value / top_value) * height

    path = [f"M{x(first):.1f},{y(0):.1f}"]
    previous = 0
    for day, total in points:
        path.append(f"L{x(day):.1f},{y(previous):.1f}L{x(day):.1f},{y(total):.1f}")
        previous = total
    path.append(f"L{x(last) if span > 1 else WIDTH - 8:.1f},{y(previous):.1f}")
    line = "".join(path)
    area = f"{line}L{x(last) if span > 1 else WIDTH - 8:.1f},{y(0):.1f}Z"
    baseline = TOP + height
    body = format_html(
        '{}<path class="chart-area" d="{}"/><path class="chart-line" d="{}"/>'
        '<text class="chart-axis" x="{}" y="{}">{}</text>'
        '<text class="chart-axis" x="{}" y="{}" text-anchor="end">{}</text>',
        _y_axis(top_value, height=height),
        area,
        line,
        AXIS_LEFT,
        _px(baseline + 20),
        date_format(first, "j M" if last != first else "j M Y"),
        WIDTH - 8,
        _px(baseline + 20),
        date_format(last, "j M Y") if last != first else "",
    )
    return _svg(label_id, title, description, LINE_HEIGHT, body)


def columns(bars: Sequence[tuple[str, int]], *, label_id: str, title: str, description: str) -> str:
    """Vertical bars, one per label (the weeks of a run), each with its value above it."""
    height = LINE_HEIGHT - TOP - AXIS_BOTTOM
    top_value = nice_ceiling(max(value for _, value in bars))
    plot_width = WIDTH - AXIS_LEFT - 8
    slot = plot_width / len(bars)
    bar_width = min(slot * 0.7, 64)
    shapes = []
    for index, (label, value) in enumerate(bars):
        bar_height = value / top_value * height
        left = AXIS_LEFT + index * slot + (slot - bar_width) / 2
        centre = left + bar_width / 2
        shapes.append(
            format_html(
                '<rect class="chart-bar" x="{}" y="{}" width="{}" height="{}"/>'
                '<text class="chart-value" x="{}" y="{}" text-anchor="middle">{}</text>'
                '<text class="chart-axis" x="{}" y="{}" text-anchor="middle">{}</text>',
                _px(left),
                _px(TOP + height - bar_height),
                _px(bar_width),
                _px(bar_height),
                _px(centre),
                _px(TOP + height - bar_height - 4),
                _number(value),
                _px(centre),
                _px(TOP + height + 20),
                label,
            )
        )
    body = format_html("{}{}", _y_axis(top_value, height=height), SafeString("".join(shapes)))
    return _svg(label_id, title, description, LINE_HEIGHT, body)


def bars(
    rows: Sequence[tuple[str, Sequence[float]]],
    *,
    label_id: str,
    title: str,
    description: str,
    percent: bool = False,
    legend: Sequence[str] = (),
) -> str:
    """Horizontal bars, a row per label (the steps of a course, its questions), each row one
    bar per series drawn over each other: the first series widest and palest (visited), the
    next inside it (completed), named by `legend`. With `percent`, values are shares out of
    100. Each row ends with its values, in the order of the series."""
    series_count = max(len(values) for _, values in rows)
    top_value = 100.0 if percent else nice_ceiling(max(max(values) for _, values in rows))
    plot_width = WIDTH - LABEL_WIDTH - VALUE_WIDTH
    shapes = []
    first_row = TOP + (ROW if legend else 0)
    for series, name in enumerate(legend):
        left = LABEL_WIDTH + series * 160
        shapes.append(
            format_html(
                '<rect class="chart-bar chart-bar--{}" x="{}" y="{}" width="14" height="14"/>'
                '<text class="chart-axis" x="{}" y="{}">{}</text>',
                series + 1,
                left,
                TOP,
                left + 20,
                TOP + 12,
                name,
            )
        )
    for index, (label, values) in enumerate(rows):
        top = first_row + index * ROW
        shapes.append(
            format_html(
                '<text class="chart-axis" x="{}" y="{}" text-anchor="end">{}</text>',
                LABEL_WIDTH - 8,
                _px(top + ROW / 2 + 4),
                label,
            )
        )
        for series, value in enumerate(values):
            inset = series * 5
            shapes.append(
                format_html(
                    '<rect class="chart-bar chart-bar--{}" x="{}" y="{}" width="{}" height="{}"/>',
                    series + 1 if series_count > 1 else 0,
                    LABEL_WIDTH,
                    _px(top + 3 + inset),
                    _px(value / top_value * plot_width),
                    _px(ROW - 6 - 2 * inset),
                )
            )
        shown = " / ".join(f"{_number(value)}%" if percent else _number(value) for value in values)
        shapes.append(
            format_html(
                '<text class="chart-value" x="{}" y="{}">{}</text>',
                _px(LABEL_WIDTH + max(values) / top_value * plot_width + 6),
                _px(top + ROW / 2 + 4),
                shown,
            )
        )
    height = first_row + TOP + len(rows) * ROW
    return _svg(label_id, title, description, height, SafeString("".join(shapes)))
