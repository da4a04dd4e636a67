"""Amounts in Chinese capitals (大写金额) as cheques and invoices write them (issue 15)."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.money import MAX_AMOUNT_FEN, fen_in_capitals

DIGITS = {c: i for i, c in enumerate("零壹贰叁肆伍陆柒捌玖")}
PLACES = {"拾": 10, "佰": 100, "仟": 1000}


@pytest.mark.parametrize(
    ("fen", "capitals"),
    [
        (0, "零元整"),
        (5, "伍分"),
        (50, "伍角整"),
        (1000, "壹拾元整"),
        (123450, "壹仟贰佰叁拾肆元伍角整"),
        (10_000_010, "壹拾万元壹角整"),
        (100_000_100, "壹佰万零壹元整"),
        (2_147_483_647, "贰仟壹佰肆拾柒万肆仟捌佰叁拾陆元肆角柒分"),
        (10_010_000_000, "壹亿零壹拾万元整"),
        (MAX_AMOUNT_FEN, "壹佰亿元整"),
    ],
)
def test_tricky_amounts_are_written_in_capitals(fen: int, capitals: str) -> None:
    assert fen_in_capitals(fen) == capitals


@pytest.mark.parametrize(
    ("fen", "capitals"),
    [  # the examples of 《支付结算办法》's rules (one of the two forms where they allow two)
        (140950, "壹仟肆佰零玖元伍角整"),
        (600714, "陆仟零柒元壹角肆分"),
        (168032, "壹仟陆佰捌拾元叁角贰分"),
        (10_700_053, "壹拾万零柒仟元伍角叁分"),
        (1_640_902, "壹万陆仟肆佰零玖元零贰分"),
        (32504, "叁佰贰拾伍元零肆分"),
    ],
)
def test_the_payment_rules_own_examples(fen: int, capitals: str) -> None:
    assert fen_in_capitals(fen) == capitals


@pytest.mark.parametrize("bad", [-1, 1.5, True, MAX_AMOUNT_FEN * 100])
def test_negative_fractional_or_huge_amounts_are_refused(bad: object) -> None:
    with pytest.raises((TypeError, ValueError)):
        fen_in_capitals(bad)  # type: ignore[arg-type]


def read_capitals(text: str) -> int:
    """Read capitals back into fen, as a person would: an independent check of the writing."""
    match = re.fullmatch(r"(?:(.+)元)?零?(?:(.)角)?(?:(.)分)?整?", text)
    assert match, text
    yuan_text, jiao, fen = match.groups()
    total = section = digit = 0
    for char in yuan_text or "":
        if char in DIGITS:
            digit = DIGITS[char]
        elif char in PLACES:
            section, digit = section + digit * PLACES[char], 0
        elif char == "万":
            total, section, digit = total + (section + digit) * 10_000, 0, 0
        elif char == "亿":
            total, section, digit = (total + section + digit) * 100_000_000, 0, 0
    yuan = total + section + digit
    return yuan * 100 + DIGITS[jiao or "零"] * 10 + DIGITS[fen or "零"]


@given(st.integers(min_value=1, max_value=MAX_AMOUNT_FEN))
def test_capitals_read_back_to_the_amount_and_keep_the_writing_rules(fen: int) -> None:
    text = fen_in_capitals(fen)
    assert read_capitals(text) == fen
    assert "零零" not in text and not re.search(r"(^|[零万亿元])拾", text)  # 壹拾, one 零 a run
    assert not re.search(r"零[元万亿角]", text) and text.endswith("分") != text.endswith("整")
    assert text.endswith("整") == (fen % 10 == 0)
