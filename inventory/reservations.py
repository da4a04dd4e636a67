"""Holding stock for orders awaiting payment: reserve, fulfil, release and expire.

Lock order everywhere: balances first (in id order, ledger.lock_balances), then the reservations on
them. Anything that changes a reservation's status holds its balance's lock, so a status read after
the lock is the truth, and a hold is released exactly once.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from audit.context import unattributed
from core.clock import Clock, local_date
from core.errors import InvalidInput
from inventory import ledger
from inventory.allocation import Candidate, FefoPool
from inventory.errors import OutOfStock
from inventory.models import ACTIVE_HOLD, Location, Reservation, Slot, StockBalance, StockMovement
from inventory.sellable import EXPIRED_STOCK, LotStock, slot_stock
from inventory.stock_lines import StockLine, describe_shortage, resolve_lines

LOT_EXPIRED = "lot expired"  # a hold released because its lot expired before the order was paid


def _candidates(balances: list[StockBalance], used: dict[int, int]) -> list[Candidate]:
    return [
        Candidate(key=b.id, lot_id=b.lot_id, expires_on=b.lot.expires_on, free=b.available - used[b.id])
        for b in balances
    ]


def _release_locked(
    session: Session, clock: Clock, reservation: Reservation, status: str, reason: str
) -> None:
    balance = session.get(StockBalance, reservation.balance_id)
    assert balance is not None
    ledger.unhold(session, balance, reservation.qty)
    reservation.status = status
    reservation.released_at = clock.now()
    reservation.release_reason = reason[:64]


def lock_releasing_lapsed(
    session: Session, clock: Clock, *criteria: ColumnElement[bool]
) -> list[StockBalance]:
    """Lock the balances matching `criteria` (ledger.lock_balances) and release their lapsed holds:
    one statement when none has lapsed, which it reads in the same statement."""
    lapsed = (
        select(Reservation.id)
        .where(
            Reservation.balance_id == StockBalance.id,
            Reservation.status == ACTIVE_HOLD,
            Reservation.expires_at <= clock.now(),
        )
        .exists()
    )
    rows = session.execute(ledger.lock_statement(*criteria).add_columns(lapsed)).all()
    balances = [balance for balance, _lapsed in rows]
    expire_due(session, clock, [balance for balance, lapsed_here in rows if lapsed_here])
    return balances


def expire_due(session: Session, clock: Clock, balances: list[StockBalance]) -> int:
    """Release the holds past their expiry on balances this transaction has locked."""
    if not balances:
        return 0
    due = session.scalars(
        select(Reservation)
        .where(
            Reservation.balance_id.in_([b.id for b in balances]),
            Reservation.status == ACTIVE_HOLD,
            Reservation.expires_at <= clock.now(),
        )
        .order_by(Reservation.id)
        .execution_options(populate_existing=True)
    ).all()
    if not due:
        return 0
    session.flush()  # what the caller changed so far stays theirs
    with unattributed():  # the hold's own expiry released it, whoever's request came by
        for reservation in due:
            _release_locked(session, clock, reservation, "expired", "expired")
        session.flush()  # inside the block, so that nobody is recorded as having done it
    return len(due)


def expire_reservations(
    session: Session, clock: Clock, *, location_id: int | None = None, limit: int = 1000
) -> int:
    """Release holds whose expiry has passed (the scheduled job, and lazily before stock is read)."""
    stmt = (
        select(Reservation.balance_id)
        .where(Reservation.status == ACTIVE_HOLD, Reservation.expires_at <= clock.now())
        .distinct()
        .limit(limit)
    )
    if location_id is not None:
        stmt = stmt.where(Reservation.location_id == location_id)
    balance_ids = list(session.scalars(stmt))
    if not balance_ids:
        return 0
    return expire_due(session, clock, ledger.lock_balances(session, StockBalance.id.in_(balance_ids)))


def reserve(
    session: Session,
    clock: Clock,
    *,
    order_ref: str,
    location_id: int,
    lines: list[tuple[int, int]],
    expires_at: datetime,
    slot_codes: list[str | None] | None = None,
) -> list[Reservation]:
    """Hold stock for an order's lines at one location, earliest expiry first; all lines or none."""
    now = clock.now()
    if expires_at.tzinfo is None or expires_at <= now:
        raise InvalidInput("a hold must expire in the future", fields={"expires_at": "must be in the future"})
    location = session.get(Location, location_id)
    if location is None or not location.active:
        raise InvalidInput(
            "unknown location", code="unknown_location", fields={"location_id": "unknown location"}
        )
    wanted = resolve_lines(session, location, lines, slot_codes)
    reservations = _hold_lines(
        session,
        clock,
        location_id=location.id,
        code=location.code,
        wanted=wanted,
        order_ref=order_ref,
        expires_at=expires_at,
        # A hold of days (a bulk order's week) must not sell a lot that expires before it ends.
        good_through=local_date(expires_at),
        mode=location.mode,
    )
    session.flush()  # callers keep the reservations' ids
    return reservations


