"""The Alipay provider: 当面付 QR codes (alipay.trade.precreate) and 手机网站支付 for a phone browser.

Why python-alipay-sdk and not Alipay's official alipay-sdk-python: the community SDK is one small
module (RSA2 signing of requests, verification of the signed JSON answers and of notifications, a
generic `server_api` for any OpenAPI method) on pycryptodomex, where the official package is a
generated library of thousands of model and request classes with its own HTTP client. We need a
handful of methods and a gateway we can point at a local fake; the small SDK gives both. Its
gateway is the private attribute `_gateway` (openapi.alipay.com, or the sandbox with `debug`):
`gateway_url` replaces it after construction (ALIPAY_GATEWAY_URL; tests use tests/fakes/alipay_fake.py).

Mapping onto the provider interface:

- `provider_ref` of a payment is our out_trade_no: the reference (order id) and a short digest of
  the idempotency key, so that a second payment of one order is a second Alipay trade while a
  retry with the same key is the same trade. Precreate is idempotent on out_trade_no: the retry
  gets the same QR code; a retry after the shopper paid finds the paid trade and reports it.
- A precreated trade exists at Alipay only once the shopper has scanned it: until then
  alipay.trade.query answers ACQ.TRADE_NOT_EXIST (PaymentNotFound here) and `cancel` uses
  alipay.trade.cancel, which also closes an out_trade_no nobody scanned. `cancel` never refunds:
  a paid trade is a PaymentStateConflict (refund it instead).
- A refund's `provider_ref` is "out_trade_no:out_request_no"; out_request_no comes from the
  idempotency key, so retries are the same refund and several partial refunds are several keys.
  Alipay answers refunds synchronously (fund_change=Y: succeeded); a repeated out_request_no
  answers fund_change=N and the refund is then confirmed with alipay.trade.fastpay.refund.query.
- Amounts go out as yuan strings made from fen by `core.money.format_fen` and come back through
  `core.money.parse_yuan`: no float anywhere.

Manual capture (open-door kiosks) is not offered: Alipay's pre-authorisation (资金授权,
alipay.fund.auth.order.*) has no support in this SDK beyond raw `server_api` calls, needs its own
product contract and QR voucher flow, and settles through alipay.trade.pay with an auth_no. So
`create_payment(capture="manual")` is refused (InvalidInput, code capture_not_supported, as Stripe
refuses a wallet hold) and `capture` raises PaymentProviderError (code capture_not_supported).
Open-door cabinets on Alipay, and the deposit fallback for them (the hold amount paid at the door,
what was not taken refunded when it closes): docs/DESIGN.md, Flows. Charging only after the door
closes, without that payment, would need Alipay's deduction agreement (商家扣款,
alipay.user.agreement.*), a contract and SDK support we do not have.

Notifications (parse_webhook) are in payments/providers/alipay_notify.py, the daily bill in
payments/providers/alipay_bill.py. SDK and urllib exceptions never leave this module.
"""

from __future__ import annotations

import hashlib
import json
import re
import urllib.error
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import date, datetime
from typing import Any

from alipay import AliPay
from alipay.exceptions import AliPayException, AliPayValidationError

from core.clock import SHANGHAI
from core.errors import InvalidInput
from core.money import format_fen, parse_yuan
from payments.bills import BillLine
from payments.errors import (
    IdempotencyKeyReused,
    PaymentDeclined,
    PaymentNotFound,
    PaymentProviderError,
    PaymentStateConflict,
    ProviderUnavailable,
)
from payments.providers.alipay_bill import download_zip, parse_bill_zip
from payments.providers.alipay_notify import event_from_notification, verified_notification
from payments.providers.base import (
    CaptureMode,
    Method,
    PaymentStatus,
    ProviderEvent,
    ProviderPayment,
    ProviderRefund,
    check_create,
    check_fen,
    check_idempotency_key,
)

PRODUCTION_GATEWAY = "https://openapi.alipay.com/gateway.do"
SUCCESS_CODE = "10000"
MAX_OUT_NO = 64  # out_trade_no and out_request_no: at most 64 of letters, digits and underscores
REFUND_REF_SEPARATOR = ":"
QR_TIMEOUT = "15m"  # how long a precreated QR code may be paid (timeout_express)

