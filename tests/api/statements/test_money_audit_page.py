"""The auditor's money audit page: every check of `dongxi audit money` passed or failed, the orders
that break one named and linked, the failing rows as CSV, and closed to the roles without access."""

from __future__ import annotations

import csv
import io
from datetime import datetime

import pytest
from sqlalchemy import insert, select, update

from core.clock import SHANGHAI
from payments.models import Refund
from sales.models import CommissionRate, RevenueEntry
from sales.money_audit import LABELS
from sales.statements.issue import issue_period
from tests.api.test_login import sign_in
from tests.integration.statements.factories import make_month

AFTER_OCTOBER = datetime(2026, 11, 2, 10, 0, tzinfo=SHANGHAI)
CHECKS = len(LABELS)


@pytest.fixture
def october(session, clock):  # type: ignore[no-untyped-def]
    """October 2026 sold (refunds paid out) and issued on 2 November; the clock stays there."""
    for channel, bp in (("kiosk", 800), ("storefront", 500), ("bulk", 300), ("shop", 650)):
        session.add(CommissionRate(channel=channel, supplier_id=None, basis_points=bp))
    month = make_month(session, clock, datetime(2026, 10, 1, tzinfo=SHANGHAI), orders=20, seed=5)
    session.execute(update(Refund).where(Refund.status == "pending").values(status="succeeded"))
    session.commit()
    clock.set(AFTER_OCTOBER)
    issue_period(session, clock, "2026-10", actor="test")
    session.commit()
    return month


def _stray_entry(session, clock, order) -> RevenueEntry:  # type: ignore[no-untyped-def]
    """A second copy of one of the order's sale entries, written behind the services' back (dated
    November: the ledger refuses UPDATE, so corruption can only add)."""
    sale = session.scalars(
        select(RevenueEntry).where(RevenueEntry.order_id == order.id).order_by(RevenueEntry.id)
    ).first()
    columns = {c.key: getattr(sale, c.key) for c in RevenueEntry.__table__.columns if c.key != "id"}
    session.execute(insert(RevenueEntry).values(columns | {"period": "2026-11", "at": clock.now()}))
    session.commit()
    return sale


def _states(html: str) -> tuple[int, int]:
    """(passed, failed) in the table of checks."""
    checks = html.split('<table class="data rows checks">', 1)[1].split("</table>", 1)[0]
    return checks.count('class="check-state pass"'), checks.count('class="check-state fail"')


def test_every_check_passes_on_the_demo_data(client) -> None:
    sign_in(client, "auditor")
    for query in ("", "?period=all", "?period=2026-10"):
        response = client.get(f"/console/audit/money{query}")
        assert response.status_code == 200, query
        html = response.get_data(as_text=True)
        assert _states(html) == (CHECKS, 0), query
        assert f"全部 {CHECKS} 项通过" in html and "北京时间" in html
        for zh, en in LABELS.values():
            assert zh in html and en in html


def test_the_default_is_the_last_finished_month_and_the_console_links_it(client, october) -> None:
    sign_in(client, "auditor")
    html = client.get("/console/audit/money").get_data(as_text=True)
    assert '<option value="2026-10" selected>' in html  # the clock is in November
    assert _states(html) == (CHECKS, 0)
    assert "¥" in html and "已出账" in html  # the month-by-month figures, in yuan
    assert 'href="/console/audit/money"' in client.get("/console/statements").get_data(as_text=True)


def test_a_stray_revenue_entry_fails_and_the_page_names_the_order(session, client, clock, october) -> None:
    order = october.orders[4]
    sale = _stray_entry(session, clock, order)
    sign_in(client, "auditor")
    html = client.get("/console/audit/money?period=2026-11").get_data(as_text=True)
    assert _states(html) == (CHECKS - 4, 4)
    assert f"4 项未通过（共 {CHECKS} 项）" in html
    section = html.split('id="orders_match_ledger"', 1)[1].split("</section>", 1)[0]
    assert f'href="/console/orders/{order.id}"' in section and f"<code>{order.id[:8]}</code>" in section
    assert order.lines[0].name_zh in section
    yuan = f"¥{sale.amount_fen // 100:,}.{sale.amount_fen % 100:02d}"
    difference = f'data-label="差额 Difference" class="num">{yuan}<'
    assert difference in section
    assert "/console/orders/" + order.id in client.get("/console/audit/money").get_data(as_text=True)