def reserve_slots(
    session: Session,
    clock: Clock,
    *,
    order_ref: str,
    location_id: int,
    code: str,
    lines: list[tuple[int, Slot, int]],
    expires_at: datetime,
) -> list[Reservation]:
    """Hold stock in a vending kiosk's slots, already resolved by the caller: (line index, slot, qty).
    (Only a vend session holds a slot's stock; an open-door visit holds money and sells what was taken.)"""
    if expires_at.tzinfo is None or expires_at <= clock.now():
        raise InvalidInput("a hold must expire in the future", fields={"expires_at": "must be in the future"})
    wanted = [
        StockLine(
            index=index,
            product_id=slot.product_id,
            qty=qty,
            slot_id=slot.id,
            slot_code=slot.code,
            allowed_slots=frozenset({slot.id}),
        )
        for index, slot, qty in lines
    ]
    return _hold_lines(
        session,
        clock,
        location_id=location_id,
        code=code,
        wanted=wanted,
        order_ref=order_ref,
        expires_at=expires_at,
        mode="vend",
    )


def _hold_lines(
    session: Session,
    clock: Clock,
    *,
    location_id: int,
    code: str,
    wanted: list[StockLine],
    order_ref: str,
    expires_at: datetime,
    good_through: date | None = None,
    mode: str | None = None,
) -> list[Reservation]:
    slot_ids = {line.slot_id for line in wanted}
    scope = (
        StockBalance.slot_id.in_(slot_ids)
        if None not in slot_ids
        else StockBalance.location_id == location_id
    )
    balances = lock_releasing_lapsed(
        session, clock, scope, StockBalance.product_id.in_({line.product_id for line in wanted})
    )
    now = clock.now()
    plan = _plan(code, wanted, balances, max(local_date(now), good_through or local_date(now)), mode)
    by_id = {b.id: b for b in balances}
    amounts: dict[StockBalance, int] = defaultdict(int)
    for _line, balance_id, qty in plan:
        amounts[by_id[balance_id]] += qty
    if not ledger.hold_many(session, amounts):  # the lock makes this unreachable; the guard stays
        raise OutOfStock("out of stock", fields={line.field: "out of stock" for line, _b, _q in plan})
    reservations = [
        Reservation(
            order_ref=order_ref,
            line_no=line.index,
            balance_id=balance_id,
            location_id=location_id,
            slot_id=by_id[balance_id].slot_id,
            product_id=by_id[balance_id].product_id,
            lot_id=by_id[balance_id].lot_id,
            qty=qty,
            status="active",
            expires_at=expires_at,
            created_at=now,
        )
        for line, balance_id, qty in plan
    ]
    session.add_all(reservations)
    return reservations


