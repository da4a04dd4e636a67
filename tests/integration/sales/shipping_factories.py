"""Web-shop orders placed and paid with the simulated provider, for the fulfilment tests."""

from __future__ import annotations

from sqlalchemy import select

from catalogue.models import Product
from payments.providers.simulated import SimulatedProvider
from payments.providers.simulated_db_store import DatabaseSimulatedStore
from sales.payment_flow import apply_event, start_payment
from sales.storefront import place_order

CONTACT = {"name": "林女士", "phone": "13812345678", "address": "福建省福州市鼓楼区五一北路 1 号"}


def simulated_provider(db, clock) -> SimulatedProvider:  # type: ignore[no-untyped-def]
    """The simulated provider over the test's database (its payments survive between units of work)."""
    return SimulatedProvider(
        lambda token: f"http://pay.test/pay/{token}", store=DatabaseSimulatedStore(db), clock=clock
    )


def placed_order(  # type: ignore[no-untyped-def]
    db, clock, provider, qty: int = 2, *, product: str = "西吉马铃薯", contact: dict[str, str] = CONTACT
) -> tuple[str, int]:
    """A web-shop order of `qty` units of a product, its stock held at a warehouse, not yet paid."""
    with db.unit_of_work() as session:
        chosen = session.scalar(select(Product).where(Product.name_zh == product))
        order, payment = place_order(
            session,
            clock,
            items=[{"product": chosen.id, "qty": qty}],
            contact=contact,
            provider=provider.name,
        )
        session.flush()  # the ids
        return order.id, payment.id


def paid_order(db, clock, provider, qty: int = 2, **kwargs) -> str:  # type: ignore[no-untyped-def]
    """A web-shop order placed and paid with the simulated provider (its hold now a sale)."""
    order_id, payment_id = placed_order(db, clock, provider, qty, **kwargs)
    ref = start_payment(db, clock, provider, payment_id).provider_ref
    with db.unit_of_work() as session:
        apply_event(session, clock, provider.name, provider.simulate_pay(ref))
    return order_id
