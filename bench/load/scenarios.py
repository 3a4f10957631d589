"""The scenarios: what each one does to a server and what it measures.

- idle (Parley; the references too with --idle-references): the server tree's resident
  memory (VmRSS summed over its processes) after one warm socket, and again after N more
  idle sockets (signed in, for Parley); whether all N are
  still open; then one message sent on the warm socket, and the time until the last of the
  N got it.
- throughput: S senders and L listeners in one room. Each sender sends as fast as its acks
  come back: first with one send unacked at a time, then with up to W. Reported per second
  of the window: messages committed and delivered (acked within the window and received by
  every listener within it), messages acked, deliveries to listeners; then the ack latency,
  and the checks: (listener, message) pairs never delivered by the end of the grace period,
  messages delivered twice, sends never acked, acked messages not stored exactly once (or
  stored under another seq or id than the ack said), and for Parley seq gaps among the acked
  seqs and deliveries out of seq order.
- fanout / big: one sender paced at R msgs/s, not waiting for acks, into a room of L
  listeners. The share of deliveries that arrived by the end of the run plus the grace
  period, deliveries per second, and the latency from the send to each listener's receipt.

Every measured window starts after a few warm-up messages have reached every socket. A
delivery that never arrived counts as infinitely late: a percentile that falls on one reads
"lost". Latency distributions are kept as 101 quantiles (p0 to p100) for the plots.
"""

from __future__ import annotations

import asyncio
import dataclasses
import math
import statistics
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from bench.load.clients import ParleyPeer, Peer, close_peers, open_peers, wait_until
from bench.load.proc import Cpu, CpuMeter, Profiler
from bench.load.servers import Server

T = TypeVar("T")
# The throughput counts that must be zero.
CHECKS = (
    "missing",
    "duplicates",
    "unacked",
    "errors",
    "not_stored_once",
    "gaps",
    "out_of_order",
)


def percentile(ordered: Sequence[float], q: float) -> float:
    """Nearest-rank percentile of sorted values; inf stands for a delivery that never came."""
    if not ordered:
        return math.nan
    return ordered[max(1, math.ceil(q / 100 * len(ordered))) - 1]


def quantiles(ordered: Sequence[float]) -> list[float]:
    """p0..p100 in milliseconds."""
    return [1000 * percentile(ordered, q) for q in range(101)]


@dataclass(frozen=True)
class Idle:
    sockets: int
    still_open: int
    processes: int  # in the server's tree
    before_kib: float
    after_kib: float
    connect_seconds: float  # to open them all, CONNECT_CONCURRENCY at a time
    reached: int  # sockets the one message reached within the grace period
    last_ms: float  # from its send until the last of them got it; inf if one never did

    @property
    def per_socket_kib(self) -> float:
        return (self.after_kib - self.before_kib) / self.sockets

    def line(self) -> str:
        return (
            f"{self.still_open:,}/{self.sockets:,} open in {self.processes} processes,"
            f" RSS {self.before_kib / 1024:.1f} -> {self.after_kib / 1024:.1f} MiB,"
            f" {self.per_socket_kib:.1f} KiB per socket,"
            f" {self.sockets / self.connect_seconds:.0f} opened/s;"
            f" one message reached {self.reached:,} in {ms(self.last_ms)}"
        )


@dataclass(frozen=True)
class Throughput:
    window: int  # sends a sender may have unacked
    committed_delivered_per_second: float
    committed_per_second: float
    deliveries_per_second: float
    committed: int
    missing: int
    duplicates: int
    unacked: int
    errors: int
    not_stored_once: int
    gaps: int | None  # Parley only: seqs missing between the lowest and highest acked
    out_of_order: int | None  # Parley only
    ack_p50_ms: float
    ack_p99_ms: float
    ack_quantiles_ms: list[float]
    cpu: Cpu

    def line(self) -> str:
        return (
            f"{self.committed_delivered_per_second:.0f} msgs/s committed and delivered,"
            f" {self.deliveries_per_second:.0f} deliveries/s, {self.missing} missing,"
            f" ack p50 {self.ack_p50_ms:.0f} ms, p99 {self.ack_p99_ms:.0f} ms; {self.cpu.line()}"
        )


