"""A city's fleet against one server: N kiosks heartbeating and syncing, shoppers buying, open loop.

    .venv/bin/python bench/fleet_bench.py [--kiosks 1500] [--seconds 300] [--purchase-rate 5]
                                          [--heartbeat-interval 30] [--catalogue-interval 60]
                                          [--workers 48]

dongxi under gunicorn (kiosk_api/gunicorn_conf.py) against a scratch PostgreSQL database with N
provisioned, stocked kiosks (written in bulk). Each kiosk first syncs its catalogue once (its
boot, not measured) to learn its ETag; then, for `--seconds`, it POSTs a heartbeat every
`--heartbeat-interval` s and GETs its catalogue every `--catalogue-interval` s with If-None-Match
(304 unless its stock changed; a 200 gives it the new ETag), each kiosk's first heartbeat and
sync at a uniformly random offset within its interval. Shoppers arrive fleet-wide at a fixed
`--purchase-rate` per second at a random kiosk: session → simulated pay → poll → vend results.

Open loop: every event has a fixed scheduled time, whatever the server's answers; a heap-based
dispatcher hands due events to `--workers` threads, which share one keep-alive connection per
thread and sign every request with the event's own kiosk's key. Latency is measured from the send
(and, separately, from the scheduled time); the achieved rate counts the answers that arrived
within the window. Prints per endpoint target and achieved rate, count, errors by status, p50 and
p99; worker peak RSS; PASS/MISS for each goal (every rate ≥ 0.95 × target, p99 < 500 ms, no
errors); then the invariants. Always exits 0: it is a benchmark.
"""

from __future__ import annotations

import argparse
import heapq
import os
import queue
import random
import resource
import sys
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from common import (
    Failure,
    Server,
    SignedKiosk,
    ThreadSessions,
    check_invariants,
    drop_database,
    gunicorn,
    percentile,
    prepare_database,
    purchase,
    say,
)

HEARTBEAT = {"software_version": "bench-fleet", "door": "closed", "temperature_c": 4.5, "outbox_depth": 0}
# purchase()'s step names → the rows printed.
STEPS = {"session": "session", "pay": "pay", "poll": "poll", "vend": "vend-results"}
ROWS = [
    "heartbeat",
    "catalogue",
    "catalogue 304",
    "catalogue 200",
    "session",
    "pay",
    "poll",
    "vend-results",
    "whole purchase",
]
P99_GOAL = 0.5
RATE_GOAL = 0.95


class Stats:
    """Per endpoint: latencies from the send and from the scheduled time, answers within the
    window, and errors by status (or exception name)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.latency: dict[str, list[float]] = defaultdict(list)
        self.from_schedule: dict[str, list[float]] = defaultdict(list)
        self.in_window: Counter[str] = Counter()
        self.errors: dict[str, Counter[str]] = defaultdict(Counter)
        self.window_end = float("inf")

    def ok(self, row: str, latency: float, scheduled: float, finished: float) -> None:
        with self.lock:
            self.latency[row].append(latency)
            self.from_schedule[row].append(finished - scheduled)
            if finished <= self.window_end:
                self.in_window[row] += 1

    def error(self, row: str, what: str) -> None:
        with self.lock:
            self.errors[row][what] += 1


class Monitor:
    """Samples the gunicorn workers every few seconds: peak RSS and CPU time, per pid (a worker
    that max_requests restarts mid-run keeps its figures)."""

    def __init__(self, server: Server, every: float = 5.0) -> None:
        self.server = server
        self.every = every
        self.peak: dict[int, float] = {}
        self.cpu_first: dict[int, float] = {}
        self.cpu_last: dict[int, float] = {}
        self.machine_first = (0.0, 0.0)
        self.machine_last = float("nan")
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.ticks = os.sysconf("SC_CLK_TCK")

    @staticmethod
    def machine_busy() -> tuple[float, float]:
        """The whole machine's busy and total CPU seconds since boot, from /proc/stat."""
        # user nice system idle iowait irq softirq steal (guest time is already within user)
        fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
        ticks = os.sysconf("SC_CLK_TCK")
        busy = fields[0] + fields[1] + fields[2] + fields[5] + fields[6]
        return busy / ticks, sum(fields) / ticks

    def mark(self) -> None:
        """Start the CPU counts here (the window opens; the boot sync is not counted)."""
        self.sample()
        self.cpu_first = dict(self.cpu_last)
        self.machine_first = self.machine_busy()

    def machine_cores(self, window: float) -> float:
        """Cores busy on the whole machine since `mark` (server, PostgreSQL, generator, neighbours)."""
        busy, _ = self.machine_busy()
        return (busy - self.machine_first[0]) / window

    def sample(self) -> None:
        for pid, mb in self.server.worker_rss_by_pid().items():
            self.peak[pid] = max(mb, self.peak.get(pid, 0.0))
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except FileNotFoundError:
                continue
            cpu = (int(fields[11]) + int(fields[12])) / self.ticks  # utime + stime
            self.cpu_first.setdefault(pid, cpu)
            self.cpu_last[pid] = cpu

    def _run(self) -> None:
        while not self.stop.wait(self.every):
            self.sample()

    def __enter__(self) -> Monitor:
        self.sample()
        self.thread.start()
        return self

    def __exit__(self, *_: Any) -> None:
        self.stop.set()
        self.thread.join()

    def cpu_seconds(self) -> float:
        return sum(self.cpu_last[pid] - self.cpu_first[pid] for pid in self.cpu_last)


