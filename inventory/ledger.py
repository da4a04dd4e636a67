"""The stock ledger's primitives: lock balances in a fixed order, change them only by guarded
UPDATEs, and write the movement that explains each change in the same transaction.

Every change of a balance goes through here. Rows are locked in primary-key order
(`SELECT … ORDER BY id FOR UPDATE`) so that two transactions never wait on each other in a
circle, and each UPDATE repeats its precondition in its WHERE clause (`on_hand - reserved >= n`),
so that even a caller that skipped the lock cannot oversell: the row simply does not match. SQLite
emits no FOR UPDATE, but its transactions start with BEGIN IMMEDIATE (core.db), one writer at a time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from sqlalchemy import ColumnElement, Select, case, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, joinedload
from sqlalchemy.orm.attributes import set_committed_value

from core.clock import Clock
from inventory import catalogue_version
from inventory.errors import InsufficientStock
from inventory.models import StockBalance, StockMovement


def lock_statement(*criteria: ColumnElement[bool]) -> Select[tuple[StockBalance]]:
    """SELECT the balances matching `criteria` FOR UPDATE, in id order, freshly read, with their lots."""
    return (
        select(StockBalance)
        .where(*criteria)
        .order_by(StockBalance.id)
        .with_for_update(of=StockBalance)
        .options(joinedload(StockBalance.lot, innerjoin=True))  # one statement; only balances are locked
        .execution_options(populate_existing=True)
    )


def lock_balances(session: Session, *criteria: ColumnElement[bool]) -> list[StockBalance]:
    """Return the balances matching `criteria`, locked in id order and freshly read."""
    return list(session.scalars(lock_statement(*criteria)))


def ensure_balances(session: Session, keys: Iterable[tuple[int, int | None, int, int]]) -> None:
    """Create the missing balance rows for (location, slot, product, lot) keys; concurrent-safe."""
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    for location_id, slot_id, product_id, lot_id in sorted(set(keys), key=lambda k: (k[0], k[1] or 0, k[2:])):
        values = {
            "location_id": location_id,
            "slot_id": slot_id,
            "product_id": product_id,
            "lot_id": lot_id,
            "on_hand": 0,
            "reserved": 0,
        }
        if slot_id is None:
            elements, where = ["location_id", "product_id", "lot_id"], StockBalance.slot_id.is_(None)
        else:
            elements, where = ["slot_id", "product_id", "lot_id"], StockBalance.slot_id.is_not(None)
        session.execute(
            insert(StockBalance)
            .values(values)
            .on_conflict_do_nothing(index_elements=elements, index_where=where)
        )


def balance_key_filter(
    location_id: int, slot_id: int | None, product_id: int, lot_id: int
) -> ColumnElement[bool]:
    """The balance row of one (location, slot, product, lot)."""
    slot = StockBalance.slot_id.is_(None) if slot_id is None else StockBalance.slot_id == slot_id
    return (
        (StockBalance.location_id == location_id)
        & slot
        & (StockBalance.product_id == product_id)
        & (StockBalance.lot_id == lot_id)
    )


def _apply(session: Session, balance: StockBalance, guard: ColumnElement[bool], **values: object) -> bool:
    stmt = (
        update(StockBalance)
        .where(StockBalance.id == balance.id, guard)
        .values(**values)
        .returning(StockBalance.on_hand, StockBalance.reserved)
    )
    row = session.execute(stmt, execution_options={"synchronize_session": False}).one_or_none()
    if row is None:
        return False
    if balance.slot_id is not None:  # a kiosk's stock: its catalogue shows what is available
        catalogue_version.touch(session, balance.location_id)
    set_committed_value(balance, "on_hand", row.on_hand)
    set_committed_value(balance, "reserved", row.reserved)
    return True


def _apply_many(
    session: Session,
    amounts: dict[StockBalance, int],
    guard: Callable[[ColumnElement[int]], ColumnElement[bool]],
    **values: Callable[[ColumnElement[int]], ColumnElement[int]],
) -> bool:
    """One guarded UPDATE of several balances, each by its own amount; whether every row matched.

    `guard` and `values` are given the amount of the row as an SQL expression (a CASE on the id).
    A row that does not match leaves the others changed: the caller raises, and the transaction
    rolls back."""
    by_id = {balance.id: balance for balance in amounts}
    amount = case({balance.id: qty for balance, qty in amounts.items()}, value=StockBalance.id)
    stmt = (
        update(StockBalance)
        .where(StockBalance.id.in_(sorted(by_id)), guard(amount))
        .values({name: make(amount) for name, make in values.items()})
        .returning(StockBalance.id, StockBalance.on_hand, StockBalance.reserved)
    )
    rows = session.execute(stmt, execution_options={"synchronize_session": False}).all()
    for row in rows:
        set_committed_value(by_id[row.id], "on_hand", row.on_hand)
        set_committed_value(by_id[row.id], "reserved", row.reserved)
    return len(rows) == len(by_id)


def hold_many(session: Session, amounts: dict[StockBalance, int]) -> bool:
    """Reserve units of several locked balances in one statement, if each has that many free."""
    if not _apply_many(
        session,
        amounts,
        lambda qty: StockBalance.on_hand - StockBalance.reserved >= qty,
        reserved=lambda qty: StockBalance.reserved + qty,
    ):
        return False
    for balance in amounts:
        if balance.slot_id is not None:  # what the kiosk's catalogue shows as available changed
            catalogue_version.touch(session, balance.location_id)
    return True


def sell_held(
    session: Session, clock: Clock, amounts: dict[StockBalance, int], *, actor: str, reference: str
) -> list[StockMovement]:
    """Sell units that were reserved, from several balances in one statement, with their movements.

    On hand and reserved fall together, so what a kiosk's catalogue shows as available is unchanged."""
    if not _apply_many(
        session,
        amounts,
        lambda qty: StockBalance.reserved >= qty,
        on_hand=lambda qty: StockBalance.on_hand - qty,
        reserved=lambda qty: StockBalance.reserved - qty,
    ):
        raise RuntimeError(f"balances of {reference} hold fewer units than were reserved")
    movements = [
        _movement(clock, "sale", qty, actor, source=balance, reference=reference)
        for balance, qty in amounts.items()
    ]
    session.add_all(movements)
    return movements


