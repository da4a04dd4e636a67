import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.money import Money, format_fen


@pytest.mark.parametrize(
    ("fen", "text"),
    [(1250, "¥12.50"), (5, "¥0.05"), (0, "¥0.00"), (-299, "-¥2.99"), (123456789, "¥1,234,567.89")],
)
def test_formats_fen_as_yuan(fen: int, text: str) -> None:
    assert format_fen(fen) == text


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