# Alipay's sub_codes (公共错误码 and each method's 业务错误码) as the payments errors.
_STATE_CONFLICTS = {
    "ACQ.TRADE_HAS_SUCCESS",
    "ACQ.TRADE_HAS_CLOSE",
    "ACQ.TRADE_HAS_FINISHED",
    "ACQ.TRADE_STATUS_ERROR",
    "ACQ.TRADE_NOT_ALLOW_REFUND",
    "ACQ.REFUND_AMT_NOT_EQUAL_TOTAL",
    "ACQ.REFUND_FEE_ERROR",
    "ACQ.REASON_TRADE_REFUND_FEE_ERR",
    "ACQ.CANCEL_NOT_ALLOWED",
    "ACQ.TRADE_CANCEL_TIME_OUT",
    "ACQ.REASON_TRADE_BEEN_FREEZEN",
    "ACQ.SELLER_BALANCE_NOT_ENOUGH",
}
_NOT_FOUND = {"ACQ.TRADE_NOT_EXIST", "ACQ.TRADE_NOT_EXISTS"}
_UNAVAILABLE = {"ACQ.SYSTEM_ERROR", "AQC.SYSTEM_ERROR", "isp.unknow-error", "aop.ACQ.SYSTEM_ERROR"}
_DECLINED = {"ACQ.BUYER_BALANCE_NOT_ENOUGH", "ACQ.BUYER_BANKCARD_BALANCE_NOT_ENOUGH", "ACQ.PAYMENT_FAIL"}
_REUSED = {"ACQ.CONTEXT_INCONSISTENT"}

_TRADE_STATUS: dict[str, PaymentStatus] = {
    "WAIT_BUYER_PAY": "requires_payment",
    "TRADE_SUCCESS": "succeeded",
    "TRADE_FINISHED": "succeeded",
    "TRADE_CLOSED": "canceled",
}


class AlipayAnswer(Exception):
    """A verified answer of Alipay whose code is not 10000 (raised inside this module only)."""

    def __init__(self, answer: Mapping[str, Any]) -> None:
        super().__init__(answer.get("sub_code") or answer.get("code"))
        self.answer = answer
        self.code = str(answer.get("code", ""))
        self.sub_code = str(answer.get("sub_code", ""))


