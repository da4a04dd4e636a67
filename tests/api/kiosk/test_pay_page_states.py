"""The phone's pay page says, in Chinese and in English, where each order stands, with its amounts:
a pre-authorisation before an open-door visit, what was charged after it, refunds with the product,
cancelled and expired orders, and a refused pay as a sentence page (never a raw code or JSON)."""

from __future__ import annotations

import re
import uuid
from html import unescape

from tests.api.kiosk.conftest import pay, stocked_slots

RAW_CODES = ("partially_refunded", "payment_state_conflict", "awaiting_", '{"error"', "authorized")


def token_of(started: dict) -> str:
    return started["payment"]["qr_payload"].rstrip("/").rsplit("/", 1)[-1]


def page(client, token: str, lang: str = "zh") -> str:  # type: ignore[no-untyped-def]
    """The pay page's text, tags stripped, checked to carry no raw status code."""
    response = client.get(f"/pay/{token}?lang={lang}")
    assert response.status_code == 200
    text = visible(response.get_data(as_text=True))
    assert not any(code in text for code in RAW_CODES), text
    return text


def csrf_of(client, token: str) -> str:  # type: ignore[no-untyped-def]
    """The CSRF token of the pay page's form, as the shopper's phone has it."""
    html = client.get(f"/pay/{token}").get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def press(client, token: str, csrf: str | None = None, lang: str = "zh"):  # type: ignore[no-untyped-def]
    """Press the pay page's button (the form posts its CSRF token)."""
    return client.post(f"/pay/{token}?lang={lang}", data={"csrf_token": csrf or csrf_of(client, token)})


def visible(html: str) -> str:
    body = re.sub(r"<script.*?</script>|<[^>]+>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", unescape(body))


def yuan(fen: int) -> str:
    return f"¥{fen // 100:,}.{fen % 100:02d}"


def door_visit(client, kiosk) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    started = kiosk.post("/door-sessions", {}).get_json()
    return started["order_id"], token_of(started)


def test_an_open_door_visit_is_a_pre_authorisation_before_and_the_charge_after(client, door_kiosk) -> None:
    a, b = stocked_slots(door_kiosk)[:2]
    order_id, token = door_visit(client, door_kiosk)
    before = page(client, token)
    assert "预授权 ¥200.00 并开门" in before and "不是扣款" in before and "支付 ¥" not in before
    assert "Pre-authorise ¥200.00 and open" in page(client, token, "en")
    assert press(client, token).status_code == 302
    assert "已预授权，柜门已打开" in page(client, token) and "尚未扣款" in page(client, token)
    door_kiosk.post(
        f"/orders/{order_id}/door-closed",
        {
            "report_id": str(uuid.uuid4()),
            "taken": [{"slot": a["slot"], "qty": 1}, {"slot": b["slot"], "qty": 2}],
        },
    )
    charged = a["product"]["price_fen"] + 2 * b["product"]["price_fen"]
    after = page(client, token)
    assert f"已扣款 {yuan(charged)}" in after and f"其余 {yuan(20000 - charged)} 已释放" in after
    assert "¥200.00" not in after.replace("预授权其余", "")  # the hold is no longer shown as the amount
    english = page(client, token, "en")
    assert f"Charged {yuan(charged)}" in english and "Paid — please take" not in english
    state = client.get(f"/pay/{token}/state?lang=en").get_json()
    assert state["amount"] == yuan(charged) and state["final"] is True and state["tone"] == "ok"


def test_an_empty_open_door_visit_says_nothing_charged_and_hold_released(client, door_kiosk) -> None:
    order_id, token = door_visit(client, door_kiosk)
    assert pay(client, f"/{token}").status_code == 200
    door_kiosk.post(f"/orders/{order_id}/door-closed", {"report_id": "empty-1", "taken": []})
    assert "未扣款，预授权已释放" in page(client, token)
    english = page(client, token, "en")
    assert "Nothing charged, hold released" in english and "Paid" not in english


