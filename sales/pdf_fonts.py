"""The Chinese font every PDF embeds: WenQuanYi Micro Hei from the Debian package fonts-wqy-microhei
(a TrueType collection; reportlab embeds the subset of glyphs used). DONGXI_PDF_FONT points elsewhere."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

FONT_NAME = "WenQuanYiMicroHei"
DEFAULT_FONT = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"
DEBIAN_PACKAGE = "fonts-wqy-microhei"


class FontMissing(RuntimeError):
    """The Chinese font to embed is not installed."""


@lru_cache(maxsize=1)
def register_font() -> str:
    """Register the embedded Chinese font once and return its name."""
    path = Path(os.environ.get("DONGXI_PDF_FONT", DEFAULT_FONT))
    if not path.exists():
        raise FontMissing(f"{path} is missing: install the Debian package {DEBIAN_PACKAGE}")
    pdfmetrics.registerFont(TTFont(FONT_NAME, str(path), subfontIndex=0))
    return FONT_NAME
