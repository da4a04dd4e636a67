"""The money audit's text lines: amounts in ¥ yuan whichever database summed them."""

from __future__ import annotations

from decimal import Decimal

from sales.money_audit_text import row_text


def test_amounts_summed_by_postgresql_print_as_yuan() -> None:
    line = row_text({"order_id": "abc", "ledger_fen": 19760, "difference_fen": Decimal(3990)})
    assert line == "order_id: abc, ledger_fen: ¥197.60, difference_fen: ¥39.90"
