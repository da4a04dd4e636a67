"""Rate limits: one flask-limiter per app, and named limits a view takes with one line.

A limit is a named rule here (`RULES`): its setting (an environment variable of the same name,
`kiosk_api.config`), its default, and what it counts per — a kiosk, a client address, a pay link.
`@limit("orders")` on a view spends that rule's budget before the view runs; `check("device")`
does the same from code (the device signature check calls it once the kiosk is known). A limit
breached answers 429 with the design's JSON error body and `Retry-After` in seconds.

Storage: `RATELIMIT_STORAGE_URI` if set, else `REDIS_URL` (production: every app server shares the
counts), else memory (the embedded default, one process). A Limiter keeps its storage on itself,
so each app builds its own in `init_app` (the tests build many apps in one process; counts must not
leak from one to the next), and the rules are registered on it as shared limits of their name.

Redis away: flask-limiter's in-memory fallback. The first failed call logs a warning
("Rate limit storage unreachable - falling back to in-memory storage") and from then on this process
counts in memory, asking Redis again after 1, 2, 4 … 32 s, and goes back to it when it answers
("Rate limit storage recovered"). Limits then hold per process rather than across the servers —
weaker, never off, never refusing everyone. The replay check, which cannot be made per process,
refuses instead (503, `kiosk_api.kiosks.nonces`); a device request stopped there never reaches its
limit, so the two agree: with Redis away kiosks wait, shoppers are still served and still limited.
"""

from __future__ import annotations

import functools
import logging
import math
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from flask import Flask, Response, current_app, g, request
from flask_limiter import Limiter, RateLimitExceeded
from limits import parse_many
from limits.storage import MemoryStorage
from limits.strategies import FixedWindowRateLimiter
from redis.backoff import NoBackoff
from redis.retry import Retry

from kiosk_api.blueprints.base import Blueprint
from kiosk_api.errors import error_response

F = TypeVar("F", bound=Callable[..., Any])
log = logging.getLogger(__name__)
EXTENSION = "dongxi.limits"
KEY_PREFIX = "dongxi"
_ERROR_BODY = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}


def _kiosk() -> str:
    # Only ever called after the signature was verified (device_http.device_required), so an
    # unsigned or forged request cannot spend a kiosk's budget: it is refused with 401 first.
    return f"kiosk:{g.calling_kiosk.code}"


def _address() -> str:
    return f"addr:{request.remote_addr or 'unknown'}"


def _pay_link() -> str:
    return f"pay:{(request.view_args or {}).get('token', '')}"


@dataclass(frozen=True)
class Rule:
    """A named limit: the setting holding its rate (default in kiosk_api.config) and what it counts per."""

    setting: str
    key: Callable[[], str]
    message: str


RULES: dict[str, Rule] = {
    # Every device endpoint together, per kiosk. A cabinet polls its order about once a second while
    # a shopper pays, heartbeats every 30 s and syncs its catalogue now and then: some 70 a minute at
    # its busiest; an outbox emptied after an outage sends its reports back to back.
    "device": Rule(
        "RATELIMIT_DEVICE",
        _kiosk,
        "this kiosk sends too many requests; wait Retry-After seconds",
    ),
    # The pay page, its pay button and the simulated provider's pay endpoint, per client address:
    # shoppers on a mobile network share addresses, so this is loose…
    "pay": Rule(
        "RATELIMIT_PAY",
        _address,
        "too many payment requests from this address; try again shortly",
    ),
    # …and per pay link, which one shopper opens once and pays once.
    "pay_link": Rule(
        "RATELIMIT_PAY_LINK",
        _pay_link,
        "too many requests for this payment link; try again shortly",
    ),
    # Placing a web-shop order (the API and the shop's checkout), per client address.
    "orders": Rule(
        "RATELIMIT_ORDERS",
        _address,
        "too many orders from this address; try again shortly",
    ),
}


# Failed sign-ins (kiosk_api/pages.py): per username, so guessing one account's password stops
# after a few tries wherever they come from, and per address, so one client cannot try many accounts.
THROTTLES: dict[str, str] = {
    "login_user": "RATELIMIT_LOGIN_USER",
    "login_address": "RATELIMIT_LOGIN_ADDRESS",
}


def storage_uri(config: Any) -> str:
    """Where the counts live: RATELIMIT_STORAGE_URI, else REDIS_URL, else this process's memory."""
    return config.get("RATELIMIT_STORAGE_URI") or config.get("REDIS_URL") or "memory://"


