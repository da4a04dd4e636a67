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


# --- sheets are bounded (issue 13): what used to be a 500 or a minute of work is refused at once ---


@pytest.mark.parametrize("qty", ["²", "٣", "1" * 200, "+3", " 3 4", "0x10"])
def test_a_quantity_that_is_no_plain_number_is_a_row_error(session, qty) -> None:
    data = f"sku,qty\nYB-RICE-5KG,{qty}\n".encode()
    result = read_order_sheet(session, "order.csv", data)
    assert [(e.row, e.column) for e in result.errors] == [(2, "qty")]
    assert len(result.errors[0].value) <= 64, "the row error quotes a bounded part of the cell"


def test_a_csv_field_over_the_csv_limit_is_refused(session) -> None:
    data = b"sku,qty\n" + b'"' + b"A" * 140_000 + b'",1\n'
    with pytest.raises(InvalidInput) as error:
        read_order_sheet(session, "order.csv", data)
    assert "file" in error.value.fields


@pytest.mark.parametrize("row", [b"A" * 5_000 + b",1", b"YB-RICE-5KG," + b"1" * 5_000])
def test_a_long_cell_is_refused(session, row) -> None:
    with pytest.raises(InvalidInput) as error:
        read_order_sheet(session, "order.csv", b"sku,qty\n" + row + b"\n")
    assert error.value.code == "sheet_cell_too_long"


def test_a_sheet_of_a_million_empty_rows_is_refused_quickly(session) -> None:
    import time

    started = time.monotonic()
    with pytest.raises(InvalidInput) as error:
        read_order_sheet(session, "order.csv", b"sku,qty\n" + b",\n" * 1_000_000)
    assert error.value.code == "sheet_too_long"
    assert time.monotonic() - started < 5


def _rezip(data: bytes, replace: dict[str, bytes]) -> bytes:
    import zipfile

    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            target.writestr(item.filename, replace.get(item.filename, source.read(item.filename)))
    return out.getvalue()


SHEET_NS = b"http://schemas.openxmlformats.org/spreadsheetml/2006/main"
HEADER_ROW = (
    b'<row r="1"><c r="A1" t="inlineStr"><is><t>sku</t></is></c>'
    b'<c r="B1" t="inlineStr"><is><t>qty</t></is></c></row>'
)


@pytest.mark.parametrize(
    "rows",
    [
        HEADER_ROW + b'<row r="2"><c r="A2" t="n"><v>abc</v></c></row>',  # a number that is none
        b'<row r="1"><c r="A1" t="s"><v>999</v></c></row>',  # a shared string that does not exist
    ],
)
def test_an_xlsx_that_fails_while_its_rows_are_read_is_refused(session, rows) -> None:
    sheet = b'<worksheet xmlns="' + SHEET_NS + b'"><sheetData>' + rows + b"</sheetData></worksheet>"
    broken = _rezip(_xlsx([["sku", "qty"]]), {"xl/worksheets/sheet1.xml": sheet})
    with pytest.raises(InvalidInput) as error:
        read_order_sheet(session, "order.xlsx", broken)
    assert "file" in error.value.fields


def test_an_xlsx_that_decompresses_past_the_limit_is_refused_before_it_is_read(session) -> None:
    import time

    rows = b"<row/>" * 2_000_000  # 12 MB unpacked, a few KB packed
    sheet = (
        b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/'
        b'spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>sku</t></is></c>'
        b'<c r="B1" t="inlineStr"><is><t>qty</t></is></c></row>' + rows + b"</sheetData></worksheet>"
    )
    bomb = _rezip(_xlsx([["sku", "qty"]]), {"xl/worksheets/sheet1.xml": sheet})
    assert len(bomb) < 1_000_000
    started = time.monotonic()
    with pytest.raises(InvalidInput) as error:
        read_order_sheet(session, "order.xlsx", bomb)
    assert error.value.code == "sheet_too_large"
    assert time.monotonic() - started < 5
