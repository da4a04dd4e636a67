"""`dongxi demo load`'s history: last month's sales, issued, and this month's unit purchases.

Everything is made through the services the kiosk, the web shop, the console and the month close
call, with the simulated provider, on a clock that walks through last month (Asia/Shanghai):
kiosk vends (one slot jams and is refunded), web-shop orders (one shipped and delivered), a demo
unit's bulk orders paid by bank transfer and delivered; then last month is issued, a web-shop sale
of last month is refunded this month, and the unit buys again this month (its quota chart). The
first vend's idempotency key marks the history: a second `demo load` adds nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from accounts.models import User
from catalogue.models import Product
from core.clock import SHANGHAI, Clock, FixedClock, local_date
from core.db import Database, UnitOfWork
from inventory import stock
from inventory.models import Location
from payments.providers.simulated import SimulatedProvider
from payments.providers.simulated_db_store import DatabaseSimulatedStore
from sales import bulk, checkout, shipping
from sales.kiosk import Cabinet
from sales.orders import Idempotency, find_by_idempotency, get_order
from sales.org_models import Organization
from sales.payment_flow import apply_event, payment_of, receive_event, settle_order, start_payment
from sales.refunds import request_refund
from sales.statements.issue import issue_period, issued_period
from sales.storefront import place_order

VEND_KIOSK = "FZ-0001"
MARKER = Idempotency(f"kiosk:{VEND_KIOSK}", "demo-history-1", "demo-history")
DEMO_UNIT = "11330200MB0A12345G"  # 宁波市某区机关事务管理局（演示）
OPERATOR = "demo-operator"
CONTACT = {
    "name": "林女士（演示）",
    "phone": "13800000000",
    "address": "福州市鼓楼区五一北路 1 号（演示地址）",
}
HOLD_SECONDS = 180

Progress = Callable[[str], None]


def _month_start(at: datetime, back: int = 0) -> datetime:
    """The first moment (Shanghai) of the month of `at`, or of `back` months before it."""
    local = at.astimezone(SHANGHAI)
    year, month = local.year, local.month - back
    while month < 1:
        year, month = year - 1, month + 12
    return datetime(year, month, 1, tzinfo=SHANGHAI)


class _History:
    """The walk through last month and this one, on a clock of its own."""

    def __init__(self, db: Database, now: datetime) -> None:
        self.db = db
        self.now = now
        self.clock = FixedClock(_month_start(now, back=1))
        self.provider = SimulatedProvider(
            lambda token: f"http://demo.invalid/pay/{token}",
            store=DatabaseSimulatedStore(db),
            clock=self.clock,
        )
        with db.unit_of_work() as session:
            location = session.scalar(select(Location).where(Location.code == VEND_KIOSK))
            self.kiosk = Cabinet(
                location_id=location.id,
                code=location.code,
                mode=location.mode,
                partner_code=location.partner_code,
                open_door_hold_fen=location.open_door_hold_fen,
            )
            org = session.scalar(select(Organization).where(Organization.credit_code == DEMO_UNIT))
            self.org_id, self.tax_id = org.id, org.credit_code
            self.buyer = session.scalar(select(User.id).where(User.username == "demo-org-buyer"))
            self.approver = session.scalar(select(User.id).where(User.username == "demo-org-approver"))

    def at(self, day: int, hour: int) -> None:
        """Move the clock to a day and hour of last month (Shanghai)."""
        self.clock.set(_month_start(self.now, back=1) + timedelta(days=day - 1, hours=hour))

    def this_month(self, share: float) -> None:
        """Move the clock to a share of the time between this month's start and now."""
        self.clock.set(_month_start(self.now) + self.so_far * share)

    @property
    def so_far(self) -> timedelta:
        """How much of this month has passed: this month's history fits in it, never past now."""
        return self.now - _month_start(self.now)

    def request(self, call: Callable[[UnitOfWork], Any]) -> Any:
        """Run one application service as a device request does: an open unit of work."""
        with self.db.unit_of_work() as session:
            return call(UnitOfWork(self.db, session))

    def vend(self, lines: list[tuple[str, int]], jammed: str | None = None, idem: Idempotency | None = None):  # type: ignore[no-untyped-def]
        """A vend session paid on the phone, then dispensed (all but the jammed slot)."""
        order, payment = self.request(
            lambda uow: checkout.start_vend_session(
                uow,
                self.clock,
                self.provider,
                kiosk=self.kiosk,
                lines=[{"slot": slot, "qty": qty} for slot, qty in lines],
                hold_seconds=HOLD_SECONDS,
                idempotency=idem,
            )
        )
        self.clock.advance(seconds=40)
        event = self.provider.simulate_pay(payment.provider_ref)
        self.request(lambda uow: receive_event(uow, self.clock, self.provider, event))
        self.clock.advance(seconds=20)
        results = [
            {"slot": slot, "requested": qty, "dispensed": 0 if slot == jammed else qty}
            | ({"error": "motor_jam"} if slot == jammed else {})
            for slot, qty in lines
        ]
        self.request(
            lambda uow: checkout.report_vend_results(
                uow,
                self.clock,
                self.provider,
                self.kiosk,
                order.id,
                report_id=f"demo-history-{order.id}",
                results=results,
            )
        )
        return order.id

    def shop(self, product: str, qty: int) -> str:
        """A web-shop order placed and paid with the simulated provider."""
        with self.db.unit_of_work() as session:
            chosen = session.scalar(select(Product).where(Product.name_zh == product))
            order, payment = place_order(
                session,
                self.clock,
                items=[{"product": chosen.id, "qty": qty}],
                contact=CONTACT,
                provider=self.provider.name,
            )
            session.flush()
            order_id, payment_id = order.id, payment.id
        self.clock.advance(minutes=2)
        ref = start_payment(self.db, self.clock, self.provider, payment_id).provider_ref
        with self.db.unit_of_work() as session:
            apply_event(session, self.clock, self.provider.name, self.provider.simulate_pay(ref))
        return order_id

    def ship(self, order_id: str) -> None:
        """Pick, pack, ship and deliver a paid web-shop order, a few hours apart."""
        for step in ("picked", "packed", "shipped", "delivered"):
            self.clock.advance(hours=5)
            extra = {"carrier": "sf", "tracking_no": "SF1234567890123"} if step == "shipped" else {}
            with self.db.unit_of_work() as session:
                shipping.record_step(session, self.clock, order_id, step, actor=OPERATOR, **extra)  # type: ignore[arg-type]

    def bulk(
        self, skus: list[tuple[str, int]], reference: str, *, gap: timedelta, delivered: bool = True
    ) -> str:
        """A demo unit's bulk order: drafted, approved, paid by bank transfer (mark-paid), delivered;
        each step `gap` after the one before."""
        with self.db.unit_of_work() as session:
            ids = {
                p.sku: p.id
                for p in session.scalars(select(Product).where(Product.sku.in_([s for s, _ in skus])))
            }
            order, _record = bulk.draft_bulk_order(
                session,
                self.clock,
                org_id=self.org_id,
                user_id=self.buyer,
                lines=[(ids[sku], qty) for sku, qty in skus],
                delivery=bulk.Delivery(
                    contact_name="王科长（演示）",
                    phone="0574-87000000",
                    address="宁波市鄞州区某路 1 号（演示地址）",
                    invoice_title="宁波市某区机关事务管理局（演示）",
                    tax_id=self.tax_id,
                ),
            )
            order_id = order.id
        self.clock.set(self.clock.now() + gap)
        with self.db.unit_of_work() as session:
            bulk.approve_bulk_order(session, self.clock, order_id, user_id=self.approver)
        self.clock.set(self.clock.now() + gap)
        with self.db.unit_of_work() as session:
            total = get_order(session, order_id).total_fen
            bulk.record_bank_transfer(
                session, self.clock, order_id, bank_reference=reference, amount_fen=total, actor=OPERATOR
            )
        if delivered:
            self.clock.set(self.clock.now() + gap)
            with self.db.unit_of_work() as session:
                bulk.record_delivery(session, self.clock, order_id, actor=OPERATOR, note="送达（演示）")
        return order_id

    def receive(self, warehouse: str, goods: list[tuple[str, int]]) -> None:
        """A supplier's delivery to a warehouse: a new lot of each product, good for a year."""
        expires_on = local_date(self.clock.now()) + timedelta(days=365)
        with self.db.unit_of_work() as session:
            for sku, qty in goods:
                stock.receive(
                    session,
                    self.clock,
                    location=warehouse,
                    product=session.scalar(select(Product.id).where(Product.sku == sku)),
                    lot=f"DEMO-{expires_on:%Y%m%d}",
                    qty=qty,
                    actor=OPERATOR,
                    expires_on=expires_on,
                    note="到货（演示） · delivery (demo)",
                )

    def refund(self, order_id: str, qty: int) -> None:
        """An operator refunds units of a web-shop order's first line; the provider pays it out."""
        with self.db.unit_of_work() as session:
            order = get_order(session, order_id)
            request_refund(
                session,
                self.clock,
                order,
                payment_of(session, order_id),
                [(order.lines[0], qty)],
                reason="顾客退货（演示） · returned by the customer (demo)",
                actor=OPERATOR,
            )
        settle_order(self.db, self.clock, self.provider, order_id)


