"""The statement as CSV (UTF-8 with BOM, so spreadsheet programs read the Chinese); names that
would start a formula are neutralised (core.cells), amounts are written by us as plain numbers."""

from __future__ import annotations

import csv
import io

from core.cells import safe_cell
from core.money import format_fen
from sales.statements.documents.tables import AMOUNTS, COLUMNS, header, rows
from sales.statements.models import Statement


def render_csv(statement: Statement, base_url: str) -> bytes:
    """Header lines (label, value), a blank line, then one row per total, breakdown line and adjustment."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for label, value in header(statement, base_url):
        writer.writerow([label, safe_cell(value)])
    writer.writerow([])
    writer.writerow([f"{zh}" for _key, zh in COLUMNS])
    writer.writerow([key for key, _zh in COLUMNS])
    for row in rows(statement):
        writer.writerow(
            [
                format_fen(row[k], symbol=False, grouping=False) if k in AMOUNTS else safe_cell(row[k])
                for k, _zh in COLUMNS
            ]
        )
    return ("\ufeff" + out.getvalue()).encode()