class _Sdk(AliPay):
    """The SDK with our gateway and the request timestamp in Beijing time (Alipay reads it so)."""

    def __init__(self, *, gateway_url: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._gateway = gateway_url

    def build_body(self, method: str, biz_content: Any = None, **kwargs: Any) -> dict[str, Any]:
        data: dict[str, Any] = super().build_body(method, biz_content, **kwargs)
        data["timestamp"] = datetime.now(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S")
        return data

    @property
    def gateway(self) -> str:
        return str(self._gateway)


def pem(text: str, kind: str) -> str:
    """Return a key as PEM; the Alipay console hands keys out as bare base64 without the armour."""
    text = text.strip()
    if text.startswith("-----BEGIN"):
        return text + "\n"
    body = re.sub(r"\s+", "", text)
    lines = "\n".join(body[i : i + 64] for i in range(0, len(body), 64))
    return f"-----BEGIN {kind}-----\n{lines}\n-----END {kind}-----\n"


def yuan(fen: int) -> str:
    """An amount of fen as Alipay's yuan string: 1234 → "12.34"."""
    return format_fen(fen, symbol=False, grouping=False)


def fen_of(text: object, field: str = "amount") -> int:
    """Alipay's yuan string as fen, exactly ("0.00" is 0); a malformed amount is the provider's fault."""
    try:
        return parse_yuan(str(text), field=field, allow_zero=True)
    except InvalidInput as exc:
        raise PaymentProviderError(f"Alipay answered an amount that is not yuan: {field}={text!r}") from exc


def out_no(prefix: str, key: str) -> str:
    """An out_trade_no/out_request_no: the prefix's letters and digits and a digest of the key."""
    digest = hashlib.sha256(key.encode()).hexdigest()[:12]
    clean = re.sub(r"[^0-9A-Za-z_]", "", prefix)[: MAX_OUT_NO - len(digest) - 1]
    return f"{clean}_{digest}" if clean else digest


def _error(exc: AlipayAnswer, what: str) -> Exception:
    """The payments error for a verified refusal of Alipay, keeping its codes in the message."""
    answer = exc.answer
    detail = (
        f"Alipay refused {what}: {answer.get('sub_msg') or answer.get('msg') or ''}"
        f" (code {exc.code}, sub_code {exc.sub_code or '-'})"
    )
    if exc.sub_code in _NOT_FOUND:
        return PaymentNotFound(detail)
    if exc.sub_code in _STATE_CONFLICTS:
        return PaymentStateConflict(detail)
    if exc.sub_code in _DECLINED:
        return PaymentDeclined(detail)
    if exc.sub_code in _REUSED:
        return IdempotencyKeyReused(detail)
    if exc.sub_code in _UNAVAILABLE or exc.code == "20000":
        return ProviderUnavailable(detail)
    return PaymentProviderError(detail)


@contextmanager
def _translated(what: str) -> Iterator[None]:
    """Turn the SDK's and the network's exceptions into the payments errors."""
    try:
        yield
    except AlipayAnswer as exc:
        raise _error(exc, what) from exc
    except AliPayValidationError as exc:
        raise PaymentProviderError(
            f"Alipay's answer to {what} does not verify with ALIPAY_PUBLIC_KEY: check the key"
        ) from exc
    except AliPayException as exc:  # an unsigned answer: gateway errors such as 40002, 20000
        raise _unsigned_error(str(exc), what) from exc
    except urllib.error.HTTPError as exc:
        raise ProviderUnavailable(f"Alipay answered HTTP {exc.code} to {what}") from exc
    except (urllib.error.URLError, ConnectionError, TimeoutError) as exc:
        raise ProviderUnavailable(f"Alipay could not be reached for {what}: {exc}") from exc
    except json.JSONDecodeError as exc:
        raise ProviderUnavailable(f"Alipay's answer to {what} is not JSON") from exc


def _unsigned_error(message: str, what: str) -> Exception:
    code = re.search(r'"code"\s*:\s*"(\d+)"', message)
    if code and code.group(1) == "20000":
        return ProviderUnavailable(f"Alipay is unavailable for {what} (code 20000)")
    return PaymentProviderError(f"Alipay refused {what} unsigned: {message[:300]}")


class AlipayProvider:
    """PaymentProvider backed by Alipay's OpenAPI gateway (RSA2 keys, not certificates)."""

    name = "alipay"
    holds = False  # no authorization hold: see the module docstring

    def __init__(
        self,
        *,
        app_id: str,
        app_private_key: str,
        alipay_public_key: str,
        notify_url: str | None = None,
        gateway_url: str | None = None,
        timeout_seconds: float = 15,
        notify_max_age_seconds: int | None = None,
        now: Callable[[], datetime] | None = None,
    ) -> None:
        if not app_id or not app_private_key or not alipay_public_key:
            raise ValueError("the Alipay provider needs ALIPAY_APP_ID and both keys")
        from alipay.utils import AliPayConfig

        self._sdk = _Sdk(
            gateway_url=gateway_url or PRODUCTION_GATEWAY,
            appid=app_id,
            app_notify_url=notify_url or None,
            app_private_key_string=pem(app_private_key, "RSA PRIVATE KEY"),
            alipay_public_key_string=pem(alipay_public_key, "PUBLIC KEY"),
            sign_type="RSA2",
            config=AliPayConfig(timeout=timeout_seconds),
        )
        self._app_id = app_id
        self._timeout = timeout_seconds
        self._notify_max_age = notify_max_age_seconds
        self._now = now or (lambda: datetime.now(SHANGHAI))

    # -- the gateway ------------------------------------------------------------------------

    def _call(self, method: str, biz: Mapping[str, Any]) -> dict[str, Any]:
        """One signed OpenAPI call; the verified answer when its code is 10000, else AlipayAnswer."""
        answer = self._sdk.server_api(method, dict(biz))
        if str(answer.get("code")) != SUCCESS_CODE:
            raise AlipayAnswer(answer)
        return dict(answer)

    # -- payments ---------------------------------------------------------------------------

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
        """Precreate a QR trade (or, with return_url, sign a 手机网站支付 redirect) of amount_fen."""
        check_create(
            reference=reference,
            amount_fen=amount_fen,
            method=method,
            capture=capture,
            idempotency_key=idempotency_key,
        )
        if method not in ("alipay", "any"):
            raise InvalidInput(
                f"the Alipay provider takes Alipay payments only, not {method}",
                fields={"method": "alipay"},
            )
        if capture == "manual":
            raise InvalidInput(
                "Alipay cannot hold a payment for later capture (open-door kiosks)",
                code="capture_not_supported",
                fields={"capture": "automatic"},
            )
        trade_no = out_no(reference, idempotency_key)
        biz = {
            "out_trade_no": trade_no,
            "total_amount": yuan(amount_fen),
            "subject": (description or f"订单 {reference}")[:256],
            "timeout_express": QR_TIMEOUT,
        }
        if metadata:
            # passback_params travels with the trade and comes back in notifications, URL-encoded.
            biz["passback_params"] = json.dumps(dict(metadata), ensure_ascii=False, separators=(",", ":"))
        if return_url:
            signed = self._sdk.api_alipay_trade_wap_pay(
                subject=biz.pop("subject"),
                out_trade_no=biz.pop("out_trade_no"),
                total_amount=biz.pop("total_amount"),
                return_url=return_url,
                **biz,
            )
            return ProviderPayment(
                provider_ref=trade_no,
                status="requires_payment",
                amount_fen=amount_fen,
                amount_capturable_fen=0,
                amount_received_fen=0,
                qr_payload=f"{self._sdk.gateway}?{signed}",  # where the phone's browser is sent
            )
        with _translated("alipay.trade.precreate"):
            try:
                answer = self._call("alipay.trade.precreate", biz)
            except AlipayAnswer as exc:
                if exc.sub_code == "ACQ.TRADE_HAS_SUCCESS":  # a retry after the shopper paid
                    return self.get_payment(trade_no)
                raise
        return ProviderPayment(
            provider_ref=trade_no,
            status="requires_payment",
            amount_fen=amount_fen,
            amount_capturable_fen=0,
            amount_received_fen=0,
            qr_payload=str(answer["qr_code"]),
            raw=answer,
        )

    def get_payment(self, provider_ref: str) -> ProviderPayment:
        """alipay.trade.query; a trade nobody has scanned yet is PaymentNotFound at Alipay."""
        with _translated("alipay.trade.query"):
            answer = self._call("alipay.trade.query", {"out_trade_no": provider_ref})
        return payment_from_query(answer)

    def capture(self, provider_ref: str, *, amount_fen: int, idempotency_key: str) -> ProviderPayment:
        """Not offered: see the module's docstring for the open-door fallback."""
        check_fen(amount_fen)
        check_idempotency_key(idempotency_key)
        raise PaymentProviderError(
            "Alipay payments are not held for capture here; charge after the door closes instead",
            code="capture_not_supported",
        )

    def cancel(self, provider_ref: str, *, idempotency_key: str) -> ProviderPayment:
        """Close an unpaid trade (alipay.trade.cancel); a paid one is a conflict, never a refund."""
        check_idempotency_key(idempotency_key)
        try:
            current: ProviderPayment | None = self.get_payment(provider_ref)
        except PaymentNotFound:
            current = None  # not scanned yet: cancelling the out_trade_no stops a later payment
        if current is not None and current.status == "succeeded":
            raise PaymentStateConflict(
                f"Alipay trade {provider_ref} is paid: refund it instead of cancelling"
            )
        if current is not None and current.status == "canceled":
            return current
        with _translated("alipay.trade.cancel"):
            answer = self._call("alipay.trade.cancel", {"out_trade_no": provider_ref})
        amount = current.amount_fen if current is not None else 0  # Alipay never saw an unscanned amount
        return ProviderPayment(
            provider_ref=provider_ref,
            status="canceled",
            amount_fen=amount,
            amount_capturable_fen=0,
            amount_received_fen=0,
            raw=answer,
        )

    # -- refunds ----------------------------------------------------------------------------

    def refund(
        self, provider_ref: str, *, amount_fen: int, idempotency_key: str, reason: str
    ) -> ProviderRefund:
        """alipay.trade.refund of amount_fen with out_request_no from the idempotency key."""
        check_fen(amount_fen)
        check_idempotency_key(idempotency_key)
        request_no = out_no("R", idempotency_key)
        biz = {
            "out_trade_no": provider_ref,
            "refund_amount": yuan(amount_fen),
            "out_request_no": request_no,
            "refund_reason": reason[:256],
        }
        with _translated("alipay.trade.refund"):
            answer = self._call("alipay.trade.refund", biz)
        ref = f"{provider_ref}{REFUND_REF_SEPARATOR}{request_no}"
        if answer.get("fund_change") != "Y":
            # A repeated out_request_no (or a refund Alipay has not settled): ask for this refund.
            found = self.get_refund(ref)
            if found.amount_fen != amount_fen:
                raise IdempotencyKeyReused(
                    f"refund key already used for {yuan(found.amount_fen)} yuan, not {yuan(amount_fen)}"
                )
            return found
        return ProviderRefund(
            provider_ref=ref, payment_ref=provider_ref, status="succeeded", amount_fen=amount_fen, raw=answer
        )

    def get_refund(self, provider_ref: str) -> ProviderRefund:
        """alipay.trade.fastpay.refund.query of "out_trade_no:out_request_no"."""
        trade_no, sep, request_no = provider_ref.rpartition(REFUND_REF_SEPARATOR)
        if not sep or not trade_no or not request_no:
            raise PaymentNotFound(f"{provider_ref!r} is not an Alipay refund reference")
        biz = {"out_trade_no": trade_no, "out_request_no": request_no, "query_options": ["gmt_refund_pay"]}
        with _translated("alipay.trade.fastpay.refund.query"):
            answer = self._call("alipay.trade.fastpay.refund.query", biz)
        if not answer.get("refund_amount"):
            # Documented: an empty answer means Alipay has no such refund (it did not happen).
            raise PaymentNotFound(f"Alipay has no refund {request_no} of trade {trade_no}")
        status = answer.get("refund_status") or "REFUND_SUCCESS"  # empty means succeeded, as documented
        return ProviderRefund(
            provider_ref=provider_ref,
            payment_ref=trade_no,
            status="succeeded" if status == "REFUND_SUCCESS" else "pending",
            amount_fen=fen_of(answer["refund_amount"], "refund_amount"),
            raw=answer,
        )

    # -- notifications ----------------------------------------------------------------------

    def parse_webhook(self, payload: bytes, headers: Mapping[str, str]) -> ProviderEvent:
        """Verify an asynchronous notification (RSA2 with Alipay's key, our app id, notify_time) and
        normalise it; WebhookSignatureError when it is not genuine or too old."""
        params = verified_notification(
            payload,
            verify=self._sdk.verify,
            app_id=self._app_id,
            now=self._now(),
            max_age_seconds=self._notify_max_age,
        )
        return event_from_notification(params)

    def webhook_ack(self, *, duplicate: bool) -> tuple[str, int]:
        """What tells Alipay a notification was received: the plain body `success` (it stops retrying)."""
        return "success", 200

    def webhook_refusal(self, message: str, status: int) -> tuple[str, int]:
        """What tells Alipay a notification was refused: anything but `success`; it retries for 25 h."""
        return "fail", status

    # -- the daily bill ---------------------------------------------------------------------

    def bill_download_url(self, bill_date: date) -> str:
        """alipay.data.dataservice.bill.downloadurl.query of the trade bill of a day (Beijing)."""
        biz = {"bill_type": "trade", "bill_date": bill_date.isoformat()}
        with _translated("alipay.data.dataservice.bill.downloadurl.query"):
            answer = self._call("alipay.data.dataservice.bill.downloadurl.query", biz)
        return str(answer["bill_download_url"])

    def daily_bill(self, bill_date: date) -> list[BillLine]:
        """The payments and refunds of a day's trade bill (业务明细), for payments.bills.check_daily_bill."""
        url = self.bill_download_url(bill_date)
        with _translated("the bill download"):
            content = download_zip(url, timeout=self._timeout)
        return parse_bill_zip(content)


def payment_from_query(answer: Mapping[str, Any]) -> ProviderPayment:
    """A ProviderPayment from alipay.trade.query's answer.

    TRADE_CLOSED is also where a fully refunded trade ends: one that was paid (send_pay_date) is
    reported succeeded with its amount received, as a refunded Stripe payment stays succeeded."""
    trade_status = str(answer.get("trade_status", ""))
    status = _TRADE_STATUS.get(trade_status)
    if status is None:
        raise PaymentProviderError(f"Alipay answered an unknown trade_status {trade_status!r}")
    if trade_status == "TRADE_CLOSED" and answer.get("send_pay_date"):
        status = "succeeded"
    amount = fen_of(answer.get("total_amount"), "total_amount")
    return ProviderPayment(
        provider_ref=str(answer["out_trade_no"]),
        status=status,
        amount_fen=amount,
        amount_capturable_fen=0,
        amount_received_fen=amount if status == "succeeded" else 0,
        raw=answer,
    )
