"""WeChat Pay notifications: verified (platform key, 5 minutes), decrypted (AES-256-GCM, APIv3 key) and
normalised; forged, stale, replayed-late or wrongly encrypted ones are refused. No network: the
provider is built in public-key mode, which fetches nothing."""

from __future__ import annotations

import json
from typing import Any

import pytest

from payments.errors import WebhookSignatureError
from payments.providers.wechatpay import WeChatPayProvider
from tests.fakes.wechatpay_fake import (
    FakeKeys,
    encrypt_resource,
    generate_keys,
    rsa_sign,
    signed_headers,
)

NOW = 1_764_750_000  # a fixed "now" for the provider's freshness check
OUT_TRADE_NO = "6f1c2a348b7d4e219a0f_1b2c3d4e5f6"


@pytest.fixture(scope="module")
def keys() -> FakeKeys:
    return generate_keys()


@pytest.fixture
def provider(keys: FakeKeys) -> WeChatPayProvider:
    return WeChatPayProvider(
        mchid=keys.mchid,
        appid=keys.appid,
        private_key_pem=keys.merchant_private_pem,
        cert_serial_no=keys.merchant_serial,
        apiv3_key=keys.apiv3_key,
        platform_key_pem=keys.platform_public_pem,
        platform_key_id=keys.platform_key_id,
        notify_url="https://dongxi.example.cn/api/v1/payments/wechatpay/webhook",
        api_base="http://127.0.0.1:9",  # never called here
        now=lambda: NOW,
    )


def transaction(state: str = "SUCCESS") -> dict[str, Any]:
    return {
        "appid": "wxd678efh567hg6787",
        "mchid": "1900000109",
        "out_trade_no": OUT_TRADE_NO,
        "transaction_id": "4200000000202612030000000001",
        "trade_type": "NATIVE",
        "trade_state": state,
        "trade_state_desc": "支付成功",
        "bank_type": "OTHERS",
        "attach": "6f1c2a34-8b7d-4e21-9a0f-3c5d7e9b1a22",
        "success_time": "2026-12-03T16:20:00+08:00",
        "payer": {"openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"},
        "amount": {"total": 2990, "payer_total": 2990, "currency": "CNY", "payer_currency": "CNY"},
    }


def body(
    keys: FakeKeys, resource: dict[str, Any], event_type: str = "TRANSACTION.SUCCESS", *, apiv3_key: str = ""
) -> bytes:
    original = "refund" if event_type.startswith("REFUND") else "transaction"
    return json.dumps(
        {
            "id": "EV-2026120316200000001",
            "create_time": "2026-12-03T16:20:01+08:00",
            "resource_type": "encrypt-resource",
            "event_type": event_type,
            "summary": "支付成功",
            "resource": encrypt_resource(apiv3_key or keys.apiv3_key, resource, original),
        },
        ensure_ascii=False,
    ).encode()


def test_a_genuine_payment_notification_is_a_payment_succeeded(
    provider: WeChatPayProvider, keys: FakeKeys
) -> None:
    payload = body(keys, transaction())
    event = provider.parse_webhook(
        payload, signed_headers(keys.platform_key, keys.platform_key_id, payload, at=NOW)
    )

    assert (event.event_id, event.type, event.provider_type) == (
        "EV-2026120316200000001",
        "payment_succeeded",
        "TRANSACTION.SUCCESS",
    )
    assert (event.provider_ref, event.status, event.amount_fen, event.amount_received_fen) == (
        OUT_TRADE_NO,
        "succeeded",
        2990,
        2990,
    )
    assert event.created.utcoffset().total_seconds() == 8 * 3600
    assert event.raw["resource"]["transaction_id"] == "4200000000202612030000000001", "stored decrypted"


@pytest.mark.parametrize(
    ("event_type", "status"),
    [("REFUND.SUCCESS", "succeeded"), ("REFUND.ABNORMAL", "failed"), ("REFUND.CLOSED", "failed")],
)
def test_refund_notifications_move_the_refund(
    provider: WeChatPayProvider, keys: FakeKeys, event_type: str, status: str
) -> None:
    resource = {
        "mchid": "1900000109",
        "out_trade_no": OUT_TRADE_NO,
        "transaction_id": "4200000000202612030000000001",
        "out_refund_no": "refund-6f1c2a34-Qq1_zz8",
        "refund_id": "50000000382019052709732678859",
        "refund_status": event_type.split(".")[1],
        "success_time": "2026-12-03T16:30:00+08:00",
        "user_received_account": "支付用户零钱",
        "amount": {"total": 2990, "refund": 1000, "payer_total": 2990, "payer_refund": 1000},
    }
    payload = body(keys, resource, event_type)
    event = provider.parse_webhook(
        payload, signed_headers(keys.platform_key, keys.platform_key_id, payload, at=NOW)
    )

    assert event.type == "refund_updated" and event.provider_ref == OUT_TRADE_NO
    assert event.refund is not None
    assert (event.refund.provider_ref, event.refund.status, event.refund.amount_fen) == (
        "refund-6f1c2a34-Qq1_zz8",
        status,
        1000,
    )


