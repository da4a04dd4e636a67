"""Refunds' commission reversals, in any split of the sale into refunds: never more than the sale's
commission so far, exactly all of it once everything is refunded."""

from __future__ import annotations

from itertools import pairwise

from hypothesis import given
from hypothesis import strategies as st

from core.money import Money
from sales.revenue import commission_to_reverse


@st.composite
def sale_and_refunds(draw: st.DrawFn) -> tuple[int, int, list[int]]:
    amount = draw(st.integers(min_value=2, max_value=10**9))
    commission = Money(amount).apply_rate(draw(st.integers(min_value=0, max_value=10000))).fen
    cuts = sorted(draw(st.lists(st.integers(min_value=1, max_value=amount - 1), max_size=6, unique=True)))
    bounds = [0, *cuts, amount]
    return amount, commission, [b - a for a, b in pairwise(bounds)]


@given(sale_and_refunds())
def test_reversals_never_pass_the_sales_commission_and_a_full_refund_nets_zero(case) -> None:  # type: ignore[no-untyped-def]
    amount, commission, refunds = case
    booked = {"sale": [amount, commission]}
    reversed_so_far = 0
    for refund in refunds:
        reversed_now = commission_to_reverse(booked, refund)
        assert reversed_now >= 0
        reversed_so_far += reversed_now
        assert reversed_so_far <= commission
    assert reversed_so_far == commission
