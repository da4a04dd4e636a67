"""A local fake of Alipay's OpenAPI gateway (gateway.do), for the Alipay provider's tests.

It speaks the documented protocol, not the SDK's internals:

- requests come as GET query strings or form POSTs with app_id, method, charset, sign_type=RSA2,
  timestamp, version, biz_content (JSON) and `sign`: SHA256withRSA with the app's private key over
  every other parameter, sorted, `k=v&…`. It is verified with the app public key the fixture
  generated; a bad one answers code 40002, sub_code isv.invalid-signature.
- answers are `{"<method with _>_response": {...}, "sign": "..."}` where `sign` is SHA256withRSA
  with the fake's "Alipay" private key over the exact text of the response object.
- trades follow the documented life: precreate gives a qr_code but no trade until the shopper
  scans (`scan`), then WAIT_BUYER_PAY, TRADE_SUCCESS (`pay`), TRADE_CLOSED (closed, cancelled or
  fully refunded); refunds are keyed by out_request_no (a repeat answers fund_change=N).
- a phone's signed alipay.trade.wap.pay URL opened in its browser (`open_wap`) starts a trade as
  a scanned QR code does (Alipay's cashier page itself is not drawn);
- documented refusals: 40004 Business Failed with ACQ.TRADE_NOT_EXIST, ACQ.TRADE_HAS_SUCCESS,
  ACQ.TRADE_HAS_CLOSE, ACQ.TRADE_STATUS_ERROR, ACQ.REFUND_AMT_NOT_EQUAL_TOTAL,
  ACQ.CONTEXT_INCONSISTENT; 20000 Service Currently Unavailable (ACQ.SYSTEM_ERROR) on request
  (`fail_next`).
- `notification(...)` builds the signed asynchronous notification Alipay would POST to the
  notify_url, so tests can deliver it twice, late, or out of order; `pay` and `refund` keep the
  ones they caused in `sent`.
- the bill: alipay.data.dataservice.bill.downloadurl.query answers a URL on this server that
  serves a zip with the GBK 业务明细 CSV of the trades of that day (or a zip a test set).
"""

from __future__ import annotations

import base64
import io
import json
import threading
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from core.clock import SHANGHAI

APP_ID = "2021000000000001"
SELLER_ID = "2088000000000001"
BUYER_ID = "2088102169481075"
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def private_pem(key: rsa.RSAPrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    ).decode()


def public_pem(key: rsa.RSAPrivateKey) -> str:
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def rsa2_sign(key: rsa.RSAPrivateKey, content: str) -> str:
    return base64.b64encode(key.sign(content.encode(), padding.PKCS1v15(), hashes.SHA256())).decode()


def rsa2_verify(public_key: Any, content: str, sign: str) -> bool:
    try:
        public_key.verify(base64.b64decode(sign), content.encode(), padding.PKCS1v15(), hashes.SHA256())
    except (InvalidSignature, ValueError):
        return False
    return True


def yuan(fen: int) -> str:
    return f"{Decimal(fen) / 100:.2f}"


def fen(text: str) -> int:
    return int(Decimal(text) * 100)


@dataclass
class Trade:
    out_trade_no: str
    total_fen: int
    subject: str
    notify_url: str | None
    qr_code: str
    trade_no: str
    created: datetime
    scanned: bool = False
    status: str = "WAIT_BUYER_PAY"
    paid_at: datetime | None = None
    closed_at: datetime | None = None
    refunds: dict[str, tuple[int, datetime]] = field(default_factory=dict)

    @property
    def refunded_fen(self) -> int:
        return sum(amount for amount, _at in self.refunds.values())


class Refusal(Exception):
    def __init__(self, code: str, msg: str, sub_code: str = "", sub_msg: str = "") -> None:
        super().__init__(sub_code or code)
        self.body = {"code": code, "msg": msg} | (
            {"sub_code": sub_code, "sub_msg": sub_msg} if sub_code else {}
        )


def business(sub_code: str, sub_msg: str) -> Refusal:
    return Refusal("40004", "Business Failed", sub_code, sub_msg)


