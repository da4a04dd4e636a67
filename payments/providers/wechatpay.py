"""The WeChat Pay provider: API v3 direct-merchant (直连商户) orders through the maintained SDK `wechatpayv3`.

What it does, in WeChat Pay's terms:
- create_payment → Native (扫码支付): the answer's `code_url` is the kiosk's QR payload. With
  payment_method="h5" (the pay page opened in a phone browser outside WeChat) it is an H5 order
  (H5支付) and the payload is the `h5_url` to redirect to, with `redirect_url` = return_url;
  `metadata["payer_client_ip"]` is then required (WeChat checks it). JSAPI (inside WeChat, needs
  the shopper's openid from an OAuth step) is not built yet.
- Our provider_ref is the `out_trade_no`, derived from the payment's reference (the order id) and
  its idempotency key: an order id (36 characters) does not fit WeChat's 32, and a second payment
  of the same order needs its own number. The full reference travels in `attach` (the bill's
  商户数据包). A create repeated after a timeout or crash sends the same out_trade_no; WeChat answers
  the same code_url, or ORDERPAID / OUT_TRADE_NO_USED / ORDER_CLOSED, in which case the order is
  queried and returned as it stands (IdempotencyKeyReused if its amount differs).
- get_payment → 查询订单 by out_trade_no; cancel → 关闭订单, then the query; refund → 申请退款 with
  `out_refund_no` from the idempotency key (the same key refunds once); get_refund → 查询单笔退款.
- capture: WeChat Native and H5 have no authorization hold. WeChat Pay Score (微信支付分, "pay after
  service") could hold an open-door visit, and the SDK has payscore_*, but it needs a service_id
  WeChat approves per merchant and the shopper's confirmation inside WeChat (mini program or
  JSAPI), so it is not used here: create_payment(capture="manual") is refused with InvalidInput
  (code capture_not_supported) and capture() raises PaymentProviderError (same code).
  Open-door cabinets on WeChat Pay, and the deposit fallback for them: docs/DESIGN.md, Flows.
- parse_webhook: our own verification (wechatpay_notify: signature, serial, 5-minute timestamp,
  AES-256-GCM), because the SDK's callback() checks no timestamp and returns None on failure.
  `webhook_ack`/`webhook_refusal` give the answer WeChat expects ({"code": "SUCCESS"} / "FAIL").

The SDK's gateway (https://api.mch.weixin.qq.com) is a private attribute, `Core._gate_way`; with
`api_base` it is replaced after construction (tests point it at tests/fakes/wechatpay_fake.py).
Only the platform *public key* mode (微信支付公钥, the current default) is configured, so the SDK
never downloads /v3/certificates at construction; a platform certificate may be given instead of
the key, with its serial number as the key id. SDK exceptions never leave this module.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import re
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import date
from typing import Any
from urllib.parse import quote

import requests
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from wechatpayv3 import WeChatPay, WeChatPayType

from core.errors import InvalidInput
from payments.bills import BillLine
from payments.errors import (
    IdempotencyKeyReused,
    PaymentNotFound,
    PaymentProviderError,
    PaymentStateConflict,
    ProviderUnavailable,
)
from payments.providers.base import (
    CaptureMode,
    Method,
    ProviderEvent,
    ProviderPayment,
    ProviderRefund,
    check_create,
    check_fen,
    check_idempotency_key,
)
from payments.providers.wechatpay_bill import bill_lines, parse_trade_bill
from payments.providers.wechatpay_notify import open_notification
from payments.providers.wechatpay_objects import (
    WECHAT_CURRENCY,
    event_from_notification,
    payment_from_transaction,
    refund_from_wechat,
)

METHODS = ("wechat_pay", "any")
_OUT_NO = re.compile(r"^[0-9A-Za-z_\-|*@]+$")
# Codes of a create whose out_trade_no WeChat already knows: the order exists, so query it.
_EXISTING_ORDER = ("ORDERPAID", "OUT_TRADE_NO_USED", "ORDER_CLOSED")
_NOT_FOUND = ("ORDER_NOT_EXIST", "RESOURCE_NOT_EXISTS", "ORDERNOTEXIST")
_STATE = ("ORDERPAID", "ORDER_CLOSED", "OUT_TRADE_NO_USED", "TRADE_ERROR", "INVALID_REQUEST", "NOT_ENOUGH")
_UNAVAILABLE = ("SYSTEM_ERROR", "SYSTEMERROR", "FREQUENCY_LIMITED", "BANK_ERROR", "SERVICE_UNAVAILABLE")
DESCRIPTION_LIMIT = 127  # characters WeChat keeps of `description`
REASON_LIMIT = 80


def out_trade_no(reference: str, idempotency_key: str) -> str:
    """The 32-character out_trade_no of one payment: its reference's letters and digits, then a digest of
    its idempotency key (the same on every retry, different for each payment of an order)."""
    readable = re.sub(r"[^0-9A-Za-z]", "", reference)[:20]
    digest = hashlib.sha256(idempotency_key.encode()).hexdigest()[: 31 - len(readable)]
    return f"{readable}_{digest}"


def out_refund_no(idempotency_key: str) -> str:
    """The out_refund_no of a refund: its idempotency key when WeChat accepts it (64 characters of
    letters, digits and _-|*@), else a digest of it."""
    if len(idempotency_key) <= 64 and _OUT_NO.match(idempotency_key):
        return idempotency_key
    return "R" + hashlib.sha256(idempotency_key.encode()).hexdigest()[:40]


def load_platform_key(pem: bytes) -> rsa.RSAPublicKey:
    """Read the platform public key, or the public key of a platform certificate, from PEM."""
    if b"CERTIFICATE" in pem:
        key = x509.load_pem_x509_certificate(pem).public_key()
    else:
        key = serialization.load_pem_public_key(pem)
    if not isinstance(key, rsa.RSAPublicKey):
        raise ValueError("the WeChat Pay platform key is not an RSA key")
    return key


class WeChatAnswer(Exception):
    """A non-2xx answer of the API: its HTTP status and WeChat's error code and message."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{code}: {message} (HTTP {status})")
        self.status, self.code, self.message = status, code, message


