"""The console's form errors: the service's and the schemas' English messages read in Chinese first."""

from __future__ import annotations

import pytest

from core.errors import Conflict
from kiosk_api.console.forms import CHOOSE, Form, in_chinese, on_form


@pytest.mark.parametrize(
    ("english", "chinese"),
    [
        ("Missing data for required field.", "必填"),
        ("Must be greater than or equal to 1 and less than or equal to 100000.", "应在 1 到 100000 之间"),
        ("only 4 units free to move", "只有 4 件可用"),
        ("only 2 expired units free here", "此处只有 2 件已过期的可用"),
        ("slot C2 holds 5 of 6", "货道 C2 已有 5 件，容量 6 件"),
        ("must not exceed capacity", "不能超过容量"),
        ("the slot still holds 3 units", "货道里还有 3 件，清空后才能换商品"),
        ("lot L1 is recorded as expiring on 2027-01-31", "批次 L1 的到期日为 2027-01-31"),
    ],
)
def test_a_field_message_reads_in_chinese_with_the_english_beside(english, chinese) -> None:
    assert in_chinese(english) == f"{chinese} · {english}"


def test_an_unknown_message_is_still_marked_in_chinese() -> None:
    assert in_chinese("something new") == "输入有误 · something new"


def test_an_error_of_a_field_the_form_does_not_show_goes_to_the_whole_form() -> None:
    errors = on_form({"qty": "至少为 1", "reference": "too long"}, ("qty",))
    assert errors == {"qty": "至少为 1", "_": "reference: too long"}


@pytest.mark.parametrize(
    ("message", "code", "field", "chinese"),
    [
        ("taken", "duplicate", "credit_code", "已存在 · taken"),  # the code names what the message does not
        ("already used", "duplicate", "gtin", "已被其他商品使用 · already used"),  # the exact message first
        (
            "at most 2",
            "refund_too_large",
            "qty",
            "退款数量超过可退数量 · at most 2",
        ),  # the code before a pattern
        ("too common", "invalid_input", "password", "密码不符合要求 · too common"),  # else the field
    ],
)
def test_a_refusal_reads_by_message_then_code_then_pattern_then_field(message, code, field, chinese) -> None:
    assert in_chinese(message, code, field) == chinese


@pytest.mark.parametrize("english", ["Must be one of: school, hospital.", "one of admin, operator"])
def test_a_refused_choice_does_not_list_the_codes(english) -> None:
    assert in_chinese(english) == CHOOSE


def test_a_refusal_joins_the_form_errors_by_field_with_its_status() -> None:
    form = Form({}, {"price_fen": "price"})
    form.refused(Conflict("another product has this GTIN", code="duplicate", fields={"price_fen": "taken"}))
    assert form.errors == {"price": "已存在 · taken"} and form.status == 409
    whole = Form({})
    whole.refused(Conflict("nothing was captured on this order", code="nothing_captured"))
    assert whole.errors == {"_": "订单尚未收款，无法退款 · nothing was captured on this order"}


def test_a_whole_number_left_empty_is_blank_or_an_error_and_may_have_a_range() -> None:
    form = Form({"qty": "", "year": "1999", "n": "x"})
    assert form.whole("qty", blank=None) is None and "qty" not in form.errors
    assert form.whole("year", within=(2000, 2100)) is None
    assert form.whole("n") is None
    assert form.errors == {
        "year": "应为 2000 到 2100 的整数 · a whole number from 2000 to 2100",
        "n": "请输入整数 · a whole number",
    }
