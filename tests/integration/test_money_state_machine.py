"""The money invariants, checked by a machine (issue 11): kiosk vend and open-door visits,
storefront and bulk orders driven through the application services the views call — paid, paid
late, their provider events delivered late, twice and out of order, the provider failing (down,
timing out, answering a refund pending or failed), the server dying between a commit and its
provider call (or between the call and recording its answer), refunds in parts and in full,
expiry, reconciliation and month close.

After every step that wrote anything the books balance (sales/money_audit.py: each order's
captured − refunded = its revenue entries and = its payment and refund records, no revenue for
money not captured, no overpayment, each month's statements = its ledger = its rollup) and the
stock ledger holds (balances = movements, none negative, holds = reserved). Pending and failed
refunds are allowed in between; after `settle` (provider healthy, every event delivered,
reconcile, failed refunds retried, payouts made) none is left pending, the whole `audit money` passes, and the
provider holds exactly the money our books say it took and gave back, with no hold left behind.

A bulk order may be paid twice (a transfer arriving for an order paid online or by transfer
already, or above its total): the money is recorded, never revenue, and owed back as a payout;
refunds of bank transfers are payouts too. In `settle` the operator pays every payout owed from
the bank (sales/payouts.py), so none is left pending either.

Each example runs in a savepoint of the test's transaction, rolled back at its end (the
simulated provider's state lives in the same database, so it goes too). `ci` runs 25 examples
of 20 steps, the same ones every time; `--hypothesis-profile=long` runs 300 random ones."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from hypothesis import note
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import func, select, text
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session, selectinload

from core.clock import SHANGHAI, FixedClock
from core.db import Database, UnitOfWork
from inventory.errors import OutOfStock
from inventory.models import Location
from payments.errors import PaymentProviderError, PaymentStateConflict
from payments.models import Payment, Refund
from payments.providers.base import ProviderEvent
from payments.providers.simulated import SimulatedProvider
from payments.providers.simulated_db_store import DatabaseSimulatedStore
from sales import bulk, checkout, payouts
from sales.kiosk import Cabinet
from sales.models import Order, RevenueEntry
from sales.money_audit import (
    audit_money,
    check_no_revenue_without_capture,
    check_orders_match_ledger,
    check_orders_match_payments,
    check_overpayments,
    check_rollup_matches_ledger,
    check_statements_match_ledger,
)
from sales.orders import get_order
from sales.payment_flow import payment_of, receive_event, settle_order, start_payment
from sales.provider_repair import reconcile
from sales.refunds import RETRY_OF, process_pending_refunds, request_refund, retry_refund
from sales.statements.issue import issue_period
from sales.statements.models import RevenueRollup, Statement
from sales.status import OPEN_STATUSES
from sales.storefront import place_order
from tests.conftest import TEST_NOW
from tests.integration.faulty_provider import FAULTS, REFUND_FAULTS, FaultyProvider, Restart
from tests.integration.inventory.factories import ledger_problems
from tests.integration.orgs.factories import delivery, demo_unit, product

VEND_SLOTS = ("A1", "A3", "B2", "B3", "C4")
DOOR_SLOTS = ("S1", "S2", "S3", "S4")
SHOP_SKUS = ("YB-RICE-5KG", "QXN-PUAN-RED-250G", "GY-HONEY-500G")
HOLD_SECONDS = 180
Fault = tuple[str, str] | None
# Right after a payment opens: the shopper pays and its event arrives at once (the simplest case,
# which hypothesis tries first), or the event is delayed, or the shopper has not paid yet.
PAYS = st.sampled_from(("at_once", "event_delayed", "later"))


def maybe(operation: str, faults: tuple[str, ...]) -> st.SearchStrategy[Fault]:
    """No fault, or one of these for the next call of this operation."""
    return st.one_of(st.none(), st.tuples(st.just(operation), st.sampled_from(faults)))


# What a provider call that went wrong leaves the caller with: the view answers 502/503 (and the
# kiosk or provider retries), or the process is gone. Either way the database has what committed.
PROVIDER_TROUBLE = (PaymentProviderError, Restart)


@dataclass(frozen=True)
class Seen:
    """How one of the machine's orders stood after the last step."""

    order_id: str
    kind: str  # vend, door, storefront, bulk_online, bulk_bank
    status: str
    expires_at: datetime | None
    reported: bool
    ref: str | None
    provider: str | None
    payment_status: str | None
    captured: int
    lines: tuple[tuple[int, int], ...]  # (line id, units not refunded)


