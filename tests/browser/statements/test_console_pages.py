"""The operator dashboard and a statement page render with their charts, on a desktop and a phone."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import select

from core.clock import SHANGHAI, FixedClock
from core.db import Database
from kiosk_api.demo import demo_password
from sales.statements.issue import issue_period
from sales.statements.models import Statement
from tests.integration.statements.factories import make_month

VIEWPORTS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}


def seed(db: Database, clock: FixedClock) -> None:
    """October sold and issued; November selling up to the server's 'now'."""
    with db.unit_of_work() as session:
        make_month(session, clock, datetime(2026, 10, 1, tzinfo=SHANGHAI), orders=60, seed=3)
    with db.unit_of_work() as session:
        clock.set(datetime(2026, 11, 1, 9, 0, tzinfo=SHANGHAI))
        issue_period(session, clock, "2026-10", actor="browser-test")
    with db.unit_of_work() as session:
        make_month(session, clock, datetime(2026, 11, 1, tzinfo=SHANGHAI), orders=40, seed=4)


def _sign_in(page, base: str, role: str, then: str) -> None:
    page.goto(f"{base}/login?next={then}")
    page.fill("input[name=username]", f"demo-{role}")
    page.fill("input[name=password]", demo_password(role))
    with page.expect_navigation(url=f"{base}{then}"):
        page.click("form.login button")


def _charts_drawn(page, expected: int) -> None:
    charts = page.locator("svg.chart")
    assert charts.count() == expected
    for i in range(expected):
        box = charts.nth(i).bounding_box()
        assert box is not None and box["width"] > 250 and box["height"] > 30
        assert charts.nth(i).locator("rect").count() >= 1, "a chart with no bars"


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_dashboard_renders_its_charts(live_server, browser, artifacts, viewport) -> None:
    page = browser.new_page(viewport=VIEWPORTS[viewport])
    _sign_in(page, live_server.url, "operator", "/console/")
    assert page.locator("h1").inner_text().startswith("运营总览")
    _charts_drawn(page, 2)
    page.screenshot(path=str(artifacts / f"dashboard-{viewport}.png"), full_page=True)
    page.close()


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_statement_page_renders_its_charts(live_server, browser, artifacts, viewport) -> None:
    with live_server.db.unit_of_work() as session:
        statement = session.scalar(
            select(Statement)
            .where(Statement.period == "2026-10", Statement.scope == "county")
            .order_by(Statement.id)
        )
        key, digest = statement.scope_key, statement.content_hash
    page = browser.new_page(viewport=VIEWPORTS[viewport])
    _sign_in(page, live_server.url, "operator", f"/console/statements/2026-10/county/{key}")
    _charts_drawn(page, 2)
    assert digest in page.content()
    page.screenshot(path=str(artifacts / f"statement-{viewport}.png"), full_page=True)
    page.goto(f"{live_server.url}/console/statements?period=2026-10")
    page.screenshot(path=str(artifacts / f"statements-{viewport}.png"), full_page=True)
    page.goto(f"{live_server.url}/verify/{digest}")
    assert "真实有效" in page.content()
    page.screenshot(path=str(artifacts / f"verify-{viewport}.png"), full_page=True)
    page.close()
