"""Every cockpit chart's axis labels are readable on a 375 px phone, in both languages: read from the
SVG with their approximate drawn widths, no tick label overlaps another or runs off the drawing, a
count is written in whole numbers and a share as a percentage. (The labels of a chart ran into each
other there: "0 0.1 0.2…", "0 10 20 30…".)"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
import xml.etree.ElementTree as ET

import pytest

from hub.cockpit import charts
from hub.cockpit.figures import (
    BacklogDay,
    Cockpit,
    DayFigures,
    DepartmentFigures,
    PaidFigures,
    ServiceFigures,
    Totals,
)

SVG = "{http://www.w3.org/2000/svg}"
FONT = 13  # the axis labels' size (hub/cockpit/charts.py STYLE)
GAP = 2  # what must separate two labels, in px
COUNTS = {"requests", "backlog"}  # charts whose value axis counts (requests, tasks)

SERVICES = {
    "en": [
        "Minimum living allowance for urban and rural residents",
        "Old-age allowance",
        "Social insurance registration",
        "Residence permit",
    ],
    "zh_CN": ["城乡居民最低生活保障申请", "高龄老人津贴", "社会保险登记", "居住证"],
}
DEPARTMENTS = {
    "en": [f"Street office of district {n}" for n in range(1, 11)],
    "zh_CN": [f"第{n}街道办事处" for n in range(1, 11)],
}
PROGRAMS = {
    "en": ["Job-stabilisation refund of unemployment insurance", "Elderly care allowance"],
    "zh_CN": ["失业保险稳岗返还", "高龄老人津贴"],
}


def cockpit(locale: str, days: int, scale: int, hours: int, money: int, points: str = "day") -> Cockpit:
    """A cockpit of ``days`` points with counts up to about 30 × ``scale``, times to decision
    around ``hours``, and budgets around ``money`` yuan."""
    start = dt.date(2024, 1, 1) if points == "month" else dt.date(2026, 11, 7)
    series = [
        start.replace(year=start.year + i // 12, month=i % 12 + 1)
        if points == "month"
        else start + dt.timedelta(days=i)
        for i in range(days)
    ]
    figures = [
        DayFigures(day=day, received=i * 7 % 23 * scale, decided=i * 5 % 17 * scale, in_progress=i * 3 % 31 * scale)
        for i, day in enumerate(series)
    ]
    services = [
        ServiceFigures(
            service_id=f"s{n}",
            title=title,
            department="d1",
            department_name=DEPARTMENTS[locale][0],
            received=5 * scale,
            in_progress=scale,
            decided=3 * scale,
            approved=2 * scale,
            approval_percent=[100.0, 66.7, 12.5, 0.0][n],
            within_limit_percent=[87.5, 100.0, 50.0, 33.3][n],
            median_hours=hours * (n + 1),
            p90_hours=hours * (n + 3),
            ratings=0,
            average_rating=None,
        )
        for n, title in enumerate(SERVICES[locale])
    ]
    departments = [
        DepartmentFigures(
            department=f"d{k}",
            name=name,
            opened=3,
            decided=2,
            backlog=k * scale,
            overdue=0,
            trend=[BacklogDay(day=day, backlog=k * i % 37 * scale, overdue=0) for i, day in enumerate(series)],
        )
        for k, name in enumerate(DEPARTMENTS[locale], start=1)
    ]
    paid = [
        PaidFigures(
            kind="subsidy",
            code=f"p{n}",
            title=title,
            department="d1",
            budget=str(money * (n + 1)) if n == 0 else None,
            paid=str(money // 3 * (n + 1)),
            paid_percent=None,
        )
        for n, title in enumerate(PROGRAMS[locale])
    ]
    totals = Totals(0, 0, 0, 0, None, None, None, None, 0, 0, 0, None)
    return Cockpit(series[0], series[-1], None, None, totals, figures, services, [], departments, paid, points)  # type: ignore[arg-type]


def empty(locale: str) -> Cockpit:
    full = cockpit(locale, 7, 0, 0, 0)
    return Cockpit(full.start, full.end, None, None, full.totals, full.days, [], [], [], [])


CASES = {
    # what the reader saw: a few requests, decided within hours
    "few": lambda locale: cockpit(locale, 30, 1, 1, 0),
    "one-day": lambda locale: cockpit(locale, 1, 1, 30, 80_000),
    "a-week": lambda locale: cockpit(locale, 7, 3, 50, 1_500_000),
    "many": lambda locale: cockpit(locale, 31, 400, 170, 12_345_678),
    "huge": lambda locale: cockpit(locale, 31, 40_000, 2_000, 987_654_321),
    "months": lambda locale: cockpit(locale, 24, 1000, 300, 50_000_000, points="month"),
    "empty": empty,
}


def width(text: str) -> float:
    """About how wide ``text`` is drawn: a Chinese character a whole font size, others about 0.6
    of it (a little more for the widest)."""
    return sum(
        FONT if unicodedata.east_asian_width(c) in ("W", "F") else 0.9 * FONT if c in "%MW…" else 0.6 * FONT
        for c in text
    )


Point = tuple[float, float]


def corners(text: ET.Element, axis: str, dx: float, dy: float) -> list[Point]:
    """The four corners of a label's box in the drawing, after its rotation."""
    x, y = float(text.get("x", 0)), float(text.get("y", 0))
    transform = text.get("transform", "")
    w = width(text.text or "")
    # pygal's stylesheet: the value axis of a horizontal chart and the labels at the left end
    # there, a bottom axis centres its labels, a slanted label starts at its tick
    if axis == "y":
        left = x - w
    elif transform:
        left = x
    else:
        left = x - w / 2
    box = [(left, y - 0.8 * FONT), (left + w, y - 0.8 * FONT), (left + w, y + 0.2 * FONT), (left, y + 0.2 * FONT)]
    if rotation := re.match(r"rotate\(([-\d.]+) ([-\d.]+) ([-\d.]+)\)", transform):
        angle, cx, cy = (float(v) for v in rotation.groups())
        a = math.radians(angle)
        box = [
            (
                cx + (px - cx) * math.cos(a) - (py - cy) * math.sin(a),
                cy + (px - cx) * math.sin(a) + (py - cy) * math.cos(a),
            )
            for px, py in box
        ]
    return [(px + dx, py + dy) for px, py in box]


