"""Paragraph text for every PDF: markup comes only from our own templates, data is always escaped.

A reportlab Paragraph parses its text as markup: `<b>`, `<font>`, `<a href>` and `<img src>`, which
reads any file on the server's disk (or URL) into the PDF. Text that users typed (an invoice
title, a unit's or a product's name) must therefore never reach a Paragraph unescaped: put it in
through `safe_paragraph`'s values.
"""

from __future__ import annotations

from xml.sax.saxutils import escape

from reportlab.lib.styles import ParagraphStyle
from reportlab.platypus import Paragraph

# Control characters other than tab and newline are not text; reportlab's parser chokes on some.
_CONTROL = {c: None for c in range(32) if c not in (9, 10)} | {0x7F: None}


def paragraph_text(value: object) -> str:
    """A value as Paragraph text that prints as given: `& < >` escaped, control characters dropped."""
    return escape(str(value).translate(_CONTROL))


def safe_paragraph(template: str, style: ParagraphStyle, /, **values: object) -> Paragraph:
    """A Paragraph of our markup `template`, each `{name}` in it filled with `values[name]` escaped."""
    return Paragraph(template.format_map({k: paragraph_text(v) for k, v in values.items()}), style)
