"""The simulated provider: the embedded default behaves like a card provider that settles on command."""

from __future__ import annotations

import contextlib
import threading
import time
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.clock import FixedClock
from core.errors import InvalidInput
from payments.errors import IdempotencyKeyReused, PaymentNotFound, PaymentStateConflict, WebhookSignatureError
from payments.providers.base import EVENT_TYPES, PaymentProvider
from payments.providers.simulated import SimulatedProvider
from payments.providers.simulated_store import InMemorySimulatedStore, SimulatedRecord

NOW = datetime(2026, 11, 26, 7, 0, tzinfo=UTC)


def pay_url(token: str) -> str:
    return f"http://127.0.0.1:5000/pay/{token}"


class CountingStore(InMemorySimulatedStore):
    """The in-memory store, noting which payments were ever saved."""

    def __init__(self) -> None:
        super().__init__()
        self.refs: set[str] = set()

    def save(self, record: SimulatedRecord) -> None:
        self.refs.add(record.provider_ref)
        super().save(record)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


@pytest.fixture
def sim(clock: FixedClock) -> SimulatedProvider:
    return SimulatedProvider(pay_url, clock=clock)


def create(sim: SimulatedProvider, key: str = "k1", amount_fen: int = 8970, capture: str = "automatic", **kw):
    args = {"reference": "order-1", "method": "wechat_pay", "description": "potatoes", "metadata": {"o": "1"}}
    return sim.create_payment(
        amount_fen=amount_fen,
        capture=capture,  # type: ignore[arg-type]
        idempotency_key=key,
        **{**args, **kw},
    )


def test_is_a_payment_provider(sim: SimulatedProvider) -> None:
    provider: PaymentProvider = sim
    assert provider.name == "simulated"


def test_new_payment_waits_and_its_qr_is_the_pay_page(sim: SimulatedProvider) -> None:
    payment = create(sim)

    assert (payment.status, payment.amount_fen, payment.amount_received_fen) == ("requires_payment", 8970, 0)
    assert payment.qr_payload is not None and payment.qr_payload.startswith("http://127.0.0.1:5000/pay/")
    token = payment.qr_payload.rsplit("/", 1)[1]
    assert sim.ref_for_token(token) == payment.provider_ref
    with pytest.raises(PaymentNotFound):
        sim.ref_for_token("not-a-token")


def test_pay_captures_and_reports_as_a_webhook_would(sim: SimulatedProvider) -> None:
    payment = create(sim)

    event = sim.simulate_pay(payment.provider_ref)

    assert (event.type, event.status, event.provider_ref) == (
        "payment_succeeded",
        "succeeded",
        payment.provider_ref,
    )
    assert (event.amount_fen, event.amount_received_fen, event.amount_capturable_fen) == (8970, 8970, 0)
    assert event.created == NOW
    assert event.type in EVENT_TYPES
    assert sim.get_payment(payment.provider_ref).status == "succeeded"
    with pytest.raises(PaymentStateConflict):
        sim.simulate_pay(payment.provider_ref)


def test_each_event_has_its_own_id(sim: SimulatedProvider) -> None:
    a, b = create(sim, "a"), create(sim, "b")
    assert sim.simulate_pay(a.provider_ref).event_id != sim.simulate_pay(b.provider_ref).event_id


def test_hold_is_captured_for_less_and_the_rest_released(sim: SimulatedProvider) -> None:
    held = create(sim, amount_fen=20000, capture="manual")

    event = sim.simulate_authorize(held.provider_ref)
    captured = sim.capture(held.provider_ref, amount_fen=5980, idempotency_key="cap")

    assert (event.type, event.status, event.amount_capturable_fen) == (
        "payment_authorized",
        "requires_capture",
        20000,
    )
    assert (captured.status, captured.amount_received_fen, captured.amount_capturable_fen) == (
        "succeeded",
        5980,
        0,
    )


def test_pay_on_a_manual_payment_only_places_the_hold(sim: SimulatedProvider) -> None:
    held = create(sim, amount_fen=20000, capture="manual")

    assert sim.simulate_pay(held.provider_ref).type == "payment_authorized"
    assert sim.get_payment(held.provider_ref).amount_received_fen == 0


def test_capture_more_than_the_hold_or_without_a_hold_is_refused(sim: SimulatedProvider) -> None:
    held = create(sim, "h", amount_fen=20000, capture="manual")
    sim.simulate_authorize(held.provider_ref)
    with pytest.raises(PaymentStateConflict):
        sim.capture(held.provider_ref, amount_fen=20001, idempotency_key="cap-too-much")
    unheld = create(sim, "u", capture="manual")
    with pytest.raises(PaymentStateConflict):
        sim.capture(unheld.provider_ref, amount_fen=100, idempotency_key="cap-unheld")
    automatic = create(sim, "a")
    with pytest.raises(PaymentStateConflict):
        sim.simulate_authorize(automatic.provider_ref)


def test_cancelled_hold_cannot_be_captured(sim: SimulatedProvider) -> None:
    held = create(sim, amount_fen=20000, capture="manual")
    sim.simulate_authorize(held.provider_ref)

    released = sim.cancel(held.provider_ref, idempotency_key="cancel")

    assert (released.status, released.amount_capturable_fen) == ("canceled", 0)
    with pytest.raises(PaymentStateConflict):
        sim.capture(held.provider_ref, amount_fen=100, idempotency_key="cap-after-cancel")


def test_declined_attempt_can_be_followed_by_a_payment(sim: SimulatedProvider) -> None:
    payment = create(sim)

    failed = sim.simulate_fail(payment.provider_ref)
    paid = sim.simulate_pay(payment.provider_ref)

    assert (failed.type, failed.status) == ("payment_failed", "failed")
    assert paid.status == "succeeded"