class Fleet:
    """The kiosks' state (each one's ETag) and the three kinds of event."""

    def __init__(self, clients: list[SignedKiosk], stats: Stats, seed: int) -> None:
        self.clients = clients
        self.stats = stats
        self.etags: list[str | None] = [None] * len(clients)
        self.rng = random.Random(seed)
        self.rng_lock = threading.Lock()

    def boot(self, i: int) -> None:
        """A cabinet's first sync after it starts: learns its ETag (not measured)."""
        response = self.clients[i].get("/catalogue")
        if response.status_code == 200:
            self.etags[i] = response.headers.get("ETag")
        else:
            self.stats.error("boot sync", str(response.status_code))

    def heartbeat(self, i: int, scheduled: float) -> None:
        t = time.perf_counter()
        try:
            response = self.clients[i].post("/heartbeat", HEARTBEAT)
        except Exception as exc:  # a reset or a timeout: counted, the run goes on
            self.stats.error("heartbeat", type(exc).__name__)
            return
        done = time.perf_counter()
        if response.status_code == 200:
            self.stats.ok("heartbeat", done - t, scheduled, done)
        else:
            self.stats.error("heartbeat", str(response.status_code))

    def catalogue(self, i: int, scheduled: float) -> None:
        tag = self.etags[i]
        t = time.perf_counter()
        try:
            response = self.clients[i].get("/catalogue", headers={"If-None-Match": tag} if tag else {})
        except Exception as exc:
            self.stats.error("catalogue", type(exc).__name__)
            return
        done = time.perf_counter()
        if response.status_code in (200, 304):
            if response.status_code == 200:
                self.etags[i] = response.headers.get("ETag")
            self.stats.ok(f"catalogue {response.status_code}", done - t, scheduled, done)
            self.stats.ok("catalogue", done - t, scheduled, done)
        else:
            self.stats.error("catalogue", str(response.status_code))

    def purchase(self, scheduled: float) -> None:
        with self.rng_lock:
            i = self.rng.randrange(len(self.clients))
            slots = self.rng.sample(self.clients[i].kiosk.slots, self.rng.choice((1, 2)))
        lines = [{"slot": slot, "qty": 1} for slot in slots]
        timings: dict[str, list[float]] = {}
        t = time.perf_counter()
        failed: str | None = None
        try:
            purchase(self.clients[i], lines, timings)
        except Failure as exc:
            failed = exc.step
            timings[exc.step].pop()  # the failed request is an error, not a latency
            self.stats.error(STEPS[exc.step], str(exc.status))
            self.stats.error("whole purchase", f"{STEPS[exc.step]} {exc.status}")
        except Exception as exc:
            failed = "?"
            self.stats.error("whole purchase", type(exc).__name__)
        done = time.perf_counter()
        for step, values in timings.items():
            for value in values:
                self.stats.ok(STEPS[step], value, scheduled, done)
        if failed is None:
            self.stats.ok("whole purchase", done - t, scheduled, done)


