"""A run's batches, bounded, and stopped early when the worker is asked to stop.

Every batch commits on its own, so stopping between two loses nothing: the next run (on this
worker after a restart, or on another) picks up the rest."""

from __future__ import annotations

import threading
from collections.abc import Iterator

MAX_BATCHES = 50  # a run ends after this many; the next run goes on where it stopped
stopping = threading.Event()  # set on SIGTERM / SIGINT by the worker


def batches(limit: int = MAX_BATCHES) -> Iterator[int]:
    """Count a run's batches: at most `limit`, and none after the first once stopping is set."""
    for i in range(limit):
        if i and stopping.is_set():
            return
        yield i