def test_partial_refunds_add_up_to_at_most_what_was_captured(sim: SimulatedProvider) -> None:
    payment = create(sim)
    sim.simulate_pay(payment.provider_ref)

    first = sim.refund(payment.provider_ref, amount_fen=2990, idempotency_key="r1", reason="motor_jam")
    rest = sim.refund(payment.provider_ref, amount_fen=5980, idempotency_key="r2", reason="return")

    assert (first.status, first.amount_fen, first.payment_ref) == ("succeeded", 2990, payment.provider_ref)
    assert rest.amount_fen == 5980 and rest.provider_ref != first.provider_ref
    with pytest.raises(PaymentStateConflict):
        sim.refund(payment.provider_ref, amount_fen=1, idempotency_key="r3", reason="one fen too many")


def test_unpaid_payment_cannot_be_refunded(sim: SimulatedProvider) -> None:
    payment = create(sim)
    with pytest.raises(PaymentStateConflict):
        sim.refund(payment.provider_ref, amount_fen=1, idempotency_key="r", reason="x")


def test_same_idempotency_key_returns_the_first_result_and_creates_nothing_more(
    sim: SimulatedProvider,
) -> None:
    store = CountingStore()
    sim = SimulatedProvider(pay_url, store=store)
    first = create(sim, "same")
    second = create(sim, "same")

    assert second == first
    assert store.refs == {first.provider_ref}
    with pytest.raises(IdempotencyKeyReused):
        create(sim, "same", amount_fen=1)


def test_retried_refund_refunds_once(sim: SimulatedProvider) -> None:
    payment = create(sim)
    sim.simulate_pay(payment.provider_ref)

    a = sim.refund(payment.provider_ref, amount_fen=8000, idempotency_key="r", reason="x")
    b = sim.refund(payment.provider_ref, amount_fen=8000, idempotency_key="r", reason="x")

    assert a == b
    with pytest.raises(PaymentStateConflict):  # only 970 fen are left to refund
        sim.refund(payment.provider_ref, amount_fen=8000, idempotency_key="r-again", reason="x")


def test_failed_request_is_not_remembered_under_its_key(sim: SimulatedProvider) -> None:
    held = create(sim, amount_fen=20000, capture="manual")
    with pytest.raises(PaymentStateConflict):
        sim.capture(held.provider_ref, amount_fen=100, idempotency_key="cap")
    sim.simulate_authorize(held.provider_ref)

    assert sim.capture(held.provider_ref, amount_fen=100, idempotency_key="cap").status == "succeeded"


@pytest.mark.parametrize(
    "bad",
    [
        {"amount_fen": 0},
        {"amount_fen": -5},
        {"amount_fen": 12.5},
        {"amount_fen": True},
        {"method": "cash"},
        {"capture": "later"},
        {"reference": " "},
        {"key": ""},
    ],
)
def test_invalid_requests_are_refused(sim: SimulatedProvider, bad: dict) -> None:
    with pytest.raises(InvalidInput):
        create(sim, **bad)


def test_unknown_payment_is_not_found(sim: SimulatedProvider) -> None:
    with pytest.raises(PaymentNotFound):
        sim.get_payment("simpi_nope")


def test_webhooks_are_never_genuine(sim: SimulatedProvider) -> None:
    with pytest.raises(WebhookSignatureError):
        sim.parse_webhook(b"{}", {"Stripe-Signature": "t=1,v1=x"})


def test_two_providers_on_one_store_see_the_same_payments() -> None:
    store = InMemorySimulatedStore()
    web, worker = SimulatedProvider(pay_url, store=store), SimulatedProvider(pay_url, store=store)
    payment = create(web)

    worker.simulate_pay(payment.provider_ref)

    assert web.get_payment(payment.provider_ref).status == "succeeded"


class SlowStore(InMemorySimulatedStore):
    """The in-memory store with a database's latency on reads, which widens any race between threads."""

    def load(self, provider_ref: str) -> SimulatedRecord | None:
        record = super().load(provider_ref)
        time.sleep(0.002)  # the answer travels back while other threads run
        return record


def test_concurrent_refunds_never_exceed_what_was_captured() -> None:
    sim = SimulatedProvider(pay_url, store=SlowStore())
    payment = create(sim, amount_fen=1000)
    sim.simulate_pay(payment.provider_ref)
    refunded: list[int] = []
    start = threading.Barrier(20)

    def refund(i: int) -> None:
        start.wait()
        with contextlib.suppress(PaymentStateConflict):
            done = sim.refund(payment.provider_ref, amount_fen=100, idempotency_key=f"r{i}", reason="x")
            refunded.append(done.amount_fen)

    threads = [threading.Thread(target=refund, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert sum(refunded) == 1000 and len(refunded) == 10


@given(st.lists(st.integers(min_value=1, max_value=3000), max_size=12))
def test_refunded_total_never_exceeds_received(amounts: list[int]) -> None:
    sim = SimulatedProvider(pay_url)
    payment = create(sim, amount_fen=8970)
    sim.simulate_pay(payment.provider_ref)
    accepted = 0
    for i, amount in enumerate(amounts):
        try:
            accepted += sim.refund(
                payment.provider_ref, amount_fen=amount, idempotency_key=f"r{i}", reason="x"
            ).amount_fen
        except PaymentStateConflict:
            assert accepted + amount > 8970
    assert accepted <= 8970
    assert sim.get_payment(payment.provider_ref).raw["amount_refunded_fen"] == accepted
