from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.errors import InvalidInput
from core.money import MAX_PARSED_FEN, Money, format_fen, format_fen_short, parse_yuan


@pytest.mark.parametrize(
    ("fen", "text"),
    [(1250, "¥12.50"), (5, "¥0.05"), (0, "¥0.00"), (-299, "-¥2.99"), (123456789, "¥1,234,567.89")],
)
def test_formats_fen_as_yuan(fen: int, text: str) -> None:
    assert format_fen(fen) == text


@pytest.mark.parametrize(
    ("fen", "text"), [(0, "0.00"), (5, "0.05"), (-5, "-0.05"), (123456, "1234.56"), (-100, "-1.00")]
)
def test_fen_are_written_as_exact_yuan_for_csv_cells_and_form_fields(fen: int, text: str) -> None:
    assert format_fen(fen, symbol=False, grouping=False) == text
    assert Money(fen).to_yuan() == Decimal(text) and str(Money(fen).to_yuan()) == text


@pytest.mark.parametrize(
    ("fen", "text"),
    [
        (0, "¥0"),
        (99, "¥0"),
        (-5, "¥0"),
        (850_000, "¥8,500"),
        (999_999, "¥9,999"),
        (1_000_000, "¥1.0万"),
        (12_345_600, "¥12.3万"),
        (12_350_000, "¥12.4万"),  # half away from zero, not to even
        (-12_345_600, "-¥12.3万"),
        (12_345_678_900, "¥12,345.7万"),
    ],
)
def test_chart_axes_read_whole_yuan_and_wan(fen: int, text: str) -> None:
    assert format_fen_short(fen) == text


def test_refuses_floats_and_bools() -> None:
    with pytest.raises(TypeError):
        Money(12.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        Money(True)
    with pytest.raises(TypeError):
        Money(100) * 1.5  # type: ignore[operator]


def test_rate_rounds_half_away_from_zero_to_the_fen() -> None:
    assert Money(2990).apply_rate(500) == Money(150)  # 149.5 → 150
    assert Money(-2990).apply_rate(500) == Money(-150)
    assert Money(1000).apply_rate(333) == Money(33)


@given(
    st.integers(min_value=-(10**9), max_value=10**9),
    st.lists(st.integers(min_value=0, max_value=1000), min_size=1, max_size=12).filter(lambda w: sum(w) > 0),
)
def test_allocation_adds_up_exactly_and_stays_within_a_fen_of_proportional(
    fen: int, weights: list[int]
) -> None:
    parts = Money(fen).allocate(weights)
    assert sum(p.fen for p in parts) == fen
    for part, weight in zip(parts, weights, strict=True):
        assert abs(part.fen - fen * weight / sum(weights)) < 1


@pytest.mark.parametrize(
    ("text", "fen"),
    [
        ("12.5", 1250),
        ("12.50", 1250),
        ("0.01", 1),
        ("7", 700),
        (" 3.10 ", 310),
        ("¥1,234.50", 123450),
        ("1,000", 100000),
        ("￥29.90", 2990),
        ("10000000", MAX_PARSED_FEN),
    ],
)
def test_yuan_typed_in_a_form_are_read_as_exact_fen(text: str, fen: int) -> None:
    assert parse_yuan(text) == fen


@pytest.mark.parametrize(
    "text",
    [
        "",
        " ",
        "abc",
        "1.234",
        "12.",
        ".5",
        "1e3",
        "NaN",
        "nan",
        "Infinity",
        "-inf",
        "12.5.1",
        "1,00",
        "10,00.00",
        "1 000",
        "１２",
        "0x10",
        "+5",
        "9" * 60,
        "10000000.01",
    ],
)
def test_anything_but_an_amount_of_yuan_is_refused_naming_the_field(text: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        parse_yuan(text, field="price")
    assert set(refused.value.fields) == {"price"} and "price" in refused.value.message


@pytest.mark.parametrize("text", ["0", "0.00", "-1", "-0.01", "-¥2.99"])
def test_zero_and_negative_amounts_are_refused_unless_asked_for(text: str) -> None:
    with pytest.raises(InvalidInput):
        parse_yuan(text)


def test_zero_and_negative_amounts_are_read_when_asked_for() -> None:
    assert parse_yuan("0", allow_zero=True) == 0
    assert parse_yuan("-¥2.99", allow_negative=True) == -299
    assert parse_yuan("-1,000.5", allow_negative=True) == -100050


def test_non_text_is_refused() -> None:
    with pytest.raises(InvalidInput):
        parse_yuan(12.5)  # type: ignore[arg-type]


@given(st.integers(min_value=1, max_value=MAX_PARSED_FEN))
def test_every_formatted_amount_is_read_back(fen: int) -> None:
    assert parse_yuan(format_fen(fen)) == fen
