"""The money audit's text lines: amounts in ¥ yuan whichever database summed them, times in Beijing time."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from sales.money_audit_text import row_text


def test_amounts_summed_by_postgresql_print_as_yuan() -> None:
    line = row_text({"order_id": "abc", "ledger_fen": 19760, "difference_fen": Decimal(3990)})
    assert line == "order_id: abc, ledger_fen: ¥197.60, difference_fen: ¥39.90"


def test_times_print_in_beijing_time_whatever_zone_they_were_stored_in() -> None:
    at = datetime(2026, 11, 26, 7, 0, tzinfo=UTC)  # 15:00 in Shanghai
    line = row_text({"refund_id": 7, "created_at": at})
    assert line == "refund_id: 7, created_at: 2026-11-26 15:00 (Asia/Shanghai)"
