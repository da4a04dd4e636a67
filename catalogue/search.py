"""Search keys for Chinese shoppers: simplified or traditional characters, pinyin and initials.

Script conversion is OpenCC (traditional → simplified); pinyin is pypinyin. Each product stores a
`search_text` of lowercase terms separated by "|"; a query, normalised the same way, is matched
as a substring, so 馬鈴薯, 马铃薯, malingshu, mls, tudou and "Xiji potatoes" all find the potatoes.
"""

from __future__ import annotations

import re
from functools import lru_cache

from opencc import OpenCC

_SEPARATORS = re.compile(r"[\s,，、;；/|·()（）\[\]【】]+")
_HAN = re.compile(r"[\u3400-\u9fff]")
_DROP_IN_QUERY = re.compile(r"[\s'’·]+")


@lru_cache(maxsize=1)
def _to_simplified() -> OpenCC:
    return OpenCC("t2s")


def simplify(text: str) -> str:
    """Convert traditional characters to simplified ones; other text is unchanged."""
    return _to_simplified().convert(text)


def _terms(*texts: str) -> list[str]:
    terms: list[str] = []
    for text in texts:
        terms.extend(t for t in _SEPARATORS.split(simplify(text or "").lower()) if t)
    return terms


def search_keys(*texts: str) -> str:
    """Return the search text for some names and keywords: each term, its pinyin and initials."""
    # Imported here: pypinyin's dictionaries take some 55 MB, and only catalogue writes need them,
    # not every app server process (queries are matched against the stored keys).
    from pypinyin import Style, lazy_pinyin

    keys: list[str] = []
    for term in _terms(*texts):
        keys.append(term)
        if _HAN.search(term):
            keys.append("".join(lazy_pinyin(term)).lower())
            keys.append("".join(lazy_pinyin(term, style=Style.FIRST_LETTER)).lower())
    english = " ".join(t for t in texts if t and not _HAN.search(t)).lower()
    if english:
        keys.append(re.sub(r"\s+", "", english))
    return "|" + "|".join(dict.fromkeys(keys)) + "|"


def normalize_query(q: str) -> str:
    """Normalise a shopper's query the way search_keys normalises product text."""
    return _DROP_IN_QUERY.sub("", simplify(q).lower())


def like_pattern(term: str) -> str:
    """Return a LIKE pattern matching term anywhere, with wildcards in the term escaped by '\\'."""
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"