def test_a_failed_refund_is_listed_with_its_order_and_beijing_time(session, client, october) -> None:
    refund = session.scalars(select(Refund).order_by(Refund.id)).first()
    session.execute(update(Refund).where(Refund.id == refund.id).values(status="failed"))
    session.commit()
    sign_in(client, "auditor")
    html = client.get("/console/audit/money").get_data(as_text=True)
    section = html.split('id="failed_refunds"', 1)[1].split("</section>", 1)[0]
    order_id = refund.payment.order_id
    assert f'href="/console/orders/{order_id}"' in section
    assert "申请时间" in section
    assert refund.created_at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M 北京时间") in section


def test_the_csv_holds_the_failing_rows(session, client, clock, october) -> None:
    sign_in(client, "auditor")
    passing = client.get("/console/audit/money.csv?period=2026-10")
    assert passing.status_code == 200 and passing.mimetype == "text/csv"
    assert "attachment" in passing.headers["Content-Disposition"]
    order = october.orders[2]
    sale = _stray_entry(session, clock, order)
    response = client.get("/console/audit/money.csv?period=2026-11")
    text = response.data.decode("utf-8-sig")
    lines = list(csv.reader(io.StringIO(text)))
    blank = lines.index([])
    keys = lines[blank + 2]
    rows = [dict(zip(keys, line, strict=True)) for line in lines[blank + 3 :]]
    assert {r["check"] for r in rows} == {
        "orders_match_ledger",
        "no_uncaptured_revenue",
        "statements_match_ledger",
        "rollup_matches_ledger",
    }
    [row] = [r for r in rows if r["check"] == "orders_match_ledger"]
    assert row["order_id"] == order.id
    assert row["difference_fen"] == f"{sale.amount_fen // 100}.{sale.amount_fen % 100:02d}"
    quiet = list(csv.reader(io.StringIO(passing.data.decode("utf-8-sig"))))
    assert quiet[quiet.index([]) + 2] == ["check", "check_label"] and quiet[-1] == ["check", "check_label"]
    assert "2026-11" in response.headers["Content-Disposition"]


def test_english_comes_first_when_the_visitor_switches_to_it(client) -> None:
    sign_in(client, "auditor")
    html = client.get("/console/audit/money?lang=en").get_data(as_text=True)
    assert 'Money audit <span class="alt" lang="zh-CN">资金核查</span>' in html
    assert 'passed <span class="alt" lang="zh-CN">通过</span>' in html


@pytest.mark.parametrize("role", ["operator", "admin"])
def test_staff_may_read_it(client, role) -> None:
    sign_in(client, role)
    assert client.get("/console/audit/money").status_code == 200


@pytest.mark.parametrize("role", ["supplier", "county", "restocker", "org_buyer"])
def test_other_roles_get_the_consoles_refusal(client, role) -> None:
    sign_in(client, role)
    for path in ("/console/audit/money", "/console/audit/money.csv"):
        response = client.get(path)
        assert response.status_code == 403, path
        assert "无权访问" in response.get_data(as_text=True)


def test_anonymous_visitors_are_sent_to_sign_in(client) -> None:
    response = client.get("/console/audit/money?period=2026-10")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_money_owed_back_shows_as_owed_with_its_order_not_as_a_failure(session, client, clock) -> None:
    from tests.integration.orgs.test_payouts import paid_by_transfer

    order, _payment = paid_by_transfer(session, clock, extra_fen=15_000)  # ¥150 more than the total
    session.commit()
    sign_in(client, "auditor")
    html = client.get("/console/audit/money?period=all").get_data(as_text=True)
    assert "✗" not in html  # nothing fails: the surplus is owed back and recorded as such
    assert 'data-check="overpayments"' in html and "应退，已登记" in html
    owing = html[html.index('id="overpayments"') :]
    assert order.id[:8] in owing and "¥150.00" in owing
