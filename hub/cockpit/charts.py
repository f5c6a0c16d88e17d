"""The cockpit's charts: SVG drawn on the server by pygal, each with the table of its data (read by
screen readers in place of the picture, and downloaded as CSV)."""

from __future__ import annotations

import base64
import copy
import csv
import io
import re
import unicodedata
from dataclasses import dataclass
from typing import TypedDict

import pygal  # type: ignore[import-untyped]
from babel.numbers import format_compact_decimal
from pygal.style import Style  # type: ignore[import-untyped]

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
        width=720,
        height=360,
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
        # pygal always writes its configuration as an inline script: the pages' policy would refuse
        # to run it (and say so in the console), and nothing needs it.
        return SCRIPT.sub("", chart.render(is_unicode=True, disable_xml_declaration=True, **size))

    def _draw(chart: pygal.Graph) -> str:
        if isinstance(chart, pygal.HorizontalBar):
            return _svg(chart, margin_left=label_room([str(label) for label in chart.x_labels or []]))
        return _svg(chart)

    def _phone(chart: pygal.Graph, days: list[str] | None = None) -> PhoneDrawing:
        """The chart drawn again for a phone: its width, one legend entry a line, a bar chart as
        tall as its bars need, and a line chart with a day named every quarter of the way."""
        bars = len(chart.x_labels or []) if isinstance(chart, pygal.HorizontalBar) else 0
        height = max(PHONE_HEIGHT, 140 + PHONE_BAR_ROW * bars) if bars else PHONE_HEIGHT
        size: dict[str, object] = dict(
            width=PHONE_WIDTH,
            height=height,
            legend_at_bottom_columns=1,
            truncate_legend=PHONE_LEGEND,
            style=PHONE_STYLE,
        )
        if bars:
            shown = [short_label(str(label)) for label in chart.x_labels or []]
            size.update(x_labels=shown, truncate_label=-1, margin_left=label_room(shown))
            # The values along the bottom, short (500万, 5M) and slanted, so that six fit the width.
            size.update(value_formatter=compact, x_label_rotation=30)
        if days is not None:
            size.update(x_labels_major=days[:: max(1, len(days) // 4)], x_label_rotation=45)
        return {"svg_phone": _svg(chart, **size), "phone_height": height}

    def _(message: str) -> str:
        return gettext(locale, message)

    def compact(value: float) -> str:
        return format_compact_decimal(value, format_type="short", locale=supported(locale), fraction_digits=1)

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
    line.y_labels = count_ticks([n for d in cockpit.days for n in (d.received, d.decided, d.in_progress)])
    line.add(_(N_("Received")), [d.received for d in cockpit.days])
    line.add(_(N_("Decided")), [d.decided for d in cockpit.days])
    line.add(_(N_("In progress")), [d.in_progress for d in cockpit.days])
    result.append(
        Chart(
            id="requests",
            title=title,
            svg=_draw(line),
            **_phone(line, days=labels),
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
    result.append(
        Chart(
            id="time-to-decision",
            title=title,
            svg=_draw(bars),
            **_phone(bars),
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
    result.append(
        Chart(
            id="shares",
            title=title,
            svg=_draw(bars),
            **_phone(bars),
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
    if busiest:  # pygal cannot place labels on a chart without a line: it says there is no data
        line.y_labels = count_ticks([day.backlog for d in busiest for day in d.trend])
    for department in busiest:
        line.add(department.name, [day.backlog for day in department.trend])
    result.append(
        Chart(
            id="backlog",
            title=title,
            svg=_draw(line),
            **_phone(line, days=labels),
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
    result.append(
        Chart(
            id="paid",
            title=title,
            svg=_draw(bars),
            **_phone(bars),
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
