"""Who is acting: the person or script on whose behalf the current code writes.

The HTTP layer registers a provider that answers for the request being served (its signed-in
user or bearer token); the CLI sets the actor for the command it runs (`acting_as`). Code that
runs for nobody in particular — a kiosk device, a provider's webhook, an anonymous shopper, a
scheduled job — has no actor, and its writes are recorded in their own ledgers instead."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime


@dataclass(frozen=True)
class Actor:
    """Who (name and role), through what (via), from where (origin), doing what (operation)."""

    name: str
    role: str
    via: str  # api | console | page | cli
    origin: str | None = None
    operation: str | None = None
    request_id: str | None = None
    clock: Callable[[], datetime] | None = None  # the app's clock, where it has one

    def now(self) -> datetime:
        """When the actor acts: their clock's now (tests fix it), else the wall clock."""
        return self.clock() if self.clock is not None else datetime.now(UTC)


_acting: ContextVar[Actor | None] = ContextVar("dongxi_actor", default=None)
_NOBODY = Actor(name="", role="", via="")  # inside `unattributed`: no provider is asked
_providers: list[Callable[[], Actor | None]] = []


def register_provider(provider: Callable[[], Actor | None]) -> None:
    """Let a framework say who is acting where no `acting_as` block does (once per provider)."""
    if provider not in _providers:
        _providers.append(provider)


def current_actor() -> Actor | None:
    """The actor of the innermost `acting_as`, else the first provider's answer, else None."""
    actor = _acting.get()
    if actor is _NOBODY:
        return None
    if actor is not None:
        return actor
    for provider in _providers:
        actor = provider()
        if actor is not None:
            return actor
    return None


@contextmanager
def acting_as(actor: Actor) -> Iterator[Actor]:
    """Write as this actor inside the block (a CLI command, a script)."""
    token = _acting.set(actor)
    try:
        yield actor
    finally:
        _acting.reset(token)


@contextmanager
def unattributed() -> Iterator[None]:
    """Inside the block nobody acts: what it writes — and flushes before the block ends — is the
    system's own doing (a hold that lapsed, released because someone's request came by), not a
    decision of the person whose request noticed it; the scheduled job doing the same is not
    audited either."""
    token = _acting.set(_NOBODY)
    try:
        yield
    finally:
        _acting.reset(token)
