"""Where the signature nonces live: the replay check of KIOSK_PROTOCOL.md, shared by every app server.

Two stores, one question — "has this key used this nonce within the window?" — answered by
recording the nonce and failing if it was there already:

- `DatabaseNonces`, the embedded default (`make run` needs nothing but SQLite): the request's own
  transaction inserts the nonce, and the table's unique key refuses a replay. A request that
  fails still uses its nonce up (recorded after the rollback). `dongxi kiosks prune-nonces`
  forgets the old ones.
- `RedisNonces`, when `REDIS_URL` is set (production): `SET key 1 NX EX <window>`, one round trip
  outside the database's transaction. Redis expires each nonce itself once it is too old to be
  replayed, so there is nothing to prune, and a request that fails has used its nonce up already.
  If Redis cannot answer, the request is refused with 503 (`ReplayCheckUnavailable`; kiosks
  retry with a fresh signature), never let through unchecked.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry
from sqlalchemy.orm import Session

from core.clock import Clock
from core.db import Database
from kiosk_api.auth.device import REPLAY_WINDOW, DeviceAuthError, ReplayCheckUnavailable
from kiosk_api.kiosks import service as kiosks


class NonceStore(Protocol):
    def use(self, key_id: str, nonce: str) -> None:
        """Record the nonce; raise DeviceAuthError("replayed") if the key used it within the window."""


class DatabaseNonces:
    """The nonce table, written by the request's own unit of work (one INSERT, no savepoint)."""

    def __init__(
        self,
        session: Session,
        db: Database,
        clock: Clock,
        after_rollback: Callable[[Callable[[], None]], None],
    ) -> None:
        self.session, self.db, self.clock, self.after_rollback = session, db, clock, after_rollback

    def use(self, key_id: str, nonce: str) -> None:
        """Insert the nonce with the request's work; keep it in a unit of its own if that rolls back."""
        kiosks.use_nonce(self.session, self.clock, key_id, nonce)
        db, clock = self.db, self.clock
        self.after_rollback(lambda: kiosks.keep_nonce(db, clock, key_id, nonce))


class RedisNonces:
    """Nonces as Redis keys that expire after the replay window: `SET … NX EX`, one round trip."""

    PREFIX = "dongxi:nonce:"

    def __init__(self, client: redis.Redis) -> None:
        self.client = client
        self.ttl = int(REPLAY_WINDOW.total_seconds())

    @classmethod
    def from_url(cls, url: str) -> RedisNonces:
        """A store on the Redis at `url`, failing fast (and never retrying a SET) when it is away."""
        # No retries: a SET NX whose reply was lost may have been applied, and sending it again
        # would refuse the kiosk's own first use as a replay. The kiosk retries with a new nonce.
        client = redis.Redis.from_url(
            url, socket_connect_timeout=1, socket_timeout=1, retry=Retry(NoBackoff(), 0)
        )
        return cls(client)

    def use(self, key_id: str, nonce: str) -> None:
        """Record the nonce unless Redis has it; refuse a replay, and refuse (503) if Redis is away."""
        kiosks.check_nonce_length(nonce)
        try:
            fresh = self.client.set(f"{self.PREFIX}{key_id}:{nonce}", 1, nx=True, ex=self.ttl)
        except redis.RedisError as exc:
            raise ReplayCheckUnavailable(
                "the replay check is unavailable; try again", code="replay_check_unavailable"
            ) from exc
        if not fresh:
            raise DeviceAuthError("this signature nonce was already used", code="replayed")
