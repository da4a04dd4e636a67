"""The demo's history (`dongxi demo load`): last month sold through the services and issued, and
this month's purchases of the demo unit; made once."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import func, select

from catalogue.models import Supplier
from core.clock import SHANGHAI, FixedClock, local_date
from core.db import Database
from kiosk_api.demo import DEMO_COUNTY, DEMO_SUPPLIER_CREDIT_PREFIX
from kiosk_api.demo_history import DEMO_UNIT, load_demo_history
from payments.models import Refund
from sales.models import Order
from sales.money_audit import audit_money
from sales.org_models import Organization
from sales.org_quota import quota_progress
from sales.revenue import period_of
from sales.statements.balance_check import reconcile_period
from sales.statements.issue import issued_period
from sales.statements.models import Statement
from tests.conftest import TEST_NOW

# Late in the month, and a minute into it: this month's history fits before now either way.
NOWS = [TEST_NOW, datetime(2026, 12, 1, 0, 1, tzinfo=SHANGHAI)]


@pytest.mark.parametrize("now", NOWS, ids=["late_in_the_month", "a_minute_into_it"])
def test_the_demo_history_issues_last_month_that_reconciles_and_fills_the_quota_chart(
    db: Database, now: datetime
) -> None:
    clock = FixedClock(now)
    last_month = f"{now.year}-{now.month - 1:02d}"
    added = load_demo_history(db, clock)
    assert added["history orders"] >= 7
    with db.unit_of_work() as session:
        assert issued_period(session, last_month) is not None
        statements = session.scalars(select(Statement).where(Statement.period == last_month)).all()
        scopes = {(s.scope, s.scope_key) for s in statements}
        supplier = session.scalar(
            select(Supplier.id).where(Supplier.credit_code.startswith(DEMO_SUPPLIER_CREDIT_PREFIX))
        )
        assert ("county", DEMO_COUNTY) in scopes and ("supplier", str(supplier)) in scopes
        assert {"county", "supplier", "partner"} <= {scope for scope, _key in scopes}
        assert all(s.status == "issued" and s.content_hash for s in statements)
        assert reconcile_period(session, last_month).balanced
        audit = audit_money(session, clock)
        assert audit.passed, [c.code for c in audit.checks if not c.passed]
        # The jammed slot's refund, and a sale of last month refunded this month.
        refunds = session.scalars(select(Refund).where(Refund.status == "succeeded")).all()
        assert {period_of(r.created_at) for r in refunds} == {last_month, period_of(now)}
        assert session.scalar(select(func.max(Order.updated_at))) <= now  # nothing in the future
        org = session.scalar(select(Organization).where(Organization.credit_code == DEMO_UNIT))
        progress = quota_progress(session, org.id, now.year, local_date(now))
        assert progress.months[now.month - 1] > 0


def test_loading_the_demo_history_again_adds_nothing(db: Database, clock: FixedClock) -> None:
    load_demo_history(db, clock)
    with db.unit_of_work() as session:
        orders = session.scalar(select(func.count(Order.id)))
    assert load_demo_history(db, clock) == {"history orders": 0, "statements": 0}
    with db.unit_of_work() as session:
        assert session.scalar(select(func.count(Order.id))) == orders
