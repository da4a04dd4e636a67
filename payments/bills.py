"""Daily bill reconciliation: every line of a provider's daily trade bill matched with our records.

A mainland provider publishes, each morning, the bill of the day before (WeChat Pay's `tradebill`,
Alipay's `bill.downloadurl`): one line per payment it collected and per refund it paid. A provider
that has such a bill turns it into `BillLine`s (`daily_bill(day)`); this module matches them with
our payments and refunds and records what it found, one `BillCheck` per run:

- **missing on our side**: the provider collected or refunded money we have no record of;
- **missing on theirs**: we recorded money captured or refunded that day which their bill lacks;
- **amount differs**: both sides have it, for different amounts (or our refund failed while they
  paid it).

Which day a record belongs to: a payment by the moment we recorded its capture, a refund by the
moment we asked for it, both in Asia/Shanghai, as the providers date their bills. A line of the
bill is matched with our record whatever day ours carries, so a payment made at 23:59:59 that we
recorded at 00:00:01 is matched, not reported twice; only our records *of that day* that their bill
lacks are reported missing on theirs. A run is recorded even when it finds nothing, so the auditor
can tell a checked day from one never checked.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, Literal, Protocol, runtime_checkable

from sqlalchemy import JSON, Date, Index, String, and_, or_, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from core.clock import SHANGHAI, Clock
from core.db import Base, Database, UTCDateTime
from core.errors import Conflict
from payments.models import Payment, Refund

RecordKind = Literal["payment", "refund"]
DifferenceKind = Literal["missing_ours", "missing_theirs", "amount"]


@dataclass(frozen=True)
class BillLine:
    """One line of a provider's daily bill: money it collected (payment) or paid back (refund), in
    integer fen of CNY (a refund's amount positive); occurred_at is timezone-aware.

    our_ref is the number we sent the provider (WeChat: out_trade_no, or out_refund_no for a
    refund); provider_ref is the provider's own (WeChat: transaction_id, or refund_id)."""

    provider: str
    kind: RecordKind
    our_ref: str  # what we sent as the trade's or refund's number (out_trade_no, out_refund_no …)
    provider_ref: str  # the provider's own number for it (transaction_id, trade_no, refund_id …)
    amount_fen: int
    occurred_at: datetime


@runtime_checkable
class BillingProvider(Protocol):
    """A provider that publishes a daily trade bill."""

    name: str

    def daily_bill(self, day: date) -> list[BillLine]:
        """Download and parse the bill of `day` (Asia/Shanghai); an empty list for a day with no trades."""
        ...


@dataclass(frozen=True)
class Difference:
    kind: DifferenceKind
    record: RecordKind
    ref: str  # the provider's number where known, else ours
    order_id: str | None
    ours_fen: int | None
    theirs_fen: int | None
    note: str = ""


class BillCheck(Base):
    """One run of the daily bill check for a provider and day (kept, never overwritten)."""

    __tablename__ = "bill_checks"
    __table_args__ = (Index("ix_bill_checks_provider_day", "provider", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    provider: Mapped[str] = mapped_column(String(32))
    day: Mapped[date] = mapped_column(Date)
    checked_at: Mapped[datetime] = mapped_column(UTCDateTime())
    bill_lines: Mapped[int]
    matched: Mapped[int]
    differences: Mapped[list] = mapped_column(JSON, default=list)

    @property
    def balanced(self) -> bool:
        return not self.differences


def day_window(day: date) -> tuple[datetime, datetime]:
    """The day's start and end in Asia/Shanghai, as aware datetimes."""
    start = datetime.combine(day, time.min, tzinfo=SHANGHAI)
    return start, start + timedelta(days=1)


def compare_bill(
    session: Session, provider: str, day: date, lines: Sequence[BillLine]
) -> tuple[int, list[Difference]]:
    """Match a day's bill lines with our payments and refunds: (lines matched, differences)."""
    payment_lines = [line for line in lines if line.kind == "payment"]
    refund_lines = [line for line in lines if line.kind == "refund"]
    start, end = day_window(day)
    matched = 0
    differences: list[Difference] = []

    refs = {ref for line in payment_lines for ref in (line.our_ref, line.provider_ref) if ref}
    payments = session.scalars(
        select(Payment).where(
            Payment.provider == provider,
            or_(
                Payment.provider_ref.in_(refs),
                and_(Payment.captured_at >= start, Payment.captured_at < end, Payment.captured_fen > 0),
            ),
        )
    ).all()
    by_ref = {payment.provider_ref: payment for payment in payments if payment.provider_ref}
    seen: set[int] = set()
    for line in payment_lines:
        payment = by_ref.get(line.our_ref) or by_ref.get(line.provider_ref)
        if payment is None:
            differences.append(
                Difference("missing_ours", "payment", line.provider_ref, None, None, line.amount_fen)
            )
            continue
        seen.add(payment.id)
        if payment.captured_fen != line.amount_fen:
            differences.append(
                Difference(
                    "amount",
                    "payment",
                    line.provider_ref,
                    payment.order_id,
                    payment.captured_fen,
                    line.amount_fen,
                )
            )
        else:
            matched += 1
    for payment in payments:
        on_the_day = payment.captured_at is not None and start <= payment.captured_at < end
        if payment.id not in seen and on_the_day and payment.captured_fen > 0:
            differences.append(
                Difference(
                    "missing_theirs",
                    "payment",
                    payment.provider_ref or "",
                    payment.order_id,
                    payment.captured_fen,
                    None,
                )
            )

    refund_refs = {ref for line in refund_lines for ref in (line.our_ref, line.provider_ref) if ref}
    refunds = session.execute(
        select(Refund, Payment.order_id)
        .join(Payment, Payment.id == Refund.payment_id)
        .where(
            Payment.provider == provider,
            or_(
                Refund.provider_ref.in_(refund_refs),
                Refund.idempotency_key.in_(refund_refs),
                and_(Refund.created_at >= start, Refund.created_at < end, Refund.status == "succeeded"),
            ),
        )
    ).all()
    refund_by_ref: dict[str, tuple[Refund, str]] = {}
    for refund, order_id in refunds:
        for ref in (refund.provider_ref, refund.idempotency_key):
            if ref:
                refund_by_ref[ref] = (refund, order_id)
    seen_refunds: set[int] = set()
    for line in refund_lines:
        found = refund_by_ref.get(line.our_ref) or refund_by_ref.get(line.provider_ref)
        if found is None:
            differences.append(
                Difference("missing_ours", "refund", line.provider_ref, None, None, line.amount_fen)
            )
            continue
        refund, order_id = found
        seen_refunds.add(refund.id)
        ours = refund.amount_fen if refund.status != "failed" else 0
        if ours != line.amount_fen:
            note = "我方记为退款失败 our refund failed" if refund.status == "failed" else ""
            differences.append(
                Difference("amount", "refund", line.provider_ref, order_id, ours, line.amount_fen, note)
            )
        else:
            matched += 1
    for refund, order_id in refunds:
        on_the_day = start <= refund.created_at < end
        if refund.id not in seen_refunds and on_the_day and refund.status == "succeeded":
            ref = refund.provider_ref or refund.idempotency_key
            differences.append(Difference("missing_theirs", "refund", ref, order_id, refund.amount_fen, None))
    return matched, differences


def record_check(
    session: Session, clock: Clock, provider: str, day: date, lines: Sequence[BillLine]
) -> BillCheck:
    """Compare a day's bill and keep the result."""
    matched, differences = compare_bill(session, provider, day, lines)
    check = BillCheck(
        provider=provider,
        day=day,
        checked_at=clock.now(),
        bill_lines=len(lines),
        matched=matched,
        differences=[asdict(difference) for difference in differences],
    )
    session.add(check)
    session.flush()
    return check


def check_daily_bill(
    db: Database, clock: Clock, provider: Any, day: date, *, log: Callable[[str], None] = lambda _msg: None
) -> BillCheck:
    """Download the provider's bill of `day` (outside any transaction), then compare and record it.

    A provider without a daily bill (the simulated one, Stripe) raises BillUnavailable."""
    if not isinstance(provider, BillingProvider):
        raise BillUnavailable(provider.name)
    lines = provider.daily_bill(day)
    log(f"{provider.name} bill of {day.isoformat()}: {len(lines)} lines")
    with db.unit_of_work() as session:
        check = record_check(session, clock, provider.name, day, lines)
        session.expunge(check)
    return check


def latest_checks(session: Session, *, limit: int = 60) -> list[BillCheck]:
    """The latest run for each provider and day, newest day first."""
    rows = session.scalars(
        select(BillCheck).order_by(BillCheck.day.desc(), BillCheck.id.desc()).limit(limit * 8)
    ).all()
    latest: dict[tuple[str, date], BillCheck] = {}
    for row in rows:
        latest.setdefault((row.provider, row.day), row)
    return list(latest.values())[:limit]


class BillUnavailable(Conflict):
    """The configured provider publishes no daily bill."""

    def __init__(self, provider: str) -> None:
        super().__init__(f"the {provider} provider publishes no daily bill to check", code="bill_unavailable")
        self.provider = provider
