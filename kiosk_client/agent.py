"""The agent: catalogue sync, heartbeats, outbox delivery and recovery in one loop; the flows in another."""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from kiosk_client import messages, state
from kiosk_client.api import ApiError, KioskApi, ServerUnreachable
from kiosk_client.catalogue import CatalogueCache
from kiosk_client.config import Settings
from kiosk_client.doorflow import finish_visit, run_door
from kiosk_client.flows import FlowContext, run_vend
from kiosk_client.hardware import CabinetStatus, Driver, HardwareError, SimulatedDriver
from kiosk_client.journal import Journal
from kiosk_client.outbox import Outbox
from kiosk_client.recovery import recover_local, recover_remote
from kiosk_client.sender import OutboxSender
from kiosk_client.state import StateBox
from kiosk_client.store import LocalStore

log = logging.getLogger(__name__)
_MODE_CHANGED = object()
DOOR_RETRY_MAX = 30.0  # seconds between attempts to show a scan-to-open QR while offline


class Agent:
    """Owns the local store, the server connection and the driver; the UI calls checkout/cancel/reset."""

    def __init__(
        self, settings: Settings, *, api: KioskApi | None = None, driver: Driver | None = None
    ) -> None:
        self.settings = settings
        self.api = api or KioskApi(settings.server, settings.key_id, settings.secret, settings.http_timeout)
        self.driver = driver or SimulatedDriver()
        self.store = LocalStore(settings.outbox_path)
        self.outbox = Outbox(self.store)
        self.journal = Journal(self.store, self.outbox)
        self.sender = OutboxSender(
            self.outbox, self.api, retry_base=settings.retry_base, retry_max=settings.retry_max
        )
        self.catalogue = CatalogueCache(settings.catalogue_path)
        self.state = StateBox()
        self.stop_event = threading.Event()
        self.cancel_event = threading.Event()
        self._wake = threading.Event()
        self._jobs: queue.Queue[object] = queue.Queue()
        self._offset = 0.0
        self._active: str | None = None
        self._problems: dict[str, str] = {}
        self._next_sync = self._next_heartbeat = 0.0
        self._door_failures = 0
        self._threads: list[threading.Thread] = []
        self.ctx = FlowContext(
            settings=settings,
            api=self.api,
            driver=self.driver,
            journal=self.journal,
            sender=self.sender,
            catalogue=self.catalogue,
            state=self.state,
            stop=self.stop_event,
            cancel=self.cancel_event,
            server_offset=lambda: self._offset,
            set_active=self._set_active,
        )

    # -- lifecycle -----------------------------------------------------------------------------------
    @property
    def mode(self) -> str:
        """vend or open_door: the server's word with --mode-from-server, else the command line's."""
        if self.settings.mode_from_server and self.catalogue.kiosk.get("mode") in ("vend", "open_door"):
            return str(self.catalogue.kiosk["mode"])
        return self.settings.mode

    @property
    def online(self) -> bool:
        """Whether the last heartbeat reached the server."""
        return "heartbeat" not in self._problems

    def start(self) -> None:
        """Recover what a previous run left, then start the service loop and the flow runner."""
        recover_local(self.journal)
        self.outbox.wake_all()  # reports from a previous run are due at once
        for name, target in (("kiosk-agent", self._loop), ("kiosk-flows", self._runner)):
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self, timeout: float = 10.0) -> None:
        """Stop both threads; an unfinished visit stays in the journal for the next start."""
        self.stop_event.set()
        self.cancel_event.set()  # wakes a flow waiting between polls; it sees stop first
        self._wake.set()
        self._jobs.put(None)
        self.state.notify()
        for thread in self._threads:
            thread.join(timeout)

    def _set_active(self, order_id: str | None) -> None:
        self._active = order_id
        if order_id is None:
            self._wake.set()  # a visit left unsettled is recovered by the loop

    # -- the service loop ------------------------------------------------------------------------------
    def _loop(self) -> None:
        while not self.stop_event.is_set():
            self.run_once()
            self._wake.wait(self._seconds_to_next())
            self._wake.clear()

    def _seconds_to_next(self) -> float:
        now = time.monotonic()
        wait = min(self._next_sync, self._next_heartbeat) - now
        due = self.outbox.next_due_at()
        if due is not None:
            wait = min(wait, max(due, self.sender.offline_until) - time.time())
        # Nothing can be sent before the server's Retry-After is over (KioskApi holds every request).
        wait = max(wait, self.api.busy_for())
        return min(max(wait, 0.01), 60.0)

    def run_once(self) -> None:
        """Do whatever is due: sync, heartbeat, deliver reports, settle interrupted orders."""
        now = time.monotonic()
        if now >= self._next_sync:
            self._next_sync = now + self.settings.sync_interval
            self._guard("catalogue", self.sync_catalogue)
        if now >= self._next_heartbeat:
            self._next_heartbeat = now + self.settings.heartbeat_interval
            self._guard("heartbeat", self.heartbeat)
        self._guard("outbox", self.sender.drain)
        self._guard("recovery", self._recover_remote)

    def _recover_remote(self) -> None:
        """Settle visits no flow is running. The active order is read before the stop flag: stop()
        sets the flag before the flow lets go of its order, so a visit let go because the program
        is stopping is seen as stopping and stays in the journal for the next start (cancelling it
        would throw away an order the shopper may be paying right now)."""
        active = self._active
        if self.stop_event.is_set():
            return
        recover_remote(self.journal, self.api, active)

    def _guard(self, what: str, action: Callable[[], object]) -> None:
        try:
            action()
        except (ServerUnreachable, ApiError) as exc:
            self._problems[what] = str(exc)
            log.warning("%s: %s", what, exc)
            retry_after = getattr(exc, "retry_after", None)
            if retry_after:  # 429/503 with Retry-After: the next sync or heartbeat waits that long
                not_before = time.monotonic() + retry_after
                if what == "catalogue":
                    self._next_sync = max(self._next_sync, not_before)
                elif what == "heartbeat":
                    self._next_heartbeat = max(self._next_heartbeat, not_before)
        except Exception as exc:  # the loop must outlive any one failure
            self._problems[what] = repr(exc)
            log.exception("%s failed", what)
        else:
            self._problems.pop(what, None)

    def sync_catalogue(self) -> bool:
        """GET /catalogue (ETag); tell the runner when --mode-from-server changed the mode."""
        before = self.mode
        changed = self.catalogue.sync(self.api)
        if self.mode != before:
            self._jobs.put(_MODE_CHANGED)
        return changed

    def sync_soon(self) -> None:
        """Ask the service loop for the catalogue now: a sale or a visit changed the stock counts."""
        self._next_sync = 0.0
        self._wake.set()

    def cabinet_status(self) -> CabinetStatus:
        """The driver's status, or a fault entry if the hardware does not answer."""
        try:
            return self.driver.status()
        except HardwareError as exc:
            return CabinetStatus(door="closed", temperature_c=None, errors=[f"hardware: {exc}"])

    def heartbeat(self) -> dict[str, Any]:
        """POST /heartbeat; learn the server's clock and whether the catalogue changed."""
        cabinet = self.cabinet_status()
        counts = self.outbox.counts()
        errors = list(cabinet.errors) + [
            f"{k}: {v}" for k, v in sorted(self._problems.items()) if k != "heartbeat"
        ]
        if counts["dead"]:
            errors.append(f"outbox: {counts['dead']} report(s) refused by the server")
        sent_at = time.time()
        answer = self.api.heartbeat(
            {
                "software_version": self.settings.software_version,
                "door": "open" if cabinet.door == "open" else "closed",
                "temperature_c": cabinet.temperature_c,
                "outbox_depth": counts["pending"],
                "errors": [error[:256] for error in errors][:50],
            }
        )
        try:
            self._offset = datetime.fromisoformat(answer["server_time"]).timestamp() - sent_at
        except (KeyError, TypeError, ValueError):
            log.warning("heartbeat answer without a usable server_time: %r", answer)
        self.sender.network_back()
        if answer.get("catalogue_etag") and answer["catalogue_etag"] != self.catalogue.etag:
            self._guard("catalogue", self.sync_catalogue)
        return answer

    # -- what the touch screen asks ----------------------------------------------------------------
    def checkout(self, lines: list[dict[str, Any]]) -> bool:
        """Start a vend purchase unless one is under way; the screen follows `state`."""
        if self.mode != "vend":
            return False
        if not self.state.claim(frozenset({state.IDLE}) | state.TERMINAL, state.CREATING, lines=lines):
            return False
        self.cancel_event.clear()
        self._jobs.put(lines)
        return True

    def cancel(self) -> None:
        """The shopper tapped cancel on the pay screen."""
        if self.state.phase in (state.CREATING, state.AWAITING_PAYMENT):
            self.cancel_event.set()

    def reset(self) -> bool:
        """Back to the home screen from a result screen."""
        return self.state.claim(state.TERMINAL, state.IDLE)

    def expires_in(self, expires_at: str | None) -> float | None:
        """Seconds left until expires_at by the server's clock."""
        if not expires_at:
            return None
        try:
            return max(0.0, datetime.fromisoformat(expires_at).timestamp() - (time.time() + self._offset))
        except ValueError:
            return None

    # -- the flow runner ---------------------------------------------------------------------------------
    def _runner(self) -> None:
        while not self.stop_event.is_set():
            try:
                self._run_next()
            except Exception:
                log.exception("flow failed")
                self.state.set(
                    state.ERROR, message=messages.text("系统故障，请稍后再试", "Something went wrong")
                )
                self.stop_event.wait(self.settings.retry_base)
            self._hold_result()

    def _run_next(self) -> None:
        for visit in self.journal.open_visits():
            if visit.phase == "unlocked" and not self.stop_event.is_set():
                self._set_active(visit.order_id)
                try:
                    self.state.set(state.DOOR_OPEN, order_id=visit.order_id, resumed=True)
                    finish_visit(self.ctx, visit.order_id)
                finally:
                    self._set_active(None)
                    self.sync_soon()
                return
        if self.mode == "open_door":
            if run_door(self.ctx):
                self._door_failures = 0
                self.sync_soon()
            else:  # offline or busy: try again soon, not in a tight loop, not before Retry-After
                self._door_failures += 1
                delay = min(DOOR_RETRY_MAX, self.sender.backoff(self._door_failures))
                self.stop_event.wait(max(delay, self.api.busy_for()))
            return
        job = self._jobs.get()
        if isinstance(job, list) and not self.stop_event.is_set():
            try:
                run_vend(self.ctx, job)
            finally:
                self.sync_soon()

    def _hold_result(self) -> None:
        """Leave a result on screen until the shopper taps or result_seconds pass, then go home."""
        shown = self.state.snapshot()
        if shown["phase"] not in state.TERMINAL:
            return
        self.state.wait_for(
            lambda s: s["version"] != shown["version"] or self.stop_event.is_set(),
            self.settings.result_seconds,
        )
        if not self.stop_event.is_set() and self.state.snapshot()["version"] == shown["version"]:
            self.state.claim(state.TERMINAL, state.IDLE)
