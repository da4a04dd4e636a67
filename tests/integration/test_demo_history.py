"""The demo's history (`dongxi demo load`): last month sold through the services and issued, and
this month's purchases of the demo unit; made once."""

from __future__ import annotations

from sqlalchemy import func, select

from core.clock import FixedClock, local_date
from core.db import Database
from kiosk_api.demo import DEMO_COUNTY
from kiosk_api.demo_history import DEMO_UNIT, load_demo_history
from payments.models import Refund
from sales.models import Order
from sales.money_audit import audit_money
from sales.org_models import Organization
from sales.org_quota import quota_progress
from sales.statements.balance_check import reconcile_period
from sales.statements.issue import issued_period
from sales.statements.models import Statement
from tests.conftest import TEST_NOW

LAST_MONTH = "2026-10"  # TEST_NOW is in November 2026


def test_the_demo_history_issues_last_month_that_reconciles_and_fills_the_quota_chart(
    db: Database, clock: FixedClock
) -> None:
    added = load_demo_history(db, clock)
    assert added["history orders"] >= 7
    with db.unit_of_work() as session:
        assert issued_period(session, LAST_MONTH) is not None
        statements = session.scalars(select(Statement).where(Statement.period == LAST_MONTH)).all()
        scopes = {(s.scope, s.scope_key) for s in statements}
        assert ("county", DEMO_COUNTY) in scopes
        assert any(scope == "supplier" for scope, _key in scopes)
        assert all(s.status == "issued" and s.content_hash for s in statements)
        assert reconcile_period(session, LAST_MONTH).balanced
        audit = audit_money(session, clock)
        assert audit.passed, [c.code for c in audit.checks if not c.passed]
        # The jammed slot's refund, and a sale of last month refunded this month.
        refunds = session.scalars(select(Refund).where(Refund.status == "succeeded")).all()
        assert any(r.created_at.month == TEST_NOW.month for r in refunds)
        assert any(r.created_at.month == 10 for r in refunds)
        org = session.scalar(select(Organization).where(Organization.credit_code == DEMO_UNIT))
        progress = quota_progress(session, org.id, TEST_NOW.year, local_date(TEST_NOW))
        assert progress.purchased_fen > 0
        assert progress.months[TEST_NOW.month - 1] > 0


def test_loading_the_demo_history_again_adds_nothing(db: Database, clock: FixedClock) -> None:
    load_demo_history(db, clock)
    with db.unit_of_work() as session:
        orders = session.scalar(select(func.count(Order.id)))
    assert load_demo_history(db, clock) == {"history orders": 0, "statements": 0}
    with db.unit_of_work() as session:
        assert session.scalar(select(func.count(Order.id))) == orders