def run_open_loop(
    fleet: Fleet, args: argparse.Namespace, workers: int, monitor: Monitor
) -> tuple[float, int, list[float], float]:
    """Boot every kiosk, then dispatch the schedule for args.seconds; return the window's length,
    the backlog left when it closed, the dispatch lags (start − scheduled) and the generator's CPU s."""
    jobs: queue.Queue[tuple[float, Callable[[float], None]] | None] = queue.Queue()
    lags: list[float] = []

    def work() -> None:
        while (job := jobs.get()) is not None:
            scheduled, call = job
            lags.append(time.perf_counter() - scheduled)
            try:
                call(scheduled)
            finally:
                jobs.task_done()
        jobs.task_done()

    threads = [threading.Thread(target=work, daemon=True) for _ in range(workers)]
    for t in threads:
        t.start()
    n = len(fleet.clients)
    booted = time.perf_counter()
    for i in range(n):
        jobs.put((booted, lambda _s, i=i: fleet.boot(i)))
    jobs.join()
    say(f"  boot: {n:,} catalogue syncs in {time.perf_counter() - booted:.1f} s (not measured)")
    lags.clear()

    rng = random.Random(1)
    start = time.perf_counter() + 0.5
    end = start + args.seconds
    fleet.stats.window_end = end
    heap: list[tuple[float, int, str, int]] = []
    seq = 0
    for i in range(n):
        heap.append((start + rng.uniform(0, args.heartbeat_interval), seq, "heartbeat", i))
        heap.append((start + rng.uniform(0, args.catalogue_interval), seq + 1, "catalogue", i))
        seq += 2
    if args.purchase_rate > 0:
        heap.append((start, seq, "purchase", -1))
        seq += 1
    heapq.heapify(heap)
    every = {
        "heartbeat": args.heartbeat_interval,
        "catalogue": args.catalogue_interval,
        "purchase": 1 / args.purchase_rate if args.purchase_rate > 0 else 0,
    }
    calls: dict[str, Callable[[int, float], None]] = {
        "heartbeat": fleet.heartbeat,
        "catalogue": fleet.catalogue,
        "purchase": lambda _i, scheduled: fleet.purchase(scheduled),
    }
    monitor.mark()
    cpu_before = sum(resource.getrusage(resource.RUSAGE_SELF)[:2])
    while heap and heap[0][0] < end:
        due, _, kind, i = heapq.heappop(heap)
        wait = due - time.perf_counter()
        if wait > 0:
            time.sleep(wait)
        jobs.put((due, lambda scheduled, k=kind, i=i: calls[k](i, scheduled)))
        heapq.heappush(heap, (due + every[kind], seq, kind, i))
        seq += 1
    wait = end - time.perf_counter()
    if wait > 0:
        time.sleep(wait)
    cpu = sum(resource.getrusage(resource.RUSAGE_SELF)[:2]) - cpu_before
    monitor.sample()
    monitor.machine_last = monitor.machine_cores(end - start)
    backlog = 0
    while True:  # what the workers had not started when the window closed is dropped
        try:
            jobs.get_nowait()
        except queue.Empty:
            break
        jobs.task_done()
        backlog += 1
    for _ in threads:
        jobs.put(None)
    for t in threads:
        t.join(timeout=60)
    return end - start, backlog, lags, cpu


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--kiosks", type=int, default=1500)
    parser.add_argument("--seconds", type=float, default=300)
    parser.add_argument("--purchase-rate", type=float, default=5.0, help="purchases/s, fleet-wide")
    parser.add_argument("--heartbeat-interval", type=float, default=30.0)
    parser.add_argument("--catalogue-interval", type=float, default=60.0)
    parser.add_argument("--workers", type=int, default=48, help="load-generator threads")
    parser.add_argument("--server-workers", type=int, default=2)
    parser.add_argument("--server-threads", type=int, default=8)
    parser.add_argument("--port", type=int, default=8730)
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    args = parser.parse_args()
    n = args.kiosks
    targets = {
        "heartbeat": n / args.heartbeat_interval,
        "catalogue": n / args.catalogue_interval,
        "catalogue 304": None,
        "catalogue 200": None,
        "session": args.purchase_rate,
        "pay": args.purchase_rate,
        "poll": args.purchase_rate,  # at least one per purchase
        "vend-results": args.purchase_rate,
        "whole purchase": args.purchase_rate,
    }
    say(
        f"fleet bench: {n:,} kiosks, {args.seconds:.0f} s, heartbeat every {args.heartbeat_interval:g} s, "
        f"catalogue every {args.catalogue_interval:g} s, {args.purchase_rate:g} purchases/s, "
        f"{args.workers} generator threads, gunicorn {args.server_workers}×{args.server_threads}"
    )
    started = time.perf_counter()
    url, kiosks = prepare_database(f"dongxi_fleet_{os.getpid()}", n, stock=1000, bulk=True)
    say(f"  database ready in {time.perf_counter() - started:.1f} s")
    stats = Stats()
    try:
        with gunicorn(
            url, port=args.port, workers=args.server_workers, threads=args.server_threads
        ) as server:
            sessions = ThreadSessions()
            clients = [SignedKiosk(server.base, k, sessions) for k in kiosks]
            fleet = Fleet(clients, stats, seed=7)
            with Monitor(server) as monitor:
                window, backlog, lags, client_cpu = run_open_loop(fleet, args, args.workers, monitor)
            sessions.close()
        report(stats, targets, window, backlog, lags, client_cpu, monitor)
        say("invariants:")
        check_invariants(url)
    finally:
        if not args.keep:
            drop_database(url)


