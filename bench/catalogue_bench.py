"""Catalogue syncs per second: ETag hits (304) and misses (200), against bare Flask routes.

    .venv/bin/python bench/catalogue_bench.py [--clients 16] [--seconds 10]

dongxi: `GET /api/v1/kiosk/catalogue` under gunicorn (kiosk_api/gunicorn_conf.py), 16 signed
kiosks, with a matching If-None-Match (304) and without (200). In the same run, bare_catalogue.py
under the same gunicorn settings returns the same bytes with the same ETag, once after the same
RFC 9421 signature check (kiosk_api.auth.device.verify_device_request) and once without any.
Prints requests/s of each and the ratios.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from common import REDIS_URL, SignedKiosk, describe, drop_database, gunicorn, prepare_database, say


def hammer(
    pairs: list[tuple[SignedKiosk, str | None]], seconds: float, path: str, expect: int
) -> tuple[float, list[float], Counter[int]]:
    """Each client GETs `path` in a loop (with its If-None-Match tag, if any); the rate of `expect`."""
    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    lock = threading.Lock()
    stop_at = time.perf_counter() + seconds

    def loop(client: SignedKiosk, tag: str | None) -> None:
        headers = {"If-None-Match": tag} if tag else {}
        while time.perf_counter() < stop_at:
            t = time.perf_counter()
            response = client.http.get(f"{client.base}{path}", auth=client.auth, headers=headers, timeout=30)
            with lock:
                statuses[response.status_code] += 1
                if response.status_code == expect:
                    latencies.append(time.perf_counter() - t)

    start = time.perf_counter()
    threads = [threading.Thread(target=loop, args=pair) for pair in pairs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return len(latencies) / (time.perf_counter() - start), latencies, statuses


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--port", type=int, default=8720)
    args = parser.parse_args()
    say(
        f"catalogue bench: {args.clients} signed clients, {args.seconds:.0f} s per case, "
        f"nonces in {'Redis (' + REDIS_URL + ')' if REDIS_URL else 'the database'}"
    )
    url, kiosks = prepare_database(f"dongxi_catbench_{os.getpid()}", args.clients, stock=1000)
    rates: dict[str, float] = {}
    try:
        with gunicorn(url, port=args.port) as server:
            clients = [SignedKiosk(server.base, k) for k in kiosks]
            first = clients[0].get("/catalogue")
            etag, body = first.headers["ETag"], first.content
            tags = {c.kiosk.code: c.get("/catalogue").headers["ETag"] for c in clients}
            for name, tag, expect in (("dongxi 304", "own", 304), ("dongxi 200", None, 200)):
                # Each kiosk sends its own cabinet's tag.
                pairs = [(c, tags[c.kiosk.code] if tag else None) for c in clients]
                rate, lat, statuses = hammer(pairs, args.seconds, "/api/v1/kiosk/catalogue", expect)
                rates[name] = rate
                say(f"  {name:<16} {rate:8.1f} req/s   {describe(lat)}   statuses {dict(statuses)}")
            rss = server.worker_rss_mb()
            say(f"  worker peak RSS {', '.join(f'{r:.0f}' for r in rss)} MB")
        with tempfile.TemporaryDirectory() as scratch:
            Path(scratch, "body.json").write_bytes(body)
            Path(scratch, "keys.json").write_text(json.dumps({k.key_id: k.secret for k in kiosks}))
            os.environ["BARE_CATALOGUE_DIR"] = scratch
            os.environ["BARE_CATALOGUE_ETAG"] = etag
            with gunicorn(url, port=args.port + 1, app="bench.bare_catalogue:app") as bare:
                clients = [SignedKiosk(bare.base, k) for k in kiosks]
                for name, path in (("bare signed", "/api/v1/kiosk/catalogue"), ("bare unsigned", "/plain")):
                    rate, lat, statuses = hammer([(c, etag) for c in clients], args.seconds, path, 304)
                    rates[name] = rate
                    say(f"  {name:<16} {rate:8.1f} req/s   {describe(lat)}   statuses {dict(statuses)}")
        hit, signed, unsigned = rates["dongxi 304"], rates["bare signed"], rates["bare unsigned"]
        say(
            f"summary: 304 {hit:.0f}/s = {hit / signed:.2f}× a bare route with the same signature check "
            f"({signed:.0f}/s), {hit / unsigned:.2f}× one without ({unsigned:.0f}/s)"
        )
    finally:
        drop_database(url)


if __name__ == "__main__":
    main()