def test_a_closed_transaction_is_a_cancel_and_other_events_are_ignored(
    provider: WeChatPayProvider, keys: FakeKeys
) -> None:
    payload = body(keys, transaction("CLOSED"), "TRANSACTION.CLOSED")
    closed = provider.parse_webhook(
        payload, signed_headers(keys.platform_key, keys.platform_key_id, payload, at=NOW)
    )
    assert (closed.type, closed.status) == ("payment_canceled", "canceled")

    payload = body(keys, {"out_trade_no": OUT_TRADE_NO, "what": "new"}, "PAYSCORE.USER_CONFIRM")
    other = provider.parse_webhook(
        payload, signed_headers(keys.platform_key, keys.platform_key_id, payload, at=NOW)
    )
    assert (other.type, other.provider_ref) == ("ignored", OUT_TRADE_NO)


def refused(provider: WeChatPayProvider, payload: bytes, headers: dict[str, str]) -> str:
    with pytest.raises(WebhookSignatureError) as error:
        provider.parse_webhook(payload, headers)
    return error.value.message


def test_a_signature_by_another_key_is_refused(provider: WeChatPayProvider, keys: FakeKeys) -> None:
    payload = body(keys, transaction())
    forger = generate_keys()
    forged = signed_headers(forger.platform_key, keys.platform_key_id, payload, at=NOW)
    assert "does not match" in refused(provider, payload, forged)


def test_a_changed_body_under_a_genuine_signature_is_refused(
    provider: WeChatPayProvider, keys: FakeKeys
) -> None:
    payload = body(keys, transaction())
    headers = signed_headers(keys.platform_key, keys.platform_key_id, payload, at=NOW)
    tampered = payload.replace(b'"summary": "', b'"summary": "X', 1)
    assert tampered != payload
    assert "does not match" in refused(provider, tampered, headers)


def test_a_signature_over_another_timestamp_is_refused(provider: WeChatPayProvider, keys: FakeKeys) -> None:
    payload = body(keys, transaction())
    headers = signed_headers(keys.platform_key, keys.platform_key_id, payload, at=NOW)
    assert "does not match" in refused(provider, payload, {**headers, "Wechatpay-Timestamp": str(NOW - 10)})


@pytest.mark.parametrize("age", [301, -301, 3600])
def test_a_notification_signed_more_than_five_minutes_away_is_refused(
    provider: WeChatPayProvider, keys: FakeKeys, age: int
) -> None:
    payload = body(keys, transaction())
    stale = signed_headers(keys.platform_key, keys.platform_key_id, payload, at=NOW - age)
    assert "away from now" in refused(provider, payload, stale)


def test_a_notification_within_five_minutes_is_accepted(provider: WeChatPayProvider, keys: FakeKeys) -> None:
    payload = body(keys, transaction())
    late = signed_headers(keys.platform_key, keys.platform_key_id, payload, at=NOW - 299)
    assert provider.parse_webhook(payload, late).type == "payment_succeeded"


def test_a_resource_encrypted_with_another_apiv3_key_is_refused(
    provider: WeChatPayProvider, keys: FakeKeys
) -> None:
    payload = body(keys, transaction(), apiv3_key="0" * 32)
    headers = signed_headers(keys.platform_key, keys.platform_key_id, payload, at=NOW)
    assert "does not decrypt" in refused(provider, payload, headers)


def test_a_resource_with_other_associated_data_is_refused(
    provider: WeChatPayProvider, keys: FakeKeys
) -> None:
    notification = json.loads(body(keys, transaction()))
    notification["resource"]["associated_data"] = "refund"
    payload = json.dumps(notification).encode()
    headers = signed_headers(keys.platform_key, keys.platform_key_id, payload, at=NOW)
    assert "does not decrypt" in refused(provider, payload, headers)


def test_missing_headers_or_another_key_id_are_refused(provider: WeChatPayProvider, keys: FakeKeys) -> None:
    payload = body(keys, transaction())
    headers = signed_headers(keys.platform_key, keys.platform_key_id, payload, at=NOW)
    for name in ("Wechatpay-Signature", "Wechatpay-Timestamp", "Wechatpay-Nonce", "Wechatpay-Serial"):
        assert "without" in refused(provider, payload, {k: v for k, v in headers.items() if k != name})
    assert "not the configured one" in refused(
        provider, payload, {**headers, "Wechatpay-Serial": "PUB_KEY_ID_OTHER"}
    )
    assert "not base64" in refused(provider, payload, {**headers, "Wechatpay-Signature": "@@@"})


def test_header_names_are_read_whatever_their_case(provider: WeChatPayProvider, keys: FakeKeys) -> None:
    payload = body(keys, transaction())
    headers = {
        k.lower(): v
        for k, v in signed_headers(keys.platform_key, keys.platform_key_id, payload, at=NOW).items()
    }
    assert provider.parse_webhook(payload, headers).type == "payment_succeeded"


def test_a_signed_body_that_is_not_json_is_refused(provider: WeChatPayProvider, keys: FakeKeys) -> None:
    payload = b"not json"
    timestamp, nonce = str(NOW), "n" * 32
    headers = {
        "Wechatpay-Timestamp": timestamp,
        "Wechatpay-Nonce": nonce,
        "Wechatpay-Serial": keys.platform_key_id,
        "Wechatpay-Signature": rsa_sign(keys.platform_key, f"{timestamp}\n{nonce}\nnot json\n"),
    }
    assert "not JSON" in refused(provider, payload, headers)