@dataclass(frozen=True)
class FanOut:
    listeners: int
    offered_per_second: float  # as achieved by the paced sender
    sent: int
    delivered_percent: float
    deliveries_per_second: float
    duplicates: int
    p50_ms: float
    p95_ms: float
    p99_ms: float
    slowest_ms: float  # of the deliveries that did arrive: how far behind the room fell
    quantiles_ms: list[float]
    cpu: Cpu

    def line(self) -> str:
        return (
            f"{self.delivered_percent:.1f}% delivered, {self.deliveries_per_second:.0f}"
            f" deliveries/s, p50 {ms(self.p50_ms)}, p99 {ms(self.p99_ms)},"
            f" slowest delivered {ms(self.slowest_ms)}; {self.cpu.line()}"
        )


def ms(value: float) -> str:
    return "lost" if value == math.inf else f"{value:,.0f} ms"


def median_of(results: Sequence[T]) -> T:
    """Field by field median of several runs' results (nested dataclasses and lists too)."""
    first: Any = results[0]
    if first is None:
        return first
    if isinstance(first, list):
        return [median_of(values) for values in zip(*results, strict=True)]  # type: ignore[return-value]
    if isinstance(first, int):
        return statistics.median_low(results)  # type: ignore[return-value]
    if not dataclasses.is_dataclass(first):
        return statistics.median(results)  # type: ignore[arg-type, return-value]
    values = {
        field.name: median_of([getattr(result, field.name) for result in results])
        for field in dataclasses.fields(first)
    }
    return type(first)(**values)  # type: ignore[return-value]


async def warm_up(sender: Peer, listeners: Sequence[Peer], tag: str, count: int = 5) -> None:
    """A few sends through every stage (pools, threads, layers) before anything is measured;
    then the records are cleared."""
    for n in range(count):
        client_id = f"{tag}-warm{n}"
        await sender.send(client_id)
        await wait_until(lambda client_id=client_id: client_id in sender.acks, 30)
    last = f"{tag}-warm{count - 1}"
    if not await wait_until(lambda: all(last in peer.received for peer in listeners), 60):
        raise RuntimeError("warm-up messages did not reach every listener within 60 s")
    for peer in (sender, *listeners):
        peer.reset()


def report_errors(senders: Sequence[Peer]) -> None:
    codes = [frame.get("code") for sender in senders for frame in sender.errors]
    if codes:
        print(f"  ! {len(codes)} error frames: {set(codes)}", file=sys.stderr)


async def measure_idle(server: Server, sockets: int, grace: float) -> Idle:
    """Memory per idle signed-in socket, and one message to all of them."""
    first = await open_peers(server, range(1))
    server.extensions = first[0].extensions
    await warm_up(first[0], first, "idle")
    await asyncio.sleep(1)
    before = server.rss_kib()
    start = time.monotonic()
    peers = await open_peers(server, range(1, sockets + 1))
    connect_seconds = time.monotonic() - start
    await asyncio.sleep(3)
    after = server.rss_kib()
    still_open = sum(1 for peer in peers if peer.close_code is None)
    processes = server.processes()
    sent = time.monotonic()
    await first[0].send("idle-all")
    await wait_until(lambda: all("idle-all" in peer.received for peer in peers), grace, 0.1)
    arrivals = [peer.received.get("idle-all", math.inf) for peer in peers]
    await close_peers([*first, *peers])
    return Idle(
        sockets=sockets,
        still_open=still_open,
        processes=processes,
        before_kib=before,
        after_kib=after,
        connect_seconds=connect_seconds,
        reached=sum(1 for arrived in arrivals if arrived != math.inf),
        last_ms=1000 * (max(arrivals) - sent),
    )


