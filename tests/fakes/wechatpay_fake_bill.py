"""The daily trade bill (交易账单, type ALL) the fake WeChat Pay writes from its orders and refunds, in the
documented layout: backtick-prefixed fields, amounts in yuan, a summary header and line."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")
BILL_HEADER = (
    "交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,"
    "货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,商品名称,"
    "商户数据包,手续费,费率,订单金额,申请退款金额,费率备注"
)
BILL_SUMMARY = "总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额"
FEE_RATE = Decimal("0.006")


def trade_bill_file(
    orders: Iterable[dict[str, Any]], refunds: Iterable[dict[str, Any]], day: date
) -> bytes | None:
    """The ALL trade bill of a day (Beijing time) as WeChat writes it: payments, refunds, a summary."""
    rows: list[list[str]] = []
    by_number = {order["out_trade_no"]: order for order in orders}
    for order in by_number.values():
        if "success_time" in order and datetime.fromisoformat(order["success_time"]).date() == day:
            rows.append(_bill_row(order, None))
    for refund in refunds:
        if refund.get("success_time") and datetime.fromisoformat(refund["success_time"]).date() == day:
            rows.append(_bill_row(by_number[refund["out_trade_no"]], refund))
    if not rows:
        return None
    paid = sum(Decimal(r[12]) for r in rows if r[9] == "SUCCESS")
    refunded = sum(Decimal(r[16]) for r in rows)
    fees = sum(Decimal(r[22]) for r in rows)
    summary = [
        str(len(rows)),
        f"{paid:.2f}",
        f"{refunded:.2f}",
        "0.00",
        f"{fees:.5f}",
        f"{paid:.2f}",
        f"{refunded:.2f}",
    ]
    text = "\r\n".join(
        [
            BILL_HEADER,
            *(",".join(f"`{c}" for c in r) for r in rows),
            BILL_SUMMARY,
            ",".join(f"`{c}" for c in summary),
        ]
    )
    return (text + "\r\n").encode()


def _bill_row(order: dict[str, Any], refund: dict[str, Any] | None) -> list[str]:
    total = Decimal(order["amount"]["total"]) / 100
    back = Decimal(refund["amount"]["refund"]) / 100 if refund else Decimal(0)
    at = datetime.fromisoformat((refund or order)["success_time"]).astimezone(SHANGHAI)
    fee = (-back if refund else total) * FEE_RATE
    return [
        at.strftime("%Y-%m-%d %H:%M:%S"),
        order["appid"],
        order["mchid"],
        "0",
        "",
        order["transaction_id"],
        order["out_trade_no"],
        order["payer"]["openid"],
        order["trade_type"],
        "REFUND" if refund else "SUCCESS",
        "OTHERS",
        "CNY",
        f"{0 if refund else total:.2f}",
        "0.00",
        refund["refund_id"] if refund else "0",
        refund["out_refund_no"] if refund else "0",
        f"{back:.2f}",
        "0.00",
        "ORIGINAL" if refund else "",
        "SUCCESS" if refund else "",
        order["description"],
        order["attach"],
        f"{fee:.5f}",
        "0.60%",
        f"{total:.2f}",
        f"{back:.2f}",
        "",
    ]
