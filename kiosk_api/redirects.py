"""Where a redirect that a request names may go: a path on this site, or else a default.

Browsers forgive a great deal in a Location: they drop tabs and newlines, read `\\` as `/`, and
take `//host`, `/\\host` or `https:` as another site, so `?next=/\\t/evil.example` after sign-in
would hand a phishing page the visitor we just authenticated, and a newline would split the
header (Werkzeug answers it with a 500). Rather than clean such a target up, refuse it.
"""

from __future__ import annotations

import unicodedata
from urllib.parse import urlsplit

MAX_TARGET = 2048


def safe_next(target: str | None, default: str) -> str:
    """`target` if it is a path here (`/…`: no host, scheme, control, space or `\\`), else `default`."""
    if not target or len(target) > MAX_TARGET:
        return default
    if any(ch.isspace() or ch == "\\" or unicodedata.category(ch).startswith("C") for ch in target):
        return default
    if not target.startswith("/") or target.startswith("//"):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return default
    return target
