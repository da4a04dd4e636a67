"""Search keys for Chinese shoppers: simplified or traditional characters, pinyin and initials.

Script conversion is OpenCC (traditional → simplified); pinyin is pypinyin. Each product stores a
`search_text` of lowercase terms separated by "|"; a query, normalised the same way, is matched
as a substring, so 馬鈴薯, 马铃薯, malingshu, mls, tudou and "Xiji potatoes" all find the potatoes.

Names for the same produce differ by region (土豆 in the north-east, 洋芋 in Ningxia and Gansu,
马铃薯 on the label): every term holding one of SYNONYMS' names is also stored with each other name
of its group, pinyin and initials included, so 马铃薯 finds 土豆粉 and 土豆 finds 马铃薯淀粉 — the list
works both ways because a group has no direction. Changing the list needs the search keys
recomputed (`dongxi catalogue reindex`).
"""

from __future__ import annotations

import re
from functools import lru_cache

from opencc import OpenCC

_SEPARATORS = re.compile(r"[\s,，、;；/|·()（）\[\]【】]+")
_HAN = re.compile(r"[\u3400-\u9fff]")
_DROP_IN_QUERY = re.compile(r"[\s'’·]+")
# Groups of names for the same thing (simplified characters), each name with the others.
SYNONYMS: tuple[tuple[str, ...], ...] = (
    ("马铃薯", "土豆", "洋芋"),
    ("红薯", "地瓜", "番薯", "红苕"),
    ("玉米", "苞谷", "包谷"),
    ("番茄", "西红柿"),
    ("花生", "落花生"),
)


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


def _with_synonyms(terms: list[str]) -> list[str]:
    """Each term, then the same term with each synonym's other names in its place."""
    out: list[str] = []
    for term in terms:
        out.append(term)
        for group in SYNONYMS:
            for name in group:
                if name in term:
                    out.extend(term.replace(name, other) for other in group if other != name)
    return list(dict.fromkeys(out))


def search_keys(*texts: str) -> str:
    """Return the search text for some names and keywords: each term, its pinyin and initials."""
    # Imported here: pypinyin's dictionaries take some 55 MB, and only catalogue writes need them,
    # not every app server process (queries are matched against the stored keys).
    from pypinyin import Style, lazy_pinyin

    keys: list[str] = []
    for term in _with_synonyms(_terms(*texts)):
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
