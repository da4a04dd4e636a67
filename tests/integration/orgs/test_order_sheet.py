"""Reading a bulk order from CSV or XLSX: every bad row is reported with its row number and column."""

from __future__ import annotations

import io

import pytest
from openpyxl import Workbook

from core.errors import InvalidInput
from sales.org_upload import read_order_sheet

from .factories import product


def _xlsx(rows: list[list[object]]) -> bytes:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_a_clean_csv_gives_merged_lines(session) -> None:
    data = b"sku,qty\nYB-RICE-5KG,20\nqxn-puan-red-250g,3\nYB-RICE-5KG,5\n,\n"
    result = read_order_sheet(session, "order.csv", data)
    assert result.errors == [] and result.rows_read == 3
    assert dict(result.lines) == {
        product(session, "YB-RICE-5KG").id: 25,
        product(session, "QXN-PUAN-RED-250G").id: 3,
    }


def test_excel_csv_in_gb18030_with_chinese_headers_and_gtins(session) -> None:
    tea = product(session, "QXN-PUAN-RED-250G")
    data = f"条码,数量,备注\n{tea.gtin},4,工会\n".encode("gb18030")
    assert read_order_sheet(session, "订单.CSV", data).lines == [(tea.id, 4)]


def test_each_bad_row_is_reported_with_its_row_and_column(session) -> None:
    data = b"sku,qty\nYB-RICE-5KG,2\nNOPE,1\nYB-KIMCHI-1KG,0\nYB-RICE-5KG,2.5\n,3\n"
    result = read_order_sheet(session, "order.csv", data)
    assert [(e.row, e.column, e.value) for e in result.errors] == [
        (3, "sku", "NOPE"),
        (4, "qty", "0"),
        (5, "qty", "2.5"),
        (6, "sku", ""),
    ]
    assert result.errors[0].message_en == "unknown product" and result.errors[0].message_zh == "没有这个商品"
    assert not result.ok and result.lines == [(product(session, "YB-RICE-5KG").id, 2)]


def test_an_xlsx_sheet_is_read_like_a_csv(session) -> None:
    data = _xlsx([["商品编码", "数量"], ["YB-RICE-5KG", 6], ["TR-SINAN-BEEF-1KG", 2.0], ["X-1", "a"]])
    result = read_order_sheet(session, "order.xlsx", data)
    assert dict(result.lines) == {
        product(session, "YB-RICE-5KG").id: 6,
        product(session, "TR-SINAN-BEEF-1KG").id: 2,
    }
    assert [(e.row, e.column) for e in result.errors] == [(4, "sku"), (4, "qty")]


@pytest.mark.parametrize(
    ("name", "data", "code"),
    [
        ("order.pdf", b"%PDF", "unsupported_file"),
        ("order.csv", b"", "empty_sheet"),
        ("order.csv", b"product,amount\nA,1\n", "sheet_header"),
        ("order.csv", b"sku,qty\n", "empty_sheet"),
        ("order.xlsx", b"not a zip", "invalid_input"),
    ],
)
def test_files_that_are_no_order_sheet_are_refused(session, name, data, code) -> None:
    with pytest.raises(InvalidInput) as error:
        read_order_sheet(session, name, data)
    assert error.value.code == code
