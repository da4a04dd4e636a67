"""Members' own storefront purchases count toward their unit; the quota view and the certificate
read the same figures as the revenue ledger, refunds included; the certificate's hash verifies."""

from __future__ import annotations

import io
from datetime import date

from pypdf import PdfReader
from sqlalchemy import func, select

from core.money import format_fen
from sales import bulk, certificates, org_quota
from sales.models import RevenueEntry
from sales.org_pdf import render_certificate
from sales.payment_flow import request_refund, sync_payment
from sales.storefront import place_order

from .factories import approved_order, demo_unit, other_unit, product

CONTACT = {"name": "林", "phone": "13800138000", "address": "宁波市海曙区某路 2 号"}


def _paid_storefront_order(session, clock, user_id, sku, qty):  # type: ignore[no-untyped-def]
    order, payment = place_order(
        session,
        clock,
        items=[{"product": product(session, sku).id, "qty": qty}],
        contact=CONTACT,
        provider="simulated",
        user_id=user_id,
    )
    session.flush()
    sync_payment(
        session, clock, payment, status="succeeded", received=order.total_fen, refunded=None, actor="test"
    )
    session.flush()
    return order, payment


def _ledger(session, org_id):  # type: ignore[no-untyped-def]
    return session.scalar(
        select(func.coalesce(func.sum(RevenueEntry.amount_fen), 0)).where(
            RevenueEntry.organization_id == org_id
        )
    )


def test_a_members_own_storefront_purchase_counts_toward_the_unit(session, clock) -> None:
    unit = demo_unit(session, clock)
    order, _payment = _paid_storefront_order(session, clock, unit.buyer.id, "GY-HONEY-500G", 2)
    assert (order.organization_id, order.buyer_kind, order.channel) == (
        unit.org.id,
        "government",
        "storefront",
    )
    entries = session.scalars(select(RevenueEntry).where(RevenueEntry.order_id == order.id)).all()
    assert {(e.organization_id, e.buyer_kind) for e in entries} == {(unit.org.id, "government")}
    anonymous, _ = _paid_storefront_order(session, clock, None, "GY-HONEY-500G", 1)
    assert (anonymous.organization_id, anonymous.buyer_kind) == (None, "individual")


def test_quota_progress_by_month_county_and_channel_matches_the_ledger(session, clock) -> None:
    unit = demo_unit(session, clock)
    order, _ = approved_order(session, clock, unit, [("YB-RICE-5KG", 4), ("QXN-PUAN-RED-250G", 2)])
    bulk.record_bank_transfer(
        session, clock, order.id, bank_reference="Q-1", amount_fen=order.total_fen, actor="op"
    )
    own, _ = _paid_storefront_order(session, clock, unit.approver.id, "GY-HONEY-500G", 1)
    today = date(2026, 11, 26)
    progress = org_quota.quota_progress(session, unit.org.id, 2026, today)
    total = order.total_fen + own.total_fen
    assert progress.purchased_fen == total == _ledger(session, unit.org.id)
    assert progress.months[10] == total and sum(progress.months) == total
    assert progress.channels == {"bulk": order.total_fen, "storefront": own.total_fen}
    assert sum(c.amount_fen for c in progress.counties) == total
    # ¥300,000 spread over 2026: 330 of 365 days have begun on 26 November.
    assert progress.quota_fen == 30_000_000
    assert progress.expected_to_date_fen == 30_000_000 * 330 // 365 + (
        1 if 30_000_000 * 330 % 365 * 2 >= 365 else 0
    )
    assert progress.behind
    behind = org_quota.units_behind_quota(session, 2026, today)
    assert unit.org.id in {p.organization.id for p in behind}


