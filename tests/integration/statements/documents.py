"""Reading statement documents back in tests: PDF text (pypdf), CSV and XLSX rows."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

from openpyxl import load_workbook
from pypdf import PdfReader


def pdf_lines(body: bytes) -> list[str]:
    """Every text line of every page of a PDF."""
    reader = PdfReader(io.BytesIO(body))
    return [
        line.strip() for page in reader.pages for line in page.extract_text().splitlines() if line.strip()
    ]


def contains_run(lines: list[str], run: list[str]) -> bool:
    """Whether `run` occurs as consecutive lines."""
    return any(lines[i : i + len(run)] == run for i in range(len(lines) - len(run) + 1))


def contains_row(lines: list[str], name: str, cells: list[str]) -> bool:
    """Whether a table row occurs: its name, wrapped over up to four lines in its cell (spaces
    aside, which a line break takes), then its cells."""
    for i in range(len(lines)):
        for wrapped in range(1, 5):
            joined = "".join(lines[i : i + wrapped]).replace(" ", "")
            if joined == name.replace(" ", "") and lines[i + wrapped : i + wrapped + len(cells)] == cells:
                return True
    return False


def fen(yuan: str) -> int:
    """'1234.56' → 123456, exactly."""
    return int(Decimal(yuan) * 100)


def csv_rows(body: bytes) -> list[dict[str, str]]:
    """The data rows of a statement CSV (after its header block), keyed by the machine column names."""
    text = body.decode("utf-8-sig")
    lines = list(csv.reader(io.StringIO(text)))
    start = next(i for i, row in enumerate(lines) if row[:2] == ["section", "key"])
    names = lines[start]
    return [dict(zip(names, row, strict=True)) for row in lines[start + 1 :] if row]


def xlsx_rows(body: bytes) -> list[dict[str, object]]:
    """The data rows of a statement workbook, keyed by the machine column names."""
    sheet = load_workbook(io.BytesIO(body)).active
    values = [list(row) for row in sheet.iter_rows(values_only=True)]
    start = next(i for i, row in enumerate(values) if row[:2] == ["section", "key"])
    names = values[start]
    return [
        dict(zip(names, row, strict=True)) for row in values[start + 1 :] if any(v is not None for v in row)
    ]
