"""What the unit's documents say (issue 15): the pro-forma invoice gives the amount in Chinese
capitals and the payment deadline in Beijing time; the certificate gives the suppliers' household
count as their own registration, not as households the unit helped."""

from __future__ import annotations

import io
import re

from pypdf import PdfReader

from core.clock import local_minute
from core.money import fen_in_capitals, format_fen
from sales.models import Order
from tests.integration.orgs.factories import product
from tests.pdf_pages import save_pages


def _text(body: bytes) -> str:
    return re.sub(r"\s+", "", "".join(page.extract_text() for page in PdfReader(io.BytesIO(body)).pages))


def _invoice(client, auth, order_id: str) -> bytes:  # type: ignore[no-untyped-def]
    response = client.get(f"/api/v1/bulk-orders/{order_id}/invoice", headers=auth("org_buyer"))
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    return response.data


def _pay(client, auth, order_id: str, amount_fen: int, reference: str) -> None:  # type: ignore[no-untyped-def]
    paid = client.post(
        f"/api/v1/bulk-orders/{order_id}/mark-paid",
        json={"bank_reference": reference, "amount_fen": amount_fen},
        headers=auth("operator"),
    )
    assert paid.status_code == 200, paid.get_json()


def test_the_invoice_gives_the_total_in_capitals_and_the_deadline_in_beijing_time(
    client, auth, session, units
) -> None:
    order = session.get(Order, units["order_a"])
    body = _invoice(client, auth, order.id)
    save_pages(body, "invoice-awaiting-payment")
    text = _text(body)
    assert "合计金额（大写）" in text and f"人民币{fen_in_capitals(order.total_fen)}" in text
    assert "大写：人民币" + fen_in_capitals(order.total_fen) in text  # nothing received yet: all outstanding
    assert f"付款期限Payby：{local_minute(order.expires_at)}北京时间".replace(" ", "") in text


def test_a_part_paid_invoice_writes_what_is_still_owed_in_capitals(client, auth, session, units) -> None:
    order = session.get(Order, units["order_a"])
    _pay(client, auth, order.id, order.total_fen - 1005, "ICBC-PART-1")
    text = _text(_invoice(client, auth, order.id))
    assert f"待付Outstanding：{format_fen(1005)}大写：人民币壹拾元零伍分" in text
    assert f"人民币{fen_in_capitals(order.total_fen)}" in text and "付款期限Payby" in text


def test_a_paid_invoice_has_no_deadline_left(client, auth, session, units) -> None:
    order = session.get(Order, units["order_a"])
    _pay(client, auth, order.id, order.total_fen, "ICBC-FULL-1")
    body = _invoice(client, auth, order.id)
    save_pages(body, "invoice-paid")
    text = _text(body)
    assert "已付清PaidinFull".lower() in text.lower() and "付款期限Payby" not in text
    assert "大写：人民币零元整" in text


def test_the_certificate_says_whose_household_count_it_is(client, auth, session, units) -> None:
    order = session.get(Order, units["order_a"])
    _pay(client, auth, order.id, order.total_fen, "ICBC-CERT-1")
    households = product(session, "YB-RICE-5KG").supplier.households_linked
    org_id = units["a"].org.id
    response = client.get(f"/api/v1/orgs/{org_id}/certificate?year=2026", headers=auth("org_approver"))
    assert response.status_code == 200
    save_pages(response.data, "certificate")
    text = _text(response.data)
    assert f"涉及供应商带动农户{households}户（供应商登记数，非本单位帮扶户数）" in text
    assert "联农带农" not in text and "帮扶供应商" not in text  # no claim that the unit helped them