def overlap(a: list[Point], b: list[Point]) -> bool:
    """Whether two boxes (convex) come closer than ``GAP``: no side of either separates them."""
    for shape in (a, b):
        for i in range(4):
            (x1, y1), (x2, y2) = shape[i], shape[(i + 1) % 4]
            nx, ny = y2 - y1, x1 - x2
            norm = math.hypot(nx, ny)
            pa = [(px * nx + py * ny) / norm for px, py in a]
            pb = [(px * nx + py * ny) / norm for px, py in b]
            if max(pa) + GAP <= min(pb) or max(pb) + GAP <= min(pa):
                return False
    return True


def labels(svg: str) -> tuple[tuple[float, float], dict[str, list[tuple[str, list[Point]]]]]:
    """The drawing's size and its tick labels, by axis ("x" or "y"), each with its box."""
    root = ET.fromstring(svg)
    _, _, w, h = (float(v) for v in root.get("viewBox", "").split())
    found: dict[str, list[tuple[str, list[Point]]]] = {"x": [], "y": []}

    def walk(node: ET.Element, dx: float, dy: float, axis: str | None) -> None:
        if moved := re.match(r"translate\(([-\d.]+),? ([-\d.]+)\)", node.get("transform", "")):
            if node.tag != SVG + "text":
                dx, dy = dx + float(moved.group(1)), dy + float(moved.group(2))
        classes = (node.get("class") or "").split()
        if "axis" in classes:
            axis = "x" if "x" in classes else "y"
        if node.tag == SVG + "text" and axis and node.text:
            found[axis].append((node.text, corners(node, axis, dx, dy)))
        for child in node:
            walk(child, dx, dy, axis)

    walk(root, 0, 0, None)
    return (w, h), found


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("locale", ["en", "zh_CN"])
def test_phone_charts_have_readable_axes(locale, case):
    for chart in charts(CASES[case](locale), locale):
        for drawing, svg in (("phone", chart.svg_phone), ("desktop", chart.svg)):
            (w, h), axes = labels(svg)
            where = f"{chart.id} ({drawing})"
            every = axes["x"] + axes["y"]
            for text, box in every:
                assert all(-0.5 <= x <= w + 0.5 and -0.5 <= y <= h + 0.5 for x, y in box), f"{where}: {text} cut off"
            for i, (a, box_a) in enumerate(every):
                for b, box_b in every[i + 1 :]:
                    assert not overlap(box_a, box_b), f"{where}: {a!r} runs into {b!r}"
            # The value axis: at the left of a line chart, along the bottom of a bar chart.
            values = [text for text, _ in axes["y" if chart.id in COUNTS else "x"]]
            assert not any(v.endswith("…") for v in values), f"{where}: {values}"
            if chart.id in COUNTS:
                assert all(re.fullmatch(r"\d+|\d{1,3}(,\d{3})*", v) for v in values), f"{where}: {values}"
            if 'class="no_data"' in svg:  # nothing drawn: nothing marked either
                assert not every, where
                continue
            assert len(values) >= 2, where
            if drawing == "phone" and chart.id == "shares":
                assert all(re.fullmatch(r"\d+%", v) for v in values), f"{where}: {values}"