class MoneyMachine(RuleBasedStateMachine):
    """Orders of every channel through their money's life, with the provider misbehaving."""

    def __init__(self, connection: Connection, db: Database) -> None:
        super().__init__()
        self.savepoint = connection.begin_nested()  # rolled back in teardown: the next example starts clean
        self.db = db
        self.clock = FixedClock(TEST_NOW)
        inner = SimulatedProvider(
            lambda token: f"http://pay.test/pay/{token}", store=DatabaseSimulatedStore(db), clock=self.clock
        )
        self.provider = FaultyProvider(inner)
        self.events: list[ProviderEvent] = []  # sent by the provider, not yet delivered to us
        self.orders: dict[str, str] = {}  # order id → vend, door, storefront, bulk_online, bulk_bank
        self.bank_route: set[str] = set()  # bulk orders to be paid by bank transfer
        self.transfers = 0
        self.months_closed = 0
        self.seen: list[Seen] = []
        self.monthly_mark: tuple[Any, ...] = ()
        self.rows_written = -1
        self.failed_refunds: list[tuple[int, str]] = []
        with db.unit_of_work() as session:
            self.known = set(session.scalars(select(Order.id)))  # the demo's orders, not ours
            unit = demo_unit(session, self.clock)
            self.unit = (unit.org.id, unit.buyer.id, unit.approver.id, unit.org.credit_code)
            self.skus = {sku: product(session, sku).id for sku in SHOP_SKUS}
            self.vend, self.door = (
                self._cabinet(session.scalar(select(Location).where(Location.code == code)))
                for code in ("FZ-0001", "FZ-0002")
            )

    @staticmethod
    def _cabinet(location: Location) -> Cabinet:
        return Cabinet(
            location_id=location.id,
            code=location.code,
            mode=location.mode,
            partner_code=location.partner_code,
            open_door_hold_fen=location.open_door_hold_fen,
        )

    def teardown(self) -> None:
        self.savepoint.rollback()

    # -- plumbing ---------------------------------------------------------------------------------

    def request(self, call: Any) -> Any:
        """Run one application service as a request does: an open unit of work, committed at the end."""
        with self.db.unit_of_work() as session:
            return call(UnitOfWork(self.db, session))

    def discover(self) -> None:
        """Track the orders the last step created, even when its provider call failed after the commit."""
        with self.db.unit_of_work() as session:
            found = select(Order.id, Order.channel, Order.mode).order_by(Order.created_at, Order.id)
            for order_id, channel, mode in session.execute(found):
                if order_id in self.known or order_id in self.orders:
                    continue
                if channel == "kiosk":
                    kind = "door" if mode == "open_door" else "vend"
                elif channel == "bulk":
                    kind = "bulk_bank" if order_id in self.bank_route else "bulk_online"
                else:
                    kind = channel
                self.orders[order_id] = kind

    def look(self, session: Session) -> None:
        """Note how every order of ours stands now (after each step), for the rules to choose from."""
        ids = sorted(self.orders)
        orders = session.scalars(select(Order).where(Order.id.in_(ids)).options(selectinload(Order.lines)))
        latest = {
            p.order_id: p
            for p in session.scalars(select(Payment).where(Payment.order_id.in_(ids)).order_by(Payment.id))
        }
        seen = []
        by_id = {order.id: order for order in orders}
        # In the order the machine met them (ids are random: sorting by them would not replay).
        for order in (by_id[order_id] for order_id in self.orders):
            payment = latest.get(order.id)
            seen.append(
                Seen(
                    order_id=order.id,
                    kind=self.orders[order.id],
                    status=order.status,
                    expires_at=order.expires_at,
                    reported=order.report_id is not None,
                    ref=payment.provider_ref if payment else None,
                    provider=payment.provider if payment else None,
                    payment_status=payment.status if payment else None,
                    captured=payment.captured_fen if payment else 0,
                    lines=tuple((line.id, line.qty - line.refunded_qty) for line in order.lines),
                )
            )
        self.seen = seen
        self.failed_refunds = self._failed_refunds_not_retried(session)

    def shopper_acts(self, ref: str, pays: str) -> None:
        """Just after the payment opened: the shopper pays, its event arriving now or later; or not yet."""
        if pays != "later":
            self.events.append(self.provider.inner.simulate_pay(ref))
        if pays == "at_once":
            self.deliver(self.events.pop())

    def arm(self, fault: Fault) -> None:
        if fault is not None:
            self.provider.arm(*fault)

    def where(self, test: Any) -> list[Seen]:
        return [s for s in self.seen if test(s)]

    def deliver(self, event: ProviderEvent) -> None:
        """Deliver a provider event as the webhook view does (a 5xx on provider trouble: it retries)."""
        try:
            self.request(lambda uow: receive_event(uow, self.clock, self.provider, event))
        except PROVIDER_TROUBLE as exc:
            note(f"  webhook {event.event_id}: the settlement after it: {exc}")

    # -- orders -----------------------------------------------------------------------------------

    @rule(
        open_door=st.booleans(),
        slots=st.lists(st.sampled_from(VEND_SLOTS), min_size=1, max_size=2, unique=True),
        qty=st.integers(1, 2),
        hold_fen=st.sampled_from((5000, 20000)),
        pays=PAYS,
        fault=maybe("create_payment", FAULTS),
    )
    def kiosk_session_starts(
        self, open_door: bool, slots: list[str], qty: int, hold_fen: int, pays: str, fault: Fault
    ) -> None:
        """A shopper starts a vend session (slots held) or an open-door visit (a hold to authorize)."""
        self.arm(fault)
        if open_door:
            start = lambda uow: checkout.start_door_visit(  # noqa: E731
                uow, self.clock, self.provider, kiosk=self.door, hold_fen=hold_fen, hold_seconds=HOLD_SECONDS
            )
        else:
            lines = [{"slot": code, "qty": qty} for code in slots]
            start = lambda uow: checkout.start_vend_session(  # noqa: E731
                uow,
                self.clock,
                self.provider,
                kiosk=self.vend,
                lines=lines,
                hold_seconds=HOLD_SECONDS,
                idempotency=None,
            )
        try:
            _order, payment = self.request(start)
        except OutOfStock:
            return
        except PROVIDER_TROUBLE as exc:
            note(f"  kiosk session: {exc}")
            self.discover()
            return
        self.discover()
        if payment.provider_ref:
            self.shopper_acts(payment.provider_ref, pays)

    @rule(
        channel=st.sampled_from(("storefront", "bulk_online", "bulk_bank")),
        items=st.lists(st.tuples(st.sampled_from(SHOP_SKUS), st.integers(1, 3)), min_size=1, max_size=2),
        pays=PAYS,
        fault=maybe("create_payment", FAULTS),
    )
    def order_placed(self, channel: str, items: list[tuple[str, int]], pays: str, fault: Fault) -> None:
        """A storefront order, or a unit's bulk order drafted and approved, to pay online or by transfer."""
        self.arm(fault)
        lines = [(self.skus[sku], qty) for sku, qty in items]
        try:
            with self.db.unit_of_work() as session:
                if channel == "storefront":
                    order, payment = place_order(
                        session,
                        self.clock,
                        items=[{"product": pid, "qty": qty} for pid, qty in lines],
                        contact={
                            "name": "王女士",
                            "phone": "13800000000",
                            "address": "福州市鼓楼区某路 1 号",
                        },
                        provider=self.provider.name,
                    )
                else:
                    org_id, buyer, approver, tax_id = self.unit
                    order, _record = bulk.draft_bulk_order(
                        session,
                        self.clock,
                        org_id=org_id,
                        user_id=buyer,
                        lines=lines,
                        delivery=delivery(tax_id),
                    )
                    bulk.approve_bulk_order(session, self.clock, order.id, user_id=approver)
                    payment = None
                    if channel == "bulk_online":  # the pay-online view
                        # (A transfer for it may still arrive once it is paid: unit_pays_twice.)
                        payment, _created = bulk.online_payment(
                            session, self.clock, order.id, user_id=buyer, provider=self.provider.name
                        )
                session.flush()  # the ids
                order_id, payment_id = order.id, payment.id if payment else None
        except OutOfStock:
            return
        if channel == "bulk_bank":
            self.bank_route.add(order_id)
        self.discover()
        if payment_id is None:
            return
        try:
            ref = start_payment(
                self.db, self.clock, self.provider, payment_id, description="dongxi"
            ).provider_ref
        except PROVIDER_TROUBLE as exc:
            note(f"  {channel} payment: {exc}")
            return
        self.shopper_acts(ref, pays)

    # -- the shopper and the provider's events ----------------------------------------------------

    def _payable(self) -> list[Seen]:
        return self.where(
            lambda s: (
                s.ref
                and s.provider == self.provider.name
                and s.payment_status not in ("succeeded", "canceled")
            )
        )

    @precondition(lambda self: self._payable())
    @rule(data=st.data(), declined=st.booleans(), delayed=st.booleans())
    def shopper_pays(self, data: st.DataObject, declined: bool, delayed: bool) -> None:
        """The shopper pays (or authorizes a hold, or is declined) at the provider, whenever: also
        after the order lapsed, if the provider has not been told to cancel it yet."""
        order = data.draw(st.sampled_from(self._payable()))
        try:
            pay = self.provider.inner.simulate_fail if declined else self.provider.inner.simulate_pay
            event = pay(order.ref)
        except PaymentStateConflict:  # paid or cancelled at the provider already (we may not know yet)
            return
        self.events.append(event)
        if not delayed:
            self.deliver(self.events.pop())

    @precondition(lambda self: self.events)
    @rule(data=st.data(), again_later=st.booleans(), fault=maybe("refund", REFUND_FAULTS))
    def deliver_an_event(self, data: st.DataObject, again_later: bool, fault: Fault) -> None:
        """A provider event arrives, in any order; it may arrive again later (a duplicate). A late
        payment's refund (or a lapsed order's release) is the provider call that follows it."""
        self.arm(fault)
        i = data.draw(st.integers(0, len(self.events) - 1))
        event = self.events[i] if again_later else self.events.pop(i)
        self.deliver(event)

    # -- kiosks -----------------------------------------------------------------------------------

    def _kiosk_open(self) -> list[Seen]:
        return self.where(lambda s: s.kind in ("vend", "door") and s.status in OPEN_STATUSES)

    @precondition(lambda self: self._kiosk_open())
    @rule(data=st.data(), cancel=st.booleans(), fault=maybe("cancel", FAULTS))
    def kiosk_polls_or_cancels(self, data: st.DataObject, cancel: bool, fault: Fault) -> None:
        """The kiosk polls its order (which expires it once lapsed) or the shopper cancels."""
        self.arm(fault)
        order = data.draw(st.sampled_from(self._kiosk_open()))
        cabinet = self.vend if order.kind == "vend" else self.door
        service = checkout.cancel_order if cancel else checkout.poll_order
        try:
            self.request(lambda uow: service(uow, self.clock, self.provider, cabinet, order.order_id))
        except PROVIDER_TROUBLE as exc:
            note(f"  poll/cancel: {exc}")

    def _to_dispense(self) -> list[Seen]:
        return self.where(lambda s: s.kind == "vend" and s.status == "paid" and not s.reported)

    @precondition(lambda self: self._to_dispense())
    @rule(data=st.data(), fault=maybe("refund", REFUND_FAULTS))
    def dispenser_reports(self, data: st.DataObject, fault: Fault) -> None:
        """The vend kiosk reports what it dispensed; what it did not is refunded."""
        self.arm(fault)
        order = data.draw(st.sampled_from(self._to_dispense()))
        with self.db.unit_of_work() as session:
            lines = [(line.slot_code, line.qty) for line in get_order(session, order.order_id).lines]
        results = []
        for slot, qty in lines:
            dispensed = data.draw(st.integers(0, qty), label=f"dispensed {slot}")
            result = {"slot": slot, "requested": qty, "dispensed": dispensed}
            if dispensed < qty:
                result["error"] = data.draw(st.sampled_from(("motor_jam", "damaged")))
            results.append(result)
        report = str(uuid.uuid4())
        try:
            self.request(
                lambda uow: checkout.report_vend_results(
                    uow,
                    self.clock,
                    self.provider,
                    self.vend,
                    order.order_id,
                    report_id=report,
                    results=results,
                )
            )
        except PROVIDER_TROUBLE as exc:
            note(f"  vend results: {exc}")

    def _doors_open(self) -> list[Seen]:
        # A reported visit whose capture failed stays authorized until reconcile captures it; the
        # kiosk never sends it a second, different report (that is a 409 report_conflict).
        return self.where(lambda s: s.kind == "door" and s.status == "authorized" and not s.reported)

    @precondition(lambda self: self._doors_open())
    @rule(data=st.data(), fault=st.one_of(maybe("capture", FAULTS), maybe("cancel", FAULTS)))
    def door_closes(self, data: st.DataObject, fault: Fault) -> None:
        """The open-door cabinet reports what was taken: captured from the hold, or the hold released."""
        self.arm(fault)
        order = data.draw(st.sampled_from(self._doors_open()))
        taken = data.draw(
            st.lists(
                st.fixed_dictionaries({"slot": st.sampled_from(DOOR_SLOTS), "qty": st.integers(0, 2)}),
                max_size=2,
            ),
            label="taken",
        )
        report = str(uuid.uuid4())
        try:
            self.request(
                lambda uow: checkout.report_door_closed(
                    uow, self.clock, self.provider, self.door, order.order_id, report_id=report, taken=taken
                )
            )
        except PROVIDER_TROUBLE as exc:
            note(f"  door closed: {exc}")

    # -- operators --------------------------------------------------------------------------------

    def _refundable(self) -> list[Seen]:
        # A refund of a bank transfer is a payout the operator makes in `settle`.
        # An order with a failed refund not yet retried is retried (as its alert says), not refunded
        # anew: a new refund of the same units leaves the failed one impossible to retry (409
        # refund_too_large) and so listed by the audit and the alerts for ever (reported, not fixed).
        owed = {order_id for _refund, order_id in self.failed_refunds}
        return self.where(
            lambda s: (
                s.captured
                and s.provider in (self.provider.name, "bank_transfer")
                and s.order_id not in owed
                and any(left for _l, left in s.lines)
            )
        )

    @precondition(lambda self: self._refundable())
    @rule(data=st.data(), everything=st.booleans(), fault=maybe("refund", REFUND_FAULTS))
    def operator_refunds(self, data: st.DataObject, everything: bool, fault: Fault) -> None:
        """An operator refunds units of a paid order (the console's refund, then its settlement)."""
        self.arm(fault)
        order = data.draw(st.sampled_from(self._refundable()))
        if everything:
            parts = [(line_id, left) for line_id, left in order.lines if left]
        else:
            line_id, left = data.draw(st.sampled_from([(i, n) for i, n in order.lines if n]))
            parts = [(line_id, data.draw(st.integers(1, left), label="qty"))]
        with self.db.unit_of_work() as session:
            row = get_order(session, order.order_id, lock=True)
            lines = {line.id: line for line in row.lines}
            payment = payment_of(session, order.order_id, lock=True)
            request_refund(
                session,
                self.clock,
                row,
                payment,
                [(lines[line_id], qty) for line_id, qty in parts],
                reason="operator refund",
                actor="operator",
            )
        try:
            settle_order(self.db, self.clock, self.provider, order.order_id)
        except PROVIDER_TROUBLE as exc:
            note(f"  refund settlement: {exc}")

    @precondition(lambda self: self.failed_refunds)
    @rule()
    def operator_retries_failed_refunds(self) -> None:
        """`dongxi payments retry-refund ID` for every failed refund not retried yet."""
        self._retry_failed_refunds()

    def _retry_failed_refunds(self) -> None:
        with self.db.unit_of_work() as session:
            failed = self._failed_refunds_not_retried(session)
        for refund_id, order_id in failed:
            with self.db.unit_of_work() as session:
                retry_refund(session, self.clock, refund_id, actor="operator")
            try:
                process_pending_refunds(self.db, self.clock, self.provider, only_order=order_id)
            except Restart as exc:
                note(f"  retry: {exc}")

    @staticmethod
    def _failed_refunds_not_retried(session: Session) -> list[tuple[int, str]]:
        retried = set(session.scalars(select(Refund.reason).where(Refund.reason.like(f"{RETRY_OF}%"))))
        return [
            (refund_id, order_id)
            for refund_id, order_id in session.execute(
                select(Refund.id, Payment.order_id)
                .join(Payment, Payment.id == Refund.payment_id)
                .where(Refund.status == "failed")
                .order_by(Refund.id)
            )
            if not any(r.startswith(f"{RETRY_OF}{refund_id}:") for r in retried)
        ]

    def _transfer_due(self) -> list[Seen]:
        return self.where(lambda s: s.kind == "bulk_bank" and s.status == "awaiting_payment")

    @precondition(lambda self: self._transfer_due())
    @rule(data=st.data(), whole=st.booleans())
    def bank_transfer_arrives(self, data: st.DataObject, whole: bool) -> None:
        """An operator records a unit's bank transfer: the whole amount due, or half of it first."""
        order_id = data.draw(st.sampled_from(self._transfer_due())).order_id
        with self.db.unit_of_work() as session:
            order, _bulk = bulk.get_bulk_order(session, order_id)
            outstanding = bulk.bank_settlement(session, order).outstanding_fen
            amount = outstanding if whole or outstanding < 2 else outstanding // 2
            self.transfers += 1
            result = bulk.record_bank_transfer(
                session,
                self.clock,
                order_id,
                bank_reference=f"HYP-{self.transfers:04d}",
                amount_fen=amount,
                actor="operator",
            )
            assert result.stale_online_payments == []  # a bank-route order has no online payment

    def _paid_already(self) -> list[Seen]:
        return self.where(lambda s: s.kind.startswith("bulk") and s.captured > 0)

    @precondition(lambda self: self._paid_already())
    @rule(data=st.data(), extra_fen=st.sampled_from((0, 1, 150)))
    def unit_pays_twice(self, data: st.DataObject, extra_fen: int) -> None:
        """A bank transfer arrives for an order already paid (online, or by transfer): the money is
        recorded, never revenue, and owed back to the unit as a payout."""
        order_id = data.draw(st.sampled_from(self._paid_already())).order_id
        with self.db.unit_of_work() as session:
            order = get_order(session, order_id)
            self.transfers += 1
            bulk.record_bank_transfer(
                session,
                self.clock,
                order_id,
                bank_reference=f"HYP-{self.transfers:04d}",
                amount_fen=order.total_fen + extra_fen,
                actor="operator",
            )

    def _pay_out_owed_transfers(self) -> None:
        """The operator pays back from the bank what bank transfers owe (refunds, surplus)."""
        with self.db.unit_of_work() as session:
            for owed in payouts.list_owed_payouts(session):
                payouts.complete_payout(
                    session,
                    self.clock,
                    owed["refund_id"],
                    bank_reference=f"OUT-{owed['refund_id']:05d}",
                    amount_fen=owed["amount_fen"],
                    paid_on=self.clock.now().astimezone(SHANGHAI).date(),
                    actor="operator",
                    actor_role="operator",
                    via="test",
                )

    def _to_deliver(self) -> list[Seen]:
        return self.where(lambda s: s.kind.startswith("bulk") and s.status == "paid")

    @precondition(lambda self: self._to_deliver())
    @rule(data=st.data())
    def bulk_delivered(self, data: st.DataObject) -> None:
        order_id = data.draw(st.sampled_from(self._to_deliver())).order_id
        with self.db.unit_of_work() as session:
            bulk.record_delivery(session, self.clock, order_id, actor="operator")

    # -- time, jobs and the month -----------------------------------------------------------------

    @rule(minutes=st.sampled_from((1, 2, 4, 30, 90, 60 * 24 * 8)))
    def time_passes(self, minutes: int) -> None:
        self.clock.advance(minutes=minutes)

    def _lapsed(self) -> list[Seen]:
        now = self.clock.now()
        return self.where(lambda s: s.status in OPEN_STATUSES and s.expires_at and s.expires_at <= now)

    @precondition(lambda self: self._lapsed())
    @rule(fault=maybe("cancel", FAULTS))
    def expiry_job_runs(self, fault: Fault) -> None:
        """`dongxi orders expire`: lapsed orders expire and their payments are cancelled at the provider."""
        self.arm(fault)
        try:
            checkout.expire_lapsed_orders(self.db, self.clock, self.provider)
        except Restart as exc:
            note(f"  expiry: {exc}")

    @rule(
        fault=st.one_of(
            maybe("get_payment", FAULTS),
            maybe("refund", REFUND_FAULTS),
            maybe("get_refund", ("raise", "answer_pending")),
        )
    )
    def reconcile_runs(self, fault: Fault) -> None:
        """`dongxi payments reconcile`: the provider's records repair what a crash or lost event left."""
        self.arm(fault)
        try:
            note(f"  reconcile: {reconcile(self.db, self.clock, self.provider)}")
        except Restart as exc:
            note(f"  reconcile: {exc}")

    @precondition(lambda self: self.months_closed < 2 and self.where(lambda s: s.captured))
    @rule()
    def month_closes(self) -> None:
        """The clock reaches the next month and the month just ended is issued."""
        local = self.clock.now().astimezone(SHANGHAI)
        ended = f"{local:%Y-%m}"
        first = datetime(local.year + local.month // 12, local.month % 12 + 1, 1, 9, 0, tzinfo=SHANGHAI)
        self.clock.set(first)
        with self.db.unit_of_work() as session:
            issue_period(session, self.clock, ended, actor="auditor")
        self.months_closed += 1

    # -- the end: everything settles --------------------------------------------------------------

    @precondition(lambda self: self.orders)
    @rule()
    def settle(self) -> None:
        """The provider is healthy again: every event arrives, reconcile runs, failed refunds are retried."""
        self.provider.heal()
        while self.events:
            self.deliver(self.events.pop(0))
        reconcile(self.db, self.clock, self.provider)
        self._retry_failed_refunds()
        reconcile(self.db, self.clock, self.provider)
        self._pay_out_owed_transfers()
        self.settled_books_balance()

    def settled_books_balance(self) -> None:
        with self.db.unit_of_work() as session:
            result = audit_money(session, self.clock)
            failed = {c.code: c.rows for c in result.checks if not c.passed}
            pending = session.scalars(select(Refund.id).where(Refund.status == "pending")).all()
            assert not pending, f"refunds still pending after settling: {pending}"
            assert not failed, failed
            for order_id, kind in sorted(self.orders.items()):
                order = get_order(session, order_id)
                for payment in session.scalars(select(Payment).where(Payment.order_id == order_id)):
                    if payment.provider != self.provider.name or payment.provider_ref is None:
                        continue
                    there = self.provider.inner.get_payment(payment.provider_ref)
                    given_back = sum(r.amount_fen for r in payment.refunds if r.status == "succeeded")
                    # The provider holds exactly what our books say it took and gave back.
                    assert there.amount_received_fen == payment.captured_fen, (order_id, kind)
                    assert there.raw["amount_refunded_fen"] == given_back, (order_id, kind)
                    if order.status in ("cancelled", "expired", "completed"):
                        assert there.status != "requires_capture", (
                            f"{kind} {order_id}: a hold left at the provider"
                        )
                if order.status in ("cancelled", "expired"):
                    assert order.captured_fen == order.refunded_fen, (
                        f"{kind} {order_id} kept money it lapsed on"
                    )

    # -- after every step -------------------------------------------------------------------------

    @invariant()
    def books_balance(self) -> None:
        with self.db.unit_of_work() as session:
            # Every invariant here is a function of the database alone: a step that wrote nothing
            # (armed a fault, moved the clock, met a conflict) cannot have broken one.
            writes = _rows_written(session)
            if writes == self.rows_written:
                return
            self.rows_written = writes
            checks = [
                check_orders_match_ledger(session),
                check_orders_match_payments(session),
                check_no_revenue_without_capture(session),
                check_overpayments(session),
            ]
            # The monthly sums are a function of the ledger, its rollup and the issued statements:
            # checked again whenever one of them moved.
            mark = _monthly_mark(session)
            if mark != self.monthly_mark:
                checks += [check_statements_match_ledger(session), check_rollup_matches_ledger(session)]
                self.monthly_mark = mark
            for check in checks:
                assert check.passed, (check.code, check.rows)
            assert ledger_problems(session) == []
            self.look(session)  # the rules of the next step choose among the orders as they stand now


def _rows_written(session: Session) -> int:
    """How many rows this connection has inserted, updated or deleted so far (triggers' included)."""
    if session.get_bind().dialect.name == "sqlite":
        return int(session.scalar(text("SELECT total_changes()")))
    pg = "SELECT coalesce(sum(n_tup_ins + n_tup_upd + n_tup_del), 0) FROM pg_stat_xact_user_tables"
    return int(session.scalar(text(pg)))


def _monthly_mark(session: Session) -> tuple[Any, ...]:
    """What the monthly invariants read, in a few numbers that change whenever it changes."""
    entries = session.execute(select(func.count(), func.max(RevenueEntry.id)).select_from(RevenueEntry)).one()
    r = RevenueRollup
    rollup = session.execute(
        select(
            func.count(),
            func.sum(r.sale_fen),
            func.sum(r.refund_fen),
            func.sum(r.commission_fen),
            func.sum(r.entry_count),
        )
    ).one()
    statements = session.scalar(select(func.count()).select_from(Statement))
    return (*entries, *rollup, statements)


def test_money_always_adds_up(connection, db) -> None:
    run_state_machine_as_test(lambda: MoneyMachine(connection, db))
