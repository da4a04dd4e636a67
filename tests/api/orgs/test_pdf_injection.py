"""Buyer-typed text in the bulk-order invoice and the unit's certificate is printed as text:
reportlab markup in it is neither obeyed (no bold, no font, no image read from the server's disk)
nor a 500 (issue 13: `<img src="/path/on/server">` in an invoice title embedded that file)."""

from __future__ import annotations

import io
import re
import struct
import zlib
from pathlib import Path

import pytest
from pypdf import PdfReader

from tests.integration.orgs.factories import product

MARKUP = ["<b>x</b>", '<img src="/etc/passwd"/>', "<font size=40 color=red>big</font>", "a & b <br/> c"]


def png(path: Path) -> Path:
    """A real 2×2 PNG on the server's disk: what an <img> in the data would have embedded."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    raw = b"".join(b"\x00" + b"\xff\x00\x00" * 2 for _ in range(2))
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )
    return path


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def assert_literal_pdf(response, expected: list[str]) -> None:  # type: ignore[no-untyped-def]
    """A 200 PDF that pypdf opens, shows each string as typed and embeds no image."""
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    reader = PdfReader(io.BytesIO(response.data))
    text = squash("".join(page.extract_text() for page in reader.pages))
    for value in expected:
        assert squash(value) in text, value
    for page in reader.pages:
        assert len(page.images) == 0
        xobjects = page["/Resources"].get("/XObject") or {}
        assert all(x.get_object().get("/Subtype") != "/Image" for x in xobjects.values())


def _bulk_order(client, auth, session, org_id: int, delivery: dict[str, str]) -> str:  # type: ignore[no-untyped-def]
    rice = product(session, "YB-RICE-5KG")
    body = {"lines": [{"product": rice.id, "qty": 1}], "delivery": delivery}
    created = client.post(f"/api/v1/orgs/{org_id}/bulk-orders", json=body, headers=auth("org_buyer"))
    assert created.status_code == 201, created.get_json()
    order_id = created.get_json()["order_id"]
    approved = client.post(f"/api/v1/bulk-orders/{order_id}/approve", json={}, headers=auth("org_approver"))
    assert approved.status_code == 200, approved.get_json()
    return order_id


@pytest.mark.parametrize("markup", MARKUP)
def test_invoice_prints_markup_in_the_buyers_fields_as_text(client, auth, session, units, markup) -> None:
    org = units["a"].org
    org.name_zh = f"机关{markup}"
    session.commit()
    delivery = {
        "contact_name": markup[:64],
        "phone": "0574-87000000",
        "address": f"宁波市{markup}",
        "invoice_title": f"抬头{markup}",
        "tax_id": org.credit_code,
    }
    order_id = _bulk_order(client, auth, session, org.id, delivery)
    invoice = client.get(f"/api/v1/bulk-orders/{order_id}/invoice", headers=auth("org_buyer"))
    assert_literal_pdf(invoice, [f"机关{markup}", f"抬头{markup}", f"宁波市{markup}"])


def test_invoice_embeds_no_image_from_a_path_in_the_data(client, auth, session, units, tmp_path) -> None:
    picture = png(tmp_path / "secret.png")
    title = f'<img src="{picture}" width="40" height="40"/>'
    org = units["a"].org
    delivery = {
        "contact_name": "王科长",
        "phone": "0574-87000000",
        "address": "宁波市鄞州区某路 1 号",
        "invoice_title": title,
        "tax_id": org.credit_code,
    }
    order_id = _bulk_order(client, auth, session, org.id, delivery)
    invoice = client.get(f"/api/v1/bulk-orders/{order_id}/invoice", headers=auth("org_buyer"))
    assert_literal_pdf(invoice, [title])


@pytest.mark.parametrize("markup", MARKUP)
def test_certificate_prints_markup_in_the_units_and_suppliers_names_as_text(
    client, auth, session, units, tmp_path, markup
) -> None:
    picture = png(tmp_path / "secret.png")
    org = units["a"].org
    org.name_zh, org.name_en = f"机关{markup}", f'<img src="{picture}"/>'
    rice = product(session, "YB-RICE-5KG")
    rice.supplier.name_zh = f"合作社{markup}"
    session.commit()
    order_id = units["order_a"]
    total = client.get(f"/api/v1/bulk-orders/{order_id}", headers=auth("operator")).get_json()["total_fen"]
    paid = client.post(
        f"/api/v1/bulk-orders/{order_id}/mark-paid",
        json={"bank_reference": "ICBC-INJECT-1", "amount_fen": total},
        headers=auth("operator"),
    )
    assert paid.status_code == 200, paid.get_json()
    certificate = client.get(f"/api/v1/orgs/{org.id}/certificate?year=2026", headers=auth("org_approver"))
    assert_literal_pdf(certificate, [f"机关{markup}", f'<img src="{picture}"/>', f"合作社{markup}"])