def _plan(
    code: str, wanted: list[StockLine], balances: list[StockBalance], today: date, mode: str | None
) -> list[tuple[StockLine, int, int]]:
    """Allocate every line against the locked balances, from lots unexpired on `today` (for a
    hold, the day it ends); the same product/slot counts its sum. A vending slot that holds an
    expired unit sells nothing (inventory.sellable, as the catalogue says)."""
    used: dict[int, int] = defaultdict(int)
    groups: dict[tuple[int, int | None], list[StockLine]] = defaultdict(list)
    for line in wanted:
        groups[(line.product_id, line.slot_id)].append(line)
    shortages: dict[str, str] = {}
    plan: list[tuple[StockLine, int, int]] = []
    # Lines naming a slot can only use that slot, so they choose first.
    for _key, group in sorted(groups.items(), key=lambda kv: (kv[0][1] is None, kv[0])):
        eligible = [b for b in balances if group[0].accepts(b)]
        if group[0].slot_id is not None:
            lots = [LotStock(b.lot.expires_on, b.on_hand, b.available - used[b.id]) for b in eligible]
            if slot_stock(lots, today, mode=mode).blocked == EXPIRED_STOCK:
                shortages.update(
                    {line.field: "expired stock in the slot: off sale until it is pulled" for line in group}
                )
                continue
        pool = FefoPool(_candidates(eligible, used), today)
        needed = sum(line.qty for line in group)
        if pool.total_free < needed:
            shortages.update(describe_shortage(group, pool.total_free))
            continue
        for line in group:
            for candidate, qty in pool.take(line.qty):
                used[candidate.key] += qty
                plan.append((line, candidate.key, qty))
    if shortages:
        raise OutOfStock(f"not enough stock at {code}", fields=shortages)
    return plan


def release_holds_on(
    session: Session, clock: Clock, balance: StockBalance, free_needed: int, reason: str
) -> int:
    """Release holds on a locked balance, newest first, until free_needed units are free; return how many."""
    released = 0
    holds = session.scalars(
        select(Reservation)
        .where(Reservation.balance_id == balance.id, Reservation.status == ACTIVE_HOLD)
        .order_by(Reservation.id.desc())
        .execution_options(populate_existing=True)
    )
    for reservation in holds:
        if balance.available >= free_needed:
            break
        _release_locked(session, clock, reservation, "released", reason)
        released += 1
    return released


def _order_reservations(session: Session, order_ref: str, statuses: tuple[str, ...]) -> list[Reservation]:
    return list(
        session.scalars(
            select(Reservation)
            .where(Reservation.order_ref == order_ref, Reservation.status.in_(statuses))
            .order_by(Reservation.line_no, Reservation.id)
            .execution_options(populate_existing=True)
        )
    )


def _lock_for_order(session: Session, reservations: list[Reservation]) -> list[StockBalance]:
    locations = {r.location_id for r in reservations}
    products = {r.product_id for r in reservations}
    return ledger.lock_balances(
        session, StockBalance.location_id.in_(locations), StockBalance.product_id.in_(products)
    )


def release_reservations(session: Session, clock: Clock, *, order_ref: str, reason: str) -> int:
    """Release an order's active holds (cancelled, expired, failed payment); return how many."""
    held = _order_reservations(session, order_ref, ("active",))
    if not held:
        return 0
    _lock_for_order(session, held)
    active = _order_reservations(session, order_ref, ("active",))  # re-read under the locks
    status = "expired" if reason == "expired" else "released"
    for reservation in active:
        _release_locked(session, clock, reservation, status, reason)
    return len(active)


