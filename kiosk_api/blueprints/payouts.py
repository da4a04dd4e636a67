"""Payouts: refunds on bank transfers (an operator's refund of bulk lines, an overpayment), which no
provider pays. An operator pays each out from the bank and records it here with the outgoing
transfer's reference and date, or records it failed (the money is booked back). Operators and
admins record, as for incoming bank transfers; auditors read."""

from __future__ import annotations

from typing import Any

from accounts.roles import STAFF_READERS, STAFF_WRITERS
from core.errors import Unauthenticated
from kiosk_api.auth.http import current_user, require_roles
from kiosk_api.blueprints.base import Blueprint
from kiosk_api.database import get_clock, get_session
from kiosk_api.schemas.payouts import OwedPayoutOut, PayoutFailedIn, PayoutOut, PayoutPaidIn
from sales import payouts as service

payouts = Blueprint(
    "payouts", __name__, url_prefix="/api/v1/payouts", description="银行退付 · Bank-transfer payouts"
)
BLUEPRINTS = (payouts,)


def _view(result: service.PayoutResult) -> dict[str, Any]:
    payout = result.payout
    return {
        "refund_id": result.refund.id,
        "refund_status": result.refund.status,
        "status": payout.status,
        "bank_reference": payout.bank_reference,
        "amount_fen": payout.amount_fen,
        "paid_on": payout.paid_on,
        "note": payout.note,
        "recorded_by": payout.recorded_by,
        "recorded": result.recorded,
    }


def _operator() -> str:
    user = current_user()
    if user is None:
        raise Unauthenticated("sign in or send a bearer token")
    return f"user:{user.username}"


@payouts.route("", methods=["GET"])
@require_roles(*STAFF_READERS)
@payouts.response(200, OwedPayoutOut(many=True))
def list_owed() -> Any:
    """The payouts owed: refunds on bank transfers not yet paid out, oldest first."""
    return service.list_owed_payouts(get_session())


@payouts.route("/<int:refund_id>/paid", methods=["POST"])
@require_roles(*STAFF_WRITERS)
@payouts.arguments(PayoutPaidIn)
@payouts.response(200, PayoutOut)
@payouts.alt_response(409, description="The reference is another payout's, or the refund is not owed")
def mark_paid(data: dict[str, Any], refund_id: int) -> Any:
    """Record a payout made from the bank (reference, amount, date); the same payout again changes nothing."""
    actor = _operator()
    result = service.complete_payout(get_session(), get_clock(), refund_id, actor=actor, **data)
    return _view(result)


@payouts.route("/<int:refund_id>/failed", methods=["POST"])
@require_roles(*STAFF_WRITERS)
@payouts.arguments(PayoutFailedIn)
@payouts.response(200, PayoutOut)
@payouts.alt_response(409, description="The refund is not owed any more")
def mark_failed(data: dict[str, Any], refund_id: int) -> Any:
    """Record that a payout could not be made: the refund fails and its money is booked back."""
    actor = _operator()
    result = service.fail_payout(get_session(), get_clock(), refund_id, actor=actor, reason=data["reason"])
    return _view(result)