async def measure_throughput(
    server: Server,
    senders: Sequence[Peer],
    listeners: Sequence[Peer],
    *,
    seconds: float,
    window: int,
    grace: float,
    tag: str,
    meter: CpuMeter,
    profiler: Profiler,
) -> Throughput:
    """Each sender keeps up to `window` sends unacked for `seconds`; see the module doc."""
    for n, sender in enumerate(senders):
        await warm_up(sender, listeners, f"{tag}s{n}")
    for peer in (*senders, *listeners):
        peer.reset()

    async def send_until(sender: Peer, prefix: str, deadline: float) -> None:
        sender.unacked = asyncio.Semaphore(window)
        n = 0
        while (left := deadline - time.monotonic()) > 0:
            try:
                await asyncio.wait_for(sender.unacked.acquire(), left)
            except TimeoutError:
                break
            await sender.send(f"{prefix}-{n}")
            n += 1

    profiler.start(f"{server.name}-throughput-w{window}", server.pid)
    meter.start()
    start = time.monotonic()
    deadline = start + seconds
    await asyncio.gather(
        *(send_until(sender, f"{tag}s{n}", deadline) for n, sender in enumerate(senders))
    )
    cpu = meter.stop()
    profiler.stop()
    for sender in senders:
        sender.unacked = None

    def all_answered() -> bool:
        return all(len(sender.acks) + len(sender.errors) >= len(sender.sent) for sender in senders)

    await wait_until(all_answered, 30)
    acks = {client_id: ack for sender in senders for client_id, ack in sender.acks.items()}
    await wait_until(lambda: all(acks.keys() <= peer.received.keys() for peer in listeners), grace)
    in_window = [client_id for client_id, (_, acked) in acks.items() if acked <= deadline]
    committed_delivered = sum(
        1
        for client_id in in_window
        if all(peer.received.get(client_id, math.inf) <= deadline for peer in listeners)
    )
    delivered = sum(
        1 for peer in listeners for arrived in peer.received.values() if arrived <= deadline
    )
    stored = await asyncio.to_thread(server.stored, list(acks))
    not_stored_once = sum(
        1
        for client_id, (value, _) in acks.items()
        if len(stored[client_id]) != 1 or value not in (None, stored[client_id][0])
    )
    gaps = out_of_order = None
    if isinstance(listeners[0], ParleyPeer):
        seqs = {value for value, _ in acks.values() if value is not None}
        gaps = (max(seqs) - min(seqs) + 1 - len(seqs)) if seqs else 0
        out_of_order = sum(peer.out_of_order for peer in listeners if isinstance(peer, ParleyPeer))
    ack_latencies = sorted(
        acked - sender.sent[client_id]
        for sender in senders
        for client_id, (_, acked) in sender.acks.items()
    )
    report_errors(senders)
    result = Throughput(
        window=window,
        committed_delivered_per_second=committed_delivered / seconds,
        committed_per_second=len(in_window) / seconds,
        deliveries_per_second=delivered / seconds,
        committed=len(acks),
        missing=sum(len(acks.keys() - peer.received.keys()) for peer in listeners),
        duplicates=sum(peer.duplicates for peer in listeners),
        unacked=sum(len(sender.sent) - len(sender.acks) - len(sender.errors) for sender in senders),
        errors=sum(len(sender.errors) for sender in senders),
        not_stored_once=not_stored_once,
        gaps=gaps,
        out_of_order=out_of_order,
        ack_p50_ms=1000 * percentile(ack_latencies, 50),
        ack_p99_ms=1000 * percentile(ack_latencies, 99),
        ack_quantiles_ms=quantiles(ack_latencies),
        cpu=cpu,
    )
    failed = {
        check: count for check in CHECKS if (count := getattr(result, check)) not in (0, None)
    }
    if failed:
        print(f"  ! {server.name}: checks failed: {failed}", file=sys.stderr)
        server.suspect = True
    return result


