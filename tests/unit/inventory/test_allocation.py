"""First-expiry-first-out allocation, without a database."""

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from inventory.allocation import Candidate, FefoPool, take_all_or_nothing

TODAY = date(2026, 11, 26)


def lot(key: int, days: int, free: int) -> Candidate:
    return Candidate(key=key, lot_id=key, expires_on=TODAY + timedelta(days=days), free=free)


def test_the_earliest_expiry_goes_first_and_splits_across_lots() -> None:
    pool = FefoPool([lot(1, 90, 5), lot(2, 3, 2), lot(3, 30, 4)], TODAY)
    assert [(c.key, qty) for c, qty in pool.take(5)] == [(2, 2), (3, 3)]
    assert [(c.key, qty) for c, qty in pool.take(5)] == [(3, 1), (1, 4)]
    assert pool.total_free == 1


def test_a_lot_is_sellable_on_its_expiry_day_and_never_after() -> None:
    pool = FefoPool([lot(1, -1, 5), lot(2, 0, 1), lot(3, 10, 1)], TODAY)
    assert [c.key for c, _ in pool.take(5)] == [2, 3]
    expired = FefoPool([lot(1, -1, 5), lot(2, 0, 1)], TODAY, only_expired=True)
    assert [(c.key, qty) for c, qty in expired.take(9)] == [(1, 5)]


def test_all_or_nothing_takes_nothing_when_short() -> None:
    pool = FefoPool([lot(1, 5, 2), lot(2, 6, 2)], TODAY)
    assert take_all_or_nothing(pool, 5) is None
    assert pool.total_free == 4
    assert [qty for _, qty in take_all_or_nothing(pool, 4) or []] == [2, 2]


candidates = st.lists(
    st.builds(lot, st.integers(0, 10_000), st.integers(-5, 60), st.integers(0, 10)),
    unique_by=lambda c: c.key,
    max_size=8,
)


@given(candidates, st.lists(st.integers(0, 12), max_size=6))
def test_takes_never_exceed_what_is_free_and_always_drain_earliest_first(pool_of, wants) -> None:
    pool = FefoPool(pool_of, TODAY)
    free = {c.key: c.free for c in pool_of if c.expires_on >= TODAY}
    for want in wants:
        before = pool.total_free
        taken = pool.take(want)
        assert sum(qty for _, qty in taken) == min(want, before)
        for candidate, qty in taken:
            assert candidate.expires_on >= TODAY and 0 < qty <= free[candidate.key]
            free[candidate.key] -= qty
        # Every lot that expires strictly before the last one taken from is now empty.
        if taken:
            last = taken[-1][0]
            assert all(
                free[c.key] == 0
                for c in pool_of
                if c.key in free
                and (c.expires_on, c.lot_id, c.key) < (last.expires_on, last.lot_id, last.key)
            )
    assert pool.total_free == sum(free.values())