class AlipayFake:
    """The gateway's state and behaviour; `serve()` puts it on 127.0.0.1."""

    def __init__(self, *, app_public_key: Any, alipay_private_key: rsa.RSAPrivateKey, app_id: str = APP_ID):
        self.app_public_key = app_public_key
        self.alipay_key = alipay_private_key
        self.app_id = app_id
        self.trades: dict[str, Trade] = {}
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.sent: list[bytes] = []  # notifications caused by pay/refund, in order
        self.bill_zips: dict[str, bytes] = {}
        self._failures: dict[str, list[Refusal | int]] = {}
        self._lock = threading.Lock()
        self._counter = 0
        self.now = lambda: datetime.now(SHANGHAI).replace(microsecond=0)
        self.base_url = ""

    # -- what tests do ----------------------------------------------------------------------

    @property
    def gateway_url(self) -> str:
        return f"{self.base_url}/gateway.do"

    def fail_next(self, method: str, failure: Refusal | int) -> None:
        """Answer the next call of method with a refusal (signed) or an HTTP status."""
        self._failures.setdefault(method, []).append(failure)

    def scan(self, out_trade_no: str) -> Trade:
        """The shopper scans the QR code: the trade now exists, waiting for the payment."""
        trade = self.trades[out_trade_no]
        trade.scanned = True
        return trade

    def open_wap(self, url: str) -> Trade:
        """A phone's browser opens a signed 手机网站支付 URL (alipay.trade.wap.pay, verified as any
        request): the trade exists, waiting for the shopper to pay in Alipay's cashier (which this
        fake does not draw: it answers the request's JSON)."""
        params = dict(parse_qsl(urlsplit(url).query, keep_blank_values=True))
        answer = json.loads(self.handle(params))["alipay_trade_wap_pay_response"]
        assert answer["code"] == "10000", answer
        return self.trades[answer["out_trade_no"]]

    def pay(self, out_trade_no: str) -> bytes:
        """The shopper scans and pays: TRADE_SUCCESS, and the notification Alipay sends for it."""
        trade = self.scan(out_trade_no)
        if trade.status != "WAIT_BUYER_PAY":
            raise AssertionError(f"trade {out_trade_no} is {trade.status}")
        trade.status, trade.paid_at = "TRADE_SUCCESS", self.now()
        body = self.notification(out_trade_no)
        self.sent.append(body)
        return body

    def notification(
        self, out_trade_no: str, *, refund_request_no: str | None = None, **overrides: str
    ) -> bytes:
        """The signed form body of the notification about a trade as it is now (or about a refund)."""
        trade = self.trades[out_trade_no]
        self._counter += 1
        params = {
            "notify_time": self.now().strftime(TIME_FORMAT),
            "notify_type": "trade_status_sync",
            "notify_id": f"2026{self._counter:012d}{trade.trade_no[-8:]}",
            "app_id": self.app_id,
            "charset": "utf-8",
            "version": "1.0",
            "sign_type": "RSA2",
            "trade_no": trade.trade_no,
            "out_trade_no": trade.out_trade_no,
            "buyer_id": BUYER_ID,
            "seller_id": SELLER_ID,
            "trade_status": trade.status,
            "total_amount": yuan(trade.total_fen),
            "receipt_amount": yuan(trade.total_fen),
            "buyer_pay_amount": yuan(trade.total_fen),
            "subject": trade.subject,
            "gmt_create": trade.created.strftime(TIME_FORMAT),
        }
        if trade.paid_at:
            params["gmt_payment"] = trade.paid_at.strftime(TIME_FORMAT)
        if trade.closed_at:
            params["gmt_close"] = trade.closed_at.strftime(TIME_FORMAT)
        if refund_request_no is not None:
            _amount, at = trade.refunds[refund_request_no]
            params["out_biz_no"] = refund_request_no
            params["refund_fee"] = yuan(trade.refunded_fen)
            params["gmt_refund"] = at.strftime(TIME_FORMAT) + ".000"
        params.update(overrides)
        return self.sign_notification(params)

    def sign_notification(self, params: dict[str, str], key: rsa.RSAPrivateKey | None = None) -> bytes:
        content = "&".join(
            f"{k}={v}" for k, v in sorted(params.items()) if k not in ("sign", "sign_type") and v
        )
        signed = params | {"sign": rsa2_sign(key or self.alipay_key, content)}
        return urlencode(signed).encode()

    # -- the gateway ------------------------------------------------------------------------

    def handle(self, params: dict[str, str]) -> str:
        """The response text of one gateway request."""
        method = params.get("method", "")
        key = method.replace(".", "_") + "_response"
        with self._lock:
            try:
                body = self._dispatch(method, params)
            except Refusal as refusal:
                body = refusal.body
        text = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
        return f'{{"{key}":{text},"sign":"{rsa2_sign(self.alipay_key, text)}"}}'

    def _dispatch(self, method: str, params: dict[str, str]) -> dict[str, Any]:
        content = "&".join(f"{k}={v}" for k, v in sorted(params.items()) if k != "sign" and v != "")
        if params.get("sign_type") != "RSA2" or not rsa2_verify(
            self.app_public_key, content, params.get("sign", "")
        ):
            raise Refusal("40002", "Invalid Arguments", "isv.invalid-signature", "验签出错")
        if params.get("app_id") != self.app_id:
            raise Refusal("40002", "Invalid Arguments", "isv.invalid-app-id", "无效的AppID参数")
        biz = json.loads(params.get("biz_content") or "{}")
        self.calls.append((method, biz))
        failures = self._failures.get(method)
        if failures:
            failure = failures.pop(0)
            if isinstance(failure, int):
                raise HTTPStatus(failure)
            raise failure
        handler = getattr(self, "_" + method.replace(".", "_"), None)
        if handler is None:
            raise Refusal("40002", "Invalid Arguments", "isv.invalid-method", "不存在的方法名")
        return {"code": "10000", "msg": "Success"} | handler(biz, params)

    def _trade(self, biz: dict[str, Any], *, scanned: bool = True) -> Trade:
        trade = self.trades.get(str(biz.get("out_trade_no", "")))
        if trade is None or (scanned and not trade.scanned):
            raise business("ACQ.TRADE_NOT_EXIST", "交易不存在")
        return trade

    def _alipay_trade_precreate(self, biz: dict[str, Any], params: dict[str, str]) -> dict[str, Any]:
        out_trade_no, total = str(biz["out_trade_no"]), fen(str(biz["total_amount"]))
        trade = self.trades.get(out_trade_no)
        if trade is not None:
            if trade.status == "TRADE_SUCCESS" or trade.status == "TRADE_FINISHED":
                raise business("ACQ.TRADE_HAS_SUCCESS", "交易已被支付")
            if trade.status == "TRADE_CLOSED":
                raise business("ACQ.TRADE_HAS_CLOSE", "交易已经关闭")
            if trade.total_fen != total:
                raise business("ACQ.CONTEXT_INCONSISTENT", "交易信息被篡改")
        else:
            self._counter += 1
            now = self.now()
            trade = Trade(
                out_trade_no=out_trade_no,
                total_fen=total,
                subject=str(biz.get("subject", "")),
                notify_url=params.get("notify_url"),
                qr_code=f"https://qr.alipay.com/bax{self._counter:05d}fake{out_trade_no[-6:]}",
                trade_no=f"{now:%Y%m%d}22001{self._counter:015d}",
                created=now,
            )
            self.trades[out_trade_no] = trade
        return {"out_trade_no": out_trade_no, "qr_code": trade.qr_code}

    def _alipay_trade_wap_pay(self, biz: dict[str, Any], params: dict[str, str]) -> dict[str, Any]:
        answer = self._alipay_trade_precreate(biz, params)
        self.trades[answer["out_trade_no"]].scanned = True  # the cashier page is open on the phone
        return {"out_trade_no": answer["out_trade_no"]}

    def _alipay_trade_query(self, biz: dict[str, Any], params: dict[str, str]) -> dict[str, Any]:
        trade = self._trade(biz)
        answer = {
            "trade_no": trade.trade_no,
            "out_trade_no": trade.out_trade_no,
            "buyer_logon_id": "159****5620",
            "trade_status": trade.status,
            "total_amount": yuan(trade.total_fen),
            "buyer_pay_amount": yuan(trade.total_fen) if trade.paid_at else "0.00",
            "receipt_amount": yuan(trade.total_fen) if trade.paid_at else "0.00",
            "buyer_user_id": BUYER_ID,
        }
        if trade.paid_at:
            answer["send_pay_date"] = trade.paid_at.strftime(TIME_FORMAT)
        return answer

    def _alipay_trade_cancel(self, biz: dict[str, Any], params: dict[str, str]) -> dict[str, Any]:
        trade = self._trade(biz, scanned=False)
        action = "close"
        if trade.status == "TRADE_SUCCESS":
            action = "refund"  # documented: cancelling a paid trade refunds it
            trade.refunds["cancel"] = (trade.total_fen, self.now())
        trade.status, trade.closed_at = "TRADE_CLOSED", trade.closed_at or self.now()
        return {
            "out_trade_no": trade.out_trade_no,
            "trade_no": trade.trade_no,
            "retry_flag": "N",
            "action": action,
        }

    def _alipay_trade_close(self, biz: dict[str, Any], params: dict[str, str]) -> dict[str, Any]:
        trade = self._trade(biz)
        if trade.status != "WAIT_BUYER_PAY":
            raise business("ACQ.TRADE_STATUS_ERROR", "交易状态不合法")
        trade.status, trade.closed_at = "TRADE_CLOSED", self.now()
        return {"out_trade_no": trade.out_trade_no, "trade_no": trade.trade_no}

    def _alipay_trade_refund(self, biz: dict[str, Any], params: dict[str, str]) -> dict[str, Any]:
        trade = self._trade(biz)
        request_no = str(biz.get("out_request_no") or trade.out_trade_no)
        amount = fen(str(biz["refund_amount"]))
        fund_change = "N"
        if request_no not in trade.refunds:
            if trade.status not in ("TRADE_SUCCESS",):
                raise business("ACQ.TRADE_STATUS_ERROR", "交易状态不合法")
            if trade.refunded_fen + amount > trade.total_fen:
                raise business("ACQ.REFUND_AMT_NOT_EQUAL_TOTAL", "退款金额超限")
            trade.refunds[request_no] = (amount, self.now())
            fund_change = "Y"
            if trade.refunded_fen == trade.total_fen:
                trade.status, trade.closed_at = "TRADE_CLOSED", self.now()
            self.sent.append(self.notification(trade.out_trade_no, refund_request_no=request_no))
        return {
            "trade_no": trade.trade_no,
            "out_trade_no": trade.out_trade_no,
            "buyer_logon_id": "159****5620",
            "fund_change": fund_change,
            "refund_fee": yuan(trade.refunded_fen),
            "gmt_refund_pay": trade.refunds[request_no][1].strftime(TIME_FORMAT),
            "buyer_user_id": BUYER_ID,
        }

    def _alipay_trade_fastpay_refund_query(
        self, biz: dict[str, Any], params: dict[str, str]
    ) -> dict[str, Any]:
        trade = self._trade(biz)
        request_no = str(biz.get("out_request_no", ""))
        if request_no not in trade.refunds:
            return {}  # documented: no data when Alipay has no such refund
        amount, at = trade.refunds[request_no]
        return {
            "trade_no": trade.trade_no,
            "out_trade_no": trade.out_trade_no,
            "out_request_no": request_no,
            "total_amount": yuan(trade.total_fen),
            "refund_amount": yuan(amount),
            "refund_status": "REFUND_SUCCESS",
            "gmt_refund_pay": at.strftime(TIME_FORMAT),
        }

    def _alipay_data_dataservice_bill_downloadurl_query(
        self, biz: dict[str, Any], params: dict[str, str]
    ) -> dict[str, Any]:
        day = str(biz.get("bill_date", ""))
        if biz.get("bill_type") != "trade" or not day:
            raise Refusal("40004", "Business Failed", "isp.bill_type_error", "账单类型错误")
        if day not in self.bill_zips and not any(
            t.paid_at and t.paid_at.date().isoformat() == day for t in self.trades.values()
        ):
            raise business("isp.bill_not_exist", "账单不存在")
        return {"bill_download_url": f"{self.base_url}/bill/{day}.zip?token=fake"}

    # -- the bill ---------------------------------------------------------------------------

    def bill_zip(self, day: str) -> bytes:
        if day in self.bill_zips:
            return self.bill_zips[day]
        rows = []
        for trade in self.trades.values():
            if trade.paid_at and trade.paid_at.date().isoformat() == day:
                rows.append(
                    bill_row(
                        trade.trade_no,
                        trade.out_trade_no,
                        "交易",
                        trade.subject,
                        trade.created,
                        trade.paid_at,
                        trade.total_fen,
                        "",
                    )
                )
            for request_no, (amount, at) in trade.refunds.items():
                if at.date().isoformat() == day:
                    rows.append(
                        bill_row(
                            trade.trade_no,
                            trade.out_trade_no,
                            "退款",
                            trade.subject,
                            trade.created,
                            at,
                            -amount,
                            request_no,
                        )
                    )
        return make_bill_zip(date.fromisoformat(day), rows)