def test_expected_to_date_spreads_the_quota_over_the_year() -> None:
    assert org_quota.expected_to_date(36_500, 2026, date(2026, 1, 1)) == 100
    assert org_quota.expected_to_date(36_500, 2026, date(2026, 12, 31)) == 36_500
    assert org_quota.expected_to_date(36_500, 2026, date(2027, 3, 1)) == 36_500
    assert org_quota.expected_to_date(36_500, 2026, date(2025, 12, 31)) == 0


def test_certificate_figures_are_the_ledgers_net_of_refunds(session, clock) -> None:
    unit, other = demo_unit(session, clock), other_unit(session, clock)
    order, _ = approved_order(session, clock, unit, [("YB-RICE-5KG", 3), ("QXN-PUAN-RED-250G", 2)])
    bulk.record_bank_transfer(
        session, clock, order.id, bank_reference="C-1", amount_fen=order.total_fen, actor="op"
    )
    own, payment = _paid_storefront_order(session, clock, unit.buyer.id, "GY-HONEY-500G", 2)
    _paid_storefront_order(session, clock, other.buyer.id, "GY-HONEY-500G", 5)  # another unit's
    request_refund(session, clock, own, payment, [(own.lines[0], 1)], reason="damaged", actor="test")
    session.flush()

    figures = certificates.certificate_figures(session, unit.org.id, 2026)
    ledger = _ledger(session, unit.org.id)
    assert figures["total_fen"] == ledger == order.total_fen + own.total_fen // 2
    assert figures["bulk_fen"] == order.total_fen and figures["members_fen"] == own.total_fen // 2
    assert sum(c["amount_fen"] for c in figures["counties"]) == ledger
    assert sum(s["amount_fen"] for s in figures["suppliers"]) == ledger
    assert figures["households_linked"] == sum(s["households_linked"] for s in figures["suppliers"])
    assert figures["orders"] == 2
    assert certificates.certificate_figures(session, unit.org.id, 2025)["total_fen"] == 0


def test_issuing_twice_gives_one_certificate_and_a_later_sale_a_new_one(session, clock) -> None:
    unit = demo_unit(session, clock)
    _paid_storefront_order(session, clock, unit.buyer.id, "GY-HONEY-500G", 1)
    first = certificates.issue_certificate(session, clock, unit.org.id, 2026, actor="t")
    assert certificates.issue_certificate(session, clock, unit.org.id, 2026, actor="t").id == first.id
    assert certificates.find_certificate(session, first.content_hash).figures == first.figures
    assert certificates.still_matches_ledger(session, first)
    _paid_storefront_order(session, clock, unit.buyer.id, "GY-HONEY-500G", 1)
    assert not certificates.still_matches_ledger(session, first)
    second = certificates.issue_certificate(session, clock, unit.org.id, 2026, actor="t")
    assert second.content_hash != first.content_hash
    assert second.figures["total_fen"] == _ledger(session, unit.org.id)


def test_the_certificate_pdf_text_shows_the_ledger_totals(session, clock) -> None:
    unit = demo_unit(session, clock)
    order, _ = approved_order(session, clock, unit, [("YB-RICE-5KG", 12), ("QXN-PUAN-RED-250G", 7)])
    bulk.record_bank_transfer(
        session, clock, order.id, bank_reference="P-9", amount_fen=order.total_fen, actor="op"
    )
    issued = certificates.issue_certificate(session, clock, unit.org.id, 2026, actor="t")
    pdf = render_certificate(
        issued.figures,
        verify_url=f"http://dongxi.test/verify/certificate/{issued.content_hash}",
        content_hash=issued.content_hash,
        issued_at=issued.issued_at,
    )
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    ledger = _ledger(session, unit.org.id)
    assert format_fen(ledger) in text and format_fen(ledger) == "¥1,614.80"
    for county in issued.figures["counties"]:
        assert county["name_zh"] in text and format_fen(county["amount_fen"]) in text
    assert unit.org.name_zh in text and issued.content_hash in text
    assert f"http://dongxi.test/verify/certificate/{issued.content_hash}" in text.replace(
        "\n", ""
    )  # printed on two lines
