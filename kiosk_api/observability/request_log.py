"""The request log: one JSON line per request on the `dongxi.requests` logger.

Fields: time (ISO 8601, Asia/Shanghai, with its offset), request_id, method, route (the URL rule,
`/pay/<token>`, never the path itself), status, duration_ms, kiosk (the signing cabinet's code) or
user (the caller's id), remote_addr. Never a query string, a header, a token, a secret or a phone
number: none of these is read. The request id is the caller's `X-Request-ID` when it is a sane
token (1–128 letters, digits and `._:-`), else a new one; the response carries it back."""

from __future__ import annotations

import json
import logging
import re
import sys
import uuid
from datetime import datetime
from typing import Any

from core.clock import SHANGHAI

log = logging.getLogger("dongxi.requests")
REQUEST_ID_HEADER = "X-Request-ID"
_SANE_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")


def request_id(offered: str | None) -> str:
    """The caller's request id if it is a sane token, else a new one."""
    if offered and _SANE_ID.fullmatch(offered):
        return offered
    return uuid.uuid4().hex


def line(
    *,
    request_id: str,
    method: str,
    route: str | None,
    status: int,
    seconds: float,
    kiosk: str | None,
    user: int | None,
    remote_addr: str | None,
) -> str:
    """One request's log line (JSON, keys in a fixed order)."""
    fields: dict[str, Any] = {
        "time": datetime.now(SHANGHAI).isoformat(timespec="milliseconds"),
        "request_id": request_id,
        "method": method,
        "route": route,
        "status": status,
        "duration_ms": round(seconds * 1000, 2),
    }
    if kiosk is not None:
        fields["kiosk"] = kiosk
    if user is not None:
        fields["user"] = user
    fields["remote_addr"] = remote_addr
    return json.dumps(fields, ensure_ascii=False)


class _Stderr(logging.StreamHandler):  # type: ignore[type-arg]
    """A handler on whatever sys.stderr is when it writes (pytest swaps it per test)."""

    def __init__(self) -> None:
        super().__init__()

    @property  # type: ignore[override]
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, _value: Any) -> None:
        pass


def configure(destination: str) -> None:
    """Send the lines to stderr (`-`), a file (a path) or nowhere (`off`); once per process."""
    if getattr(configure, "done", False):
        return
    configure.done = True  # type: ignore[attr-defined]
    log.propagate = False  # the line is the whole record: no other handler's prefix, no copy
    if destination == "off":
        log.disabled = True
        return
    handler = _Stderr() if destination == "-" else logging.FileHandler(destination)
    handler.setFormatter(logging.Formatter("%(message)s"))
    log.addHandler(handler)
    log.setLevel(logging.INFO)
