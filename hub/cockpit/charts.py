"""The cockpit's charts: SVG drawn on the server by pygal, each with the table of its data (read by
screen readers in place of the picture, and downloaded as CSV)."""

from __future__ import annotations

import base64
import copy
import csv
import io
import math
import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import TypedDict

import pygal  # type: ignore[import-untyped]
from babel.numbers import format_compact_decimal, format_decimal, format_percent
from pygal.style import Style  # type: ignore[import-untyped]
from pygal.util import split_title  # type: ignore[import-untyped]

from hub.cockpit.figures import Cockpit
from hub.i18n import N_, gettext, supported

SCRIPT = re.compile(r"<script\b[^>]*>.*?</script>", re.S)
CHART_IDS = ("requests", "time-to-decision", "shares", "backlog", "paid")

# The design system's colours (hub/web/DESIGN.md), darkest first so small marks stay visible.
STYLE = Style(
    background="transparent",
    plot_background="transparent",
    foreground="#1f2933",
    foreground_strong="#1f2933",
    foreground_subtle="#52606d",
    colors=("#1d4ed8", "#b45309", "#047857", "#7c3aed", "#be123c", "#0e7490", "#4d7c0f", "#a16207"),
    font_family='"Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei", system-ui, sans-serif',
    label_font_size=13,
    major_label_font_size=13,
    legend_font_size=13,
    title_font_size=16,
)
# On a phone, "nothing in this period" at a size that fits the width (pygal's own is 70 px).
PHONE_STYLE = copy.copy(STYLE)
PHONE_STYLE.no_data_font_size = 18
# Most departments drawn in the backlog chart (the table lists them all).
MOST_LINES = 8
# A phone's drawing: as wide as the page's column on a 375 px screen, so text keeps its size.
PHONE_WIDTH = 360
PHONE_HEIGHT = 360
# On a phone a bar chart grows with its bars (a row of labels each), and a label is cut short
# (the table under the chart has every name in full).
PHONE_BAR_ROW = 34
PHONE_LABEL = 18  # in half-widths: a Chinese character counts two
PHONE_LEGEND = 20  # characters: a department's name in Chinese fits one line
MARGIN = 20  # pygal's own margin around a chart
SPACING = 10  # pygal's room between a chart's parts (labels and plot, legend rows)
WIDTH, HEIGHT = 720, 360  # the desktop's drawing
# Between two value labels along an axis, so that they read as two numbers.
TICK_GAP = 10
MOST_TICKS = 6
# A phone's line chart names its days slanted, so that a date fits between two others.
DAY_ROTATION = 45


@dataclass(frozen=True)
class Chart:
    """One chart: its id (for its CSV), title, the SVG (inline, no script), and its data as a table."""

    id: str
    title: str
    svg: str
    columns: list[str]
    rows: list[list[str]]
    # The same chart drawn for a phone's width: the desktop drawing scaled down to 375 px made its
    # labels a third of their size.
    svg_phone: str = ""
    phone_height: int = PHONE_HEIGHT

    @property
    def data_uri(self) -> str:
        """The SVG as a ``data:`` URI for an ``<img>``: drawn as an image, its own styles apply under
        a page policy that allows no inline style (inline in the page, the chart would be black)."""
        return _data_uri(self.svg)

    @property
    def phone_data_uri(self) -> str:
        return _data_uri(self.svg_phone)


class PhoneDrawing(TypedDict):
    svg_phone: str
    phone_height: int


def short_label(text: str, room: int = PHONE_LABEL) -> str:
    """``text`` cut to ``room`` half-widths with an ellipsis: a Chinese character is drawn about
    twice as wide as a Latin letter, so counting characters would cut English short and let
    Chinese run off the chart."""
    used = 0
    kept: list[str] = []
    for char in text:
        used += 2 if _is_wide(char) else 1
        if used > room - 1:
            return "".join(kept) + "…"
        kept.append(char)
    return text


