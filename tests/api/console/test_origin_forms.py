"""The console's supplier, region and pairing forms: stored through the catalogue service when
good; a bad field is a 422 naming it with nothing written; the lists show names and labels."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from catalogue.models import Pairing, Region, Supplier
from tests.api.console.test_product_forms import post_form
from tests.api.test_catalogue_writes import FIRST17, VALID_CREDIT_CODE, counts
from tests.api.test_login import sign_in


def supplier_form(**overrides: str) -> dict[str, str]:
    form = {
        "name_zh": "清涧县红枣专业合作社（测试）",
        "name_en": "Qingjian Jujube Cooperative (test)",
        "kind": "cooperative",
        "county": "610830",
        "credit_code": VALID_CREDIT_CODE.lower(),
        "certified": "1",
        "households_linked": "87",
        "payout_account": "中国农业银行清涧县支行 6228 **** 0830",
    }
    form.update(overrides)
    return form


def test_an_operator_registers_a_supplier_and_the_list_names_its_county_and_kind(client, session) -> None:
    sign_in(client, "operator")
    response = post_form(client, "/console/suppliers/new", supplier_form())
    assert response.status_code == 303, response.get_data(as_text=True)
    supplier = session.scalar(select(Supplier).where(Supplier.credit_code == VALID_CREDIT_CODE))
    assert (supplier.county_code, supplier.certified, supplier.households_linked) == ("610830", True, 87)
    listed = client.get("/console/suppliers").get_data(as_text=True)
    assert (
        "清涧县红枣专业合作社（测试）" in listed and "合作社 · Cooperative" in listed and "已认定" in listed
    )


WRONG_CHECK = FIRST17 + ("0" if VALID_CREDIT_CODE[17] != "0" else "1")


@pytest.mark.parametrize(
    ("override", "field", "zh"),
    [
        ({"credit_code": WRONG_CHECK}, "credit_code", "信用代码无效"),
        ({"credit_code": "93640422MADJ5QMFKE"}, "credit_code", "已有供应商登记此代码"),  # a demo supplier's
        ({"name_zh": " "}, "name_zh", "必填"),
        ({"kind": "charity"}, "kind", "请从列表中选择"),
        ({"county": "640400"}, "county", "请从列表中选择"),
        ({"households_linked": "-3"}, "households_linked", "不能小于 0"),
        ({"households_linked": "many"}, "households_linked", "请输入整数"),
    ],
)
def test_a_bad_supplier_field_is_a_422_naming_it_and_nothing_is_written(
    client, session, override, field, zh
) -> None:
    sign_in(client, "operator")
    before = counts(session)
    response = post_form(client, "/console/suppliers/new", supplier_form(**override))
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and f'id="{field}-error"' in html and zh in html
    assert "Qingjian Jujube Cooperative (test)" in html
    assert counts(session) == before


def test_editing_a_supplier_keeps_its_code_check(client, session) -> None:
    supplier = session.scalar(select(Supplier).order_by(Supplier.id))
    sign_in(client, "operator")
    page = client.get(f"/console/suppliers/{supplier.id}").get_data(as_text=True)
    assert supplier.credit_code in page
    values = {
        "name_zh": supplier.name_zh,
        "name_en": supplier.name_en,
        "kind": "enterprise",
        "county": supplier.county_code,
        "credit_code": supplier.credit_code,
        "households_linked": "400",
        "payout_account": "",
    }
    assert post_form(client, f"/console/suppliers/{supplier.id}", values).status_code == 303
    session.expire_all()
    saved = session.get(Supplier, supplier.id)
    assert (saved.kind, saved.households_linked, saved.certified, saved.payout_account) == (
        "enterprise",
        400,
        False,
        None,
    )
    refused = post_form(client, f"/console/suppliers/{supplier.id}", {**values, "credit_code": WRONG_CHECK})
    assert refused.status_code == 422
    session.expire_all()
    assert session.get(Supplier, supplier.id).credit_code == supplier.credit_code


def test_a_county_is_added_under_its_prefecture_and_renamed(client, session) -> None:
    sign_in(client, "operator")
    form = {
        "code": "640425",
        "name_zh": "彭阳县",
        "name_en": "Pengyang County",
        "level": "county",
        "parent": "640400",
    }
    if session.get(Region, "640425") is not None:
        form |= {"code": "640499", "name_zh": "测试县"}
    assert post_form(client, "/console/regions/new", form).status_code == 303
    region = session.get(Region, form["code"])
    assert region.parent_code == "640400" and region.level == "county"
    listed = client.get("/console/regions").get_data(as_text=True)
    assert form["name_zh"] in listed and "县/区 · County" in listed
    renamed = {"name_zh": form["name_zh"] + "（改）", "name_en": "Renamed"}
    assert post_form(client, f"/console/regions/{form['code']}", renamed).status_code == 303
    session.expire_all()
    assert session.get(Region, form["code"]).name_en == "Renamed"


@pytest.mark.parametrize(
    ("override", "field", "zh"),
    [
        ({"code": "6404"}, "code", "6 位数字"),
        ({"code": "620425"}, "code", "代码与上级地区的代码不符"),
        ({"code": "640422"}, "code", "已存在"),
        ({"parent": ""}, "parent", "必填"),
        ({"level": "village"}, "level", "请从列表中选择"),
        ({"name_en": ""}, "name_en", "必填"),
    ],
)
def test_a_bad_region_field_is_a_422_naming_it_and_nothing_is_written(
    client, session, override, field, zh
) -> None:
    sign_in(client, "operator")
    before = counts(session)
    form = {
        "code": "640498",
        "name_zh": "测试县",
        "name_en": "Test County",
        "level": "county",
        "parent": "640400",
    }
    response = post_form(client, "/console/regions/new", {**form, **override})
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and f'id="{field}-error"' in html and zh in html
    assert counts(session) == before


def test_a_pairing_is_added_with_its_dates_and_listed_by_names_and_state(client, session) -> None:
    sign_in(client, "operator")
    form = {
        "east": "320500",
        "west": "640422",
        "valid_from": "2026-01-01",
        "valid_to": "",
        "note_zh": "测试结对",
    }
    response = post_form(client, "/console/pairings/new", form)
    assert response.status_code == 303, response.get_data(as_text=True)
    pairing = session.scalar(select(Pairing).where(Pairing.note_zh == "测试结对"))
    assert (pairing.east_code, pairing.west_code, pairing.valid_to) == ("320500", "640422", None)
    listed = client.get("/console/pairings").get_data(as_text=True)
    assert "已添加结对：苏州市 ↔ 西吉县" in listed and "有效 · In force" in listed and "长期" in listed
    ended = {"valid_from": "2026-01-01", "valid_to": "2026-06-30", "note_zh": "测试结对", "note_en": ""}
    assert post_form(client, f"/console/pairings/{pairing.id}", ended).status_code == 303
    session.expire_all()
    assert session.get(Pairing, pairing.id).valid_to == date(2026, 6, 30)
    assert "已结束 · Ended" in client.get("/console/pairings").get_data(as_text=True)


@pytest.mark.parametrize(
    ("override", "field", "zh"),
    [
        ({"valid_to": "2025-12-31"}, "valid_to", "不能早于开始日期"),
        ({"valid_from": ""}, "valid_from", "必填"),
        ({"valid_from": "2026-02-30"}, "valid_from", "请输入日期"),
        ({"west": "320500"}, "west", "不能与东部协作方相同"),
        ({"east": ""}, "east", "请从列表中选择"),
        ({"east": "350100", "west": "640400", "valid_from": "2021-01-01"}, "valid_from", "已存在"),
    ],
)
def test_a_bad_pairing_field_is_a_422_naming_it_and_nothing_is_written(
    client, session, override, field, zh
) -> None:
    sign_in(client, "operator")
    before = counts(session)
    form = {"east": "320500", "west": "640422", "valid_from": "2026-01-01", "valid_to": "", "note_zh": "x"}
    response = post_form(client, "/console/pairings/new", {**form, **override})
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and f'id="{field}-error"' in html and zh in html
    assert counts(session) == before
