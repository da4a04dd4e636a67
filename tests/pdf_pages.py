"""Reading PDFs back in tests: each text run with its page and position (pypdf), and the pages as PNGs
in test-artifacts/pdf/ to look at (pdftoppm, where poppler-utils is installed)."""

from __future__ import annotations

import io
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from pypdf import PdfReader

ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts" / "pdf"


@dataclass(frozen=True)
class Run:
    """One piece of text as the PDF draws it: page (from 1), x and y in points from the bottom left."""

    page: int
    x: float
    y: float
    text: str
    size: float


def text_runs(body: bytes) -> list[Run]:
    """Every non-blank text run of every page, in drawing order."""
    runs: list[Run] = []
    for number, page in enumerate(PdfReader(io.BytesIO(body)).pages, 1):

        def visit(text, cm, tm, _font, size, number=number) -> None:  # type: ignore[no-untyped-def]
            if text.strip():
                x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
                y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
                runs.append(Run(number, round(x, 1), round(y, 1), text.strip(), size * abs(cm[3] or 1)))

        page.extract_text(visitor_text=visit)
    return runs


def page_lines(body: bytes) -> list[list[str]]:
    """Each page's text lines, as pypdf extracts them."""
    return [
        [line.strip() for line in page.extract_text().splitlines() if line.strip()]
        for page in PdfReader(io.BytesIO(body)).pages
    ]


def save_pages(body: bytes, name: str) -> Path:
    """Write the PDF to test-artifacts/pdf/<name>.pdf and, if pdftoppm is there, each page as
    <name>-<n>.png at 80 dpi; return the PDF's path."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.pdf"
    path.write_bytes(body)
    if shutil.which("pdftoppm"):
        subprocess.run(["pdftoppm", "-png", "-r", "80", str(path), str(ARTIFACTS / name)], check=True)
    return path
