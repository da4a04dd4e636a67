"""A local fake of the documented WeChat Pay API v3 (direct merchant): Native/H5 orders, query, close,
refunds, the trade bill, and signed, encrypted notifications.

It speaks HTTP on 127.0.0.1 (werkzeug in a thread) so that the real SDK `wechatpayv3` talks to it:
- every request must carry `Authorization: WECHATPAY2-SHA256-RSA2048 mchid=…,nonce_str=…,signature=…,
  timestamp=…,serial_no=…`, an RSA-SHA256 signature over "METHOD\\nPATH?QUERY\\nTIMESTAMP\\nNONCE\\nBODY\\n"
  made with the merchant's key (checked with the merchant public key the fixture generated),
  else 401 SIGN_ERROR;
- every answer is signed with the platform key (Wechatpay-Signature over "ts\\nnonce\\nbody\\n"), as the
  SDK verifies; errors are `{"code": …, "message": …}` with WeChat's documented codes and statuses;
- `pay(out_trade_no)` is the shopper paying, `settle_refund(out_refund_no)` the refund reaching them;
  each returns the Notification WeChat would POST (AES-256-GCM with the APIv3 key, signed), which a
  test may deliver as often and in whatever order it likes (`resigned()` for a later retry).
Its keys and signatures (wechatpay_keys.py) and its trade bill (wechatpay_fake_bill.py) are written
with `cryptography` and the documented layout, not taken from the code under test.
Docs: https://pay.weixin.qq.com/doc/v3/merchant/4012791877 (Native下单) and the pages it links.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import re
import secrets
import threading
import time
import uuid
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.hashes import SHA256
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from tests.fakes.wechatpay_fake_bill import trade_bill_file
from tests.fakes.wechatpay_keys import (
    FakeKeys,
    Notification,
    encrypt_resource,
    generate_keys,
    rsa_sign,
    signed_headers,
)

__all__ = [
    "FakeKeys",
    "FakeWeChatPay",
    "Notification",
    "encrypt_resource",
    "generate_keys",
    "rsa_sign",
    "signed_headers",
]

SHANGHAI = ZoneInfo("Asia/Shanghai")
OUT_TRADE_NO = re.compile(r"^[0-9A-Za-z_\-|*]{6,32}$")
OUT_REFUND_NO = re.compile(r"^[0-9A-Za-z_\-|*@]{1,64}$")


class Refused(Exception):
    """An error answer: HTTP status, WeChat code, message."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(code)
        self.status, self.code, self.message = status, code, message


def _now() -> datetime:
    return datetime.now(SHANGHAI).replace(microsecond=0)


