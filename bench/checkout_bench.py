"""Kiosk purchases per second through the real device API, against bare SQL in the same run.

    .venv/bin/python bench/checkout_bench.py [--kiosks 32] [--seconds 20] [--mode spread|hot|both]
                                             [--history N] [--workers 2] [--threads 8]

dongxi: gunicorn (kiosk_api/gunicorn_conf.py) against a scratch PostgreSQL database; N signed
kiosks, each on its own keep-alive connection, loop session → simulated pay → poll → vend results.
bare: bench/bare_checkout.py, N threads with their own connections, the same purchase as three
transactions on a second scratch database built the same way. spread: kiosk i buys 2 random slots
of its own cabinet; hot: every client buys slot A1 of one cabinet. After each dongxi run the
invariants are checked (no 5xx, no oversell, no hold left on a completed order, ledger sums =
balances, revenue = captured). Prints purchases/s, p50/p99, p99/p50, the ratio and worker RSS.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import threading
import time
from collections import Counter
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from bare_checkout import BarePurchases
from common import (
    BenchKiosk,
    Failure,
    SignedKiosk,
    check_invariants,
    describe,
    drop_database,
    gunicorn,
    libpq,
    percentile,
    prepare_database,
    purchase,
    say,
)


def lines_for(kiosk: BenchKiosk, mode: str, rng: random.Random) -> list[dict[str, Any]]:
    if mode == "hot":
        return [{"slot": "A1", "qty": 1}]
    a, b = rng.sample(kiosk.slots, 2)
    return [{"slot": a, "qty": 1}, {"slot": b, "qty": 1}]


def run_clients(n: int, seconds: float, work: Any) -> tuple[list[float], Counter[str], float]:
    """Run `work(i, rng)` in n threads for `seconds`; return purchase latencies, errors and elapsed time."""
    latencies: list[float] = []
    errors: Counter[str] = Counter()
    lock = threading.Lock()
    start = time.perf_counter()
    stop_at = start + seconds

    def loop(i: int) -> None:
        rng = random.Random(i)
        while time.perf_counter() < stop_at:
            t = time.perf_counter()
            try:
                work(i, rng)
            except Failure as exc:
                with lock:
                    errors[f"{exc.step} {exc.status}"] += 1
                continue
            except Exception as exc:  # a connection reset or a timeout: counted, not fatal
                with lock:
                    errors[type(exc).__name__] += 1
                continue
            with lock:
                latencies.append(time.perf_counter() - t)

    threads = [threading.Thread(target=loop, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return latencies, errors, time.perf_counter() - start


def report(name: str, latencies: list[float], elapsed: float, errors: Counter[str]) -> float:
    rate = len(latencies) / elapsed
    p50, p99 = percentile(latencies, 0.5), percentile(latencies, 0.99)
    say(
        f"  {name:<7} {rate:8.1f} purchases/s   {describe(latencies)}   p99/p50 {p99 / p50:4.1f}"
        + (f"   errors {dict(errors)}" if errors else "")
    )
    return rate


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--kiosks", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--mode", choices=["spread", "hot", "both"], default="both")
    parser.add_argument(
        "--history", type=int, default=0, help="historical orders loaded into both databases first"
    )
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--port", type=int, default=8710)
    parser.add_argument("--keep", action="store_true", help="keep the scratch databases")
    args = parser.parse_args()
    modes = ["spread", "hot"] if args.mode == "both" else [args.mode]
    say(f"checkout bench: {args.kiosks} kiosks, {args.seconds:.0f} s per mode, history {args.history:,}")
    stock = 1_000_000  # no slot runs out during a run
    dongxi_url, kiosks = prepare_database(
        f"dongxi_bench_{os.getpid()}", args.kiosks, stock=stock, history=args.history
    )
    bare_url, bare_kiosks = prepare_database(
        f"dongxi_bare_{os.getpid()}", args.kiosks, stock=stock, history=args.history
    )
    ok = True
    try:
        results: dict[str, tuple[float, float]] = {}
        for mode in modes:
            say(f"mode {mode}:")
            workers = [
                BarePurchases(libpq(bare_url), (bare_kiosks[0] if mode == "hot" else k).code, k.key_id)
                for k in bare_kiosks
            ]
            lat, errors, elapsed = run_clients(
                args.kiosks,
                args.seconds,
                lambda i, rng, m=mode, w=workers: w[i].purchase(lines_for(bare_kiosks[i], m, rng)),
            )
            for w in workers:
                w.close()
            bare_rate = report("bare", lat, elapsed, errors)
            with gunicorn(dongxi_url, port=args.port, workers=args.workers, threads=args.threads) as server:
                clients = [SignedKiosk(server.base, kiosks[0] if mode == "hot" else k) for k in kiosks]
                for c in clients:  # each cabinet syncs once before shoppers come, as a real one does
                    c.get("/catalogue")
                timings: dict[str, list[float]] = {}
                lat, errors, elapsed = run_clients(
                    args.kiosks,
                    args.seconds,
                    lambda i, rng, m=mode, c=clients, t=timings: purchase(
                        c[i], lines_for(kiosks[i], m, rng), t
                    ),
                )
                rss = server.worker_rss_mb()
            rate = report("dongxi", lat, elapsed, errors)
            for step, values in timings.items():
                say(f"      {step:<8} {describe(values)}")
            peaks = ", ".join(f"{r:.0f}" for r in rss)
            say(f"  ratio   {rate / bare_rate:8.2f}×   worker peak RSS {peaks} MB")
            five_xx = sum(n for key, n in errors.items() if key.split()[-1].startswith("5"))
            say(f"  {'PASS' if five_xx == 0 else 'FAIL'}  no 5xx ({five_xx})")
            ok &= five_xx == 0
            ok &= check_invariants(dongxi_url)
            results[mode] = (rate, bare_rate)
        say(
            "summary: "
            + "  ".join(f"{m} {r:.1f}/s vs {b:.1f}/s = {r / b:.2f}×" for m, (r, b) in results.items())
        )
    finally:
        if not args.keep:
            drop_database(dongxi_url)
            drop_database(bare_url)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
