"""Delivers outbox reports: retry with backoff until the server accepts, dead-letter what it never will."""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable

from kiosk_client.api import BUSY_STATUSES, ApiError, KioskApi, ServerUnreachable
from kiosk_client.outbox import Outbox, OutboxRow

log = logging.getLogger(__name__)

# 4xx answers that will be the same however often the report is sent again.
PERMANENT_STATUSES = frozenset({400, 404, 409, 410, 422})


class OutboxSender:
    """One attempt at a time (a lock), so no report is ever in flight twice from this kiosk."""

    def __init__(
        self,
        outbox: Outbox,
        api: KioskApi,
        *,
        retry_base: float = 2.0,
        retry_max: float = 300.0,
        clock: Callable[[], float] = time.time,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        self.outbox = outbox
        self.api = api
        self.retry_base = retry_base
        self.retry_max = retry_max
        self.clock = clock
        self.jitter = jitter
        self._lock = threading.Lock()
        # While the server is unreachable, drain() waits for this instead of trying row after row.
        self.offline_until = 0.0

    def backoff(self, attempts: int, retry_after: float | None = None) -> float:
        """Delay before the next try after `attempts` failed ones: doubling, capped, 50–100 % jitter;
        never less than the server's Retry-After."""
        delay = min(self.retry_max, self.retry_base * 2 ** max(attempts - 1, 0))
        return max(delay * (0.5 + 0.5 * self.jitter()), retry_after or 0.0)

    def deliver(self, report_id: str) -> OutboxRow | None:
        """Try one report now, whatever its schedule; return its row afterwards."""
        with self._lock:
            row = self.outbox.get(report_id)
            if row is not None and row.status == "pending":
                self._attempt(row)
        return self.outbox.get(report_id)

    def drain(self) -> int:
        """Send every due report, stopping when the server seems unreachable; return how many went."""
        if self.clock() < self.offline_until:
            return 0
        delivered = 0
        with self._lock:
            for row in self.outbox.due(self.clock()):
                outcome = self._attempt(row)
                if outcome == "delivered":
                    delivered += 1
                elif outcome == "retry":
                    break  # unreachable: the next rows would fail the same way
        return delivered

    def network_back(self) -> None:
        """Another request just succeeded: make everything due again."""
        if self.offline_until:
            self.offline_until = 0.0
            self.outbox.wake_all()

    def _attempt(self, row: OutboxRow) -> str:
        try:
            response = self.api.post_report(row.kind, row.order_id, row.body)
        except ServerUnreachable as exc:  # ServerBusy (429, 503) too: wait at least its Retry-After
            return self._retry(row, str(exc), retry_after=exc.retry_after)
        except ApiError as exc:
            if exc.status in BUSY_STATUSES:
                return self._retry(row, str(exc))  # the server asks everyone to wait
            if exc.status not in PERMANENT_STATUSES:
                # The server answered, so it is reachable: back this report off, but let the
                # reports behind it go, so one report the server keeps failing blocks no other.
                self._retry(row, str(exc), offline=False)
                return "retry_later"
            # e.g. 409: the server already holds a different report for this order. Sending
            # this one again cannot succeed; keep it for the operator and move on.
            log.error("outbox: report %s for order %s refused for good: %s", row.report_id, row.order_id, exc)
            self.outbox.mark_dead(row.report_id, str(exc))
            return "dead"
        self.outbox.mark_delivered(row.report_id, response)
        self.offline_until = 0.0
        log.info("outbox: report %s for order %s delivered", row.report_id, row.order_id)
        return "delivered"

    def _retry(
        self, row: OutboxRow, error: str, offline: bool = True, retry_after: float | None = None
    ) -> str:
        next_at = self.clock() + self.backoff(row.attempts + 1, retry_after)
        self.outbox.reschedule(row.report_id, error, next_at)
        if offline:
            self.offline_until = next_at
        log.warning(
            "outbox: report %s not delivered (%s); next try in %.1fs",
            row.report_id,
            error,
            next_at - self.clock(),
        )
        return "retry"
