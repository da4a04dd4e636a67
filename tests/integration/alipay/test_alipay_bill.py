"""Alipay's daily trade bill: the download URL, the zip, the GBK 业务明细 CSV as BillLine rows."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from core.clock import SHANGHAI
from core.errors import InvalidInput
from payments.bills import BillLine
from payments.errors import PaymentProviderError
from payments.providers.alipay import AlipayProvider
from payments.providers.alipay_bill import parse_bill_zip
from tests.fakes.alipay_fake import AlipayFake, bill_row, make_bill_zip

DAY = date(2026, 12, 2)
CREATED = datetime(2026, 12, 2, 10, 0, 0, tzinfo=SHANGHAI)


def _line(kind: str, our_ref: str, trade_no: str, fen: int, at: str) -> BillLine:
    when = datetime.strptime(f"2026-12-02 {at}", "%Y-%m-%d %H:%M:%S").replace(tzinfo=SHANGHAI)
    return BillLine("alipay", kind, our_ref, trade_no, fen, when)  # type: ignore[arg-type]


def _sample() -> bytes:
    """A documented-shape bill: two payments and a partial refund of the first."""
    at = lambda hms: datetime.strptime(f"2026-12-02 {hms}", "%Y-%m-%d %H:%M:%S").replace(tzinfo=SHANGHAI)  # noqa: E731
    rows = [
        bill_row(
            "2026120222001400001", "o1_aaaa", "交易", "西吉马铃薯 5kg", CREATED, at("10:01:02"), 2990, ""
        ),
        bill_row("2026120222001400002", "o2_bbbb", "交易", "隆德蜂蜜", CREATED, at("11:30:00"), 100_001, ""),
        bill_row(
            "2026120222001400001",
            "o1_aaaa",
            "退款",
            "西吉马铃薯 5kg",
            CREATED,
            at("12:00:00"),
            -990,
            "R_cccc",
        ),
    ]
    return make_bill_zip(DAY, rows)


def test_the_documented_sample_parses_into_lines() -> None:
    assert parse_bill_zip(_sample()) == [
        _line("payment", "o1_aaaa", "2026120222001400001", 2990, "10:01:02"),
        _line("payment", "o2_bbbb", "2026120222001400002", 100_001, "11:30:00"),
        _line("refund", "o1_aaaa:R_cccc", "2026120222001400001", 990, "12:00:00"),
    ]


def test_a_missing_and_a_differing_line_show_against_our_records() -> None:
    ours = {
        ("payment", "o1_aaaa"): 2990,
        ("payment", "o2_bbbb"): 100_000,  # we recorded a fen less than Alipay took
        ("payment", "o3_dddd"): 500,  # Alipay has no such payment that day
        ("refund", "o1_aaaa:R_cccc"): 990,
    }
    bill = {(line.kind, line.our_ref): line.amount_fen for line in parse_bill_zip(_sample())}
    missing = sorted(set(ours) - set(bill))
    differing = sorted(key for key in set(ours) & set(bill) if ours[key] != bill[key])
    assert (missing, differing) == ([("payment", "o3_dddd")], [("payment", "o2_bbbb")])


def test_a_bill_without_its_detail_file_or_not_a_zip_is_refused() -> None:
    with pytest.raises(InvalidInput):
        parse_bill_zip(b"PK not really")
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "nothing")
    with pytest.raises(InvalidInput):
        parse_bill_zip(buffer.getvalue())


def test_the_bill_of_a_day_through_the_gateway(alipay: AlipayProvider, alipay_fake: AlipayFake) -> None:
    ref = alipay.create_payment(
        reference="o1", amount_fen=1234, method="alipay", capture="automatic", idempotency_key="k1"
    ).provider_ref
    alipay_fake.pay(ref)
    refund = alipay.refund(ref, amount_fen=234, idempotency_key="r1", reason="x")
    today = alipay_fake.trades[ref].paid_at.date()  # type: ignore[union-attr]
    lines = alipay.daily_bill(today)
    assert [(line.kind, line.our_ref, line.amount_fen) for line in lines] == [
        ("payment", ref, 1234),
        ("refund", refund.provider_ref, 234),
    ]
    assert alipay_fake.calls[-1] == (
        "alipay.data.dataservice.bill.downloadurl.query",
        {"bill_type": "trade", "bill_date": today.isoformat()},
    )
    with pytest.raises(PaymentProviderError, match=r"isp\.bill_not_exist"):
        alipay.daily_bill(date(2020, 1, 1))