async def measure_fan_out(
    server: Server,
    sender: Peer,
    listeners: Sequence[Peer],
    *,
    rate: float,
    seconds: float,
    grace: float,
    tag: str,
    meter: CpuMeter,
    profiler: Profiler,
    name: str,
) -> FanOut:
    """One sender paced at `rate` for `seconds`, acks not awaited; then up to `grace` seconds
    for the deliveries to finish. Latency is from the send to each listener's receipt."""
    await warm_up(sender, listeners, tag)
    count = round(rate * seconds)
    expected = count * len(listeners)
    profiler.start(f"{server.name}-{name}", server.pid)
    meter.start()
    start = time.monotonic()
    for n in range(count):
        delay = start + n / rate - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        await sender.send(f"{tag}-{n}")
    last_send = time.monotonic()
    await wait_until(lambda: sum(len(peer.received) for peer in listeners) >= expected, grace, 0.1)
    cpu = meter.stop()
    profiler.stop()
    report_errors([sender])
    latencies = sorted(
        peer.received[client_id] - sent if client_id in peer.received else math.inf
        for peer in listeners
        for client_id, sent in sender.sent.items()
    )
    delivered = sum(1 for latency in latencies if latency != math.inf)
    arrivals = [arrived for peer in listeners for arrived in peer.received.values()]
    span = (max(arrivals) - start) if arrivals else math.nan
    return FanOut(
        listeners=len(listeners),
        offered_per_second=(count - 1) / (last_send - start) if count > 1 else math.nan,
        sent=count,
        delivered_percent=100 * delivered / expected,
        deliveries_per_second=delivered / span,
        duplicates=sum(peer.duplicates for peer in listeners),
        p50_ms=1000 * percentile(latencies, 50),
        p95_ms=1000 * percentile(latencies, 95),
        p99_ms=1000 * percentile(latencies, 99),
        slowest_ms=1000 * max((latency for latency in latencies if latency != math.inf), default=0),
        quantiles_ms=quantiles(latencies),
        cpu=cpu,
    )


async def run_throughput(
    server: Server,
    *,
    senders: int,
    listeners: int,
    windows: Sequence[int],
    seconds: float,
    grace: float,
    tag: str,
    meter: CpuMeter,
    profiler: Profiler,
) -> list[Throughput]:
    """Open the room, measure each window in turn on the same sockets, close it."""
    peers = await open_peers(server, range(senders + listeners))
    server.extensions = peers[0].extensions
    results = []
    try:
        for window in windows:
            result = await measure_throughput(
                server,
                peers[:senders],
                peers[senders:],
                seconds=seconds,
                window=window,
                grace=grace,
                tag=f"{tag}w{window}",
                meter=meter,
                profiler=profiler,
            )
            print(f"  {server.name}, {window} unacked: {result.line()}", flush=True)
            results.append(result)
        print_typing(peers)
    finally:
        await close_peers(peers)
    return results


def print_typing(peers: Sequence[Peer]) -> None:
    """What the Parley sockets said and heard of typing and presence (docs/presence.md)."""
    parley = [peer for peer in peers if isinstance(peer, ParleyPeer)]
    if parley:
        sent = sum(peer.typing_sent for peer in parley)
        heard = sum(peer.typing_heard for peer in parley)
        presence = sum(peer.presence_heard for peer in parley)
        print(f"  typing: {sent} sent, {heard} heard; presence frames heard: {presence}")


async def run_fan_out(server: Server, *, listeners: int, **measure: Any) -> FanOut:
    """Fresh sockets each run: a backlog the last run left queued stays behind."""
    peers = await open_peers(server, range(listeners + 1))
    server.extensions = peers[0].extensions
    try:
        result = await measure_fan_out(server, peers[0], peers[1:], **measure)
    finally:
        await close_peers(peers)
    print(f"  {server.name}: {result.line()}", flush=True)
    print_typing(peers)
    return result