def _error(answer: WeChatAnswer) -> Exception:
    """The payments error for a WeChat error answer."""
    detail = f"WeChat Pay {answer.code}: {answer.message}"
    if answer.code in _NOT_FOUND or answer.status == 404:
        return PaymentNotFound(detail)
    if answer.code in _UNAVAILABLE or answer.status >= 500 or answer.status == 429:
        return ProviderUnavailable(detail)
    if answer.code in _STATE:
        return PaymentStateConflict(detail)
    return PaymentProviderError(detail)


@contextmanager
def _translated() -> Iterator[None]:
    """Turn the SDK's and requests' exceptions, and WeChat's error answers, into the payments errors."""
    try:
        yield
    except WeChatAnswer as answer:
        raise _error(answer) from answer
    except requests.RequestException as exc:
        raise ProviderUnavailable(f"WeChat Pay is unreachable: {exc}") from exc
    except (PaymentProviderError, InvalidInput, PaymentNotFound, PaymentStateConflict, IdempotencyKeyReused):
        raise
    except Exception as exc:  # the SDK raises bare Exception (bad signature of an answer, bad key)
        raise PaymentProviderError(f"WeChat Pay SDK: {exc}") from exc


class WeChatPayProvider:
    """PaymentProvider backed by WeChat Pay API v3 (Native and H5)."""

    name = "wechatpay"
    holds = False  # no authorization hold: see the module docstring

    def __init__(
        self,
        *,
        mchid: str,
        appid: str,
        private_key_pem: str,
        cert_serial_no: str,
        apiv3_key: str,
        platform_key_pem: bytes,
        platform_key_id: str,
        notify_url: str,
        api_base: str | None = None,
        timeout: tuple[float, float] = (5, 20),
        now: Callable[[], float] = time.time,
    ) -> None:
        if len(apiv3_key.encode()) != 32:
            raise ValueError("the WeChat Pay APIv3 key must be 32 bytes")
        self._platform_key = load_platform_key(platform_key_pem)
        self._platform_key_id = platform_key_id
        self._apiv3_key = apiv3_key.encode()
        self._now = now
        public_pem = self._platform_key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ).decode()
        self._sdk = WeChatPay(
            wechatpay_type=WeChatPayType.NATIVE,
            mchid=mchid,
            private_key=private_key_pem,
            cert_serial_no=cert_serial_no,
            appid=appid,
            apiv3_key=apiv3_key,
            notify_url=notify_url,
            timeout=timeout,
            public_key=public_pem,
            public_key_id=platform_key_id,
        )
        if api_base:
            # The SDK has no gateway parameter: its one attribute for it is replaced (see the docstring).
            self._sdk._core._gate_way = api_base.rstrip("/")

    def _call(self, method: Callable[..., tuple[int, Any]], **kwargs: Any) -> dict[str, Any]:
        """Call one SDK method; return the JSON of a 2xx answer (204: empty), raise WeChatAnswer otherwise."""
        status, body = method(**kwargs)
        text = body.decode() if isinstance(body, bytes) else (body or "")
        try:
            decoded = json.loads(text) if text else {}
        except ValueError:
            decoded = {}
        if 200 <= status < 300:
            return decoded if isinstance(decoded, dict) else {}
        raise WeChatAnswer(
            status, str(decoded.get("code", "HTTP_ERROR")), str(decoded.get("message", text[:200]))
        )

    def create_payment(
        self,
        *,
        reference: str,
        amount_fen: int,
        method: Method,
        capture: CaptureMode,
        idempotency_key: str,
        description: str = "",
        metadata: Mapping[str, str] | None = None,
        payment_method: str | None = None,
        return_url: str | None = None,
    ) -> ProviderPayment:
        """Create a Native order (QR code_url), or an H5 order with payment_method="h5" (h5_url)."""
        check_create(
            reference=reference,
            amount_fen=amount_fen,
            method=method,
            capture=capture,
            idempotency_key=idempotency_key,
        )
        if capture == "manual":
            raise InvalidInput(
                "WeChat Pay holds no money for a later capture (see payments/providers/wechatpay.py)",
                code="capture_not_supported",
                fields={"capture": "automatic"},
            )
        if method not in METHODS:
            raise InvalidInput(f"WeChat Pay cannot take {method}", fields={"method": "wechat_pay"})
        h5 = payment_method == "h5"
        params: dict[str, Any] = {
            "description": (description or f"订单 {reference}")[:DESCRIPTION_LIMIT],
            "out_trade_no": out_trade_no(reference, idempotency_key),
            "amount": {"total": amount_fen, "currency": WECHAT_CURRENCY},
            "attach": reference[:128],
            "pay_type": WeChatPayType.H5 if h5 else WeChatPayType.NATIVE,
        }
        if h5:
            ip = (metadata or {}).get("payer_client_ip")
            if not ip:
                raise InvalidInput(
                    "an H5 payment needs the shopper's IP", fields={"payer_client_ip": "required"}
                )
            params["scene_info"] = {"payer_client_ip": ip, "h5_info": {"type": "Wap"}}
        with _translated():
            try:
                answer = self._call(self._sdk.pay, **params)
            except WeChatAnswer as existing:
                if existing.code not in _EXISTING_ORDER:
                    raise
                found = self.get_payment(params["out_trade_no"])
                if found.amount_fen != amount_fen:
                    raise IdempotencyKeyReused(
                        f"out_trade_no {params['out_trade_no']} exists for {found.amount_fen} fen"
                    ) from existing
                return found
        payload = answer.get("code_url") or answer.get("h5_url")
        if payload and h5 and return_url:
            payload = f"{payload}&redirect_url={quote(return_url, safe='')}"
        return ProviderPayment(
            provider_ref=params["out_trade_no"],
            status="requires_payment",
            amount_fen=amount_fen,
            amount_capturable_fen=0,
            amount_received_fen=0,
            qr_payload=payload,
            raw=answer,
        )

    def get_payment(self, provider_ref: str) -> ProviderPayment:
        """Query an order by out_trade_no."""
        with _translated():
            return payment_from_transaction(self._call(self._sdk.query, out_trade_no=provider_ref))

    def capture(self, provider_ref: str, *, amount_fen: int, idempotency_key: str) -> ProviderPayment:
        """Refused: WeChat Pay Native/H5 has no authorization to capture (see the module docstring)."""
        check_fen(amount_fen)
        check_idempotency_key(idempotency_key)
        raise PaymentProviderError(
            "WeChat Pay has no authorization hold to capture; an open-door visit pays a deposit instead"
            " (docs/DESIGN.md, Flows)",
            code="capture_not_supported",
        )

    def cancel(self, provider_ref: str, *, idempotency_key: str) -> ProviderPayment:
        """Close an unpaid order (关闭订单), then report it as WeChat holds it; a paid one is a conflict."""
        check_idempotency_key(idempotency_key)
        with _translated():
            self._call(self._sdk.close, out_trade_no=provider_ref)
        return self.get_payment(provider_ref)

    def refund(
        self, provider_ref: str, *, amount_fen: int, idempotency_key: str, reason: str
    ) -> ProviderRefund:
        """Refund amount_fen of a paid order; out_refund_no comes from the key, so a retry refunds once."""
        check_fen(amount_fen)
        check_idempotency_key(idempotency_key)
        paid = self.get_payment(provider_ref)
        params = {
            "out_refund_no": out_refund_no(idempotency_key),
            "out_trade_no": provider_ref,
            "amount": {"refund": amount_fen, "total": paid.amount_fen, "currency": WECHAT_CURRENCY},
        }
        if reason.strip():
            params["reason"] = reason[:REASON_LIMIT]
        with _translated():
            return refund_from_wechat(self._call(self._sdk.refund, **params))

    def get_refund(self, provider_ref: str) -> ProviderRefund:
        """Query one refund by out_refund_no."""
        with _translated():
            return refund_from_wechat(self._call(self._sdk.query_refund, out_refund_no=provider_ref))

    def parse_webhook(self, payload: bytes, headers: Mapping[str, str]) -> ProviderEvent:
        """Verify a notification (signature, key, 5 minutes), decrypt its resource and normalise it."""
        notification = open_notification(
            payload,
            headers,
            public_key=self._platform_key,
            key_id=self._platform_key_id,
            apiv3_key=self._apiv3_key,
            now=self._now,
        )
        try:
            return event_from_notification(notification)
        except (KeyError, TypeError, ValueError, PaymentProviderError) as exc:  # genuine, but unreadable
            raise InvalidInput(f"WeChat Pay notification is not one we read: {exc!r}") from exc

    def webhook_ack(self, *, duplicate: bool) -> tuple[dict[str, str], int]:
        """The answer that tells WeChat a notification was received (it stops retrying)."""
        return {"code": "SUCCESS", "message": "成功"}, 200

    def webhook_refusal(self, message: str, status: int) -> tuple[dict[str, str], int]:
        """The answer that tells WeChat a notification was refused (4xx/5xx: it retries later)."""
        return {"code": "FAIL", "message": message[:200]}, status

    def download_trade_bill(self, bill_date: date) -> bytes:
        """Download the trade bill (交易账单, ALL, gzip) of a day in Asia/Shanghai, checked by its SHA1."""
        with _translated():
            info = self._call(
                self._sdk.trade_bill, bill_date=bill_date.isoformat(), bill_type="ALL", tar_type="GZIP"
            )
            status, content = self._sdk.download_bill(url=str(info["download_url"]))
            if not 200 <= status < 300:
                raise WeChatAnswer(status, "DOWNLOAD_FAILED", str(content)[:200])
        data = content if isinstance(content, bytes) else str(content).encode()
        if data[:2] == b"\x1f\x8b":  # gzip's magic number
            data = gzip.decompress(data)
        expected = str(info.get("hash_value") or "").lower()
        sha1 = str(info.get("hash_type", "SHA1")).upper() == "SHA1"
        if sha1 and expected and hashlib.sha1(data).hexdigest() != expected:
            raise PaymentProviderError(f"the WeChat Pay trade bill of {bill_date} does not match its SHA1")
        return data

    def daily_bill(self, bill_date: date) -> list[BillLine]:
        """The payments and refunds of a day's trade bill, as provider-neutral lines for reconciliation."""
        return bill_lines(parse_trade_bill(self.download_trade_bill(bill_date)))
