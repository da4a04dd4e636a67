"""The bare baseline of a catalogue sync: a Flask app with one route that checks the same RFC 9421
signature as dongxi (kiosk_api.auth.device.verify_device_request, keys from a file) and answers the
same body with the same ETag — and one route without the check. Served by catalogue_bench.py
under the same gunicorn settings as dongxi."""

from __future__ import annotations

import json
import os
from pathlib import Path

from flask import Flask, Response, request

from core.clock import SystemClock
from kiosk_api.auth.device import verify_device_request

_DIR = Path(os.environ["BARE_CATALOGUE_DIR"])
BODY = (_DIR / "body.json").read_bytes()
ETAG = os.environ["BARE_CATALOGUE_ETAG"]
KEYS = {k: v.encode() for k, v in json.loads((_DIR / "keys.json").read_text()).items()}
CLOCK = SystemClock()

app = Flask(__name__)


def _answer() -> Response:
    if ETAG in request.if_none_match or ETAG.strip('"') in request.if_none_match:
        return Response(status=304, headers={"ETag": ETAG})
    return Response(BODY, mimetype="application/json", headers={"ETag": ETAG})


@app.get("/api/v1/kiosk/catalogue")
def signed() -> Response:
    verify_device_request(
        method=request.method,
        url=request.url,
        headers=list(request.headers.items()),
        body=request.get_data(cache=True),
        clock=CLOCK,
        secret_for=KEYS.get,
    )
    return _answer()


@app.get("/plain")
def plain() -> Response:
    return _answer()


@app.get("/healthz")
def healthz() -> Response:
    return Response("ok")