def label_room(labels: list[str]) -> int:
    """The left margin a horizontal bar chart needs for its labels: pygal makes room for a label
    as if each character were a Latin letter, and a Chinese one is about 6 units wider; without
    the room, a long Chinese name's first characters are cut off."""
    return MARGIN + 6 * max((sum(_is_wide(char) for char in label) for label in labels), default=0)


def text_width(text: str, size: int = STYLE.label_font_size) -> float:
    """About how wide ``text`` is drawn: a Latin letter or a digit about 0.6 of the font size
    (pygal's own estimate), the widest ones and a Chinese character more."""
    return sum(size if _is_wide(char) else (0.9 if char in "%MW…" else 0.6) * size for char in text)


def _nice_steps(whole: bool) -> Iterator[Decimal]:
    """1, 2 and 5 times a power of ten, growing (from 1 for a count, from 0.01 otherwise)."""
    magnitude = Decimal(1) if whole else Decimal("0.01")
    while True:
        for factor in (1, 2, 5):
            yield factor * magnitude
        magnitude *= 10


def fitted_ticks(
    top: float,
    room: float,
    needs: Callable[[Decimal], float],
    whole: bool = False,
    steps: tuple[int, ...] = (),
) -> list[Decimal]:
    """Ticks from 0 to at least ``top`` on the smallest round step (or one of ``steps``) whose
    labels fit ``room`` px, each given what ``needs`` says it takes along the axis and a gap: the
    narrower the drawing or the longer the labels, the fewer the ticks. Never more than
    ``MOST_TICKS``, never fewer than two."""
    candidates: Iterator[Decimal] = (Decimal(step) for step in steps) if steps else _nice_steps(whole)
    for step in candidates:
        count = max(1, math.ceil(Decimal(str(top)) / step)) + 1
        if count > MOST_TICKS:
            continue
        ticks = [step * i for i in range(count)]
        if count == 2 or room / count >= max(map(needs, ticks)) + TICK_GAP:
            return ticks
    return [Decimal(0), Decimal(1)]  # only when ``steps`` are too small for ``top``


@dataclass(frozen=True)
class ValueAxis:
    """How a bar chart writes its values along its bottom: up to ``top`` (None when nothing is
    drawn), each with ``label``, on a round step (or one of ``steps``)."""

    top: float | None
    label: Callable[[float], str]
    whole: bool = False
    steps: tuple[int, ...] = ()

    def ticks(self, room: float) -> list[float]:
        """The values to mark along ``room`` px, as pygal takes them."""
        assert self.top is not None
        chosen = fitted_ticks(self.top, room, lambda v: text_width(self.label(float(v))), self.whole, self.steps)
        return [int(v) if self.whole else float(v) for v in chosen]


def _pygal_label_width(labels: list[str]) -> float:
    """The room pygal makes for a column of labels: the longest, 0.6 of the font size a character."""
    return 0.6 * STYLE.label_font_size * max(map(len, labels), default=0)


def _bars_value_room(labels: list[str], width: int, margin_left: int, margin_right: int) -> float:
    """How wide a horizontal bar chart's plot is drawn, as pygal lays it out: its width less the
    margins and the room of the labels at its left."""
    return width - margin_left - margin_right - SPACING - _pygal_label_width(labels)


def _line_plot_height(title: str, x_labels: list[str], series: int, height: int) -> float:
    """How tall a phone's line chart's plot is drawn, as pygal lays it out: its height less the
    title, the slanted day names and the legend (a line each under the plot)."""
    label = STYLE.label_font_size
    title_lines = len(split_title(title, PHONE_WIDTH, STYLE.title_font_size)) if title else 0
    days = SPACING + max(_pygal_label_width(x_labels) * math.sin(math.radians(DAY_ROTATION)), label)
    legend = SPACING + STYLE.legend_font_size * (1.5 * (series - 1) + 1) if series else 0
    return height - 2 * MARGIN - title_lines * (SPACING + STYLE.title_font_size) - days - legend


def _is_wide(char: str) -> bool:
    return unicodedata.east_asian_width(char) in ("W", "F")