def hold(session: Session, balance: StockBalance, qty: int) -> bool:
    """Reserve qty units of a balance if that many are free; return whether it did."""
    return _apply(
        session,
        balance,
        StockBalance.on_hand - StockBalance.reserved >= qty,
        reserved=StockBalance.reserved + qty,
    )


def unhold(session: Session, balance: StockBalance, qty: int) -> None:
    """Give back qty reserved units of a balance."""
    if not _apply(session, balance, StockBalance.reserved >= qty, reserved=StockBalance.reserved - qty):
        raise RuntimeError(f"balance {balance.id} holds fewer than {qty} reserved units")


def post(
    session: Session,
    clock: Clock,
    kind: str,
    *,
    qty: int,
    actor: str,
    source: StockBalance | None = None,
    dest: StockBalance | None = None,
    from_reserved: int = 0,
    reason: str | None = None,
    reference: str | None = None,
    note: str = "",
) -> StockMovement:
    """Move qty units out of `source` and/or into `dest` and record the movement explaining it.

    `from_reserved` of the units leaving `source` are ones this caller had reserved (a sale of a
    hold); the rest must be free. Raises InsufficientStock when the source has too few.
    """
    if qty <= 0:
        raise ValueError("a movement moves a positive quantity")
    if source is not None:
        taken = _apply(
            session,
            source,
            (StockBalance.on_hand - StockBalance.reserved >= qty - from_reserved)
            & (StockBalance.reserved >= from_reserved),
            on_hand=StockBalance.on_hand - qty,
            reserved=StockBalance.reserved - from_reserved,
        )
        if not taken:
            raise InsufficientStock(
                f"only {source.on_hand - source.reserved} unreserved units of lot {source.lot.code} here",
                fields={"qty": f"more than the {source.on_hand - source.reserved} units free here"},
            )
    if dest is not None:
        _apply(session, dest, StockBalance.id == dest.id, on_hand=StockBalance.on_hand + qty)
    movement = _movement(
        clock, kind, qty, actor, source=source, dest=dest, reason=reason, reference=reference, note=note
    )
    session.add(movement)
    return movement


def _movement(
    clock: Clock,
    kind: str,
    qty: int,
    actor: str,
    *,
    source: StockBalance | None = None,
    dest: StockBalance | None = None,
    reason: str | None = None,
    reference: str | None = None,
    note: str = "",
) -> StockMovement:
    balance = source or dest
    assert balance is not None, "a movement needs a source or a destination"
    return StockMovement(
        kind=kind,
        product_id=balance.product_id,
        lot_id=balance.lot_id,
        qty=qty,
        from_location_id=source.location_id if source else None,
        from_slot_id=source.slot_id if source else None,
        to_location_id=dest.location_id if dest else None,
        to_slot_id=dest.slot_id if dest else None,
        reason=reason,
        reference=reference,
        actor=actor,
        note=note[:256],
        at=clock.now(),
    )
