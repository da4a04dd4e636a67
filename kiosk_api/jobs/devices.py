"""Jobs about the cabinets' devices: forgetting old signature nonces, and the offline / door-open alerts."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from core.clock import Clock
from core.db import Database
from devices.models import KioskDevice
from kiosk_api.jobs.batches import batches
from kiosk_api.kiosks.service import DOOR_OPEN_ALERT_AFTER, OFFLINE_AFTER, kiosk_alerts, prune_nonces
from payments.providers.base import PaymentProvider

log = logging.getLogger("dongxi.jobs.alerts")


def prune_old_nonces(
    db: Database, clock: Clock, _provider: PaymentProvider, *, batch: int = 10_000
) -> dict[str, Any]:
    """Forget the signature nonces too old to be replayed (`dongxi kiosks prune-nonces`), a batch
    per transaction."""
    total = 0
    for _ in batches(100):
        with db.unit_of_work() as session:
            pruned = prune_nonces(session, clock, limit=batch)
        total += pruned
        if pruned < batch:
            break
    return {"pruned": total}


def _raised_at(alert_kind: str, device: KioskDevice) -> datetime:
    """When an alert of this device began to hold: its last heartbeat (or its key's creation) plus
    five minutes for offline, the door's opening plus three minutes for door open."""
    if alert_kind == "door_open":
        return device.door_opened_at + DOOR_OPEN_ALERT_AFTER  # type: ignore[operator]
    return (device.last_seen_at or device.created_at) + OFFLINE_AFTER


def log_kiosk_alerts(
    db: Database, clock: Clock, _provider: PaymentProvider, *, window: timedelta = timedelta(minutes=1)
) -> dict[str, Any]:
    """Compute the cabinets' alerts as `GET /api/v1/alerts` does (kiosks silent > 5 min, doors open
    > 3 min) and log, once, each that began within the last `window` (the job's interval).

    The alerts themselves are computed on read and stored nowhere; this job makes them appear in
    the log (and its counts in each run's line) without anyone opening the alerts page. "Once" is
    derived from the device's own times, not remembered: an alert that began while no worker ran,
    or in the milliseconds by which one run started later than the last, is counted but not logged
    on its own line."""
    now = clock.now()
    with db.unit_of_work() as session:
        alerts = kiosk_alerts(session, clock)
        devices = {
            d.location_id: d
            for d in session.scalars(select(KioskDevice).where(KioskDevice.status == "active"))
        }
        # An alert holds from just after its moment (the checks are strict), so one whose moment is
        # the previous run's time was not yet seen by it: the window is [now - window, now).
        new = [a for a in alerts if _raised_at(a.kind, devices[a.location.id]) >= now - window]
        for alert in new:
            log.warning("alert %s %s: %s", alert.kind, alert.location.code, alert.message)
        session.rollback()  # read-only
    return {
        "offline": sum(a.kind == "kiosk_offline" for a in alerts),
        "door_open": sum(a.kind == "door_open" for a in alerts),
        "new": len(new),
    }
