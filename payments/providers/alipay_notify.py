"""Alipay's asynchronous notifications (异步通知): verify, then normalise into a ProviderEvent.

A notification is a form POST (application/x-www-form-urlencoded). Its `sign` is SHA256withRSA
(RSA2) with Alipay's private key over the other parameters — all but `sign` and `sign_type`, and
none that is empty — sorted by name and joined as `k=v&…` with the values URL-decoded; it is
checked with ALIPAY_PUBLIC_KEY by the SDK's `verify`. The app_id must be ours.

Staleness: Alipay retries a notification it got no `success` for over about 25 hours (4 m, 10 m,
10 m, 1 h, 2 h, 6 h, 15 h), keeping its notify_id and signing a new notify_time. So a notification
whose notify_time (Beijing time) is older than 48 hours, or more than 10 minutes ahead of our
clock, is refused as a WebhookSignatureError; a Stripe-like 5-minute window would refuse genuine
retries. A replay inside the window changes nothing: events are applied once by notify_id and a
payment's state only moves forward.

Events: TRADE_SUCCESS / TRADE_FINISHED → payment_succeeded; TRADE_CLOSED → payment_canceled;
a notification with refund fields (gmt_refund, refund_fee = the total refunded so far,
out_biz_no = our out_request_no) → payment_refunded, whatever the trade_status (a partial refund
leaves TRADE_SUCCESS, a full one TRADE_CLOSED); WAIT_BUYER_PAY and the rest → ignored.
"""

from __future__ import annotations

import binascii
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl

from core.clock import SHANGHAI
from core.errors import InvalidInput
from core.money import parse_yuan
from payments.errors import WebhookSignatureError
from payments.providers.base import EventType, PaymentStatus, ProviderEvent

DEFAULT_MAX_AGE_SECONDS = 48 * 3600
MAX_CLOCK_SKEW_SECONDS = 600
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
UNSIGNED = ("sign", "sign_type")


def form_params(payload: bytes) -> dict[str, str]:
    """The parameters of a form body, decoded in its own `charset` (utf-8 unless it names GBK)."""
    try:
        text = payload.decode("ascii")
    except UnicodeDecodeError as exc:  # a form body is percent-encoded ASCII
        raise WebhookSignatureError("Alipay notification is not a form body") from exc
    pairs = parse_qsl(text, keep_blank_values=True, encoding="utf-8", errors="strict")
    charset = dict(pairs).get("charset", "utf-8").strip().lower()
    if charset in ("gbk", "gb2312", "gb18030"):
        pairs = parse_qsl(text, keep_blank_values=True, encoding="gb18030", errors="strict")
    params = dict(pairs)
    if len(params) != len(pairs):
        raise WebhookSignatureError("Alipay notification repeats a parameter")
    return params


def signed_content(params: Mapping[str, str]) -> dict[str, str]:
    """The parameters the signature covers: not sign or sign_type, none empty."""
    return {key: value for key, value in params.items() if key not in UNSIGNED and value != ""}


def verified_notification(
    payload: bytes,
    *,
    verify: Callable[[dict[str, Any], str], bool],
    app_id: str,
    now: datetime,
    max_age_seconds: int | None = None,
) -> dict[str, str]:
    """The parameters of a genuine, current notification to our app; else WebhookSignatureError."""
    try:
        params = form_params(payload)
    except UnicodeError as exc:
        raise WebhookSignatureError("Alipay notification is not decodable in its charset") from exc
    sign = params.get("sign", "")
    if not sign:
        raise WebhookSignatureError("Alipay notification has no sign")
    if params.get("sign_type", "RSA2") != "RSA2":
        raise WebhookSignatureError(f"Alipay notification is signed {params.get('sign_type')!r}, not RSA2")
    try:
        genuine = verify(signed_content(params), sign)
    except (ValueError, TypeError, binascii.Error) as exc:
        raise WebhookSignatureError("Alipay notification's sign is not a signature") from exc
    if not genuine:
        raise WebhookSignatureError("Alipay notification's sign does not verify with ALIPAY_PUBLIC_KEY")
    if params.get("app_id") != app_id:
        raise WebhookSignatureError(f"Alipay notification is for app {params.get('app_id')!r}, not ours")
    sent = beijing_time(params.get("notify_time"), "notify_time", error=WebhookSignatureError)
    age = (now - sent).total_seconds()
    limit = DEFAULT_MAX_AGE_SECONDS if max_age_seconds is None else max_age_seconds
    if age > limit:
        raise WebhookSignatureError(f"Alipay notification is stale: sent {int(age)} s ago, limit {limit} s")
    if age < -MAX_CLOCK_SKEW_SECONDS:
        raise WebhookSignatureError("Alipay notification's notify_time is in the future")
    return params


def beijing_time(text: str | None, field: str, *, error: type[Exception] = InvalidInput) -> datetime:
    """Alipay's "yyyy-MM-dd HH:mm:ss", which is Beijing time, as an aware datetime."""
    try:
        # gmt_refund carries milliseconds ("2015-04-28 15:45:57.320"): whole seconds are enough.
        return datetime.strptime(str(text).strip().split(".")[0], TIME_FORMAT).replace(tzinfo=SHANGHAI)
    except ValueError as exc:
        raise error(f"Alipay notification's {field} is not a time: {text!r}") from exc


def _fen(params: Mapping[str, str], field: str) -> int | None:
    value = params.get(field, "")
    if value == "":
        return None
    return parse_yuan(value, field=field, allow_zero=True)


def event_from_notification(params: Mapping[str, str]) -> ProviderEvent:
    """Normalise a verified notification; InvalidInput when a genuine one lacks what we need."""
    notify_id = params.get("notify_id", "")
    out_trade_no = params.get("out_trade_no", "")
    if not notify_id or not out_trade_no:
        raise InvalidInput(
            "Alipay notification lacks notify_id or out_trade_no", fields={"notify_id": "required"}
        )
    trade_status = params.get("trade_status", "")
    total = _fen(params, "total_amount")
    refunded = _fen(params, "refund_fee")
    is_refund = bool(params.get("gmt_refund")) or bool(refunded)
    when_field = (
        "gmt_refund" if is_refund else "gmt_close" if trade_status == "TRADE_CLOSED" else "gmt_payment"
    )
    if not params.get(when_field):
        when_field = "notify_time"
    created = beijing_time(params.get(when_field), when_field)
    kind: EventType
    status: PaymentStatus | None
    received: int | None = None
    if is_refund:
        kind, status, received = "payment_refunded", "succeeded", total
    elif trade_status in ("TRADE_SUCCESS", "TRADE_FINISHED"):
        kind, status, received = "payment_succeeded", "succeeded", total
    elif trade_status == "TRADE_CLOSED":
        kind, status = "payment_canceled", "canceled"
    elif trade_status == "WAIT_BUYER_PAY":
        kind, status = "ignored", "requires_payment"
    else:
        kind, status = "ignored", None
    provider_type = f"{params.get('notify_type', 'trade_status_sync')}.{trade_status or '-'}"
    return ProviderEvent(
        event_id=notify_id,
        type=kind,
        provider_type=provider_type + (".refund" if is_refund else ""),
        provider_ref=out_trade_no,
        status=status,
        amount_fen=total,
        amount_capturable_fen=0 if status is not None else None,
        amount_received_fen=received,
        amount_refunded_fen=refunded if is_refund else None,
        created=created,
        raw=dict(params),
    )
