"""Chart geometry for server-rendered SVG (no chart library, no inline script or style: CSP-friendly).

Functions return plain numbers; the templates draw them with <rect>/<polyline> and CSS classes for colour.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    x: float
    y: float
    w: float
    h: float
    css: str = ""


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    bars: list[Bar]
    max_value: int


def hbars(items: list[tuple[str, int]], width: int = 520, row: int = 24, label_w: int = 190,
          css: str = "") -> Chart:
    """Horizontal bars, one row per item, longest = full width."""
    top = max((v for _, v in items), default=0) or 1
    span = width - label_w - 60
    bars = [Bar(label, value, label_w, i * row + 3, max(1.0, span * value / top) if value else 0.0, row - 8, css)
            for i, (label, value) in enumerate(items)]
    return Chart(width, max(row, row * len(items)), bars, top)


def columns(items: list[tuple[str, int]], width: int = 520, height: int = 180, css: str = "") -> Chart:
    """Vertical columns (e.g. posts per day) with room for labels below and values above."""
    top = max((v for _, v in items), default=0) or 1
    n = max(1, len(items))
    slot = width / n
    plot = height - 40
    bars = []
    for i, (label, value) in enumerate(items):
        h = plot * value / top
        bars.append(Bar(label, value, i * slot + slot * 0.15, 18 + plot - h, slot * 0.7, h, css))
    return Chart(width, height, bars, top)


@dataclass(frozen=True)
class Line:
    key: str
    label: str
    points: str  # "x,y x,y …" for <polyline points=…>
    peak: int
    css: str


@dataclass(frozen=True)
class LineChart:
    width: int
    height: int
    lines: list[Line]
    max_value: int
    ticks: list[tuple[float, str]]  # x position, label


def lines(series: dict[str, list[tuple[datetime, int]]], names: dict[str, str], start: datetime, end: datetime,
          tick_label: object, width: int = 640, height: int = 200) -> LineChart:
    """One polyline per key over [start, end); `tick_label(datetime) -> str` formats the x axis."""
    top = max((v for pts in series.values() for _, v in pts), default=0) or 1
    span = max(1.0, (end - start).total_seconds())
    plot_h = height - 30

    def xy(t: datetime, v: int) -> str:
        x = 40 + (width - 50) * (t - start).total_seconds() / span
        y = 8 + plot_h - plot_h * v / top
        return f"{x:.1f},{y:.1f}"

    out = []
    for i, (key, pts) in enumerate(sorted(series.items())):
        out.append(Line(key, names.get(key, key), " ".join(xy(t, v) for t, v in pts),
                        max((v for _, v in pts), default=0), f"s{i % 6}"))
    ticks = []
    for k in range(5):
        t = start + (end - start) * (k / 4)
        ticks.append((40 + (width - 50) * k / 4, tick_label(t)))  # type: ignore[operator]
    return LineChart(width, height, out, top, ticks)


def shares(parts: list[tuple[str, int, str]], width: int = 520) -> list[Bar]:
    """A 100 % stacked bar (e.g. sentiment mix): one segment per part."""
    total = sum(v for _, v, _ in parts) or 1
    x = 0.0
    out = []
    for label, value, css in parts:
        w = width * value / total
        out.append(Bar(label, value, x, 0, w, 26, css))
        x += w
    return out
