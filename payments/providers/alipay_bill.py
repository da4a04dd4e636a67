"""Alipay's daily trade bill (账单, bill_type=trade) as provider-neutral BillLine rows.

alipay.data.dataservice.bill.downloadurl.query answers a short-lived bill_download_url; it serves a
zip holding two GBK-encoded CSV files, `…_业务明细.csv` (one row per payment or refund) and
`…_业务明细(汇总).csv` (totals). Only the 业务明细 file is read. Its layout, as documented:

    #支付宝业务明细查询
    #账号：[2088…]
    #起始日期：[2026年12月02日 00:00:00]   终止日期：[2026年12月03日 00:00:00]
    #-----------------------------------------业务明细列表----------------------------------------
    支付宝交易号,商户订单号,业务类型,商品名称,创建时间,完成时间,…,订单金额（元）,商家实收（元）,…,退款批次号/请求号,…
    2026120222001…\t,dx_…\t,交易,…
    #-----------------------------------------业务明细列表结束------------------------------------
    #交易合计：…
    #退款合计：…
    #导出时间：[…]

Lines starting with # are comments; values carry a trailing tab (so spreadsheets keep long numbers
as text), stripped here. Columns are found by their header names, not positions. 业务类型 交易 is a
payment, 退款 a refund (its 订单金额 is negative; the line's amount is positive). A refund line's
our_ref is "out_trade_no:out_request_no", the provider_ref AlipayProvider gave that refund, and a
payment line's our_ref is its out_trade_no; provider_ref is Alipay's trade_no for both.
"""

from __future__ import annotations

import csv
import io
import urllib.request
import zipfile
from datetime import datetime

from core.clock import SHANGHAI
from core.errors import InvalidInput
from core.money import parse_yuan
from payments.bills import BillLine

PROVIDER = "alipay"
DETAIL_SUFFIX = "业务明细.csv"
MAX_ZIP_BYTES = 50 * 1024 * 1024
COLUMNS = {
    "trade_no": "支付宝交易号",
    "out_trade_no": "商户订单号",
    "kind": "业务类型",
    "finished": "完成时间",
    "amount": "订单金额（元）",
    "request_no": "退款批次号/请求号",
}
KINDS = {"交易": "payment", "退款": "refund"}


def download_zip(url: str, *, timeout: float) -> bytes:
    """The bytes behind a bill_download_url (the caller turns network errors into provider errors)."""
    with urllib.request.urlopen(url, timeout=timeout) as answer:
        return bytes(answer.read(MAX_ZIP_BYTES + 1))


def detail_csv(content: bytes) -> str:
    """The 业务明细 CSV of a bill zip, decoded from GBK; InvalidInput when the zip has none."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
    except zipfile.BadZipFile as exc:
        raise InvalidInput("the Alipay bill is not a zip file") from exc
    with archive:
        for info in archive.infolist():
            name = _member_name(info)
            if name.endswith(DETAIL_SUFFIX):
                return archive.read(info).decode("gb18030")
    raise InvalidInput("the Alipay bill zip has no 业务明细 file")


def _member_name(info: zipfile.ZipInfo) -> str:
    """A zip member's name: Alipay's zips store GBK names without the UTF-8 flag."""
    if info.flag_bits & 0x800:
        return info.filename
    try:
        return info.filename.encode("cp437").decode("gb18030")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return info.filename


def parse_bill_zip(content: bytes) -> list[BillLine]:
    """The lines of a bill zip's 业务明细 file."""
    return parse_detail(detail_csv(content))


def parse_detail(text: str) -> list[BillLine]:
    """The payment and refund lines of a 业务明细 CSV (already decoded)."""
    rows = [row for row in csv.reader(io.StringIO(text)) if row and not row[0].lstrip().startswith("#")]
    if not rows:
        raise InvalidInput("the Alipay bill has no header line")
    header = [cell.strip() for cell in rows[0]]
    missing = [name for name in COLUMNS.values() if name not in header]
    if missing:
        raise InvalidInput(f"the Alipay bill lacks the columns {', '.join(missing)}")
    index = {key: header.index(name) for key, name in COLUMNS.items()}
    lines: list[BillLine] = []
    for number, row in enumerate(rows[1:], start=2):
        cells = [cell.strip() for cell in row]
        if not any(cells):
            continue
        if len(cells) < len(header):
            raise InvalidInput(f"the Alipay bill's line {number} has {len(cells)} of {len(header)} columns")
        kind = KINDS.get(cells[index["kind"]])
        if kind is None:
            continue  # other business types (e.g. 结算) are not a payment of ours
        our_ref = cells[index["out_trade_no"]]
        if kind == "refund":
            our_ref = f"{our_ref}:{cells[index['request_no']]}"
        amount = parse_yuan(cells[index["amount"]], field="订单金额（元）", allow_negative=True)
        lines.append(
            BillLine(
                provider=PROVIDER,
                kind=kind,  # type: ignore[arg-type]
                our_ref=our_ref,
                provider_ref=cells[index["trade_no"]],
                amount_fen=abs(amount),
                occurred_at=datetime.strptime(cells[index["finished"]], "%Y-%m-%d %H:%M:%S").replace(
                    tzinfo=SHANGHAI
                ),
            )
        )
    return lines
