"""Parsing WeChat Pay's trade bill (交易账单, bill_type ALL) in its documented layout into BillLines."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from payments.bills import BillLine
from payments.errors import PaymentProviderError
from payments.providers.wechatpay_bill import bill_lines, parse_trade_bill

SHANGHAI = ZoneInfo("Asia/Shanghai")
HEADER = (
    "交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,"
    "应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,商品名称,商户数据包,"
    "手续费,费率,订单金额,申请退款金额,费率备注"
)
# Three payments and one refund of 2026-12-02, as the documented file has them: every field prefixed
# with a backtick, amounts in yuan, a summary header and line at the end; UTF-8 with a BOM.
SAMPLE = (
    "\ufeff" + HEADER + "\r\n"
    "`2026-12-02 09:14:35,`wxd678efh567hg6787,`1900000109,`0,`,`4200002900202612020000000001,"
    "`6f1c2a348b7d4e219a0f_1b2c3d4e5f6,`oUpF8uMuAJO_M2pxb1Q9zNjWeS6o,`NATIVE,`SUCCESS,`OTHERS,`CNY,"
    "`29.90,`0.00,`0,`0,`0.00,`0.00,`,`,`西吉马铃薯 5kg,`6f1c2a34-8b7d-4e21-9a0f-3c5d7e9b1a22,"
    "`0.17940,`0.60%,`29.90,`0.00,`\r\n"
    "`2026-12-02 12:01:07,`wxd678efh567hg6787,`1900000109,`0,`,`4200002900202612020000000002,"
    "`0a9b8c7d6e5f4a3b2c1d_aaaaaaaaaaa,`oUpF8uMuAJO_M2pxb1Q9zNjWeS6o,`NATIVE,`SUCCESS,`OTHERS,`CNY,"
    "`68.00,`0.00,`0,`0,`0.00,`0.00,`,`,`隆德蜂蜜 500g,`0a9b8c7d-6e5f-4a3b-2c1d-000000000000,"
    "`0.40800,`0.60%,`68.00,`0.00,`\r\n"
    "`2026-12-02 18:45:00,`wxd678efh567hg6787,`1900000109,`0,`,`4200002900202612020000000003,"
    "`11112222333344445555_bbbbbbbbbbb,`oUpF8uMuAJO_M2pxb1Q9zNjWeS6o,`MWEB,`SUCCESS,`OTHERS,`CNY,"
    "`15.00,`0.00,`0,`0,`0.00,`0.00,`,`,`泾源黄牛肉,`11112222-3333-4444-5555-666666666666,"
    "`0.09000,`0.60%,`15.00,`0.00,`\r\n"
    "`2026-12-02 19:02:13,`wxd678efh567hg6787,`1900000109,`0,`,`4200002900202612020000000001,"
    "`6f1c2a348b7d4e219a0f_1b2c3d4e5f6,`oUpF8uMuAJO_M2pxb1Q9zNjWeS6o,`NATIVE,`REFUND,`OTHERS,`CNY,"
    "`0.00,`0.00,`50300000382026120200000000001,`refund-6f1c2a34-Qq1_zz8,`10.00,`0.00,`ORIGINAL,`SUCCESS,"
    "`西吉马铃薯 5kg,`6f1c2a34-8b7d-4e21-9a0f-3c5d7e9b1a22,`-0.06000,`0.60%,`29.90,`10.00,`\r\n"
    "总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额\r\n"
    "`4,`112.90,`10.00,`0.00,`0.61740,`112.90,`10.00\r\n"
).encode()


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def test_the_documented_sample_reads_as_three_payments_and_one_refund_in_fen() -> None:
    rows = parse_trade_bill(SAMPLE)
    assert bill_lines(rows) == [
        BillLine(
            "wechatpay",
            "payment",
            "6f1c2a348b7d4e219a0f_1b2c3d4e5f6",
            "4200002900202612020000000001",
            2990,
            at("2026-12-02 09:14:35"),
        ),
        BillLine(
            "wechatpay",
            "payment",
            "0a9b8c7d6e5f4a3b2c1d_aaaaaaaaaaa",
            "4200002900202612020000000002",
            6800,
            at("2026-12-02 12:01:07"),
        ),
        BillLine(
            "wechatpay",
            "payment",
            "11112222333344445555_bbbbbbbbbbb",
            "4200002900202612020000000003",
            1500,
            at("2026-12-02 18:45:00"),
        ),
        BillLine(
            "wechatpay",
            "refund",
            "refund-6f1c2a34-Qq1_zz8",
            "50300000382026120200000000001",
            1000,
            at("2026-12-02 19:02:13"),
        ),
    ]
    refund = rows[3]
    assert (refund.out_trade_no, refund.refund_status, refund.attach) == (
        "6f1c2a348b7d4e219a0f_1b2c3d4e5f6",
        "SUCCESS",
        "6f1c2a34-8b7d-4e21-9a0f-3c5d7e9b1a22",
    )
    assert (rows[0].refund_id, rows[0].out_refund_no, str(rows[0].fee_yuan)) == ("", "", "0.17940")
    assert rows[2].trade_type == "MWEB"


def test_a_missing_and_a_differing_line_stand_out_against_our_records() -> None:
    """What reconciliation does with the lines: keyed by (kind, our_ref), compared by amount."""
    billed = {(line.kind, line.our_ref): line.amount_fen for line in bill_lines(parse_trade_bill(SAMPLE))}
    ours = {
        ("payment", "6f1c2a348b7d4e219a0f_1b2c3d4e5f6"): 2990,
        ("payment", "0a9b8c7d6e5f4a3b2c1d_aaaaaaaaaaa"): 6800,
        ("payment", "11112222333344445555_bbbbbbbbbbb"): 1600,  # we recorded 16.00, WeChat took 15.00
        ("payment", "99998888777766665555_ccccccccccc"): 4200,  # paid for us, absent from the bill
        ("refund", "refund-6f1c2a34-Qq1_zz8"): 1000,
    }

    missing = sorted(set(ours) - set(billed))
    differing = sorted(key for key in set(ours) & set(billed) if ours[key] != billed[key])

    assert missing == [("payment", "99998888777766665555_ccccccccccc")]
    assert differing == [("payment", "11112222333344445555_bbbbbbbbbbb")]
    assert set(billed) - set(ours) == set()


def test_a_bill_cut_off_before_its_summary_is_refused() -> None:
    truncated = SAMPLE.split("总交易单数".encode())[0]
    with pytest.raises(PaymentProviderError, match="no summary"):
        parse_trade_bill(truncated)


def test_a_bill_whose_lines_do_not_add_up_to_its_summary_is_refused() -> None:
    one_line_lost = b"\r\n".join(line for line in SAMPLE.split(b"\r\n") if b"0000000002," not in line)
    with pytest.raises(PaymentProviderError, match="differ from its summary"):
        parse_trade_bill(one_line_lost)
    refund_changed = SAMPLE.replace(b"`10.00,`0.00,`ORIGINAL", b"`11.00,`0.00,`ORIGINAL")
    with pytest.raises(PaymentProviderError, match="differ from its summary"):
        parse_trade_bill(refund_changed)


def test_an_amount_with_fractions_of_a_fen_or_not_a_bill_is_refused() -> None:
    with pytest.raises(PaymentProviderError, match="fractions of a fen"):
        parse_trade_bill(
            SAMPLE.replace(b"`68.00,`0.00,`", b"`68.005,`0.00,`").replace(b"`68.00,", b"`68.005,")
        )
    with pytest.raises(PaymentProviderError, match="header"):
        parse_trade_bill("商户号,金额\r\n`1,`2\r\n".encode())
