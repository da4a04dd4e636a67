"""Bank transfers for bulk orders (以购代捐): an operator records each transfer the bank shows.

No provider is called. Transfers add up: an order is paid once they reach its total, and a partial
amount leaves it awaiting payment. A bank reference is recorded once; entering the same transfer
again changes nothing, and the same reference with another amount is refused. What transfers bring
beyond the total (or after the order was paid another way) is owed back: sales.bulk records it on
the order's bank-transfer payment as surplus, and an operator pays it out (sales.payouts).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from core.errors import Conflict, InvalidInput
from payments.providers.base import check_fen

PROVIDER_NAME = "bank_transfer"


@dataclass(frozen=True)
class BankTransfer:
    """One transfer as the bank statement shows it."""

    bank_reference: str
    amount_fen: int
    received_at: datetime


@dataclass(frozen=True)
class Settlement:
    """How far the transfers go towards an amount due."""

    due_fen: int
    received_fen: int

    @property
    def outstanding_fen(self) -> int:
        """What is still to be paid (0 once paid in full)."""
        return max(self.due_fen - self.received_fen, 0)

    @property
    def overpaid_fen(self) -> int:
        """What was received beyond the amount due, for the operator to return."""
        return max(self.received_fen - self.due_fen, 0)

    @property
    def fully_paid(self) -> bool:
        """True once the transfers cover the amount due."""
        return self.received_fen >= self.due_fen


def record_transfer(
    transfers: Sequence[BankTransfer], *, bank_reference: str, amount_fen: int, received_at: datetime
) -> list[BankTransfer]:
    """Return transfers with this one added (unchanged if the same transfer was already recorded)."""
    reference = bank_reference.strip() if isinstance(bank_reference, str) else ""
    if not reference:
        raise InvalidInput("a bank reference is required", fields={"bank_reference": "required"})
    check_fen(amount_fen)
    if received_at.tzinfo is None:
        raise InvalidInput("received_at must carry a timezone", fields={"received_at": "timezone-aware"})
    for known in transfers:
        if known.bank_reference == reference:
            if known.amount_fen == amount_fen:
                return list(transfers)
            raise Conflict(
                f"bank reference {reference} is already recorded with {known.amount_fen} fen",
                code="bank_reference_conflict",
                fields={"bank_reference": "already recorded with another amount"},
            )
    return [*transfers, BankTransfer(reference, amount_fen, received_at)]


def settlement(due_fen: int, transfers: Sequence[BankTransfer]) -> Settlement:
    """Sum the transfers against the amount due."""
    check_fen(due_fen, "due_fen")
    return Settlement(due_fen=due_fen, received_fen=sum(t.amount_fen for t in transfers))
