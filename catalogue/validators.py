"""Check digits of the identifiers the catalogue stores, and the addresses of its pictures.

- Unified social credit code (统一社会信用代码), GB 32100-2015: 18 characters from a 31-symbol
  alphabet, the last a weighted mod-31 check character.
- GTIN-13 (EAN-13), GS1 General Specifications: 13 digits, the last a weighted mod-10 check digit.
- A product's image URL goes into `<img src>` on the shop and the kiosks' screens: only an
  https:// address of another host, a file under our own /static/, or a picture uploaded in the
  console and served from /media/ (kiosk_api/media.py).
"""

import re
import unicodedata
from urllib.parse import urlsplit

CREDIT_CODE_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CREDIT_CODE_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_CREDIT_CODE_RE = re.compile(rf"^[{CREDIT_CODE_ALPHABET}]{{18}}$")
_GTIN13_RE = re.compile(r"^\d{13}$")


def credit_code_check_char(first17: str) -> str:
    """Return the check character for the first 17 characters of a credit code."""
    total = sum(
        CREDIT_CODE_ALPHABET.index(ch) * w for ch, w in zip(first17, _CREDIT_CODE_WEIGHTS, strict=True)
    )
    return CREDIT_CODE_ALPHABET[(31 - total % 31) % 31]


def is_valid_credit_code(code: str) -> bool:
    """Tell whether a unified social credit code is well formed and its check character matches."""
    if not isinstance(code, str) or not _CREDIT_CODE_RE.match(code):
        return False
    return credit_code_check_char(code[:17]) == code[17]


def gtin_check_digit(first12: str) -> str:
    """Return the GS1 check digit for the first 12 digits of a GTIN-13."""
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(first12))
    return str((10 - total % 10) % 10)


def is_valid_gtin13(gtin: str) -> bool:
    """Tell whether a GTIN-13 has 13 digits and a matching check digit."""
    if not isinstance(gtin, str) or not _GTIN13_RE.match(gtin):
        return False
    return gtin_check_digit(gtin[:12]) == gtin[12]


# A path under /static/ or /media/ of plain URL characters; no "..", "//" or "\\" to climb or leave it.
_STATIC_PATH_RE = re.compile(r"^/(static|media)/[A-Za-z0-9._~%!$&'()*+,;=:@/-]+$")


def is_safe_image_url(url: str) -> bool:
    """Tell whether a picture's address is https://host/…, /static/… or /media/… (never javascript:,
    data:, file:, a path elsewhere on the server, a host-relative //host, or plain http)."""
    if not isinstance(url, str):
        return False
    # Browsers drop tabs and newlines inside a URL ("java\tscript:"): refuse them, never clean up.
    if any(c.isspace() or c == "\\" or unicodedata.category(c).startswith("C") for c in url):
        return False
    if url.startswith("/"):
        return bool(_STATIC_PATH_RE.match(url)) and "//" not in url and ".." not in url.split("/")
    try:
        parts = urlsplit(url)
    except ValueError:  # an unbalanced [ in the host
        return False
    return parts.scheme == "https" and bool(parts.hostname) and "@" not in parts.netloc
