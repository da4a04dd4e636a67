"""First-expiry-first-out allocation over stock that is free to take; pure, no database."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class Candidate:
    """Units of one lot free to take somewhere (a balance row, or any keyed source)."""

    key: int
    lot_id: int
    expires_on: date
    free: int


class FefoPool:
    """Free stock that successive takes draw from, earliest expiry first, never from expired lots
    (unless `only_expired`: then from expired lots alone, as writing off expired goods does)."""

    def __init__(self, candidates: Iterable[Candidate], today: date, *, only_expired: bool = False) -> None:
        usable = [c for c in candidates if c.free > 0 and (c.expires_on < today) == only_expired]
        self._order = sorted(usable, key=lambda c: (c.expires_on, c.lot_id, c.key))
        self._free = {c.key: c.free for c in self._order}

    @property
    def total_free(self) -> int:
        return sum(self._free.values())

    def free(self, key: int) -> int:
        """Units still free to take from one candidate."""
        return self._free.get(key, 0)

    def take(self, needed: int) -> list[tuple[Candidate, int]]:
        """Take up to `needed` units, earliest expiry first; return (candidate, qty) pairs taken."""
        if needed < 0:
            raise ValueError("cannot take a negative quantity")
        taken: list[tuple[Candidate, int]] = []
        for candidate in self._order:
            if needed == 0:
                break
            qty = min(needed, self._free[candidate.key])
            if qty:
                self._free[candidate.key] -= qty
                needed -= qty
                taken.append((candidate, qty))
        return taken


def take_all_or_nothing(pool: FefoPool, needed: int) -> list[tuple[Candidate, int]] | None:
    """Take exactly `needed` units, or take nothing and return None when the pool has fewer."""
    if pool.total_free < needed:
        return None
    return pool.take(needed)
