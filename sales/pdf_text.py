"""Paragraph text for every PDF: markup comes only from our own templates, data is always escaped.

A reportlab Paragraph parses its text as markup: `<b>`, `<font>`, `<a href>` and `<img src>`, which
reads any file on the server's disk (or URL) into the PDF. Text that users typed (an invoice
title, a unit's or a product's name) must therefore never reach a Paragraph unescaped: put it in
through `safe_paragraph`'s values.
"""

from __future__ import annotations

from xml.sax.saxutils import escape

from reportlab.lib.styles import ParagraphStyle
from reportlab.platypus import CondPageBreak, Flowable, KeepTogether, Paragraph, Table

# Control characters other than tab and newline are not text; reportlab's parser chokes on some.
_CONTROL = {c: None for c in range(32) if c not in (9, 10)} | {0x7F: None}


def paragraph_text(value: object) -> str:
    """A value as Paragraph text that prints as given: `& < >` escaped, control characters dropped."""
    return escape(str(value).translate(_CONTROL))


def safe_paragraph(template: str, style: ParagraphStyle, /, **values: object) -> Paragraph:
    """A Paragraph of our markup `template`, each `{name}` in it filled with `values[name]` escaped."""
    return Paragraph(template.format_map({k: paragraph_text(v) for k, v in values.items()}), style)


def heading_with(heading: Flowable, following: Flowable, width: float, *, rows: int = 3) -> list[Flowable]:
    """A heading kept on the page of what follows it: a drawing or paragraph moves with it whole;
    a table (which may run over pages) needs room for its header and first `rows` rows, else the
    heading starts the next page with it."""
    if not isinstance(following, Table):
        return [KeepTogether([heading, following])]
    _, height = heading.wrap(width, 1e6)
    following.wrap(width, 1e6)
    first_rows = sum(following._rowHeights[: rows + 1])  # the header and the first rows
    needed = height + heading.getSpaceBefore() + heading.getSpaceAfter() + first_rows
    return [CondPageBreak(needed), heading, following]
