"""The simulated provider's state lives in the database: a second process (a new provider on the same
database, as `dongxi payments reconcile` is) sees the payments the server created."""

from payments.providers.simulated import SimulatedProvider
from payments.providers.simulated_db_store import DatabaseSimulatedStore


def provider(db, clock) -> SimulatedProvider:  # type: ignore[no-untyped-def]
    return SimulatedProvider(
        lambda token: f"http://pay.test/pay/{token}", store=DatabaseSimulatedStore(db), clock=clock
    )


def test_a_new_provider_on_the_same_database_sees_payments_and_replays_keys(db, clock) -> None:
    server = provider(db, clock)
    created = server.create_payment(
        reference="order-1", amount_fen=2990, method="any", capture="automatic", idempotency_key="key-1"
    )
    token = created.qr_payload.rsplit("/", 1)[-1]
    server.simulate_pay(created.provider_ref)

    other_process = provider(db, clock)
    assert other_process.ref_for_token(token) == created.provider_ref
    seen = other_process.get_payment(created.provider_ref)
    assert seen.status == "succeeded" and seen.amount_received_fen == 2990
    again = other_process.create_payment(
        reference="order-1", amount_fen=2990, method="any", capture="automatic", idempotency_key="key-1"
    )
    assert again.provider_ref == created.provider_ref


def test_refunds_and_holds_survive_in_the_database(db, clock) -> None:
    server = provider(db, clock)
    hold = server.create_payment(
        reference="visit-1", amount_fen=20000, method="any", capture="manual", idempotency_key="key-2"
    )
    server.simulate_pay(hold.provider_ref)
    captured = provider(db, clock).capture(hold.provider_ref, amount_fen=5980, idempotency_key="cap-1")
    assert captured.status == "succeeded" and captured.amount_received_fen == 5980
    refund = provider(db, clock).refund(
        hold.provider_ref, amount_fen=2990, idempotency_key="ref-1", reason="jam"
    )
    assert refund.status == "succeeded" and refund.amount_fen == 2990
    replay = provider(db, clock).refund(
        hold.provider_ref, amount_fen=2990, idempotency_key="ref-1", reason="jam"
    )
    assert replay.provider_ref == refund.provider_ref
