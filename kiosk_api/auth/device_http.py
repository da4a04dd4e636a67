"""The device-signature check as a view decorator: verify, refuse replays, know which kiosk calls.

Authentication is part of the request's one unit of work: the key comes from a per-process cache
(`DeviceKeyCache`), and the nonce goes to the app's nonce store (`kiosk_api.kiosks.nonces`): Redis
when `REDIS_URL` is set, else the request's own session inserts it. A request that fails still
uses its nonce up (in the database store it is then recorded in a unit of work of its own)."""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

from flask import current_app, g, request
from werkzeug.urls import quote

from core.clock import Clock
from kiosk_api import limits
from kiosk_api.auth.device import verify_device_request
from kiosk_api.blueprints.base import Blueprint
from kiosk_api.database import after_rollback, get_clock, get_db, get_session
from kiosk_api.kiosks import service as kiosks
from kiosk_api.kiosks.nonces import DatabaseNonces, NonceStore, RedisNonces
from kiosk_api.kiosks.service import DeviceKey

F = TypeVar("F", bound=Callable[..., Any])
_ERROR_BODY = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}


@dataclass(frozen=True)
class CallingKiosk:
    device_id: int
    location_id: int
    code: str
    mode: str
    partner_code: str
    open_door_hold_fen: int | None


def current_kiosk() -> CallingKiosk:
    """Return the kiosk whose signature this request carries (inside a device view)."""
    return g.calling_kiosk


class DeviceKeyCache:
    """Device keys and kiosk settings, kept per process for `ttl`.

    A key rotated or revoked through this process is forgotten at once; through another process
    (the `dongxi kiosks` command, another app server) it stops working within `ttl`. Only active
    keys are kept, so an unknown or revoked key id is looked up every time."""

    def __init__(self, ttl: timedelta) -> None:
        self.ttl = ttl
        self._keys: dict[str, tuple[datetime, DeviceKey]] = {}
        self._lock = threading.Lock()

    def get(self, key_id: str, clock: Clock, load: Callable[[str], DeviceKey | None]) -> DeviceKey | None:
        """Return the cached key if still fresh, else load it (and keep it if active)."""
        now = clock.now()
        cached = self._keys.get(key_id)
        if cached is not None and now - cached[0] < self.ttl:
            return cached[1]
        key = load(key_id)
        with self._lock:
            if key is None:
                self._keys.pop(key_id, None)
            else:
                self._keys[key_id] = (now, key)
        return key

    def forget(self, location_id: int | None = None) -> None:
        """Drop the keys of one kiosk (or all), after a rotate or revoke in this process."""
        with self._lock:
            for key_id, (_at, key) in list(self._keys.items()):
                if location_id is None or key.location_id == location_id:
                    del self._keys[key_id]


def device_keys() -> DeviceKeyCache:
    """This process's device key cache."""
    return current_app.extensions["dongxi.device_keys"]


def init_app(app: Any) -> None:
    app.extensions["dongxi.device_keys"] = DeviceKeyCache(
        timedelta(seconds=app.config.get("DEVICE_KEY_TTL_SECONDS", 10))
    )
    redis_url = app.config.get("REDIS_URL")
    app.extensions["dongxi.nonces"] = RedisNonces.from_url(redis_url) if redis_url else None


def nonce_store() -> NonceStore:
    """Where this request's nonce is recorded: the app's Redis, or the request's own transaction."""
    shared: NonceStore | None = current_app.extensions["dongxi.nonces"]
    if shared is not None:
        return shared
    return DatabaseNonces(get_session(), get_db(), get_clock(), after_rollback)


# Characters werkzeug leaves as they are in a URL's path (WHATWG path-segment set) and its query.
_PATH_SAFE = "!$&'()*+,/:;=@"
_QUERY_SAFE = "!$&'()*+,/:;=?@%"


def signed_url() -> str:
    """The request's URL as the kiosk sent and signed it. werkzeug's `request.url` is an IRI (a
    path's é, or a %25's bare %, left decoded), which the verifier refuses as no encoded URL, and
    encoding a decoded path again cannot tell a sent %3A from a sent ":": so the path and query come
    as they arrived (RAW_URI from gunicorn, REQUEST_URI from werkzeug's servers), else re-encoded."""
    raw = request.environ.get("RAW_URI") or request.environ.get("REQUEST_URI")
    if raw and raw.startswith("/"):
        return f"{request.scheme}://{request.host}{raw}"
    url = f"{request.scheme}://{request.host}{quote(request.root_path.rstrip('/'), safe=_PATH_SAFE)}/"
    url += quote(request.path.lstrip("/"), safe=_PATH_SAFE)
    if request.query_string:
        url += "?" + quote(request.query_string, safe=_QUERY_SAFE)
    return url


def _authenticate() -> CallingKiosk:
    clock = get_clock()
    secret_key = current_app.config["SECRET_KEY"]
    found: dict[str, DeviceKey] = {}

    def secret_for(key_id: str) -> bytes | None:
        key = device_keys().get(
            key_id, clock, lambda kid: kiosks.device_key(get_session(), kid, secret_key=secret_key)
        )
        if key is None:
            return None
        found[key_id] = key
        return key.secret

    verified = verify_device_request(
        method=request.method,
        url=signed_url(),
        headers=list(request.headers.items()),
        body=request.get_data(cache=True),
        clock=clock,
        secret_for=secret_for,
    )
    nonce_store().use(verified.key_id, verified.nonce)
    key = found[verified.key_id]
    return CallingKiosk(
        device_id=key.device_id,
        location_id=key.location_id,
        code=key.code,
        mode=key.mode,
        partner_code=key.partner_code,
        open_door_hold_fen=key.open_door_hold_fen,
    )


def device_required(view: F) -> F:
    """Accept only requests signed by an active kiosk device (RFC 9421, HMAC-SHA256), within its limit."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        g.calling_kiosk = _authenticate()
        # Counted per kiosk only now that the signature is verified, so a forged or unsigned request
        # (401 above) spends no kiosk's budget; and after its nonce is used, so a request refused
        # here cannot be replayed later. Nothing is counted per address: kiosks share addresses.
        limits.check("device")
        return view(*args, **kwargs)

    doc = {
        "security": [{"httpMessageSignature": []}],
        "responses": {
            "401": {"description": "Missing, wrong, stale or replayed signature", "content": _ERROR_BODY},
            **limits.too_many_requests_doc()["responses"],
        },
    }
    return Blueprint.doc(**doc)(wrapper)  # type: ignore[return-value]