def report(
    stats: Stats,
    targets: dict[str, float | None],
    window: float,
    backlog: int,
    lags: list[float],
    client_cpu: float,
    monitor: Monitor,
) -> None:
    def ms(values: list[float], q: float) -> str:
        return f"{percentile(values, q) * 1000:.0f}" if values else "—"

    say("")
    say("| endpoint | target/s | achieved/s | count | errors | p50 ms | p99 ms | p99 from schedule ms |")
    say("|---|---|---|---|---|---|---|---|")
    rates_ok, p99_ok = True, True
    misses: list[str] = []
    for row in ROWS:
        target = targets[row]
        achieved = stats.in_window[row] / window
        latencies = stats.latency[row]
        errors = stats.errors.get(row, Counter())
        shown = ", ".join(f"{k}: {v}" for k, v in sorted(errors.items())) or "0"
        say(
            f"| {row} | {f'{target:.2f}' if target is not None else '—'} | {achieved:.2f} "
            f"| {len(latencies):,} | {shown} | {ms(latencies, 0.5)} | {ms(latencies, 0.99)} "
            f"| {ms(stats.from_schedule[row], 0.99)} |"
        )
        if target is not None and achieved < RATE_GOAL * target:
            rates_ok = False
            misses.append(f"{row} rate {achieved:.2f}/s < {RATE_GOAL} × {target:.2f}/s")
        if latencies and percentile(latencies, 0.99) >= P99_GOAL:
            p99_ok = False
            misses.append(f"{row} p99 {percentile(latencies, 0.99) * 1000:.0f} ms")
    other = {row: c for row, c in stats.errors.items() if row not in ROWS}
    error_count = sum(sum(c.values()) for c in stats.errors.values())
    say("")
    peaks = ", ".join(f"{mb:.0f}" for mb in monitor.peak.values())
    say(f"  worker peak RSS: {peaks} MB ({len(monitor.peak)} worker processes seen)")
    say(
        f"  server workers' CPU: {monitor.cpu_seconds() / window:.2f} cores; load generator's: "
        f"{client_cpu / window:.2f} cores; whole machine: {monitor.machine_last:.2f} of {os.cpu_count()} "
        f"cores busy; dispatch lag p50 {ms(lags, 0.5)} ms, p99 {ms(lags, 0.99)} ms; "
        f"backlog when the window closed: {backlog}"
    )
    if other:
        say(f"  other errors: {dict(other)}")
    if percentile(lags, 0.99) > 1.0:
        say(
            "  the schedule fell behind: every generator thread was waiting on an answer, so due "
            "events queued (see the dispatch lag and 'p99 from schedule')"
        )
    say("goals:")
    say(f"  {'PASS' if rates_ok else 'MISS'}  every rate held (achieved ≥ {RATE_GOAL} × target)")
    say(f"  {'PASS' if p99_ok else 'MISS'}  p99 < {P99_GOAL * 1000:.0f} ms on every endpoint")
    say(f"  {'PASS' if error_count == 0 else 'MISS'}  no errors ({error_count})")
    for miss in misses:
        say(f"        {miss}")


if __name__ == "__main__":
    main()
