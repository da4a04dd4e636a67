"""Two units for the API tests: the demo office (demo accounts) and a Suzhou enterprise of its own."""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.orgs.factories import Unit, approved_order, demo_unit, other_unit, token


@pytest.fixture
def units(session, clock) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """The demo unit A with an approved order, and unit B with its members' headers."""
    a = demo_unit(session, clock)
    b = other_unit(session, clock)
    order, _ = approved_order(session, clock, a, [("YB-RICE-5KG", 2)])
    headers = {"b_buyer": token(session, clock, b.buyer), "b_approver": token(session, clock, b.approver)}
    session.commit()
    return {"a": a, "b": b, "order_a": order.id, **headers}


def ids(unit: Unit) -> int:
    return unit.org.id
