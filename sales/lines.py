"""Order lines as asked for: the same slot or product named twice is one line of the summed quantity."""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from typing import TypeVar

K = TypeVar("K", bound=Hashable)


def merge_lines(lines: Iterable[tuple[K, int]]) -> dict[K, tuple[int, int]]:
    """Sum the quantity asked for each key (a slot code, a product id), in the order keys first
    appear; each key keeps the index of its first line, so that an error can name that line."""
    merged: dict[K, tuple[int, int]] = {}
    for i, (key, qty) in enumerate(lines):
        first, total = merged.get(key, (i, 0))
        merged[key] = (first, total + qty)
    return merged
