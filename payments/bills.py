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

from core.clock import SHANGHAI, Clock, local_date
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


def last_bill_day(clock: Clock) -> date:
    """The day whose bill the providers publish this morning: yesterday, in Asia/Shanghai."""
    return local_date(clock.now()) - timedelta(days=1)


def day_window(day: date) -> tuple[datetime, datetime]:
    """The day's start and end in Asia/Shanghai, as aware datetimes."""
    start = datetime.combine(day, time.min, tzinfo=SHANGHAI)
    return start, start + timedelta(days=1)


@dataclass(frozen=True)
class _Ours:
    """One of our payments or refunds as the bill check compares it."""

    refs: tuple[str, ...]  # the numbers a bill line may carry for it
    order_id: str
    amount_fen: int  # what we hold moved: captured, or refunded (0 for a refund that failed)
    on_the_day: bool  # whether the day's bill must list it
    note: str = ""


def compare_bill(
    session: Session, provider: str, day: date, lines: Sequence[BillLine]
) -> tuple[int, list[Difference]]:
    """Match a day's bill lines with our payments and refunds: (lines matched, differences)."""
    start, end = day_window(day)
    payment_lines = [line for line in lines if line.kind == "payment"]
    refund_lines = [line for line in lines if line.kind == "refund"]
    payments = _our_payments(session, provider, start, end, _refs(payment_lines))
    refunds = _our_refunds(session, provider, start, end, _refs(refund_lines))
    paid_matched, paid_differences = _match("payment", payment_lines, payments)
    refund_matched, refund_differences = _match("refund", refund_lines, refunds)
    return paid_matched + refund_matched, paid_differences + refund_differences


def _refs(lines: Sequence[BillLine]) -> set[str]:
    return {ref for line in lines for ref in (line.our_ref, line.provider_ref) if ref}


def _our_payments(
    session: Session, provider: str, start: datetime, end: datetime, refs: set[str]
) -> list[_Ours]:
    """Our payments a bill line names, and those whose capture we recorded on the day."""
    payments = session.scalars(
        select(Payment).where(
            Payment.provider == provider,
            or_(
                Payment.provider_ref.in_(refs),
                and_(Payment.captured_at >= start, Payment.captured_at < end, Payment.captured_fen > 0),
            ),
        )
    ).all()
    return [
        _Ours(
            refs=(payment.provider_ref or "",),
            order_id=payment.order_id,
            amount_fen=payment.captured_fen,
            on_the_day=payment.captured_fen > 0
            and payment.captured_at is not None
            and start <= payment.captured_at < end,
        )
        for payment in payments
    ]


def _our_refunds(
    session: Session, provider: str, start: datetime, end: datetime, refs: set[str]
) -> list[_Ours]:
    """Our refunds a bill line names (by the provider's number or the one we sent), and those paid
    out that we asked for on the day."""
    rows = session.execute(
        select(Refund, Payment.order_id)
        .join(Payment, Payment.id == Refund.payment_id)
        .where(
            Payment.provider == provider,
            or_(
                Refund.provider_ref.in_(refs),
                Refund.idempotency_key.in_(refs),
                and_(Refund.created_at >= start, Refund.created_at < end, Refund.status == "succeeded"),
            ),
        )
    ).all()
    return [
        _Ours(
            refs=tuple(ref for ref in (refund.provider_ref, refund.idempotency_key) if ref),
            order_id=order_id,
            amount_fen=0 if refund.status == "failed" else refund.amount_fen,
            on_the_day=refund.status == "succeeded" and start <= refund.created_at < end,
            note="我方记为退款失败 our refund failed" if refund.status == "failed" else "",
        )
        for refund, order_id in rows
    ]


def _match(
    record: RecordKind, lines: Sequence[BillLine], ours: Sequence[_Ours]
) -> tuple[int, list[Difference]]:
    """Each line against the record of ours it names; then ours of the day that no line named."""
    by_ref = {ref: mine for mine in ours for ref in mine.refs if ref}
    matched, seen, differences = 0, set(), []
    for line in lines:
        mine = by_ref.get(line.our_ref) or by_ref.get(line.provider_ref)
        if mine is None:
            differences.append(
                Difference("missing_ours", record, line.provider_ref, None, None, line.amount_fen)
            )
            continue
        seen.add(id(mine))
        if mine.amount_fen != line.amount_fen:
            differences.append(
                Difference(
                    "amount",
                    record,
                    line.provider_ref,
                    mine.order_id,
                    mine.amount_fen,
                    line.amount_fen,
                    mine.note,
                )
            )
        else:
            matched += 1
    for mine in ours:
        if mine.on_the_day and id(mine) not in seen:
            differences.append(
                Difference("missing_theirs", record, mine.refs[0], mine.order_id, mine.amount_fen, None)
            )
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
