"""The console's kiosk forms: slots added and edited through inventory's service (par ≤ capacity),
device keys provisioned, rotated and revoked after a confirmation, the secret shown once."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from catalogue.models import Product
from devices.models import KioskDevice
from inventory import service
from inventory.models import Location, Slot
from kiosk_api.kiosks.service import secret_of
from tests.api.test_login import csrf_from, sign_in

KIOSK = "/console/kiosks/FZ-0001"


def slot(session, code: str) -> Slot | None:
    session.expire_all()
    kiosk = session.scalar(select(Location).where(Location.code == "FZ-0001"))
    return session.scalar(select(Slot).where(Slot.location_id == kiosk.id, Slot.code == code))


def device(session) -> KioskDevice | None:
    session.expire_all()
    kiosk = session.scalar(select(Location).where(Location.code == "FZ-0001"))
    return session.scalar(select(KioskDevice).where(KioskDevice.location_id == kiosk.id))


def honey(session) -> str:
    return str(session.scalar(select(Product.id).where(Product.sku == "GY-HONEY-500G")))


def test_an_operator_adds_a_slot(session, client) -> None:
    token = sign_in(client, "operator")
    form = {"csrf_token": token, "code": "D1", "product": honey(session), "capacity": "6", "par_level": "4"}
    response = client.post(f"{KIOSK}/slots", data=form)
    assert response.status_code == 303
    added = slot(session, "D1")
    assert (added.product.sku, added.capacity, added.par_level, added.active) == ("GY-HONEY-500G", 6, 4, True)
    assert "已添加货道" in client.get(KIOSK).get_data(as_text=True)


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"par_level": "7"}, "par_level", "不能超过容量"),
        ({"capacity": "0"}, "capacity", "应在 1 到 1000 之间"),
        ({"code": "A1"}, "code", "已存在"),
        ({"code": "a-1"}, "code", "1 到 8 个大写字母或数字"),
        ({"product": ""}, "product", "必填"),
    ],
)
def test_a_bad_slot_is_a_422_naming_the_field_and_adds_nothing(
    session, client, change, field, message
) -> None:
    token = sign_in(client, "operator")
    form = {"csrf_token": token, "code": "D1", "product": honey(session), "capacity": "6", "par_level": "4"}
    response = client.post(f"{KIOSK}/slots", data={**form, **change})
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and f'id="err-{field}"' in html and message in html
    assert slot(session, "D1") is None


def test_an_operator_changes_a_slots_par_level_and_capacity(session, client) -> None:
    sign_in(client, "operator")
    page = client.get(f"{KIOSK}/slots/A1")
    assert page.status_code == 200
    product = str(slot(session, "A1").product_id)
    form = {
        "csrf_token": csrf_from(page.data),
        "product": product,
        "capacity": "10",
        "par_level": "8",
        "active": "1",
    }
    assert client.post(f"{KIOSK}/slots/A1", data=form).status_code == 303
    edited = slot(session, "A1")
    assert (edited.capacity, edited.par_level, edited.active) == (10, 8, True)


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"par_level": "9"}, "par_level", "不能超过容量"),
        ({"capacity": "x"}, "capacity", "请输入整数"),
        ({"product": "honey"}, "product", "请输入整数"),
    ],
)
def test_a_bad_slot_edit_is_a_422_and_changes_nothing(session, client, change, field, message) -> None:
    sign_in(client, "operator")
    page = client.get(f"{KIOSK}/slots/A1")
    product = str(slot(session, "A1").product_id)
    form = {
        "csrf_token": csrf_from(page.data),
        "product": product,
        "capacity": "8",
        "par_level": "6",
        "active": "1",
    }
    response = client.post(f"{KIOSK}/slots/A1", data={**form, **change})
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and f'id="err-{field}"' in html and message in html
    assert 'value="' + change.get("capacity", "8") + '"' in html  # what was typed is kept
    edited = slot(session, "A1")
    assert (edited.capacity, edited.par_level) == (8, 6)


def test_a_slot_holding_stock_keeps_its_product(session, client) -> None:
    sign_in(client, "operator")
    page = client.get(f"{KIOSK}/slots/A1")
    before = slot(session, "A1").product_id
    form = {"csrf_token": csrf_from(page.data), "product": honey(session), "capacity": "8", "par_level": "6"}
    response = client.post(f"{KIOSK}/slots/A1", data=form)
    assert response.status_code == 422 and "货道里还有 5 件" in response.get_data(as_text=True)
    assert slot(session, "A1").product_id == before


def _key(client, action: str, confirm: bool):
    token = csrf_from(client.get(KIOSK).data)
    return client.post(f"{KIOSK}/key/{action}", data={"csrf_token": token, "confirm": "1" if confirm else ""})


def _secret(html: str) -> str:
    found = re.search(r'<code class="secret">([^<]+)</code>', html)
    assert found, "no secret on the page"
    return found.group(1)


def test_a_key_is_provisioned_and_rotated_after_a_confirmation_and_its_secret_shown_once(
    session, client, app
) -> None:
    sign_in(client, "operator")
    asked = _key(client, "provision", confirm=False)
    assert asked.status_code == 200 and "确认 Confirm" in asked.get_data(as_text=True)
    assert device(session) is None, "the confirmation step provisioned"
    provisioned = _key(client, "provision", confirm=True)
    assert provisioned.status_code == 200
    first = _secret(provisioned.get_data(as_text=True))
    assert secret_of(device(session), secret_key=app.config["SECRET_KEY"]) == first.encode()
    old_key_id = device(session).key_id

    assert _key(client, "rotate", confirm=False).status_code == 200
    assert device(session).key_id == old_key_id, "the confirmation step rotated"
    rotated = _key(client, "rotate", confirm=True)
    assert rotated.status_code == 200 and rotated.headers["Cache-Control"] == "no-store"
    html = rotated.get_data(as_text=True)
    secret = _secret(html)
    assert html.count(secret) == 1 and secret != first
    key = device(session)
    assert key.key_id != old_key_id and key.key_id in html and key.rotated_at is not None
    assert secret_of(key, secret_key=app.config["SECRET_KEY"]) == secret.encode()
    for path in (KIOSK, "/console/kiosks", f"{KIOSK}/slots/A1"):
        assert secret not in client.get(path).get_data(as_text=True), path
    with client.session_transaction() as cookie_session:
        assert secret not in str(dict(cookie_session)), "the secret was kept in the session"


def test_a_revoked_key_is_marked_and_a_second_provision_is_refused(session, client) -> None:
    sign_in(client, "operator")
    assert _key(client, "provision", confirm=True).status_code == 200
    refused = _key(client, "provision", confirm=True)
    assert refused.status_code == 409 and "该售货柜已有设备密钥" in refused.get_data(as_text=True)
    assert _key(client, "revoke", confirm=False).status_code == 200
    assert device(session).status == "active"
    revoked = _key(client, "revoke", confirm=True)
    assert revoked.status_code == 303 and device(session).status == "revoked"
    assert "密钥已吊销" in client.get("/console/kiosks").get_data(as_text=True)


@pytest.mark.parametrize(
    ("path", "form"),
    [
        ("/slots", {"code": "D1", "capacity": "6", "par_level": "4"}),
        ("/slots/A1", {"capacity": "10", "par_level": "8"}),
        ("/key/provision", {"confirm": "1"}),
        ("/key/rotate", {"confirm": "1"}),
        ("/key/revoke", {"confirm": "1"}),
    ],
)
def test_the_auditor_may_not_change_a_kiosk(session, client, path, form) -> None:
    sign_in(client, "auditor")
    page = client.get(KIOSK)
    html = page.get_data(as_text=True)
    assert "添加货道" not in html and "更换设备密钥" not in html
    refused = client.post(f"{KIOSK}{path}", data={"csrf_token": csrf_from(page.data), **form})
    assert refused.status_code == 403
    assert slot(session, "D1") is None and slot(session, "A1").capacity == 8 and device(session) is None


def test_kiosk_pages_read_as_names_labels_and_beijing_time(session, client) -> None:
    sign_in(client, "operator")
    listing = client.get("/console/kiosks").get_data(as_text=True)
    assert "福州火车站北广场消费帮扶专柜（演示）" in listing and "选购出货柜 · Vending cabinet" in listing
    assert "开门自取柜" in listing and "未配置设备密钥" in listing and "open_door" not in listing
    _key(client, "provision", confirm=True)
    detail = client.get(KIOSK).get_data(as_text=True)
    assert "北京时间" in detail and "福州消费帮扶中心仓（演示）" in detail


def test_a_vending_slot_off_sale_for_expired_stock_says_so_until_it_is_pulled(session, client, clock) -> None:
    sign_in(client, "operator")
    row = re.compile(r"<tr><td>A3</td>.*?</tr>")
    assert "有过期批次，已停售，请取出" in row.search(client.get(KIOSK).get_data(as_text=True)).group(0)
    assert "已停售" not in row.sub("", client.get(KIOSK).get_data(as_text=True))  # no other slot
    service.write_off(session, clock, location="FZ-0001", slot="A3", qty=2, reason="expired", actor="test")
    session.commit()
    assert "已停售" not in client.get(KIOSK).get_data(as_text=True)
