"""Bank transfers for bulk orders: partial amounts add up, a reference counts once."""

from __future__ import annotations

from datetime import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.clock import SHANGHAI
from core.errors import Conflict, InvalidInput
from payments.providers.bank_transfer import BankTransfer, record_transfer, settlement

AT = datetime(2026, 11, 26, 10, 30, tzinfo=SHANGHAI)


def test_partial_transfer_leaves_the_order_awaiting_payment() -> None:
    transfers = record_transfer([], bank_reference="ICBC-20261126-0001", amount_fen=600_000, received_at=AT)

    status = settlement(1_000_000, transfers)

    assert not status.fully_paid
    assert (status.received_fen, status.outstanding_fen, status.overpaid_fen) == (600_000, 400_000, 0)


def test_transfers_add_up_to_paid_in_full() -> None:
    transfers = record_transfer([], bank_reference="A-1", amount_fen=600_000, received_at=AT)
    transfers = record_transfer(transfers, bank_reference="A-2", amount_fen=400_000, received_at=AT)

    status = settlement(1_000_000, transfers)

    assert status.fully_paid and status.outstanding_fen == 0


def test_overpayment_is_reported_for_the_operator() -> None:
    transfers = record_transfer([], bank_reference="A-1", amount_fen=1_000_050, received_at=AT)

    status = settlement(1_000_000, transfers)

    assert status.fully_paid and status.overpaid_fen == 50


def test_the_same_transfer_entered_twice_counts_once() -> None:
    once = record_transfer([], bank_reference="A-1", amount_fen=600_000, received_at=AT)
    twice = record_transfer(once, bank_reference=" A-1 ", amount_fen=600_000, received_at=AT)

    assert twice == once
    assert settlement(1_000_000, twice).received_fen == 600_000


def test_the_same_reference_with_another_amount_is_refused() -> None:
    once = record_transfer([], bank_reference="A-1", amount_fen=600_000, received_at=AT)
    with pytest.raises(Conflict) as refused:
        record_transfer(once, bank_reference="A-1", amount_fen=700_000, received_at=AT)
    assert refused.value.code == "bank_reference_conflict"


@pytest.mark.parametrize(
    "bad",
    [
        {"bank_reference": "  "},
        {"amount_fen": 0},
        {"amount_fen": 100.0},
        {"received_at": datetime(2026, 11, 26, 10, 30)},
    ],
)
def test_invalid_transfers_are_refused(bad: dict) -> None:
    args = {"bank_reference": "A-1", "amount_fen": 100, "received_at": AT, **bad}
    with pytest.raises(InvalidInput):
        record_transfer([], **args)


@given(
    st.lists(st.integers(min_value=1, max_value=10**8), max_size=20),
    st.integers(min_value=1, max_value=10**9),
)
def test_settlement_is_the_exact_sum(amounts: list[int], due: int) -> None:
    transfers = [BankTransfer(f"R{i}", amount, AT) for i, amount in enumerate(amounts)]

    status = settlement(due, transfers)

    assert status.received_fen == sum(amounts)
    assert status.fully_paid == (sum(amounts) >= due)
    assert status.received_fen + status.outstanding_fen - status.overpaid_fen == due
