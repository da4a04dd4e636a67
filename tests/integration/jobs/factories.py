"""Factories of the jobs' tests: lapsed kiosk orders committed for real, and what became of them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from core.clock import FixedClock
from core.db import Database
from kiosk_api import create_app
from kiosk_api.kiosks import service as kiosks
from sales.models import OrderEvent
from tests.api.kiosk.conftest import SECRET_KEY, SignedKiosk, stocked_slots

LAPSED = 3


def lapsed_orders(db: Database, clock: FixedClock) -> tuple[Any, list[str]]:
    """The app's provider, and LAPSED kiosk orders committed and past their hold."""
    app = create_app({"DATABASE": db, "CLOCK": clock, "TESTING": True, "SECRET_KEY": SECRET_KEY})
    with db.unit_of_work() as session:
        keys = kiosks.provision(session, clock, "FZ-0001", secret_key=SECRET_KEY)
    kiosk = SignedKiosk(app.test_client(), clock, keys["key_id"], keys["secret"])
    slot = stocked_slots(kiosk, at_least=LAPSED)[0]["slot"]
    ids = [
        kiosk.post("/sessions", {"lines": [{"slot": slot, "qty": 1}]}).get_json()["order_id"]
        for _ in range(LAPSED)
    ]
    clock.advance(seconds=181)
    return app.extensions["dongxi.payments"], ids


def times_expired(db: Database, ids: list[str]) -> dict[str, int]:
    with db.unit_of_work() as session:
        rows = session.execute(
            select(OrderEvent.order_id, func.count())
            .where(OrderEvent.order_id.in_(ids), OrderEvent.to_status == "expired")
            .group_by(OrderEvent.order_id)
        ).all()
    return {order_id: 0 for order_id in ids} | dict(rows)
