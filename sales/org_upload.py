"""Reading a bulk order's lines from a CSV or XLSX sheet, with an error for each row that is wrong.

The first row names the columns: a product column (`sku` / `商品编码`, or `gtin` / `条码`) and a
quantity column (`qty` / `quantity` / `数量`); other columns are ignored. Either product column takes
either code: a product's SKU, or its GTIN-13 (whose check digit is checked, so that a mistyped
barcode is told apart from an unknown one). Rows are numbered as the
spreadsheet numbers them (the header is row 1). CSV may be UTF-8 (with or without BOM) or GB18030,
which is what Excel saves on a Chinese Windows.

Every sheet is bounded before and while it is read: an XLSX's entries must decompress to at most
MAX_XLSX_BYTES (checked from the zip's directory before openpyxl opens it), at most
MAX_SCANNED_ROWS rows are looked at (empty ones too), a cell holds at most MAX_CELL characters,
and a quantity is ASCII digits.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalogue.models import Product
from catalogue.validators import is_valid_gtin13
from core.errors import InvalidInput
from sales.bulk import MAX_QTY
from sales.bulk_stock import Shortage
from sales.lines import merge_lines

MAX_ROWS = 500
MAX_SCANNED_ROWS = 4 * MAX_ROWS  # rows looked at, empty ones included
MAX_CELL = 256  # characters in a cell; the longest real one, a product code, has 64
MAX_XLSX_BYTES = 8 * 1024 * 1024  # an XLSX decompressed: a 500-row sheet is some 100 KB
MAX_XLSX_ENTRIES = 200
QTY_TEXT = re.compile(r"[0-9]{1,9}")  # not str.isdigit, which takes '²' and '٣'
SKU_HEADERS = ("sku", "商品编码", "货号", "编码")
GTIN_HEADERS = ("gtin", "条码", "商品条码", "ean")
QTY_HEADERS = ("qty", "quantity", "数量", "采购数量")


@dataclass(frozen=True)
class RowError:
    """What is wrong with one row of the sheet."""

    row: int
    column: str
    value: str
    message_zh: str
    message_en: str


@dataclass
class SheetLines:
    """The lines read from a sheet (product id, qty), merged per product, and the rows in error."""

    lines: list[tuple[int, int]] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    rows_read: int = 0
    first_rows: dict[int, int] = field(default_factory=dict)  # product id → the first row naming it

    @property
    def ok(self) -> bool:
        return not self.errors and bool(self.lines)


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _rows_of_csv(data: bytes) -> Iterator[list[str]]:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - gb18030 decodes any byte string
        raise InvalidInput("the file is not text", fields={"file": "not a CSV file"})
    try:
        for row in csv.reader(io.StringIO(text)):
            yield [_cell(c) for c in row]
    except csv.Error as exc:  # a field past the csv module's limit, a NUL byte, a bad quote
        raise InvalidInput(
            f"the CSV cannot be read: {exc}", fields={"file": "not a readable CSV file"}
        ) from exc


def _check_xlsx_size(data: bytes) -> None:
    """Refuse an XLSX whose entries would decompress past MAX_XLSX_BYTES, from the zip directory."""
    try:
        entries = zipfile.ZipFile(io.BytesIO(data)).infolist()
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise InvalidInput("the file is not an XLSX workbook", fields={"file": "not an XLSX file"}) from exc
    if len(entries) > MAX_XLSX_ENTRIES or sum(e.file_size for e in entries) > MAX_XLSX_BYTES:
        raise InvalidInput(
            f"the workbook is larger than {MAX_XLSX_BYTES // (1024 * 1024)} MB unpacked",
            code="sheet_too_large",
            fields={"file": "too large unpacked"},
        )


def _rows_of_xlsx(data: bytes) -> Iterator[list[str]]:
    from openpyxl import load_workbook  # only an upload needs it

    _check_xlsx_size(data)
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # a corrupt or non-XLSX file, whatever openpyxl calls it
        raise InvalidInput("the file is not an XLSX workbook", fields={"file": "not an XLSX file"}) from exc
    try:
        rows = book.worksheets[0].iter_rows(values_only=True)
        while True:
            try:
                row = next(rows, None)
            except Exception as exc:  # broken XML, a bad cell: openpyxl fails as it reads
                raise InvalidInput(
                    "the workbook cannot be read", fields={"file": "not a readable XLSX file"}
                ) from exc
            if row is None:
                return
            yield [_cell(c) for c in row]
    finally:
        book.close()


@dataclass(frozen=True)
class Codes:
    """The catalogue by the codes a buyer may type: SKU (any case) or GTIN-13."""

    by_sku: dict[str, Product]
    by_gtin: dict[str, Product]

    @classmethod
    def of(cls, products: Iterable[Product]) -> Codes:
        listed = list(products)
        return cls({p.sku.upper(): p for p in listed}, {p.gtin: p for p in listed if p.gtin})

    def find(self, code: str) -> tuple[Product | None, tuple[str, str]]:
        """The product of a SKU or GTIN, or None and why not (Chinese, English)."""
        key = code.strip()
        product = self.by_sku.get(key.upper())
        if product is None and key.isascii() and key.isdigit() and len(key) == 13:
            if not is_valid_gtin13(key):
                return None, ("条码校验位不符，请核对", "the barcode's check digit is wrong")
            product = self.by_gtin.get(key)
        if product is None:
            return None, ("没有这个商品", "unknown product")
        return product, ("", "")


def _column(header: list[str], names: tuple[str, ...]) -> int | None:
    lowered = [h.strip().lower() for h in header]
    return next((i for i, h in enumerate(lowered) if h in names), None)


def read_order_sheet(session: Session, filename: str, data: bytes) -> SheetLines:
    """Read (product, qty) lines from an uploaded CSV or XLSX; every bad row is reported, none is guessed."""
    name = filename.lower()
    if name.endswith(".xlsx"):
        rows = _rows_of_xlsx(data)
    elif name.endswith((".csv", ".txt")):
        rows = _rows_of_csv(data)
    else:
        raise InvalidInput(
            "upload a .csv or .xlsx file", code="unsupported_file", fields={"file": ".csv or .xlsx"}
        )
    result = SheetLines()
    header = next(rows, None)
    if header is None:
        raise InvalidInput("the file is empty", code="empty_sheet", fields={"file": "empty"})
    if any(len(c) > MAX_CELL for c in header):
        raise InvalidInput(
            f"the header has a cell longer than {MAX_CELL} characters",
            code="sheet_cell_too_long",
            fields={"file": "row 1: cell too long"},
        )
    sku_col, gtin_col, qty_col = (
        _column(header, SKU_HEADERS),
        _column(header, GTIN_HEADERS),
        _column(header, QTY_HEADERS),
    )
    if (sku_col is None and gtin_col is None) or qty_col is None:
        raise InvalidInput(
            "the first row must name a product column (sku/商品编码 or gtin/条码) and a qty/数量 column",
            code="sheet_header",
            fields={"file": "columns sku (or gtin) and qty are required"},
        )
    codes = Codes.of(session.scalars(select(Product)))
    taken: list[tuple[int, int]] = []
    first_row: dict[int, int] = {}
    for number, row in enumerate(rows, start=2):
        if number > MAX_SCANNED_ROWS + 1:
            raise InvalidInput(
                f"at most {MAX_SCANNED_ROWS} rows, empty ones included",
                code="sheet_too_long",
                fields={"file": "too many rows"},
            )
        if any(len(c) > MAX_CELL for c in row):
            raise InvalidInput(
                f"row {number} has a cell longer than {MAX_CELL} characters",
                code="sheet_cell_too_long",
                fields={"file": f"row {number}: cell too long"},
            )
        cells = row + [""] * (len(header) - len(row))
        if not any(cells):
            continue
        result.rows_read += 1
        if result.rows_read > MAX_ROWS:
            raise InvalidInput(
                f"at most {MAX_ROWS} rows", code="sheet_too_long", fields={"file": "too many rows"}
            )
        product, column, key, problem = None, "sku", "", ("", "")
        if sku_col is not None and cells[sku_col]:
            key = cells[sku_col]
        elif gtin_col is not None and cells[gtin_col]:
            column, key = "gtin", cells[gtin_col]
        if key:
            product, problem = codes.find(key)
        qty_text = cells[qty_col]
        if not key:
            result.errors.append(RowError(number, column, "", "缺少商品编码", "no product code"))
        elif product is None:
            result.errors.append(RowError(number, column, key, *problem))
        elif not product.active:
            result.errors.append(
                RowError(number, column, key, f"{product.name_zh}：已下架", f"{_name(product)}: not on sale")
            )
        if not QTY_TEXT.fullmatch(qty_text) or not 1 <= int(qty_text) <= MAX_QTY:
            named = (f"{product.name_zh}：", f"{_name(product)}: ") if product is not None else ("", "")
            result.errors.append(
                RowError(
                    number,
                    "qty",
                    qty_text[:64],
                    f"{named[0]}数量应为 1–{MAX_QTY} 的整数",
                    f"{named[1]}qty must be a whole number 1–{MAX_QTY}",
                )
            )
            continue
        if product is not None and product.active:
            taken.append((product.id, int(qty_text)))
            first_row.setdefault(product.id, number)
    if result.rows_read == 0:
        raise InvalidInput(
            "the sheet has no rows under its header", code="empty_sheet", fields={"file": "no rows"}
        )
    result.lines = [(product_id, qty) for product_id, (_first, qty) in merge_lines(taken).items()]
    result.first_rows = first_row
    return result


def _name(product: Product) -> str:
    return product.name_en or product.name_zh


def flag_shortages(sheet: SheetLines, shortages: Iterable[Shortage]) -> None:
    """Report the products the stock cannot supply as errors of the first row naming each."""
    for s in shortages:
        row = sheet.first_rows.get(s.product_id, 0)
        sheet.errors.append(RowError(row, "qty", str(s.requested), s.text_zh(), s.text_en()))