def fulfil_reservations(session: Session, clock: Clock, *, order_ref: str, actor: str) -> list[StockMovement]:
    """Turn an order's holds into sale movements; stock whose hold lapsed, or whose lot has expired
    since it was held, is taken again from unexpired lots (FEFO) — an expired lot is never sold."""
    open_statuses = ("active", "released", "expired")
    # The order's own balances, locked first (the module's lock order), then its holds read fresh.
    held = select(Reservation.balance_id).where(
        Reservation.order_ref == order_ref, Reservation.status.in_(open_statuses)
    )
    balances = ledger.lock_balances(session, StockBalance.id.in_(held))
    pending = _order_reservations(session, order_ref, open_statuses)
    if not pending:
        return []
    today = local_date(clock.now())
    expired_lots = {b.id for b in balances if b.lot.expires_on < today}
    # A slot's hold made before midnight: a lot of the slot may have expired since (rare, so only
    # then are the slot's other lots read, to stop a vending slot dropping an expired unit).
    overnight = any(r.slot_id is not None and local_date(r.created_at) < today for r in pending)
    if overnight or any(r.status != "active" or r.balance_id in expired_lots for r in pending):
        # A hold lapsed or its lot expired: its stock may have to come from other lots of the slot.
        balances = _lock_for_order(session, pending)
        pending = _order_reservations(session, order_ref, open_statuses)
    if overnight:
        _refuse_blocked_slots(pending, balances, today)
    by_id = {b.id: b for b in balances}
    for reservation in pending:
        if reservation.status == "active" and by_id[reservation.balance_id].lot.expires_on < today:
            _release_locked(session, clock, reservation, "released", LOT_EXPIRED)
    lapsed = [r for r in pending if r.status != "active"]
    retake = _plan_retake(session, lapsed, balances, today) if lapsed else []
    now = clock.now()
    movements: list[StockMovement] = []
    with session.no_autoflush:  # movements and holds are written together, not before each UPDATE
        movements += _sell_holds(session, clock, pending, by_id, retake, order_ref, actor, now)
    return movements


def _refuse_blocked_slots(pending: list[Reservation], balances: list[StockBalance], today: date) -> None:
    """Refuse selling from a vending slot that now holds an expired unit (inventory.sellable)."""
    blocked = {}
    for reservation in pending:
        if reservation.slot_id is None:
            continue
        lots = [
            LotStock(b.lot.expires_on, b.on_hand, b.available)
            for b in balances
            if b.slot_id == reservation.slot_id
        ]
        if slot_stock(lots, today, mode=reservation.location.mode).blocked == EXPIRED_STOCK:
            blocked[f"lines.{reservation.line_no}.slot"] = (
                "a lot in the slot expired since the hold: off sale"
            )
    if blocked:
        raise OutOfStock("a slot of the order holds expired stock since it was held", fields=blocked)


def _sell_holds(
    session: Session,
    clock: Clock,
    pending: list[Reservation],
    by_id: dict[int, StockBalance],
    retake: list[tuple[int, int]],
    order_ref: str,
    actor: str,
    now: datetime,
) -> list[StockMovement]:
    held: dict[StockBalance, int] = defaultdict(int)
    for reservation in pending:
        if reservation.status == "active":
            held[by_id[reservation.balance_id]] += reservation.qty
        reservation.status = "fulfilled"
        reservation.fulfilled_at = now
    movements = ledger.sell_held(session, clock, held, actor=actor, reference=order_ref) if held else []
    for balance_id, qty in retake:
        movements.append(
            ledger.post(
                session,
                clock,
                "sale",
                qty=qty,
                actor=actor,
                source=by_id[balance_id],
                reference=order_ref,
                note="hold had lapsed; taken again",
            )
        )
    return movements


def _plan_retake(
    session: Session, lapsed: list[Reservation], balances: list[StockBalance], today: date
) -> list[tuple[int, int]]:
    """Plan taking again the stock of holds that lapsed: same location and slot, earliest expiry."""
    used: dict[int, int] = defaultdict(int)
    plan: list[tuple[int, int]] = []
    shortages: dict[str, str] = {}
    for reservation in lapsed:
        slot = session.get(Slot, reservation.slot_id) if reservation.slot_id else None
        eligible = [
            b
            for b in balances
            if b.location_id == reservation.location_id
            and b.product_id == reservation.product_id
            and b.slot_id == reservation.slot_id
        ]
        pool = FefoPool(_candidates(eligible, used), today)
        if pool.total_free < reservation.qty:
            field = f"lines.{reservation.line_no}" + (".slot" if slot is not None else "")
            why = "the held lot expired" if reservation.release_reason == LOT_EXPIRED else "the hold lapsed"
            shortages[field] = f"{why} and only {pool.total_free} unexpired are left"
            continue
        for candidate, qty in pool.take(reservation.qty):
            used[candidate.key] += qty
            plan.append((candidate.key, qty))
    if shortages:
        raise OutOfStock(
            "the order's hold lapsed or its lot expired, and no other stock is left", fields=shortages
        )
    return plan
