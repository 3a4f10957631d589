"""The plots, as hand-written SVG (no plotting dependency): two images for docs/.

- load-latency.svg: the latency distribution per server, one panel per scenario (ack
  latency in throughput with one send unacked; send-to-receipt latency in fanout and big).
  A curve is the share of messages (y) with at most that latency (x, log scale); a curve that
  stops short of 100% had deliveries that never arrived.
- load-deliveries.svg: deliveries per second against listeners in the room, per server:
  the throughput room (as fast as acks allow) and the fanout and big rooms (paced: the grey
  marks are what was offered, so a point below its mark fell behind).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from html import escape
from pathlib import Path
from typing import Any

from bench.load.scenarios import median_of

COLORS = {"parley": "#1f77b4", "tutorial": "#ff7f0e", "handwritten": "#2ca02c"}
FONT = "font-family='sans-serif'"


class Svg:
    def __init__(self, width: int, height: int) -> None:
        self.width, self.height = width, height
        self.parts: list[str] = [f"<rect width='{width}' height='{height}' fill='white'/>"]

    def line(self, x1: float, y1: float, x2: float, y2: float, color: str = "#999") -> None:
        self.parts.append(
            f"<line x1='{x1:.1f}' y1='{y1:.1f}' x2='{x2:.1f}' y2='{y2:.1f}' stroke='{color}'/>"
        )

    def path(self, points: Sequence[tuple[float, float]], color: str, width: float = 2) -> None:
        if len(points) < 2:
            return
        text = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
        self.parts.append(
            f"<polyline points='{text}' fill='none' stroke='{color}' stroke-width='{width}'/>"
        )

    def dot(self, x: float, y: float, color: str, radius: float = 4) -> None:
        self.parts.append(f"<circle cx='{x:.1f}' cy='{y:.1f}' r='{radius}' fill='{color}'/>")

    def text(self, x: float, y: float, words: str, size: int = 11, anchor: str = "start") -> None:
        self.parts.append(
            f"<text x='{x:.1f}' y='{y:.1f}' font-size='{size}' text-anchor='{anchor}' {FONT}>"
            f"{escape(words)}</text>"
        )

    def render(self) -> str:
        return (
            f"<svg xmlns='http://www.w3.org/2000/svg' width='{self.width}'"
            f" height='{self.height}' viewBox='0 0 {self.width} {self.height}'>\n"
            + "\n".join(self.parts)
            + "\n</svg>\n"
        )


class Axes:
    """A panel at (left, top) of the given size, mapping data to pixels."""

    def __init__(
        self,
        svg: Svg,
        box: tuple[float, float, float, float],
        x: Callable[[float], float],
        y: Callable[[float], float],
    ) -> None:
        self.svg = svg
        self.left, self.top, self.width, self.height = box
        self.x, self.y = x, y  # data -> 0..1

    def point(self, x: float, y: float) -> tuple[float, float]:
        return (
            self.left + self.width * self.x(x),
            self.top + self.height * (1 - self.y(y)),
        )

    def frame(self, title: str, xticks: Sequence[float], yticks: Sequence[float]) -> None:
        svg, bottom = self.svg, self.top + self.height
        svg.text(self.left, self.top - 8, title, 12)
        for tick in xticks:
            px, _ = self.point(tick, 0)
            svg.line(px, self.top, px, bottom, "#eee")
            svg.text(px, bottom + 14, f"{tick:,g}", 10, "middle")
        for tick in yticks:
            _, py = self.point(xticks[0], tick)
            svg.line(self.left, py, self.left + self.width, py, "#eee")
            svg.text(self.left - 4, py + 3, f"{tick:,g}", 10, "end")
        svg.line(self.left, bottom, self.left + self.width, bottom, "#333")
        svg.line(self.left, self.top, self.left, bottom, "#333")


def legend(svg: Svg, servers: Sequence[str], x: float, y: float) -> None:
    for n, server in enumerate(servers):
        svg.path([(x + 110 * n, y - 4), (x + 110 * n + 18, y - 4)], COLORS.get(server, "#000"))
        svg.text(x + 110 * n + 24, y, server)


def log_scale(low: float, high: float) -> Callable[[float], float]:
    span = math.log10(high) - math.log10(low)
    return lambda value: (math.log10(min(max(value, low), high)) - math.log10(low)) / span


def latency_plot(panels: Mapping[str, Mapping[str, list[float]]], subtitle: Sequence[str]) -> str:
    """`panels`: title -> server -> quantiles p0..p100 in ms (inf for never delivered)."""
    every = [v for curves in panels.values() for quantiles in curves.values() for v in quantiles]
    finite = [v for v in every if math.isfinite(v)]
    high = 10 ** math.ceil(math.log10(max([*finite, 10])))
    low = 10 ** math.floor(math.log10(max(min([*finite, high]), 0.1)))
    xticks = [10**e for e in range(round(math.log10(low)), round(math.log10(high)) + 1)]
    svg = Svg(max(40 + 300 * len(panels), 560), 342)
    svg.text(10, 18, "Latency distribution, share of messages (%) within x ms", 13)
    for n, line in enumerate(subtitle):
        svg.text(10, 34 + 12 * n, line, 10)
    servers: list[str] = []
    for n, (title, curves) in enumerate(panels.items()):
        axes = Axes(svg, (55 + 300 * n, 82, 250, 200), log_scale(low, high), lambda v: v / 100)
        axes.frame(title, xticks, [0, 25, 50, 75, 90, 100])
        for server, quantiles in curves.items():
            points = [axes.point(v, q) for q, v in enumerate(quantiles) if math.isfinite(v)]
            svg.path(points, COLORS.get(server, "#000"))
            servers += [server] if server not in servers else []
        svg.text(55 + 300 * n + 125, 312, "ms (log scale)", 10, "middle")
    legend(svg, servers, 55, 334)
    return svg.render()


def deliveries_plot(
    points: Mapping[str, list[tuple[int, float, float | None]]],
    names: Mapping[int, str],
    subtitle: Sequence[str],
) -> str:
    """`points`: server -> (listeners, deliveries/s, offered deliveries/s or None); `names`:
    the scenario of each listener count."""
    values = [v for series in points.values() for _, d, o in series for v in (d, o or 0)]
    listeners = sorted({n for series in points.values() for n, _, _ in series})
    top = max([*values, 1.0]) * 1.1
    scale = 10 ** math.floor(math.log10(top))
    step = next(scale * k for k in (0.2, 0.5, 1.0, 2.0) if top / (scale * k) <= 8)
    yticks = [step * k for k in range(int(top // step) + 1)]
    svg = Svg(560, 376)
    svg.text(10, 18, "Deliveries per second against listeners in the room", 13)
    for n, line in enumerate(subtitle):
        svg.text(10, 34 + 12 * n, line, 10)
    axes = Axes(
        svg,
        (70, 72, 440, 230),
        log_scale(min(listeners) / 1.5, max(listeners) * 1.5),
        lambda v: v / top,
    )
    axes.frame("", listeners, yticks)
    for count, name in names.items():
        svg.text(axes.point(count, 0)[0], 72 + 230 + 26, name, 10, "middle")
    for series in points.values():
        for n, _, offered in series:
            if offered:
                px, py = axes.point(n, offered)
                svg.line(px - 10, py, px + 10, py, "#888")
    for server, series in points.items():
        color = COLORS.get(server, "#000")
        line = [axes.point(n, d) for n, d, _ in sorted(series)]
        svg.path(line, color)
        for px, py in line:
            svg.dot(px, py, color)
    svg.text(290, 346, "listeners (log scale); grey: offered", 10, "middle")
    legend(svg, list(points), 70, 366)
    return svg.render()


def write_plots(
    results: Mapping[str, Mapping[str, Sequence[Any]]],
    listeners: Mapping[str, int],
    offered: Mapping[str, float],
    directory: Path,
    subtitle: Sequence[str],
) -> list[Path]:
    """Both images into `directory`, from the scenarios that ran; returns the files."""
    panels: dict[str, dict[str, list[float]]] = {}
    points: dict[str, list[tuple[int, float, float | None]]] = {}
    names: dict[int, str] = {}
    for scenario, runs in results.items():
        if scenario == "idle" or not runs:
            continue
        middle = {server: median_of(list(of)) for server, of in runs.items()}
        for server, result in middle.items():
            rate = offered.get(scenario)
            if scenario == "throughput-w1" or rate is not None:
                name = "throughput" if rate is None else scenario
                names[listeners[scenario]] = name
                points.setdefault(server, []).append(
                    (
                        listeners[scenario],
                        result.deliveries_per_second,
                        rate * listeners[scenario] if rate else None,
                    )
                )
        if scenario == "throughput-w1":
            panels["throughput: ack latency"] = {s: r.ack_quantiles_ms for s, r in middle.items()}
        elif scenario in offered:
            title = f"{scenario}: {listeners[scenario]:,} listeners"
            panels[title] = {s: r.quantiles_ms for s, r in middle.items()}
    written = []
    directory.mkdir(parents=True, exist_ok=True)
    if panels:
        (directory / "load-latency.svg").write_text(latency_plot(panels, subtitle))
        written.append(directory / "load-latency.svg")
    if points:
        (directory / "load-deliveries.svg").write_text(deliveries_plot(points, names, subtitle))
        written.append(directory / "load-deliveries.svg")
    return written
