"""A slot or product named on several lines is one line of the summed quantity, found at its first line."""

from hypothesis import given
from hypothesis import strategies as st

from sales.lines import merge_lines


def test_repeated_keys_are_summed_in_the_order_they_first_appear() -> None:
    merged = merge_lines([("B2", 1), ("A1", 2), ("B2", 3), ("C3", 1), ("A1", 1)])
    assert merged == {"B2": (0, 4), "A1": (1, 3), "C3": (3, 1)}
    assert list(merged) == ["B2", "A1", "C3"]


def test_no_lines_merge_to_nothing() -> None:
    assert merge_lines([]) == {}


@given(st.lists(st.tuples(st.integers(min_value=1, max_value=5), st.integers(min_value=0, max_value=99))))
def test_merging_keeps_every_unit_and_names_each_keys_first_line(lines: list[tuple[int, int]]) -> None:
    merged = merge_lines(iter(lines))
    assert sum(qty for _first, qty in merged.values()) == sum(qty for _key, qty in lines)
    for key, (first, qty) in merged.items():
        assert lines[first][0] == key and all(k != key for k, _q in lines[:first])
        assert qty == sum(q for k, q in lines if k == key)
