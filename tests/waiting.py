"""The one way the tests wait for something another thread or process does: poll a condition with a
bound, never a bare sleep standing in for the event (the machines are shared and busy)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def wait_until(
    condition: Callable[[], T], what: str = "the condition", timeout: float = 30.0, every: float = 0.02
) -> T:
    """Poll condition() until it returns something truthy (and return that), or fail after timeout."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout:.0f} s: {what}")
        time.sleep(every)