BILL_HEADER = (
    "支付宝交易号,商户订单号,业务类型,商品名称,创建时间,完成时间,门店编号,门店名称,操作员,终端号,对方账户,"
    "订单金额（元）,商家实收（元）,支付宝红包（元）,集分宝（元）,支付宝优惠（元）,商家优惠（元）,券核销金额（元）,"
    "券名称,商家红包消费金额（元）,卡消费金额（元）,退款批次号/请求号,服务费（元）,分润（元）,备注"
)


def bill_row(
    trade_no: str,
    out_trade_no: str,
    kind: str,
    subject: str,
    created: datetime,
    finished: datetime,
    amount_fen: int,
    request_no: str,
) -> str:
    money = f"{Decimal(amount_fen) / 100:.2f}"
    fee_fen = -(amount_fen * 6 // 1000) if kind == "交易" else 0  # a 0.6 % service fee on payments
    fee = f"{Decimal(fee_fen) / 100:.2f}"
    cells = [
        trade_no + "\t",
        out_trade_no + "\t",
        kind,
        subject,
        created.strftime(TIME_FORMAT),
        finished.strftime(TIME_FORMAT),
        "",
        "",
        "",
        "",
        "159****5620",
        money,
        money,
        "0.00",
        "0.00",
        "0.00",
        "0.00",
        "0.00",
        "",
        "0.00",
        "0.00",
        request_no + ("\t" if request_no else ""),
        fee,
        "0.00",
        "",
    ]
    return ",".join(cells)


def make_bill_zip(day: date, rows: list[str]) -> bytes:
    """A bill zip as Alipay serves it: the 业务明细 and 汇总 CSVs in GBK (zipfile writes the member
    names in UTF-8 with its flag; Alipay's own GBK names without the flag are read too)."""
    start = f"{day:%Y年%m月%d日} 00:00:00"
    end = f"{day + timedelta(days=1):%Y年%m月%d日} 00:00:00"
    detail = (
        "\r\n".join(
            [
                "#支付宝业务明细查询",
                f"#账号：[{SELLER_ID}0156]",
                f"#起始日期：[{start}]   终止日期：[{end}]",
                "#-----------------------------------------业务明细列表----------------------------------------",
                BILL_HEADER,
                *rows,
                "#-----------------------------------------业务明细列表结束------------------------------------",
                f"#交易合计：{sum(1 for r in rows if ',交易,' in r)}笔",
                f"#退款合计：{sum(1 for r in rows if ',退款,' in r)}笔",
                f"#导出时间：[{day + timedelta(days=1):%Y年%m月%d日} 09:12:43]",
            ]
        )
        + "\r\n"
    )
    summary = "#支付宝业务汇总查询\r\n门店编号,门店名称,交易订单总笔数\r\n合计,,0\r\n"
    buffer = io.BytesIO()
    prefix = f"{SELLER_ID}0156_{day:%Y%m%d}"
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in ((f"{prefix}_业务明细.csv", detail), (f"{prefix}_业务明细(汇总).csv", summary)):
            info = zipfile.ZipInfo(name, date_time=(day.year, day.month, day.day, 9, 12, 43))
            archive.writestr(info, text.encode("gbk"))
    return buffer.getvalue()


class HTTPStatus(Exception):
    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


def _handler_for(fake: AlipayFake) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            return

        def _params(self) -> dict[str, str]:
            params = dict(parse_qsl(urlsplit(self.path).query, keep_blank_values=True))
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                params |= dict(parse_qsl(self.rfile.read(length).decode(), keep_blank_values=True))
            return params

        def _answer(self, status: int, body: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _serve(self) -> None:
            path = urlsplit(self.path).path
            if path.startswith("/bill/") and path.endswith(".zip"):
                self._answer(200, fake.bill_zip(path[len("/bill/") : -len(".zip")]), "application/zip")
                return
            if path != "/gateway.do":
                self._answer(404, b"not found", "text/plain")
                return
            try:
                text = fake.handle(self._params())
            except HTTPStatus as status:
                self._answer(status.status, b"<html>error</html>", "text/html")
                return
            self._answer(200, text.encode(), "application/json;charset=utf-8")

        do_GET = _serve
        do_POST = _serve

    return Handler


def serve(fake: AlipayFake) -> Iterator[AlipayFake]:
    """Run the fake on 127.0.0.1 until the generator is closed."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(fake))
    server.daemon_threads = True
    fake.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, name="alipay-fake", daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