class FakeWeChatPay:
    """The fake API: start() it, point the SDK at base_url, drive the shopper with pay()."""

    def __init__(self, keys: FakeKeys) -> None:
        self.keys = keys
        self.orders: dict[str, dict[str, Any]] = {}
        self.refunds: dict[str, dict[str, Any]] = {}
        self.calls: list[tuple[str, str]] = []  # (method, path) of every authenticated request
        self._lock = threading.Lock()
        self._server: Any = None
        self._bills: dict[str, bytes] = {}
        self.base_url = ""

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self) -> FakeWeChatPay:
        self._server = make_server("127.0.0.1", 0, self._wsgi, threaded=True)
        self.base_url = f"http://127.0.0.1:{self._server.server_port}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def reset(self) -> None:
        with self._lock:
            self.orders.clear()
            self.refunds.clear()
            self.calls.clear()

    # -- what the shopper and WeChat do -----------------------------------------------------
    def pay(self, out_trade_no: str, *, openid: str = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o") -> Notification:
        """The shopper pays the order: SUCCESS, a transaction_id, and the TRANSACTION.SUCCESS notification."""
        with self._lock:
            order = self.orders[out_trade_no]
            assert order["trade_state"] == "NOTPAY", f"{out_trade_no} is {order['trade_state']}"
            order.update(
                trade_state="SUCCESS",
                trade_state_desc="支付成功",
                transaction_id=f"4200{secrets.randbelow(10**24):024d}",
                bank_type="OTHERS",
                success_time=_now().isoformat(),
                payer={"openid": openid},
            )
            order["amount"]["payer_total"] = order["amount"]["total"]
            order["amount"]["payer_currency"] = "CNY"
            resource = dict(order)
        return self.notification("TRANSACTION.SUCCESS", "支付成功", resource, "transaction")

    def settle_refund(self, out_refund_no: str, status: str = "SUCCESS") -> Notification:
        """A PROCESSING refund reaches the shopper (SUCCESS) or not (ABNORMAL, CLOSED): its notification."""
        with self._lock:
            refund = self.refunds[out_refund_no]
            refund["status"] = status
            if status == "SUCCESS":
                refund["success_time"] = _now().isoformat()
            if status != "SUCCESS":  # the money is the merchant's again
                self.orders[refund["out_trade_no"]]["refunded"] -= refund["amount"]["refund"]
            resource = {
                "mchid": self.keys.mchid,
                "out_trade_no": refund["out_trade_no"],
                "transaction_id": refund["transaction_id"],
                "out_refund_no": out_refund_no,
                "refund_id": refund["refund_id"],
                "refund_status": status,
                "success_time": refund.get("success_time", ""),
                "user_received_account": refund["user_received_account"],
                "amount": {
                    k: refund["amount"][k] for k in ("total", "refund", "payer_total", "payer_refund")
                },
            }
        summary = {"SUCCESS": "退款成功", "ABNORMAL": "退款异常", "CLOSED": "退款关闭"}[status]
        return self.notification(f"REFUND.{status}", summary, resource, "refund")

    def refund_in_merchant_platform(self, out_trade_no: str, amount_fen: int) -> Notification:
        """An operator refunds in the merchant platform (商户平台): WeChat numbers the refund itself, and
        the only trace of it that reaches the merchant's server is its REFUND.SUCCESS notification."""
        number = f"5030{secrets.randbelow(10**24):024d}"
        with self._lock:
            total = self.orders[out_trade_no]["amount"]["total"]
            self._refund(
                {
                    "out_trade_no": out_trade_no,
                    "out_refund_no": number,
                    "amount": {"refund": amount_fen, "total": total, "currency": "CNY"},
                }
            )
        return self.settle_refund(number)

    def notification(
        self, event_type: str, summary: str, resource: dict[str, Any], original_type: str
    ) -> Notification:
        """A notification of any documented event about a resource, encrypted and signed now."""
        event_id = str(uuid.uuid4())
        body = json.dumps(
            {
                "id": event_id,
                "create_time": _now().isoformat(),
                "resource_type": "encrypt-resource",
                "event_type": event_type,
                "summary": summary,
                "resource": encrypt_resource(self.keys.apiv3_key, resource, original_type),
            },
            ensure_ascii=False,
        ).encode()
        key, key_id = self.keys.platform_key, self.keys.platform_key_id
        return Notification(event_id, body, signed_headers(key, key_id, body), key, key_id)

    # -- HTTP ----------------------------------------------------------------------------------
    def _wsgi(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        body = request.get_data()
        path = environ.get("RAW_URI") or environ.get("REQUEST_URI") or request.full_path.rstrip("?")
        try:
            self._authenticate(request, path, body)
            with self._lock:
                self.calls.append((request.method, request.path))
                status, answer = self._route(request, body)
        except Refused as refused:
            status, answer = refused.status, {"code": refused.code, "message": refused.message}
        if isinstance(answer, bytes):  # a bill file: not JSON, not signed (the SDK skips that check)
            return Response(answer, status, content_type="application/octet-stream")(environ, start_response)
        text = b"" if answer is None else json.dumps(answer, ensure_ascii=False).encode()
        headers = signed_headers(self.keys.platform_key, self.keys.platform_key_id, text)
        return Response(text, status, headers=headers)(environ, start_response)

    def _authenticate(self, request: Request, path: str, body: bytes) -> None:
        auth = request.headers.get("Authorization", "")
        scheme, _, rest = auth.partition(" ")
        params = dict(re.findall(r'(\w+)="([^"]*)"', rest))
        if scheme != "WECHATPAY2-SHA256-RSA2048" or params.get("mchid") != self.keys.mchid:
            raise Refused(401, "SIGN_ERROR", "Authorization 的认证类型或商户号错误")
        if params.get("serial_no") != self.keys.merchant_serial:
            raise Refused(401, "SIGN_ERROR", "商户证书序列号有误")
        if abs(time.time() - int(params.get("timestamp") or 0)) > 300:
            raise Refused(401, "SIGN_ERROR", "请求时间戳已过期")
        message = f"{request.method}\n{path}\n{params['timestamp']}\n{params.get('nonce_str', '')}\n"
        try:
            self.keys.merchant_key.public_key().verify(
                base64.b64decode(params.get("signature", "")),
                message.encode() + body + b"\n",
                padding.PKCS1v15(),
                SHA256(),
            )
        except (InvalidSignature, ValueError):
            raise Refused(401, "SIGN_ERROR", "签名错误") from None

    def _route(self, request: Request, body: bytes) -> tuple[int, Any]:
        parts = request.path.strip("/").split("/")
        method = request.method
        data = json.loads(body) if body else {}
        if method == "POST" and parts[:4] == ["v3", "pay", "transactions", "native"]:
            return self._create(data, "NATIVE")
        if method == "POST" and parts[:4] == ["v3", "pay", "transactions", "h5"]:
            return self._create(data, "MWEB")
        if parts[:4] == ["v3", "pay", "transactions", "out-trade-no"] and len(parts) >= 5:
            if method == "GET" and len(parts) == 5:
                if request.args.get("mchid") != self.keys.mchid:
                    raise Refused(400, "PARAM_ERROR", "mchid 与认证商户号不一致")
                return 200, self._order(parts[4])
            if method == "POST" and parts[5:] == ["close"]:
                return self._close(parts[4], data)
        if method == "POST" and request.path == "/v3/refund/domestic/refunds":
            return self._refund(data)
        if method == "GET" and parts[:4] == ["v3", "refund", "domestic", "refunds"] and len(parts) == 5:
            refund = self.refunds.get(parts[4])
            if refund is None:
                raise Refused(404, "RESOURCE_NOT_EXISTS", "退款单不存在")
            return 200, self._refund_view(refund)
        if method == "GET" and request.path == "/v3/bill/tradebill":
            return self._trade_bill(request)
        if method == "GET" and request.path == "/v3/billdownload/file":
            bill = self._bills.get(request.args.get("token", ""))
            if bill is None:
                raise Refused(400, "INVALID_REQUEST", "账单下载链接已失效")
            return 200, bill
        raise Refused(404, "NOT_FOUND", f"no such API: {method} {request.path}")

    def _create(self, data: dict[str, Any], trade_type: str) -> tuple[int, Any]:
        for name in ("appid", "mchid", "description", "out_trade_no", "notify_url", "amount"):
            if not data.get(name):
                raise Refused(400, "PARAM_ERROR", f"输入源“/body/{name}”映射到字段“{name}”必填性规则校验失败")
        if data["appid"] != self.keys.appid or data["mchid"] != self.keys.mchid:
            raise Refused(400, "APPID_MCHID_NOT_MATCH", "AppID和mch_id不匹配")
        total = data["amount"].get("total")
        if not isinstance(total, int) or isinstance(total, bool) or total <= 0:
            raise Refused(400, "PARAM_ERROR", "订单金额必须为正整数(分)")
        if data["amount"].get("currency", "CNY") != "CNY":
            raise Refused(400, "PARAM_ERROR", "境内商户仅支持人民币")
        if not OUT_TRADE_NO.match(data["out_trade_no"]):
            raise Refused(400, "PARAM_ERROR", "商户订单号只能是6-32位数字、大小写字母_-|*")
        if trade_type == "MWEB" and not (data.get("scene_info") or {}).get("payer_client_ip"):
            raise Refused(400, "PARAM_ERROR", "H5支付必须传入场景信息 scene_info.payer_client_ip")
        number = data["out_trade_no"]
        asked = {k: data.get(k) for k in ("description", "amount", "attach", "notify_url")}
        existing = self.orders.get(number)
        if existing is not None:
            if existing["trade_state"] in ("SUCCESS", "REFUND"):
                raise Refused(400, "ORDERPAID", "该订单已支付")
            if existing["trade_state"] == "CLOSED":
                raise Refused(400, "ORDER_CLOSED", "订单已关闭")
            if existing["asked"] != asked or existing["trade_type"] != trade_type:
                raise Refused(403, "OUT_TRADE_NO_USED", "商户订单号重复")
            return 200, existing["answer"]  # the same order asked again: the same code_url
        prepay = f"wx{secrets.token_hex(14)}"
        answer = (
            {"code_url": f"weixin://wxpay/bizpayurl?pr={secrets.token_urlsafe(6)}"}
            if trade_type == "NATIVE"
            else {
                "h5_url": f"https://wx.tenpay.com/cgi-bin/mmpayweb-bin/checkmweb?prepay_id={prepay}&package=1"
            }
        )
        self.orders[number] = {
            "appid": data["appid"],
            "mchid": data["mchid"],
            "out_trade_no": number,
            "trade_type": trade_type,
            "trade_state": "NOTPAY",
            "trade_state_desc": "订单未支付",
            "attach": data.get("attach", ""),
            "description": data["description"],
            "amount": {"total": total, "currency": "CNY"},
            "refunded": 0,
            "asked": asked,
            "answer": answer,
        }
        return 200, answer

    def _order(self, number: str) -> dict[str, Any]:
        order = self.orders.get(number)
        if order is None:
            raise Refused(404, "ORDER_NOT_EXIST", "订单不存在")
        hidden = ("asked", "answer", "refunded", "description")
        view = {k: v for k, v in order.items() if k not in hidden}
        view["amount"] = dict(order["amount"])
        return view

    def _close(self, number: str, data: dict[str, Any]) -> tuple[int, Any]:
        if data.get("mchid") != self.keys.mchid:
            raise Refused(400, "PARAM_ERROR", "mchid 必填")
        order = self.orders.get(number)
        if order is None:
            raise Refused(404, "ORDER_NOT_EXIST", "订单不存在")
        if order["trade_state"] in ("SUCCESS", "REFUND"):
            raise Refused(400, "ORDERPAID", "订单已支付，不能关闭")
        order.update(trade_state="CLOSED", trade_state_desc="订单已关闭")
        return 204, None

    def _refund(self, data: dict[str, Any]) -> tuple[int, Any]:
        number, out_refund_no = data.get("out_trade_no"), data.get("out_refund_no", "")
        amount = data.get("amount") or {}
        if not number or not OUT_REFUND_NO.match(out_refund_no):
            raise Refused(400, "PARAM_ERROR", "out_trade_no 或 out_refund_no 有误")
        existing = self.refunds.get(out_refund_no)
        if existing is not None:  # 同一退款单号多次请求只退一笔
            if existing["amount"]["refund"] != amount.get("refund"):
                raise Refused(400, "INVALID_REQUEST", "同一退款单号的退款金额不一致")
            return 200, self._refund_view(existing)
        order = self.orders.get(number)
        if order is None:
            raise Refused(404, "RESOURCE_NOT_EXISTS", "订单不存在")
        if order["trade_state"] not in ("SUCCESS", "REFUND"):
            raise Refused(400, "INVALID_REQUEST", "订单未支付，不能退款")
        if amount.get("total") != order["amount"]["total"]:
            raise Refused(400, "PARAM_ERROR", "订单金额与原订单金额不一致")
        refund = amount.get("refund")
        if not isinstance(refund, int) or refund <= 0:
            raise Refused(400, "PARAM_ERROR", "退款金额必须为正整数(分)")
        if refund > order["amount"]["total"] - order["refunded"]:
            raise Refused(400, "INVALID_REQUEST", "申请退款金额超过订单可退金额")
        order["refunded"] += refund
        order.update(trade_state="REFUND", trade_state_desc="转入退款")
        total = order["amount"]["total"]
        self.refunds[out_refund_no] = {
            "refund_id": f"50000{secrets.randbelow(10**24):024d}",
            "out_refund_no": out_refund_no,
            "transaction_id": order["transaction_id"],
            "out_trade_no": number,
            "channel": "ORIGINAL",
            "user_received_account": "支付用户零钱",
            "create_time": _now().isoformat(),
            "status": "PROCESSING",
            "funds_account": "AVAILABLE",
            "reason": data.get("reason", ""),
            "amount": {
                "total": total,
                "refund": refund,
                "payer_total": total,
                "payer_refund": refund,
                "settlement_total": total,
                "settlement_refund": refund,
                "discount_refund": 0,
                "currency": "CNY",
                "refund_fee": 0,
            },
        }
        return 200, self._refund_view(self.refunds[out_refund_no])

    def _refund_view(self, refund: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in refund.items() if k != "reason"}

    # -- the trade bill ------------------------------------------------------------------------
    def _trade_bill(self, request: Request) -> tuple[int, Any]:
        try:
            day = date.fromisoformat(request.args.get("bill_date", ""))
        except ValueError:
            raise Refused(400, "PARAM_ERROR", "bill_date 格式为 yyyy-MM-DD") from None
        plain = trade_bill_file(self.orders.values(), self.refunds.values(), day)
        if plain is None:
            raise Refused(400, "NO_STATEMENT_EXIST", "账单文件不存在")
        token = secrets.token_urlsafe(12)
        gzipped = request.args.get("tar_type") == "GZIP"
        self._bills[token] = gzip.compress(plain) if gzipped else plain
        return 200, {
            "hash_type": "SHA1",
            "hash_value": hashlib.sha1(plain).hexdigest(),
            "download_url": f"{self.base_url}/v3/billdownload/file?token={token}",
        }
