"""The statement as an XLSX workbook (openpyxl); amounts are exact decimals of yuan, and text
that would start a formula is neutralised (core.cells), so no cell is ever a formula."""

from __future__ import annotations

import io

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from core.cells import safe_cell
from core.money import Money
from sales.statements.documents.tables import AMOUNTS, COLUMNS, header, rows
from sales.statements.models import Statement


def render_xlsx(statement: Statement, base_url: str) -> bytes:
    """One sheet: the header block, then the statement's rows with a bold column header."""
    book = Workbook()
    sheet = book.active
    sheet.title = f"{statement.period} 对账单"
    for label, value in header(statement, base_url):
        sheet.append([label, safe_cell(value)])
    sheet.append([])
    sheet.append([zh for _key, zh in COLUMNS])
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
    sheet.append([key for key, _zh in COLUMNS])
    for row in rows(statement):
        sheet.append([Money(row[k]).to_yuan() if k in AMOUNTS else safe_cell(row[k]) for k, _zh in COLUMNS])
        for i, (key, _zh) in enumerate(COLUMNS, 1):
            if key in AMOUNTS:
                sheet.cell(row=sheet.max_row, column=i).number_format = "#,##0.00"
    widths = (18, 10, 28, 28, 14, 14, 14, 14, 12, 14, 14)
    for i, width in enumerate(widths, 1):
        sheet.column_dimensions[get_column_letter(i)].width = width
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
