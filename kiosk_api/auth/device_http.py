"""The device-signature check as a view decorator: verify, refuse replays, know which kiosk calls."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from flask import current_app, g, request

from kiosk_api.auth.device import DeviceAuthError, verify_device_request
from kiosk_api.blueprints.base import Blueprint
from kiosk_api.database import get_clock, get_db
from kiosk_api.kiosks import service as kiosks

F = TypeVar("F", bound=Callable[..., Any])
_ERROR_BODY = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}


@dataclass(frozen=True)
class CallingKiosk:
    device_id: int
    location_id: int
    code: str


def current_kiosk() -> CallingKiosk:
    """Return the kiosk whose signature this request carries (inside a device view)."""
    return g.calling_kiosk


def _authenticate() -> CallingKiosk:
    clock = get_clock()
    secret_key = current_app.config["SECRET_KEY"]
    # Its own unit of work: a nonce stays used even if the request then fails.
    with get_db().unit_of_work() as session:

        def secret_for(key_id: str) -> bytes | None:
            device = kiosks.active_device(session, key_id)
            return kiosks.secret_of(device, secret_key=secret_key) if device else None

        verified = verify_device_request(
            method=request.method,
            url=request.url,
            headers=list(request.headers.items()),
            body=request.get_data(cache=True),
            clock=clock,
            secret_for=secret_for,
        )
        kiosks.use_nonce(session, clock, verified.key_id, verified.nonce)
        device = kiosks.active_device(session, verified.key_id)
        if device is None:  # revoked between verification and now
            raise DeviceAuthError("unknown or revoked key id", code="unknown_key")
        return CallingKiosk(device_id=device.id, location_id=device.location_id, code=device.location.code)


def device_required(view: F) -> F:
    """Accept only requests signed by an active kiosk device (RFC 9421, HMAC-SHA256)."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        g.calling_kiosk = _authenticate()
        return view(*args, **kwargs)

    doc = {
        "security": [{"httpMessageSignature": []}],
        "responses": {
            "401": {"description": "Missing, wrong, stale or replayed signature", "content": _ERROR_BODY}
        },
    }
    return Blueprint.doc(**doc)(wrapper)  # type: ignore[return-value]
