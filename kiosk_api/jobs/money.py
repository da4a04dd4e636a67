"""Jobs about money: pending refunds sent again with backoff, reconciliation with the provider, and
the nightly check that the month's rollup still equals the ledger."""

from __future__ import annotations

import logging
from collections import Counter
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from core.clock import Clock
from core.db import Database
from kiosk_api.jobs.batches import stopping
from payments.bills import BillingProvider, check_daily_bill, last_bill_day
from payments.models import Payment, Refund
from payments.providers.base import PaymentProvider
from sales.money_audit import check_rollup_matches_ledger
from sales.provider_repair import repair_unsettled_payments
from sales.refunds import check_answered_refunds, pay_out_refunds
from sales.revenue import period_of
from sales.statements.compute import previous_period

log = logging.getLogger("dongxi.jobs.money")

FIRST_RETRY = timedelta(minutes=2)  # the request paid the refund out itself; give that time first
MAX_BACKOFF = timedelta(hours=1)


def retry_due(age: timedelta, *, window: timedelta, first: timedelta, cap: timedelta) -> bool:
    """Whether a refund this old is due again in a run that covers the last `window`.

    The attempts fall at ages first, 2·first, 4·first … (doubling) until `cap`, then every `cap`:
    derived from the refund's age alone, so no attempt count is stored. A run is due for a refund
    when one of those moments fell within its window; a run missed (no worker up) only delays the
    refund to the next moment, and a moment caught by two runs pays out twice under one
    idempotency key, which the provider answers with the same refund."""
    if age < first:
        return False
    since = age - window
    moment = first
    while moment < cap:
        if since < moment <= age:
            return True
        moment *= 2
    return age >= cap and cap * (age // cap) > since


def retry_refunds(
    db: Database,
    clock: Clock,
    provider: PaymentProvider,
    *,
    window: timedelta = timedelta(minutes=1),
    first: timedelta = FIRST_RETRY,
    cap: timedelta = MAX_BACKOFF,
) -> dict[str, Any]:
    """Send again, through the usual payout (same idempotency key), the pending refunds the provider
    never answered — its call failed, or the server died before making it — with backoff by age."""
    now = clock.now()
    with db.unit_of_work() as session:
        waiting = session.execute(
            select(Refund.id, Refund.created_at, Payment.order_id)
            .join(Payment, Payment.id == Refund.payment_id)
            .where(
                Refund.status == "pending",
                Refund.provider_ref.is_(None),
                Payment.provider == provider.name,
                Refund.created_at <= now - first,
            )
            .order_by(Refund.id)
        ).all()
    due = [
        (refund_id, order_id)
        for refund_id, at, order_id in waiting
        if retry_due(now - at, window=window, first=first, cap=cap)
    ]
    counts: Counter[str] = Counter()
    # Each order once, oldest refund first; its other pending refunds go with it (the same payout
    # call pays all of an order's, and a repeat under their keys is harmless).
    for order_id in dict.fromkeys(order_id for _id, order_id in due):
        if stopping.is_set():
            break
        counts += pay_out_refunds(db, clock, provider, only_order=order_id, log=log.info)
    return {"due": len(due), "waiting": len(waiting) - len(due)} | {
        status: counts[status] for status in ("succeeded", "pending", "failed", "unanswered")
    }


def reconcile_payments(db: Database, clock: Clock, provider: PaymentProvider) -> dict[str, Any]:
    """What `dongxi payments reconcile` does, but the unanswered refunds: repair the unsettled
    payments from the provider's records and ask it about the refunds it answered `pending`.
    Refunds never answered are refunds-retry's, with its backoff (the command pays them all out)."""
    counts = repair_unsettled_payments(db, clock, provider, log=log.info)
    checked = check_answered_refunds(db, clock, provider, log=log.info)
    return counts | {f"refunds_{s}": checked[s] for s in ("succeeded", "pending", "failed", "unanswered")}


def check_rollup(db: Database, clock: Clock, _provider: PaymentProvider) -> dict[str, Any]:
    """Compare the revenue rollup the statements read with the ledger's own GROUP BY, row for row,
    for this month and the last (as `dongxi audit money` does); log an error for each that differs."""
    current = period_of(clock.now())
    periods = [previous_period(current), current]
    differences = 0
    with db.unit_of_work() as session:
        for period in periods:
            check = check_rollup_matches_ledger(session, period)
            if not check.passed:
                differences += check.count
                log.error(
                    "rollup of %s differs from the ledger in %d rows (first: %s); "
                    "see `dongxi audit money --period %s`",
                    period,
                    check.count,
                    check.rows[:1],
                    period,
                )
        session.rollback()  # read-only
    return {"periods": ",".join(periods), "errors": differences}


def check_bills(db: Database, clock: Clock, provider: PaymentProvider) -> dict[str, Any]:
    """Match yesterday's daily trade bill of the provider (WeChat Pay, Alipay) with our payments and
    refunds and record the result for the auditor; log an error for each line that differs.

    A provider without a daily bill (simulated, Stripe) is skipped."""
    if not isinstance(provider, BillingProvider):
        return {"skipped": f"{provider.name} publishes no daily bill"}
    day = last_bill_day(clock)
    check = check_daily_bill(db, clock, provider, day, log=log.info)
    for difference in check.differences:
        log.error("%s bill of %s: %s", provider.name, day.isoformat(), difference)
    return {
        "day": day.isoformat(),
        "lines": check.bill_lines,
        "matched": check.matched,
        "errors": len(check.differences),
    }