class Limits:
    """An app's limiter and, per rule, a gate that spends the rule's budget when called."""

    def __init__(self, app: Flask) -> None:
        uri = storage_uri(app.config)
        options: dict[str, Any] = {}
        if uri.startswith(("redis://", "rediss://", "unix://")):
            # Fail fast, as the nonce store does: a Redis that does not answer within a second is
            # treated as away (the in-memory fallback) rather than holding the request.
            options = {"socket_connect_timeout": 1, "socket_timeout": 1, "retry": Retry(NoBackoff(), 0)}
        self.storage_uri = uri
        self.key_prefix = app.config.get("RATELIMIT_KEY_PREFIX") or KEY_PREFIX
        self.limiter = Limiter(
            key_func=_address,
            storage_uri=uri,
            storage_options=options,
            # One counter per client and limit, one script call to count it; a burst at a window's
            # edge may reach twice a limit, which these limits (far above real use) can afford.
            strategy="fixed-window",
            # Keys are LIMITS:LIMITER/<prefix>/<who>/<rule>/<rate>; tests keep apart by prefix.
            key_prefix=self.key_prefix,
            # No X-RateLimit-* headers on every answer: they would cost a second Redis round trip
            # per request. A 429 carries Retry-After (below).
            headers_enabled=False,
            in_memory_fallback_enabled=True,
        )
        self.limiter.init_app(app)
        self._gates = {name: self._gate(name, rule, app.config[rule.setting]) for name, rule in RULES.items()}
        self.throttles = {
            name: Throttle(self, name, setting, app.config[setting]) for name, setting in THROTTLES.items()
        }

    def _gate(self, name: str, rule: Rule, rate: str) -> Callable[[], None]:
        try:
            parse_many(rate)  # flask-limiter would log a bad rate and limit nothing: refuse to start
        except ValueError as exc:
            raise ValueError(f"{rule.setting}={rate!r} is not a rate such as 600/minute") from exc

        def gate() -> None:
            return None

        # flask-limiter files a decorated limit under the callable's qualified name.
        gate.__name__ = gate.__qualname__ = f"limit_{name}"
        shared = self.limiter.shared_limit(rate, scope=name, key_func=rule.key, error_message=rule.message)
        return shared(gate)

    def check(self, names: Iterable[str]) -> None:
        """Spend one request of each named budget; raise RateLimitExceeded (429) if one is spent."""
        for name in names:
            self._gates[name]()

    def retry_after(self) -> int:
        """Seconds until the limit this request breached lets a request through again (at least 1)."""
        breached = self.limiter.current_limit
        if breached is None:
            return 1
        try:
            reset_at = breached.window.reset_time
        except Exception:  # the storage went away since the breach: a whole window is safe
            return max(1, int(breached.limit.get_expiry()))
        return max(1, math.ceil(reset_at - time.time()))


class Throttle:
    """Failed attempts counted per key (a username, an address); while a key is over its rate every
    attempt is refused, the right one too, until the window passes. Counted where the limits are
    (Redis with REDIS_URL); with the storage away, in this process's memory, as the limits are."""

    def __init__(self, limits_: Limits, name: str, setting: str, rate: str) -> None:
        self._limits = limits_
        self.name = name
        try:
            self.items = parse_many(rate)
        except ValueError as exc:
            raise ValueError(f"{setting}={rate!r} is not a rate such as 5/15 minutes") from exc
        self._memory = FixedWindowRateLimiter(MemoryStorage())

    def _strategy(self) -> Any:
        return self._limits.limiter.limiter  # flask-limiter's, or its in-memory one while Redis is away

    def _each(self, call: Callable[[Any, Any], Any]) -> list[Any]:
        try:
            return [call(self._strategy(), item) for item in self.items]
        except Exception:  # the storage went away: count in memory, as flask-limiter's fallback does
            log.warning("rate limit storage unreachable: throttle %s counts in memory", self.name)
            return [call(self._memory, item) for item in self.items]

    def wait(self, key: str) -> int | None:
        """Seconds before `key` may try again, or None if it may now."""
        waits = self._each(
            lambda strategy, item: (
                None
                if strategy.test(item, self._limits.key_prefix, self.name, key)
                else strategy.get_window_stats(item, self._limits.key_prefix, self.name, key).reset_time
            )
        )
        resets = [w for w in waits if w is not None]
        return max(1, math.ceil(max(resets) - time.time())) if resets else None

    def failed(self, key: str) -> None:
        """Count one failed attempt of `key`."""
        self._each(lambda strategy, item: strategy.hit(item, self._limits.key_prefix, self.name, key))


def throttle(name: str) -> Throttle:
    """This app's throttle of that name (THROTTLES)."""
    return limits().throttles[name]


def limits() -> Limits:
    """This app's limits."""
    return current_app.extensions[EXTENSION]


def check(*names: str) -> None:
    """Spend the named budgets for this request (429 if one is spent), e.g. check("device")."""
    limits().check(names)


def limit(*names: str, methods: Iterable[str] | None = None) -> Callable[[F], F]:
    """Limit a view by the named rules (only for `methods`, if given): `@limit("pay", "pay_link")`."""
    only = frozenset(m.upper() for m in methods) if methods else None

    def decorate(view: F) -> F:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if only is None or request.method in only:
                check(*names)
            return view(*args, **kwargs)

        return Blueprint.doc(**too_many_requests_doc())(wrapper)  # type: ignore[return-value]

    return decorate


def too_many_requests_doc() -> dict[str, Any]:
    """The OpenAPI note of a limited endpoint's 429."""
    return {
        "responses": {
            "429": {
                "description": "rate_limited: wait the Retry-After seconds before trying again",
                "headers": {"Retry-After": {"schema": {"type": "integer"}, "description": "seconds"}},
                "content": _ERROR_BODY,
            }
        }
    }


def init_app(app: Flask) -> None:
    """Build the app's limiter; a breached limit answers 429, the JSON error and Retry-After."""
    app.extensions[EXTENSION] = Limits(app)

    @app.errorhandler(RateLimitExceeded)
    def _rate_limited(error: RateLimitExceeded) -> Response:
        response = error_response(429, "rate_limited", error.description or "too many requests")
        response.headers["Retry-After"] = str(limits().retry_after())
        return response
