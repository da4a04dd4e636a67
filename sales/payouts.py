"""Payouts: refunds on bank transfers, which no provider pays, paid out by an operator (issue 11, #5).

A refund on a bank-transfer payment — an operator's refund of a bulk order's lines, or money a
unit paid beyond what its order needed (an overpayment) — is written `pending` like any refund
(sales.refunds) and is then a payout task: owed to the unit until an operator records it paid
with the bank reference of the outgoing transfer and the date it was paid, or records it failed.
Completing it marks the refund `succeeded`, failing it books the money back (compensating ledger
entries for lines, an alert): both through `apply_refund_answer`, as a provider's answer would.

Idempotent: the same bank reference for the same refund and amount again changes nothing; a
reference already used for another refund or amount is a conflict naming `bank_reference`.
Until then the money audit lists the payout as owed (OWED, not a stale refund).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.clock import SHANGHAI, Clock, local_date
from core.errors import Conflict, InvalidInput, NotFound
from payments.models import Payment, Payout, Refund
from payments.providers.bank_transfer import PROVIDER_NAME as BANK_TRANSFER
from payments.providers.base import ProviderRefund
from sales import owed
from sales.org_models import BulkOrder
from sales.refunds import apply_refund_answer


class PayoutNotFound(NotFound):
    code = "payout_not_found"


@dataclass(frozen=True)
class PayoutResult:
    """What recording a payout did: the record, and whether this call wrote it."""

    payout: Payout
    refund: Refund
    recorded: bool  # False when the same payout had been recorded before


def list_owed_payouts(session: Session) -> list[dict[str, Any]]:
    """Refunds on bank transfers not yet paid out, oldest first, with their bulk order's number."""
    rows = [dict(r._mapping) for r in session.execute(owed.payouts_owed())]
    numbers = dict(
        session.execute(
            select(BulkOrder.order_id, BulkOrder.number).where(
                BulkOrder.order_id.in_(sorted({r["order_id"] for r in rows}))
            )
        ).all()
    )
    for r in rows:
        r["number"] = numbers.get(r["order_id"])
        r["created_at"] = r["created_at"].astimezone(SHANGHAI)
    return rows


def _owed_refund(session: Session, refund_id: int) -> tuple[Payment, Refund]:
    """The refund and its bank-transfer payment, locked (payment first, as every refund path does)."""
    payment_id = session.scalar(select(Refund.payment_id).where(Refund.id == refund_id))
    payment = (
        session.scalar(select(Payment).where(Payment.id == payment_id).with_for_update())
        if payment_id is not None
        else None
    )
    if payment is None or payment.provider != BANK_TRANSFER:
        raise PayoutNotFound(f"no payout of refund {refund_id}: not a refund on a bank transfer")
    refund = session.scalar(select(Refund).where(Refund.id == refund_id).with_for_update())
    return payment, refund


def _not_owed(refund: Refund) -> Conflict:
    return Conflict(
        f"refund {refund.id} is {refund.status}: no payout is owed",
        code="payout_not_owed",
        fields={"refund": refund.status},
    )


def complete_payout(
    session: Session,
    clock: Clock,
    refund_id: int,
    *,
    bank_reference: str,
    amount_fen: int,
    paid_on: date,
    actor: str,
) -> PayoutResult:
    """An operator records a payout made: the refund succeeds, with the bank reference as its own."""
    reference = bank_reference.strip() if isinstance(bank_reference, str) else ""
    if not reference:
        raise InvalidInput("the payout's bank reference is required", fields={"bank_reference": "required"})
    if paid_on > local_date(clock.now()):
        raise InvalidInput("a payout cannot be paid in the future", fields={"paid_on": "after today"})
    payment, refund = _owed_refund(session, refund_id)
    known = session.scalar(select(Payout).where(Payout.bank_reference == reference))
    if known is not None:
        if known.refund_id == refund.id and known.amount_fen == amount_fen:
            return PayoutResult(known, refund, False)  # the same payout, entered again
        raise Conflict(
            f"bank reference {reference} is recorded for refund {known.refund_id} of {known.amount_fen} fen",
            code="payout_reference_conflict",
            fields={"bank_reference": "already recorded for another payout"},
        )
    if refund.status != "pending":
        raise _not_owed(refund)
    if amount_fen != refund.amount_fen:
        raise InvalidInput(
            f"refund {refund.id} owes {refund.amount_fen} fen",
            fields={"amount_fen": f"must be the refund's {refund.amount_fen} fen"},
        )
    payout = Payout(
        refund_id=refund.id,
        status="paid",
        bank_reference=reference,
        amount_fen=amount_fen,
        paid_on=paid_on,
        note="",
        recorded_by=actor,
        at=clock.now(),
    )
    session.add(payout)
    answer = ProviderRefund(reference, payment.provider_ref or "", "succeeded", amount_fen)
    apply_refund_answer(session, clock, payment, refund.id, answer, actor=actor)
    return PayoutResult(payout, refund, True)


def fail_payout(session: Session, clock: Clock, refund_id: int, *, reason: str, actor: str) -> PayoutResult:
    """An operator records that a payout could not be made: the refund fails and its money is
    booked back, as for any failed refund (an alert; `dongxi payments retry-refund` tries again)."""
    if not isinstance(reason, str) or not reason.strip():
        raise InvalidInput("say why the payout failed", fields={"reason": "required"})
    payment, refund = _owed_refund(session, refund_id)
    known = session.scalar(select(Payout).where(Payout.refund_id == refund.id))
    if known is not None and known.status == "failed":
        return PayoutResult(known, refund, False)
    if refund.status != "pending":
        raise _not_owed(refund)
    payout = Payout(
        refund_id=refund.id,
        status="failed",
        bank_reference=None,
        amount_fen=refund.amount_fen,
        paid_on=None,
        note=reason.strip(),
        recorded_by=actor,
        at=clock.now(),
    )
    session.add(payout)
    answer = ProviderRefund(
        refund.provider_ref or "", payment.provider_ref or "", "failed", refund.amount_fen
    )
    apply_refund_answer(session, clock, payment, refund.id, answer, actor=actor)
    refund.provider_ref = refund.provider_ref or None  # no outgoing transfer: no reference
    return PayoutResult(payout, refund, True)
