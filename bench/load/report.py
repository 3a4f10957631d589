"""The report: plain-text tables with Parley beside each reference, and the JSON file.

Every table has a column per server and, for each reference started in the same run, a
ratio column "parley/<reference>": Parley's figure divided by the reference's. So above 1x
is better for rates (msgs/s, deliveries/s) and worse for latencies, CPU per message and
memory. Counts that should be zero (missing, doubled, not stored once) get no ratio. With
--repeat, each figure is the median of the runs (field by field); the JSON keeps every run.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from bench.load.scenarios import FanOut, Idle, Throughput, median_of, ms

Results = Mapping[str, Mapping[str, Sequence[Any]]]  # scenario -> server -> runs
PARLEY = "parley"


def number(digits: int = 0) -> Callable[[float | None], str]:
    def show(value: float | None) -> str:
        if value is None:
            return "n/a"
        if math.isnan(value):
            return "-"
        if value == math.inf:
            return "lost"
        return f"{value:,.{digits}f}"

    return show


def ratio(parley: float | None, reference: float | None) -> str:
    if parley is None or reference is None:
        return "-"
    if not all(math.isfinite(value) for value in (parley, reference)) or reference == 0:
        return "-"
    return f"{parley / reference:.2f}x"


# A row: label, the figure of a (median) result, how to show it, whether a ratio makes sense.
Row = tuple[str, Callable[[Any], float | None], Callable[[float | None], str], bool]


def cpu_rows() -> list[Row]:
    return [
        ("CPU % of a core: server", lambda r: r.cpu.server, number(), True),
        ("  postgres", lambda r: r.cpu.postgres, number(), True),
        ("  redis", lambda r: r.cpu.redis, number(), False),
        ("  load generator", lambda r: r.cpu.client, number(), False),
        ("  other", lambda r: r.cpu.other, number(), False),
    ]


THROUGHPUT_ROWS: list[Row] = [
    ("msgs/s committed and delivered", lambda r: r.committed_delivered_per_second, number(), True),
    ("msgs/s acked", lambda r: r.committed_per_second, number(), True),
    ("deliveries/s to listeners", lambda r: r.deliveries_per_second, number(), True),
    ("ack p50 ms", lambda r: r.ack_p50_ms, number(1), True),
    ("ack p99 ms", lambda r: r.ack_p99_ms, number(1), True),
    ("missing deliveries", lambda r: r.missing, number(), False),
    ("deliveries doubled", lambda r: r.duplicates, number(), False),
    ("sends never acked", lambda r: r.unacked, number(), False),
    ("error frames", lambda r: r.errors, number(), False),
    ("acked, not stored once", lambda r: r.not_stored_once, number(), False),
    ("seq gaps", lambda r: r.gaps, number(), False),
    ("deliveries out of seq order", lambda r: r.out_of_order, number(), False),
    (
        "server CPU ms per message",
        lambda r: 10 * r.cpu.server / r.committed_per_second if r.committed_per_second else None,
        number(2),
        True,
    ),
    *cpu_rows(),
]

FAN_OUT_ROWS: list[Row] = [
    ("msgs/s offered", lambda r: r.offered_per_second, number(1), False),
    ("msgs sent", lambda r: r.sent, number(), False),
    ("delivered %", lambda r: r.delivered_percent, number(1), True),
    ("deliveries/s", lambda r: r.deliveries_per_second, number(), True),
    ("p50 ms", lambda r: r.p50_ms, number(), True),
    ("p95 ms", lambda r: r.p95_ms, number(), True),
    ("p99 ms", lambda r: r.p99_ms, number(), True),
    ("slowest delivered ms", lambda r: r.slowest_ms, number(), True),
    ("deliveries doubled", lambda r: r.duplicates, number(), False),
    *cpu_rows(),
]

IDLE_ROWS: list[Row] = [
    ("sockets opened", lambda r: r.sockets, number(), False),
    ("  still open after 3 s", lambda r: r.still_open, number(), False),
    ("server processes", lambda r: r.processes, number(), False),
    ("server RSS before, MiB", lambda r: r.before_kib / 1024, number(1), True),
    ("server RSS after, MiB", lambda r: r.after_kib / 1024, number(1), True),
    ("KiB per socket", lambda r: r.per_socket_kib, number(1), True),
    ("sockets opened per second", lambda r: r.sockets / r.connect_seconds, number(), True),
    ("one message: sockets reached", lambda r: r.reached, number(), False),
    ("one message: the last got it after ms", lambda r: r.last_ms, number(), True),
]


def table(title: str, rows: Sequence[Row], runs: Mapping[str, Sequence[Any]]) -> list[str]:
    servers = list(runs)
    middle = {server: median_of(list(of)) for server, of in runs.items()}
    references = [server for server in servers if server != PARLEY] if PARLEY in runs else []
    header = ["", *servers, *(f"{PARLEY}/{reference}" for reference in references)]
    body = []
    for label, figure, show, with_ratio in rows:
        values = {server: figure(result) for server, result in middle.items()}
        cells = [label, *(show(values[server]) for server in servers)]
        cells += [
            ratio(values[PARLEY], values[reference]) if with_ratio else ""
            for reference in references
        ]
        body.append(cells)
    widths = [max(len(row[column]) for row in [header, *body]) for column in range(len(header))]
    lines = [title, "-" * len(title)]
    for row in [header, *body]:
        cells = [row[0].ljust(widths[0])]
        cells += [cell.rjust(width) for cell, width in zip(row[1:], widths[1:], strict=True)]
        lines.append("  ".join(cells).rstrip())
    return [*lines, ""]


def verdict(met: bool | None) -> str:
    return "n/a" if met is None else ("met" if met else "NOT MET")


def targets(results: Results, window: int = 1) -> list[str]:
    """Issue 9's targets for Parley, each with the measured figure and a verdict."""
    rows: list[tuple[str, str, bool | None]] = []
    throughput = results.get(f"throughput-w{window}", {})
    if PARLEY in throughput:
        parley: Throughput = median_of(list(throughput[PARLEY]))
        refs = {name: median_of(list(runs)) for name, runs in throughput.items() if name != PARLEY}
        rate = parley.committed_delivered_per_second
        for name, least in (("handwritten", 0.6), ("tutorial", 8.0)):
            target = f"msgs/s committed and delivered >= {least:g}x {name}"
            if name in refs and refs[name].committed_delivered_per_second:
                times = rate / refs[name].committed_delivered_per_second
                rows.append((target, f"{times:.2f}x", times >= least))
            else:
                rows.append((target, "reference not run", None))
        missing = parley.missing
        rows.append(("every listener gets every message", f"{missing} missing", missing == 0))
        rows.append(("ack p99 < 100 ms", ms(parley.ack_p99_ms), parley.ack_p99_ms < 100))
    for name, limit in (("fanout", 200), ("big", 500)):
        if PARLEY in results.get(name, {}):
            fan: FanOut = median_of(list(results[name][PARLEY]))
            rows.append(
                (
                    f"{fan.listeners:,} listeners at {fan.offered_per_second:.0f} msgs/s:"
                    f" 100%, p99 <= {limit} ms",
                    f"{fan.delivered_percent:.1f}%, p99 {ms(fan.p99_ms)}",
                    fan.delivered_percent == 100 and fan.p99_ms <= limit,
                )
            )
    if PARLEY in results.get("idle", {}):
        idle: Idle = median_of(list(results["idle"][PARLEY]))
        rows.append(
            (
                f"{idle.sockets:,} idle sockets (target 10,000): all open, < 32 KiB each,"
                " one message to all <= 1 s",
                f"{idle.still_open:,} open, {idle.per_socket_kib:.1f} KiB, {ms(idle.last_ms)}",
                idle.still_open == idle.sockets
                and idle.per_socket_kib < 32
                and idle.last_ms <= 1000,
            )
        )
    if not rows:
        return []
    width = max(len(target) for target, _, _ in rows)
    measured = max(len(figure) for _, figure, _ in rows)
    title = "Parley against issue 9's targets"
    lines = [title, "-" * len(title)]
    lines += [f"{t.ljust(width)}  {f.ljust(measured)}  {verdict(m)}" for t, f, m in rows]
    return [*lines, ""]


def report(results: Results, titles: Mapping[str, str], repeat: int) -> str:
    runs = f"median of {repeat} runs" if repeat > 1 else "one run"
    lines = [
        "parley/<reference>: Parley's figure divided by the reference's; above 1x is better",
        "for msgs/s and deliveries/s, worse for latencies, CPU and memory.",
        "",
    ]
    for scenario, title in titles.items():
        if not results.get(scenario):
            continue
        rows = (
            IDLE_ROWS
            if scenario == "idle"
            else THROUGHPUT_ROWS
            if scenario.startswith("throughput")
            else FAN_OUT_ROWS
        )
        lines += table(f"{title} ({runs})", rows, results[scenario])
    return "\n".join([*lines, *targets(results)])


def plain(value: Any) -> Any:
    """JSON-ready: dataclasses as dicts, inf and nan as null."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return plain(dataclasses.asdict(value))
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def save_json(path: Path, document: Mapping[str, Any]) -> None:
    path.write_text(json.dumps(plain(document), indent=1) + "\n")