def test_a_jammed_slot_shows_the_refund_with_its_product_and_amount(client, vend_kiosk) -> None:
    a, b = stocked_slots(vend_kiosk)[:2]
    started = vend_kiosk.post(
        "/sessions", {"lines": [{"slot": a["slot"], "qty": 1}, {"slot": b["slot"], "qty": 1}]}
    ).get_json()
    token = token_of(started)
    assert f"支付 {yuan(started['total_fen'])}" in page(client, token)
    assert press(client, token).status_code == 302
    assert "正在出货" in page(client, token) and "dispensing" in page(client, token, "en")
    vend_kiosk.post(
        f"/orders/{started['order_id']}/vend-results",
        {
            "report_id": str(uuid.uuid4()),
            "results": [
                {"slot": a["slot"], "requested": 1, "dispensed": 1},
                {"slot": b["slot"], "requested": 1, "dispensed": 0, "error": "motor_jam"},
            ],
        },
    )
    refunded, net = b["product"]["price_fen"], a["product"]["price_fen"]
    text = page(client, token)
    assert f"部分退款 {yuan(refunded)}" in text and f"{b['product']['name']['zh']} ×1 未出货" in text
    assert f"实付 {yuan(net)}" in text
    english = page(client, token, "en")
    assert f"{b['product']['name']['en']} ×1 could not be dispensed" in english
    assert f"Partly refunded: {yuan(refunded)}" in english and f"you paid {yuan(net)}" in english
    assert client.get(f"/pay/{token}/state").get_json()["tone"] == "warn"


def test_a_fully_refunded_vend_says_so_with_the_amount(client, vend_kiosk) -> None:
    (a,) = stocked_slots(vend_kiosk)[:1]
    started = vend_kiosk.post("/sessions", {"lines": [{"slot": a["slot"], "qty": 1}]}).get_json()
    token = token_of(started)
    press(client, token)
    vend_kiosk.post(
        f"/orders/{started['order_id']}/vend-results",
        {
            "report_id": "r-1",
            "results": [{"slot": a["slot"], "requested": 1, "dispensed": 0, "error": "motor_jam"}],
        },
    )
    price = yuan(a["product"]["price_fen"])
    assert f"已全额退款 {price}" in page(client, token)
    assert f"Refunded in full: {price}" in page(client, token, "en")


def test_paying_after_the_kiosk_cancelled_is_a_409_sentence_page(client, vend_kiosk) -> None:
    (a,) = stocked_slots(vend_kiosk)[:1]
    started = vend_kiosk.post("/sessions", {"lines": [{"slot": a["slot"], "qty": 1}]}).get_json()
    token = token_of(started)
    csrf = csrf_of(client, token)  # the shopper opened the page, then the kiosk gave up
    vend_kiosk.post(f"/orders/{started['order_id']}/cancel")
    assert "此订单已在柜机上取消，未扣款" in page(client, token) and 'class="paybtn"' not in client.get(
        f"/pay/{token}"
    ).get_data(as_text=True)
    for lang, words in (("zh", "本次支付未完成"), ("en", "This payment did not go through")):
        refused = press(client, token, csrf, lang)
        assert refused.status_code == 409 and refused.mimetype == "text/html"
        text = visible(refused.get_data(as_text=True))
        assert words in text and not any(code in text for code in RAW_CODES), text
    assert "was cancelled at the kiosk; nothing was charged" in text


def test_an_expired_order_says_nothing_was_charged(client, vend_kiosk, clock) -> None:
    (a,) = stocked_slots(vend_kiosk)[:1]
    started = vend_kiosk.post("/sessions", {"lines": [{"slot": a["slot"], "qty": 1}]}).get_json()
    clock.advance(seconds=181)
    assert vend_kiosk.get(f"/orders/{started['order_id']}").get_json()["status"] == "expired"
    token = token_of(started)
    assert "已超时失效，未扣款" in page(client, token)
    assert "timed out; nothing was charged" in page(client, token, "en")


def test_a_link_that_names_no_order_is_a_404_sentence_page(client) -> None:
    for lang, words in (("zh", "支付链接无效"), ("en", "This payment link is not valid")):
        response = client.get(f"/pay/no-such-link?lang={lang}")
        assert response.status_code == 404 and response.mimetype == "text/html"
        text = visible(response.get_data(as_text=True))
        assert words in text and "pay_link_not_found" not in text and '{"error"' not in text
