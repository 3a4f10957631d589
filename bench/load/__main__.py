"""Run the load benchmark: `make bench-load`, or `.venv/bin/python -m bench.load --help`.

Order of a run: create and prepare each server's database (Parley's migrated and seeded
with a user and a signed-in session per socket, the tutorial's migrated, the handwritten
server's made by the server itself); start every server; then idle (on Parley's fresh
process, before anything else ran in it: memory freed by other scenarios would be reused by
the new sockets and hide their cost); then throughput, fanout and big, each run on every
server in turn, Parley first, so the ratios compare servers measured minutes apart rather
than a whole run apart. With --repeat N the servers alternate N times. At the end, on
Ctrl-C or on SIGTERM every server is stopped and every database dropped.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import resource
import signal
import sys
import time
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import psycopg
import redis

from bench.load import setup
from bench.load.clients import ParleyPeer
from bench.load.plots import write_plots
from bench.load.proc import CpuMeter, Profiler
from bench.load.report import report, save_json
from bench.load.scenarios import measure_idle, run_fan_out, run_throughput
from bench.load.servers import REFERENCES, Parley, Server, die_with_parent

SCENARIOS = ("idle", "throughput", "fanout", "big")


def machine() -> list[str]:
    cpu_model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor() or "unknown",
    )
    memory = Path("/proc/meminfo").read_text().splitlines()[0].split()[1]
    with psycopg.connect(f"{setup.POSTGRES}/postgres") as admin:
        postgres = admin.execute("SHOW server_version").fetchone()[0]  # type: ignore[index]
    with redis.Redis.from_url(setup.REDIS) as client:
        redis_version = client.info("server")["redis_version"]
    versions = ", ".join(
        f"{name} {metadata.version(name)}"
        for name in ("Django", "channels", "channels-redis", "daphne", "websockets", "psycopg")
    )
    return [
        f"- {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; CPU: {os.cpu_count()} x {cpu_model},"
        f" {int(memory) // 1024**2} GiB RAM, load average at start {os.getloadavg()[0]:.2f}",
        f"- PostgreSQL {postgres}, Redis {redis_version}, Python {platform.python_version()},"
        f" {versions}",
    ]


def titles(options: argparse.Namespace) -> dict[str, str]:
    room = f"{options.senders} senders, {options.listeners} listeners, {options.seconds:g} s"
    return {
        "idle": f"idle: {options.idle_sockets:,} signed-in sockets",
        "throughput-w1": f"throughput, 1 unacked per sender: {room}",
        f"throughput-w{options.window}": f"throughput, {options.window} unacked per sender: {room}",
        "fanout": f"fanout: {options.fanout_listeners:,} listeners,"
        f" {options.fanout_rate:g} msgs/s for {options.fanout_seconds:g} s",
        "big": f"big: {options.big_listeners:,} listeners,"
        f" {options.big_rate:g} msgs/s for {options.big_seconds:g} s",
    }


Results = dict[str, dict[str, list[Any]]]  # scenario -> server -> runs


async def run_idle(
    options: argparse.Namespace, servers: list[Server], meters: dict[str, CpuMeter]
) -> Results:
    results: Results = {"idle": {}}
    for server in servers if options.idle_references else servers[:1]:
        print(f"idle: {options.idle_sockets:,} sockets on {server.name}", flush=True)
        idle = await measure_idle(server, options.idle_sockets, options.grace)
        print(f"  {idle.line()}", flush=True)
        results["idle"][server.name] = [idle]
        await meters[server.name].settle()
    return results


async def run_throughputs(
    options: argparse.Namespace,
    servers: list[Server],
    meters: dict[str, CpuMeter],
    profiler: Profiler,
) -> Results:
    results: Results = {"throughput-w1": {}, f"throughput-w{options.window}": {}}
    for run in range(options.repeat):
        print(f"throughput, run {run + 1}", flush=True)
        for server in servers:
            measured = await run_throughput(
                server,
                senders=options.senders,
                listeners=options.listeners,
                windows=(1, options.window),
                seconds=options.seconds,
                grace=options.grace,
                tag=f"t{run}",
                meter=meters[server.name],
                profiler=profiler,
            )
            for result in measured:
                results[f"throughput-w{result.window}"].setdefault(server.name, []).append(result)
            await meters[server.name].settle()
    return results


async def run_fan_outs(
    name: str,
    options: argparse.Namespace,
    servers: list[Server],
    meters: dict[str, CpuMeter],
    profiler: Profiler,
) -> Results:
    listeners, rate, seconds = (
        getattr(options, f"{name}_{field}") for field in ("listeners", "rate", "seconds")
    )
    results: Results = {name: {}}
    for run in range(options.repeat):
        print(f"{name}: {listeners:,} listeners, {rate:g} msgs/s, run {run + 1}", flush=True)
        for server in servers:
            result = await run_fan_out(
                server,
                listeners=listeners,
                rate=rate,
                seconds=seconds,
                grace=options.grace,
                tag=f"{name}{run}",
                meter=meters[server.name],
                profiler=profiler,
                name=name,
            )
            results[name].setdefault(server.name, []).append(result)
            await meters[server.name].settle()
    return results


async def drive(options: argparse.Namespace, servers: list[Server]) -> Results:
    """Start the servers, run the chosen scenarios on each, stop them whatever happens."""
    # SIGTERM cancels the run like Ctrl-C does, so the finally clauses clean up.
    main_task = asyncio.current_task()
    assert main_task is not None
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, main_task.cancel)
    results: Results = {}
    meters: dict[str, CpuMeter] = {}
    profiler = Profiler(options.profile_dir, die_with_parent)
    failed = True
    try:
        for server in servers:
            server.start()
        for server in servers:
            await server.ready()
            meters[server.name] = CpuMeter(setup.POSTGRES, server.pid, server.database)
        if "idle" in options.scenarios:
            results |= await run_idle(options, servers, meters)
        if "throughput" in options.scenarios:
            results |= await run_throughputs(options, servers, meters, profiler)
        for name in ("fanout", "big"):
            if name in options.scenarios:
                results |= await run_fan_outs(name, options, servers, meters, profiler)
        failed = False
    except asyncio.CancelledError:
        failed = False  # interrupted, not broken: the servers' logs say nothing useful
        raise
    finally:
        profiler.stop()
        for meter in meters.values():
            meter.close()
        for server in servers:
            server.stop(keep_log=failed)
    return results


def parse_options(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.load",
        description="Parley under load over real WebSockets, beside two reference servers.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )

    def names(text: str) -> list[str]:
        return [name for name in text.split(",") if name]

    parser.add_argument(
        "--scenarios", default=",".join(SCENARIOS), type=names, help=f"of {', '.join(SCENARIOS)}"
    )
    parser.add_argument(
        "--references",
        default=",".join(REFERENCES),
        type=names,
        help=f"reference servers to start beside Parley, of {', '.join(REFERENCES)}; '' for none",
    )
    parser.add_argument(
        "--repeat", type=int, default=1, help="runs of each scenario but idle (which runs once)"
    )
    parser.add_argument("--senders", type=int, default=4, help="throughput: senders")
    parser.add_argument("--listeners", type=int, default=20, help="throughput: listeners")
    parser.add_argument("--seconds", type=float, default=20.0, help="per throughput variant")
    parser.add_argument("--window", type=int, default=10, help="unacked sends when pipelined")
    parser.add_argument("--fanout-listeners", type=int, default=200, help="fanout: listeners")
    parser.add_argument("--fanout-rate", type=float, default=50.0, help="fanout: msgs/s")
    parser.add_argument("--fanout-seconds", type=float, default=30.0, help="fanout: sending")
    parser.add_argument("--big-listeners", type=int, default=1000, help="big: listeners")
    parser.add_argument("--big-rate", type=float, default=10.0, help="big: msgs/s")
    parser.add_argument("--big-seconds", type=float, default=20.0, help="big: sending")
    parser.add_argument(
        "--idle-sockets", type=int, default=1000, help="idle: sockets (issue 9's target: 10000)"
    )
    parser.add_argument(
        "--idle-references",
        action="store_true",
        help="run idle on the references too (a floor for the one-message-to-all time)",
    )
    parser.add_argument(
        "--grace", type=float, default=10.0, help="seconds to wait for late deliveries"
    )
    parser.add_argument(
        "--parley-processes",
        type=int,
        default=1,
        help="WEB_CONCURRENCY for Parley's web command",
    )
    parser.add_argument(
        "--parley-cmd",
        help="shell command starting Parley instead of the Procfile's web: line"
        " (it gets PARLEY_HOST and PARLEY_PORT)",
    )
    parser.add_argument(
        "--typing-every",
        type=float,
        default=3.0,
        help="Parley: seconds between a sender's `typing` frames while it sends, as the room"
        " page does (0: none)",
    )
    parser.add_argument("--json", type=Path, help="save every run's results here")
    parser.add_argument(
        "--plots", type=Path, default=setup.ROOT / "docs", help="directory for the SVG plots"
    )
    parser.add_argument("--no-plots", action="store_true", help="write no plots")
    parser.add_argument(
        "--profile-dir",
        type=Path,
        help="record each server with py-spy (raw stacks) during each measured window",
    )
    options = parser.parse_args(argv)
    for option, known in (("scenarios", SCENARIOS), ("references", tuple(REFERENCES))):
        unknown = set(getattr(options, option)) - set(known)
        if unknown:
            parser.error(f"unknown {option}: {', '.join(sorted(unknown))}")
    if options.window < 2:
        parser.error("--window is the pipelined variant: at least 2")
    return options


def exit_on_signal(signum: int, frame: object) -> None:
    sys.exit(128 + signum)


def main() -> None:
    options = parse_options()
    ParleyPeer.typing_every = options.typing_every
    # One descriptor per socket on each side; the servers inherit the raised limit.
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    if options.idle_sockets + 100 > hard and "idle" in options.scenarios:
        sys.exit(f"--idle-sockets {options.idle_sockets} needs more than ulimit -Hn {hard}")
    # Outside the event loop SIGTERM unwinds like Ctrl-C, through the cleanup below.
    signal.signal(signal.SIGTERM, exit_on_signal)
    began = time.monotonic()
    header = machine()
    print("\n".join(header), flush=True)
    sockets = 1 + max(
        options.senders + options.listeners,
        options.fanout_listeners + 1,
        options.big_listeners + 1,
        options.idle_sockets + 1,
    )
    servers: list[Server] = [Parley(options.parley_processes, options.parley_cmd)]
    servers += [REFERENCES[name]() for name in options.references]
    try:
        for server in servers:
            server.prepare(sockets)
        results = asyncio.run(drive(options, servers))
    except (KeyboardInterrupt, asyncio.CancelledError):
        sys.exit("interrupted: servers stopped, databases dropped")
    finally:
        signal.signal(signal.SIGTERM, exit_on_signal)  # the loop reset it on closing
        for server in servers:
            server.cleanup()
    header.append(f"- wall time {time.monotonic() - began:.0f} s")
    header += [
        f"- {server.name}: {server.describe()}; {server.seen_processes} process(es) at the end,"
        f" WebSocket extensions accepted: {server.extensions or 'none'}"
        for server in servers
    ]
    print("", *header, "", report(results, titles(options), options.repeat), sep="\n")
    if options.json:
        document = {
            "machine": header,
            "options": {
                key: str(value) if isinstance(value, Path) else value
                for key, value in vars(options).items()
            },
            "servers": {server.name: server.facts() for server in servers},
            "results": results,
        }
        save_json(options.json, document)
        print(f"results saved to {options.json}")
    if not options.no_plots:
        listeners = {
            "throughput-w1": options.listeners,
            "fanout": options.fanout_listeners,
            "big": options.big_listeners,
        }
        offered = {"fanout": options.fanout_rate, "big": options.big_rate}
        subtitle = [
            header[0][2:],
            f"{options.repeat} run(s) of each; throughput {options.seconds:g} s,"
            f" fanout {options.fanout_seconds:g} s, big {options.big_seconds:g} s",
        ]
        for path in write_plots(results, listeners, offered, options.plots, subtitle):
            print(f"plot written: {path}")


if __name__ == "__main__":
    main()
