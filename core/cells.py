"""Cells of every CSV and XLSX we write: text a spreadsheet would run as a formula is neutralised.

OWASP's CSV injection advice: a cell that begins with `=`, `+`, `-`, `@`, a tab or a carriage
return is taken by Excel, LibreOffice and Sheets as a formula (`=HYPERLINK(…)` links out, DDE runs
programs), so such text gets a leading `'`, which they show as text. openpyxl writes a str that
begins with `=` as a formula cell; once prefixed it is a string cell. Only text is touched: an
amount or a count is an int or Decimal and stays a number, negative or not.
"""

from __future__ import annotations

from typing import TypeVar

T = TypeVar("T")

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: T) -> T | str:
    """The value for a CSV/XLSX cell: text that would start a formula prefixed with `'`, else as is."""
    if not isinstance(value, str):
        return value
    # Leading spaces or newlines do not stop every program from reading a formula after them.
    if value.startswith(FORMULA_STARTS) or value.lstrip().startswith(FORMULA_STARTS):
        return "'" + value
    return value