def _data_uri(svg: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


def _days(hours: int | None) -> float | None:
    return None if hours is None else round(hours / 24, 2)


def _text(value: object) -> str:
    return "" if value is None else str(value)


def _base_config(**extra: object) -> dict[str, object]:
    return dict(
        style=STYLE,
        js=[],  # no script: the page's policy allows none inline, and the table carries the values
        width=WIDTH,
        height=HEIGHT,
        explicit_size=False,
        legend_at_bottom=True,
        legend_at_bottom_columns=3,
        truncate_legend=40,
        print_values=False,
        show_y_guides=True,
        **extra,
    )


def count_ticks(values: list[int]) -> list[int]:
    """Whole-number ticks for a chart of counts (0, 1, 2... or 0, 5, 10...): a count of tasks is
    never 0.3. At most six, on a step of 1, 2 or 5 times a power of ten, the last at or above the
    highest value."""
    top = max([0, *values])
    magnitude = 1
    while True:
        for factor in (1, 2, 5):
            step = factor * magnitude
            if top <= 5 * step:
                return list(range(0, max(top, 1) + step, step))
        magnitude *= 10


def charts(cockpit: Cockpit, locale: str, draw: bool = True) -> list[Chart]:
    """The cockpit's charts in ``locale``, in the order of ``CHART_IDS``; without ``draw``, their
    tables only (the SVG left empty)."""

    def _svg(chart: pygal.Graph, **size: object) -> str:
        if not draw:
            return ""
        if not any(value is not None for values, _ in chart.raw_series for value in values):
            # Nothing to draw: pygal says so, and would still mark an axis of 0, 0.1 … 1.
            size.update(show_x_labels=False, show_y_labels=False)
        # pygal always writes its configuration as an inline script: the pages' policy would refuse
        # to run it (and say so in the console), and nothing needs it.
        return SCRIPT.sub("", chart.render(is_unicode=True, disable_xml_declaration=True, **size))

    def _values(axis: ValueAxis | None, labels: list[str], width: int, margin_left: int) -> dict[str, object]:
        """A bar chart's values along its bottom: as many as fit the plot's width side by side
        (pygal's own choice ran them into each other, or cut them to "1…")."""
        if axis is None or axis.top is None:  # nothing drawn: pygal says so, and has no axis to mark
            return {}
        ticks = axis.ticks(_bars_value_room(labels, width, margin_left, MARGIN))
        # The last value is centred on the plot's right end: room for its half.
        right = max(MARGIN, math.ceil(text_width(axis.label(ticks[-1])) / 2) + 4)
        return dict(y_labels=ticks, value_formatter=axis.label, margin_right=right)

    def _draw(chart: pygal.Graph, axis: ValueAxis | None = None) -> str:
        if isinstance(chart, pygal.HorizontalBar):
            labels = [str(label) for label in chart.x_labels or []]
            margin_left = label_room(labels)
            return _svg(chart, margin_left=margin_left, **_values(axis, labels, WIDTH, margin_left))
        return _svg(chart)

    def _phone(
        chart: pygal.Graph,
        days: list[str] | None = None,
        counts: list[int] | None = None,
        axis: ValueAxis | None = None,
    ) -> PhoneDrawing:
        """The chart drawn again for a phone: its width, one legend entry a line, a bar chart as
        tall as its bars need and its values as many as fit the width, and a line chart as tall as
        its legend needs, with a day named every quarter of the way and as many counts as fit."""
        bars = len(chart.x_labels or []) if isinstance(chart, pygal.HorizontalBar) else 0
        height = max(PHONE_HEIGHT, 140 + PHONE_BAR_ROW * bars) if bars else PHONE_HEIGHT
        size: dict[str, object] = dict(
            legend_at_bottom_columns=1,
            truncate_legend=PHONE_LEGEND,
            style=PHONE_STYLE,
        )
        if bars:
            shown = [short_label(str(label)) for label in chart.x_labels or []]
            margin_left = label_room(shown)
            size.update(x_labels=shown, truncate_label=-1, margin_left=margin_left)
            size.update(_values(axis, shown, PHONE_WIDTH, margin_left))
        if days is not None:
            # Beyond three lines, the legend grows the drawing rather than squeezing the plot.
            series = len(chart.raw_series)
            height += round(1.5 * STYLE.legend_font_size * max(0, series - 3))
            # The last day's name, slanted from the plot's right end, needs its whole length.
            longest = max(map(text_width, days), default=0)
            right = max(MARGIN, math.ceil(longest * math.cos(math.radians(DAY_ROTATION))) + 6)
            size.update(x_labels_major=days[:: max(1, len(days) // 4)], x_label_rotation=DAY_ROTATION)
            size.update(margin_right=right)
            if counts is not None:  # as many whole numbers as fit the plot's height
                room = _line_plot_height(chart.config.title, days, series, height)
                ticks = fitted_ticks(max([0, *counts]), room, lambda _: STYLE.label_font_size, whole=True)
                size.update(y_labels=[int(v) for v in ticks], value_formatter=whole)
        size.update(width=PHONE_WIDTH, height=height)
        return {"svg_phone": _svg(chart, **size), "phone_height": height}

    def _(message: str) -> str:
        return gettext(locale, message)

    def compact(value: float) -> str:
        return format_compact_decimal(value, format_type="short", locale=supported(locale), fraction_digits=1)

    def whole(value: float) -> str:
        return format_decimal(round(value), locale=supported(locale))

    def decimal(value: float) -> str:
        return format_decimal(value, locale=supported(locale))

    def percent(value: float) -> str:
        return format_percent(value / 100, locale=supported(locale))

    def highest(*values: float | None) -> float | None:
        """The highest value drawn, None when none is."""
        drawn = [v for v in values if v is not None]
        return max(drawn) if drawn else None

    def _config(**extra: object) -> dict[str, object]:
        # An empty chart says so in the reader's language (pygal's own words are English).
        return _base_config(no_data_text=_(N_("Nothing in this period.")), **extra)

    result = []
    # Requests per day: received, decided, in progress at the day's end.
    monthly = cockpit.points == "month"
    labels = [d.day.isoformat()[:7] if monthly else d.day.isoformat() for d in cockpit.days]
    title = _(N_("Requests per month")) if monthly else _(N_("Requests per day"))
    line = pygal.Line(**_config(title=title, x_label_rotation=30, show_minor_x_labels=False, dots_size=2))
    line.x_labels = labels
    line.x_labels_major = labels[:: max(1, len(labels) // 8)]
    counts = [n for d in cockpit.days for n in (d.received, d.decided, d.in_progress)]
    line.y_labels = count_ticks(counts)
    line.add(_(N_("Received")), [d.received for d in cockpit.days])
    line.add(_(N_("Decided")), [d.decided for d in cockpit.days])
    line.add(_(N_("In progress")), [d.in_progress for d in cockpit.days])
    result.append(
        Chart(
            id="requests",
            title=title,
            svg=_draw(line),
            **_phone(line, days=labels, counts=counts),
            columns=[
                _(N_("Month")) if monthly else _(N_("Day")),
                _(N_("Received")),
                _(N_("Decided")),
                _(N_("In progress")),
            ],
            rows=[
                [label, str(d.received), str(d.decided), str(d.in_progress)]
                for label, d in zip(labels, cockpit.days, strict=True)
            ],
        )
    )
    # Days to decision per service: median and 90th percentile.
    title = _(N_("Days to decision per service"))
    decided = [s for s in cockpit.services if s.decided]
    bars = pygal.HorizontalBar(**_config(title=title))
    bars.x_labels = [s.title for s in decided]
    bars.add(_(N_("Median")), [_days(s.median_hours) for s in decided])
    bars.add(_(N_("90th percentile")), [_days(s.p90_hours) for s in decided])
    days = ValueAxis(highest(*(_days(h) for s in decided for h in (s.median_hours, s.p90_hours))), decimal)
    result.append(
        Chart(
            id="time-to-decision",
            title=title,
            svg=_draw(bars, days),
            **_phone(bars, axis=days),
            columns=[_(N_("Service")), _(N_("Decided")), _(N_("Median (days)")), _(N_("90th percentile (days)"))],
            rows=[
                [s.title, str(s.decided), _text(_days(s.median_hours)), _text(_days(s.p90_hours))]
                for s in cockpit.services
            ],
        )
    )
    # Approved, and decided within the time limit, as shares of the decided requests.
    title = _(N_("Approved and decided within the time limit (%)"))
    bars = pygal.HorizontalBar(**_config(title=title, range=(0, 100)))
    bars.x_labels = [s.title for s in decided]
    bars.add(_(N_("Approved")), [s.approval_percent for s in decided])
    bars.add(_(N_("Within the time limit")), [s.within_limit_percent for s in decided])
    # Shares as per cent, every ten or fewer (pygal's "100" was cut to "1…" beside long names).
    shares = ValueAxis(100 if decided else None, percent, whole=True, steps=(10, 20, 25, 50, 100))
    result.append(
        Chart(
            id="shares",
            title=title,
            svg=_draw(bars, shares),
            **_phone(bars, axis=shares),
            columns=[_(N_("Service")), _(N_("Decided")), _(N_("Approved (%)")), _(N_("Within the time limit (%)"))],
            rows=[
                [s.title, str(s.decided), _text(s.approval_percent), _text(s.within_limit_percent)]
                for s in cockpit.services
            ],
        )
    )
    # Open tasks per department at each day's end.
    title = _(N_("Open tasks per department"))
    line = pygal.Line(**_config(title=title, x_label_rotation=30, show_minor_x_labels=False, dots_size=2))
    line.x_labels = labels
    line.x_labels_major = labels[:: max(1, len(labels) // 8)]
    busiest = sorted(cockpit.departments, key=lambda d: -d.backlog)[:MOST_LINES]
    backlogs = [day.backlog for d in busiest for day in d.trend] if busiest else None
    if backlogs is not None:  # pygal cannot place labels on a chart without a line: it says there is no data
        line.y_labels = count_ticks(backlogs)
    for department in busiest:
        line.add(department.name, [day.backlog for day in department.trend])
    result.append(
        Chart(
            id="backlog",
            title=title,
            svg=_draw(line),
            **_phone(line, days=labels, counts=backlogs),
            columns=[
                _(N_("Department")),
                _(N_("Month")) if monthly else _(N_("Day")),
                _(N_("Open tasks")),
                _(N_("Overdue")),
            ],
            rows=[
                [d.name, label, str(day.backlog), str(day.overdue)]
                for d in cockpit.departments
                for label, day in zip(labels, d.trend, strict=True)
            ],
        )
    )
    # Money paid against budgets.
    title = _(N_("Paid against budget (CNY)"))
    bars = pygal.HorizontalBar(**_config(title=title))
    bars.x_labels = [p.title for p in cockpit.paid]
    bars.add(_(N_("Budget")), [float(p.budget) if p.budget is not None else None for p in cockpit.paid])
    bars.add(_(N_("Paid")), [float(p.paid) for p in cockpit.paid])
    # Money short (500万, 5M), on whole yuan: pygal's own ticks were cut to "1…" even on a desktop.
    money = ValueAxis(
        highest(*(float(v) for p in cockpit.paid for v in (p.budget, p.paid) if v is not None)), compact, whole=True
    )
    result.append(
        Chart(
            id="paid",
            title=title,
            svg=_draw(bars, money),
            **_phone(bars, axis=money),
            columns=[
                _(N_("Program or benefit")),
                _(N_("Budget")),
                _(N_("Paid")),
                _(N_("Share of the budget paid (per cent)")),
            ],
            rows=[[p.title, _text(p.budget), p.paid, _text(p.paid_percent)] for p in cockpit.paid],
        )
    )
    return result


def chart_csv(chart: Chart) -> str:
    """A chart's data as CSV: a header row, and a byte-order mark so that spreadsheets read the
    Chinese names as UTF-8."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(chart.columns)
    writer.writerows(chart.rows)
    return out.getvalue()
