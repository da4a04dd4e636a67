"""Parsing WeChat Pay's daily trade bill (交易账单, GET /v3/bill/tradebill, type ALL) into BillLines.

The file is CSV in UTF-8: a header line of Chinese column names, one line per payment or refund
whose every field starts with a backtick (so that spreadsheets keep long numbers as text), then a
summary header (总交易单数,…) and one summary line. Amounts are yuan with two decimals (the fee
with five); times are Beijing time without a zone. The summary is checked against the lines, so
a truncated download is refused instead of read as a short day.
Docs: https://pay.weixin.qq.com/doc/v3/merchant/4013071238 (账单文件格式).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Literal
from zoneinfo import ZoneInfo

from payments.bills import BillLine
from payments.errors import PaymentProviderError

SHANGHAI = ZoneInfo("Asia/Shanghai")
PROVIDER = "wechatpay"

# The columns read, by their documented names; the others (bank, coupon, rate …) are kept in `fields`.
TIME, TRANSACTION_ID, OUT_TRADE_NO, TRADE_TYPE, TRADE_STATE = (
    "交易时间",
    "微信订单号",
    "商户订单号",
    "交易类型",
    "交易状态",
)
SETTLED, REFUND_ID, OUT_REFUND_NO, REFUNDED = "应结订单金额", "微信退款单号", "商户退款单号", "退款金额"
REFUND_STATUS, ATTACH, FEE, ORDER_AMOUNT = "退款状态", "商户数据包", "手续费", "订单金额"
SUMMARY_COUNT, SUMMARY_REFUNDED = "总交易单数", "退款总金额"


@dataclass(frozen=True)
class TradeBillRow:
    """One line of the trade bill: a payment (state SUCCESS) or a refund of one (state REFUND)."""

    occurred_at: datetime  # Asia/Shanghai
    transaction_id: str
    out_trade_no: str
    trade_type: str  # NATIVE, MWEB (H5), JSAPI …
    trade_state: Literal["SUCCESS", "REFUND"] | str
    amount_fen: int  # 订单金额 of a payment; 退款金额 of a refund
    refund_id: str
    out_refund_no: str
    refund_status: str
    attach: str  # our reference (the order id), as sent
    fee_yuan: Decimal  # WeChat's fee, to five decimals of a yuan (a fraction of a fen)
    fields: dict[str, str]


def _fen(value: str, column: str) -> int:
    """Yuan with at most two decimals as integer fen; anything else refuses the bill."""
    try:
        amount = Decimal(value or "0")
    except InvalidOperation:
        raise PaymentProviderError(f"trade bill {column} {value!r} is not an amount") from None
    fen = amount * 100
    if fen != fen.to_integral_value():
        raise PaymentProviderError(f"trade bill {column} {value!r} has fractions of a fen")
    return int(fen)


def _clean(row: list[str]) -> list[str]:
    return [cell.strip().removeprefix("`") for cell in row]


def parse_trade_bill(data: bytes) -> list[TradeBillRow]:
    """Read a trade bill file (bytes, UTF-8 with or without BOM) into its rows, checked by its summary."""
    lines = [row for row in csv.reader(io.StringIO(data.decode("utf-8-sig"))) if any(c.strip() for c in row)]
    if not lines or _clean(lines[0])[0] != TIME:
        raise PaymentProviderError("not a WeChat Pay trade bill: the first line is not its header")
    header = _clean(lines[0])
    try:
        summary_at = next(i for i, row in enumerate(lines) if _clean(row)[0] == SUMMARY_COUNT)
    except StopIteration:
        raise PaymentProviderError(
            "the trade bill has no summary (总交易单数): incomplete download"
        ) from None
    rows = [_row(dict(zip(header, _clean(line), strict=False))) for line in lines[1:summary_at]]
    if summary_at + 1 >= len(lines):
        raise PaymentProviderError("the trade bill's summary line is missing")
    summary = dict(zip(_clean(lines[summary_at]), _clean(lines[summary_at + 1]), strict=False))
    _check_summary(rows, summary)
    return rows


def _id(value: str) -> str:
    """An id column; a payment's line has `0 where a refund's id would be."""
    return "" if value in ("", "0") else value


def _row(cells: dict[str, str]) -> TradeBillRow:
    refund = cells.get(TRADE_STATE) == "REFUND"
    try:
        at = datetime.strptime(cells[TIME], "%Y-%m-%d %H:%M:%S").replace(tzinfo=SHANGHAI)
    except (KeyError, ValueError):
        raise PaymentProviderError(f"trade bill line with time {cells.get(TIME)!r}") from None
    order_amount = cells.get(ORDER_AMOUNT) or cells.get(SETTLED, "0")
    return TradeBillRow(
        occurred_at=at,
        transaction_id=cells.get(TRANSACTION_ID, ""),
        out_trade_no=cells.get(OUT_TRADE_NO, ""),
        trade_type=cells.get(TRADE_TYPE, ""),
        trade_state=cells.get(TRADE_STATE, ""),
        amount_fen=_fen(cells.get(REFUNDED, "0"), REFUNDED) if refund else _fen(order_amount, ORDER_AMOUNT),
        refund_id=_id(cells.get(REFUND_ID, "")),
        out_refund_no=_id(cells.get(OUT_REFUND_NO, "")),
        refund_status=cells.get(REFUND_STATUS, ""),
        attach=cells.get(ATTACH, ""),
        fee_yuan=Decimal(cells.get(FEE) or "0"),
        fields=cells,
    )


def _check_summary(rows: list[TradeBillRow], summary: dict[str, str]) -> None:
    """Refuse a bill whose lines do not add up to its own summary (their number, the refunded total)."""
    try:
        count = int(summary.get(SUMMARY_COUNT) or "")
    except ValueError:
        raise PaymentProviderError(f"trade bill summary count {summary.get(SUMMARY_COUNT)!r}") from None
    refunded = _fen(summary.get(SUMMARY_REFUNDED, "0"), SUMMARY_REFUNDED)
    found = (len(rows), sum(r.amount_fen for r in rows if r.trade_state == "REFUND"))
    if found != (count, refunded):
        raise PaymentProviderError(
            f"the trade bill's lines (count, refunded fen) {found} differ from its summary"
            f" {(count, refunded)}"
        )


def bill_lines(rows: list[TradeBillRow]) -> list[BillLine]:
    """The provider-neutral lines of a trade bill: one per payment, one per refund (amounts positive)."""
    lines = []
    for row in rows:
        refund = row.trade_state == "REFUND"
        lines.append(
            BillLine(
                provider=PROVIDER,
                kind="refund" if refund else "payment",
                our_ref=row.out_refund_no if refund else row.out_trade_no,
                provider_ref=row.refund_id if refund else row.transaction_id,
                amount_fen=row.amount_fen,
                occurred_at=row.occurred_at,
            )
        )
    return lines
