"""Reading the revenue ledger in tests."""

from sqlalchemy import func, select

from sales.models import RevenueEntry


def revenue_total(session, order_id: str) -> int:  # type: ignore[no-untyped-def]
    """The sum of an order's revenue entries, in fen."""
    session.expire_all()
    return (
        session.scalar(
            select(func.coalesce(func.sum(RevenueEntry.amount_fen), 0)).where(
                RevenueEntry.order_id == order_id
            )
        )
        or 0
    )
