"""The request-wide limits: JSON depth found without recursion, unstorable text, bounded page ints,
real periods, and the STATEMENTS_START setting."""

from __future__ import annotations

import pytest

from core.errors import InvalidInput
from kiosk_api import config
from kiosk_api.input_limits import MAX_JSON_DEPTH, bad_text, int_within, json_too_deep
from sales.statements.compute import check_period


def test_json_depth_counts_brackets_outside_strings_only() -> None:
    assert not json_too_deep(b'{"a": [1, 2, {"b": "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["}]}')
    assert not json_too_deep(b"[" * MAX_JSON_DEPTH + b"]" * MAX_JSON_DEPTH)
    assert json_too_deep(b"[" * (MAX_JSON_DEPTH + 1) + b"]" * (MAX_JSON_DEPTH + 1))
    assert json_too_deep(b'{"a":' * 100_000 + b"1" + b"}" * 100_000)  # no RecursionError
    wide = b"[" + b",".join([b"[1]"] * 10_000) + b"]"  # many brackets, never deep
    assert not json_too_deep(wide)
    assert not json_too_deep(b'["\\"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["]')  # escaped quote


def test_text_no_column_holds_is_named() -> None:
    assert bad_text("土豆 tudou") is None
    assert "NUL" in bad_text("a\x00b")
    assert "surrogate" in bad_text("a\ud800b")


def test_page_integers_are_ascii_and_within_their_range() -> None:
    page = int_within(1, 100)
    assert page("42") == 42
    for text in ("0", "101", "²", "1" * 5000, "4.2", "", str(2**63)):
        with pytest.raises(ValueError):
            page(text)


@pytest.mark.parametrize(
    "period", ["0000-01", "0001-01", "1999-12", "2100-01", "9999-12", "2026-13", "2026-1"]
)
def test_only_real_months_are_periods(period) -> None:
    with pytest.raises(InvalidInput) as error:
        check_period(period)
    assert error.value.fields == {"period": "YYYY-MM, 2000-01 to 2099-12"}


def test_statements_start_must_be_a_period() -> None:
    settings = config.from_environment({"DONGXI_VAR_DIR": "/tmp/dongxi-test-var", "SECRET_KEY": "k"})
    assert not any("STATEMENTS_START" in p for p in config.problems(settings))
    settings["STATEMENTS_START"] = "2026-1"
    assert any("STATEMENTS_START" in p for p in config.problems(settings))
