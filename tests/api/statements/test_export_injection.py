"""Names users typed reach the statement CSV/XLSX and the money audit CSV as text a spreadsheet
shows, never as a formula it runs (OWASP CSV injection; issue 13: a product named =HYPERLINK(…)
was a live formula in an issued statement), while amounts stay numbers, negative ones too; and
markup in a supplier's name is printed as text in the statement PDF."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import select, update

from catalogue.models import Product
from core.clock import SHANGHAI
from payments.models import Refund
from tests.api.orgs.test_pdf_injection import assert_literal_pdf
from tests.api.statements.test_money_audit_page import _stray_entry
from tests.api.test_login import sign_in
from tests.integration.statements.factories import make_month

AFTER_OCTOBER = datetime(2026, 11, 2, 10, 0, tzinfo=SHANGHAI)
FORMULAS = ['=HYPERLINK("http://evil.example","x")', "+1+2", "-1+2", "@SUM(1+1)", "\t=1+2", "\r=1+2"]
SUPPLIER = '=HYPERLINK("http://evil.example","s")<b>b</b><img src="/etc/passwd"/>'
AMOUNT_COLUMNS = ("gross", "refunds", "net", "commission", "net_payable")


@pytest.fixture
def formula_month(session, clock, client, auth):  # type: ignore[no-untyped-def]
    """October 2026 sold with every active product named like a formula, and one supplier named
    like a formula with markup; issued on 2 November. Returns (statements, that supplier's id)."""
    products = list(session.scalars(select(Product).where(Product.active).order_by(Product.id)))
    for i, product in enumerate(products):
        product.name_zh = f"{FORMULAS[i % len(FORMULAS)]}{product.name_zh}"[:128]
    supplier = products[0].supplier
    supplier.name_zh = SUPPLIER
    make_month(session, clock, datetime(2026, 10, 1, tzinfo=SHANGHAI), orders=30, seed=11)
    session.execute(update(Refund).where(Refund.status == "pending").values(status="succeeded"))
    session.commit()
    clock.set(AFTER_OCTOBER)
    assert client.post("/api/v1/statements/2026-10/issue", headers=auth("admin")).status_code == 200
    statements = client.get("/api/v1/statements?period=2026-10", headers=auth("admin")).get_json()
    return statements, supplier.id


def _supplier_statement(statements, supplier_id: int) -> dict:  # type: ignore[no-untyped-def]
    return next(s for s in statements if s["scope"] == "supplier" and s["key"] == str(supplier_id))


def test_statement_csv_neutralises_formula_names_and_keeps_amounts_numeric(
    session, client, auth, formula_month
) -> None:
    statements, supplier_id = formula_month
    mine = _supplier_statement(statements, supplier_id)
    response = client.get(f"/api/v1/statements/{mine['id']}.csv", headers=auth("admin"))
    assert response.status_code == 200
    lines = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    header = dict(line for line in lines[: lines.index([])])
    assert header["对象 Subject"].startswith("'" + SUPPLIER)
    keys = lines[lines.index([]) + 2]
    rows = [dict(zip(keys, line, strict=True)) for line in lines[lines.index([]) + 3 :]]
    products = [r for r in rows if r["section"] == "product"]
    assert products
    for row in products:
        typed = row["name_zh"][1:]
        assert row["name_zh"].startswith("'") and typed.startswith(tuple(FORMULAS)), row["name_zh"]
    starts = {next(f for f in FORMULAS if r["name_zh"][1:].startswith(f)) for r in products}
    assert len(starts) >= 4, starts
    amounts = [row[column] for row in rows for column in AMOUNT_COLUMNS]
    assert all(Decimal(a) is not None for a in amounts)  # numbers as written, minus sign and all
    assert any(a.startswith("-") for a in amounts)


def test_statement_xlsx_holds_no_formula_and_amounts_stay_numbers(client, auth, formula_month) -> None:
    statements, supplier_id = formula_month
    counties = [s for s in statements if s["scope"] == "county"][:2]
    for statement in [_supplier_statement(statements, supplier_id), *counties]:
        response = client.get(f"/api/v1/statements/{statement['id']}.xlsx", headers=auth("admin"))
        assert response.status_code == 200
        sheet = load_workbook(io.BytesIO(response.data)).active
        cells = [cell for row in sheet.iter_rows() for cell in row]
        assert all(cell.data_type != "f" for cell in cells)
        values = [[cell.value for cell in row] for row in sheet.iter_rows()]
        keys = next(row for row in values if row and row[0] == "section")
        body = [dict(zip(keys, row, strict=True)) for row in values[values.index(keys) + 1 :]]
        products = [r for r in body if r["section"] == "product"]
        assert products
        for row in products:
            assert isinstance(row["name_zh"], str) and row["name_zh"].startswith("'")
            # XML keeps no carriage return: the "\r=1+2" name reads back as "\n=1+2".
            assert row["name_zh"][1:].startswith(tuple(f.replace("\r", "\n") for f in FORMULAS)), row[
                "name_zh"
            ]
        for row in body:
            for column in AMOUNT_COLUMNS:
                assert isinstance(row[column], (int, float, Decimal)), (column, row[column])


def test_supplier_subject_in_xlsx_header_is_neutralised(session, client, auth, formula_month) -> None:
    statements, supplier_id = formula_month
    mine = _supplier_statement(statements, supplier_id)
    sheet = load_workbook(
        io.BytesIO(client.get(f"/api/v1/statements/{mine['id']}.xlsx", headers=auth("admin")).data)
    ).active
    subject = next(row for row in sheet.iter_rows() if row[0].value == "对象 Subject")[1]
    assert subject.data_type == "s" and subject.value.startswith("'" + SUPPLIER)


def test_statement_pdf_prints_the_suppliers_markup_as_text(client, auth, formula_month) -> None:
    statements, supplier_id = formula_month
    mine = _supplier_statement(statements, supplier_id)
    response = client.get(f"/api/v1/statements/{mine['id']}.pdf", headers=auth("admin"))
    assert_literal_pdf(response, [SUPPLIER])


def test_money_audit_csv_neutralises_the_products_named_like_formulas(session, client, clock) -> None:
    products = list(session.scalars(select(Product).where(Product.active).order_by(Product.id)))
    for i, product in enumerate(products):
        product.name_zh = f"{FORMULAS[i % len(FORMULAS)]}{product.name_zh}"[:128]
    month = make_month(session, clock, datetime(2026, 10, 1, tzinfo=SHANGHAI), orders=6, seed=5)
    session.commit()
    clock.set(AFTER_OCTOBER)
    _stray_entry(session, clock, month.orders[2])
    sign_in(client, "auditor")
    response = client.get("/console/audit/money.csv?period=2026-11")
    assert response.status_code == 200
    lines = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    keys = lines[lines.index([]) + 2]
    rows = [dict(zip(keys, line, strict=True)) for line in lines[lines.index([]) + 3 :]]
    [row] = [r for r in rows if r["check"] == "orders_match_ledger"]
    # The audit strips the names it joins: "\t=1+2…" arrives as "=1+2…", a formula all the same.
    assert row["products"].startswith("'"), row["products"]
    assert row["products"][1:].startswith(tuple(f.strip() for f in FORMULAS)), row["products"]
    for name, value in row.items():
        if name.endswith("_fen") and value:
            Decimal(value)  # amounts are numbers, not neutralised text
