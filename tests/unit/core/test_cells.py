"""CSV/XLSX cells: text that would start a formula is neutralised; numbers never are."""

from decimal import Decimal

import pytest

from core.cells import safe_cell


@pytest.mark.parametrize(
    "typed",
    ['=HYPERLINK("http://evil.example","x")', "+1+2", "-1+2", "@SUM(1)", "\t=1", "\r=1", "  =1", "\n-1"],
)
def test_text_that_starts_a_formula_gets_a_quote(typed: str) -> None:
    assert safe_cell(typed) == "'" + typed


@pytest.mark.parametrize("value", ["西吉马铃薯 5kg/袋", "a=b", "", "1-2", "'=already"])
def test_other_text_is_left_as_typed(value: str) -> None:
    assert safe_cell(value) == value


@pytest.mark.parametrize("value", [-1234, 0, Decimal("-12.34"), -0.5, None, True])
def test_numbers_and_other_values_stay_as_they_are(value: object) -> None:
    assert safe_cell(value) is value
