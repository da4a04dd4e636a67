"""The console's form errors: the service's and the schemas' English messages read in Chinese first."""

from __future__ import annotations

import pytest

from kiosk_api.console.forms import in_chinese, on_form


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