def load_demo_history(db: Database, clock: Clock, progress: Progress = lambda _msg: None) -> dict[str, int]:
    """Make the demo's history unless it is there already; return what was added."""
    now = clock.now()
    last = _month_start(now, back=1).strftime("%Y-%m")
    with db.unit_of_work() as session:
        if find_by_idempotency(session, MARKER) is not None:
            progress("history: already there, nothing added")
            return {"history orders": 0, "statements": 0}
        if issued_period(session, last) is not None:
            progress(f"history: {last} is issued already, no history added")
            return {"history orders": 0, "statements": 0}
    h = _History(db, now)
    orders = []
    h.at(5, 10)
    orders.append(h.vend([("A1", 2)], idem=MARKER))
    h.at(8, 12)
    orders.append(h.vend([("B3", 1), ("C3", 1)], jammed="B3"))
    h.at(11, 18)
    orders.append(h.vend([("B2", 1), ("C4", 2)]))
    progress(f"history: {last} kiosk sales at {VEND_KIOSK}: 3 (one slot jammed and refunded)")
    h.at(12, 9)
    delivered = h.shop("西吉马铃薯", 2)
    h.ship(delivered)
    h.at(16, 20)
    returned = h.shop("西吉马铃薯淀粉", 2)
    orders += [delivered, returned]
    progress(f"history: {last} web-shop orders: 2 (one delivered)")
    h.at(15, 9)
    h.receive(
        "NB-WH-01", [("QXN-PUAN-RED-250G", 250), ("QXN-QINGLONG-GREEN-250G", 150), ("YB-RICE-5KG", 100)]
    )
    progress(f"history: {last} a delivery to NB-WH-01 for the demo unit's orders")
    h.at(18, 10)
    orders.append(
        h.bulk([("GY-POTATO-5KG", 4), ("GY-VERMICELLI-1KG", 6)], "DEMO-BANK-0001", gap=timedelta(days=1))
    )
    h.at(24, 10)
    orders.append(
        h.bulk([("YB-RICE-5KG", 40), ("QXN-PUAN-RED-250G", 200)], "DEMO-BANK-0002", gap=timedelta(days=1))
    )
    progress(f"history: {last} bulk orders of the demo unit: 2 (paid by bank transfer, delivered)")
    h.this_month(0.1)
    with db.unit_of_work() as session:
        result = issue_period(session, h.clock, last, actor=OPERATOR)
    progress(f"history: {last} issued: {result.statement_count} statements")
    h.this_month(0.3)
    h.refund(returned, 1)
    progress(f"history: a web-shop sale of {last} refunded this month")
    h.this_month(0.6)
    orders.append(
        h.bulk(
            [("QXN-QINGLONG-GREEN-250G", 100), ("QXN-COIX-1KG", 20)], "DEMO-BANK-0003", gap=h.so_far * 0.05
        )
    )
    h.this_month(0.8)
    orders.append(h.bulk([("GY-POTATO-5KG", 3)], "DEMO-BANK-0004", gap=h.so_far * 0.05, delivered=False))
    progress("history: this month's bulk orders of the demo unit: 2")
    return {"history orders": len(orders), "statements": result.statement_count}
