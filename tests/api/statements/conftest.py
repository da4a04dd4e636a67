"""An issued month of sales for the statement API and console tests."""

from __future__ import annotations

from datetime import datetime

import pytest

from core.clock import SHANGHAI
from tests.integration.statements.factories import make_month

AFTER_OCTOBER = datetime(2026, 11, 2, 10, 0, tzinfo=SHANGHAI)


@pytest.fixture
def issued_october(session, clock, client, auth):
    """October 2026 with 30 orders, issued on 2 November; the clock stays there."""
    make_month(session, clock, datetime(2026, 10, 1, tzinfo=SHANGHAI), orders=30, seed=11)
    session.commit()
    clock.set(AFTER_OCTOBER)
    response = client.post("/api/v1/statements/2026-10/issue", headers=auth("admin"))
    assert response.status_code == 200
    return client.get("/api/v1/statements?period=2026-10", headers=auth("admin")).get_json()
