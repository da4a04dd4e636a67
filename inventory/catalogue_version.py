"""Each kiosk's catalogue version: bumped by every write that changes what its catalogue shows.

The kiosk syncs its catalogue with an ETag (KIOSK_PROTOCOL.md). Building and hashing the body to
answer 304 would cost as much as sending it, so the tag is the kiosk's stored version instead
(with the day, since certification and lot expiry turn with it). What changes a kiosk's
catalogue: its stock (every balance change goes through `inventory.ledger`, which calls
`touch`), its slots and its own settings, and the products, lots, counties and suppliers it
shows — those ORM changes are seen here, at flush. The bumps of one transaction are written once,
as it commits: one UPDATE per transaction, however many units moved.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, or_, select, update
from sqlalchemy.orm import Session

from audit.recorder import NOT_AUDITED
from catalogue.models import Product, Region, Supplier
from inventory.models import Location, Lot, Slot, StockBalance

_LOCATIONS = "dongxi.catalogue_touched"
_PRODUCTS = "dongxi.catalogue_touched_products"
_ALL = "dongxi.catalogue_touched_all"


def touch(session: Session, location_id: int) -> None:
    """Mark a kiosk's catalogue changed by this transaction."""
    session.info.setdefault(_LOCATIONS, set()).add(location_id)


def changed_here(session: Session, location_id: int) -> bool:
    """Whether this transaction has changed the kiosk's catalogue (its bump not yet written)."""
    return location_id in session.info.get(_LOCATIONS, ())


def version(session: Session, location_id: int) -> int:
    """Return a kiosk's catalogue version (one indexed read), counting this transaction's own change."""
    touched = session.info.get(_LOCATIONS, set())
    if location_id in touched:  # changed by this very transaction (a lapsed hold just released)
        touched.discard(location_id)
        return session.scalar(
            update(Location)
            .where(Location.id == location_id)
            .values(catalogue_version=Location.catalogue_version + 1)
            .returning(Location.catalogue_version)
            .execution_options(synchronize_session=False, **NOT_AUDITED)
        )
    return session.scalar(select(Location.catalogue_version).where(Location.id == location_id)) or 0


@event.listens_for(Session, "before_flush")
def _note_catalogue_changes(session: Session, _context: Any, _instances: Any) -> None:
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, Slot):
            location_id = obj.location_id or (obj.location.id if obj.location else None)
            if location_id is not None:
                touch(session, location_id)
        elif isinstance(obj, Location):
            if obj.kind == "kiosk" and obj.id is not None and session.is_modified(obj):
                touch(session, obj.id)
        elif isinstance(obj, StockBalance):
            if obj.slot_id is not None:
                touch(session, obj.location_id)
        elif isinstance(obj, Product):
            if obj.id is not None and obj not in session.new:
                session.info.setdefault(_PRODUCTS, set()).add(obj.id)
        elif isinstance(obj, Region | Supplier | Lot) and obj not in session.new:
            session.info[_ALL] = True


@event.listens_for(Session, "before_commit")
def _write_versions(session: Session) -> None:
    session.flush()  # so that the changes of the commit's own flush are noted too
    locations = session.info.pop(_LOCATIONS, None)
    products = session.info.pop(_PRODUCTS, None)
    everything = session.info.pop(_ALL, False)
    if not (locations or products or everything):
        return  # most commits (every 304, every poll) change no catalogue: build no statement
    bump = {"catalogue_version": Location.catalogue_version + 1}
    options = {"synchronize_session": False, **NOT_AUDITED}  # a cache's version, nobody's decision
    if everything:
        session.execute(
            update(Location).where(Location.kind == "kiosk").values(bump), execution_options=options
        )
        return
    where = []
    if locations:
        where.append(Location.id.in_(sorted(locations)))
    if products:
        where.append(Location.id.in_(select(Slot.location_id).where(Slot.product_id.in_(sorted(products)))))
    if where:
        session.execute(update(Location).where(or_(*where)).values(bump), execution_options=options)


@event.listens_for(Session, "after_soft_rollback")
def _forget(session: Session, previous: Any) -> None:
    if previous.nested:  # a savepoint rolled back; the transaction's other changes stand
        return
    for key in (_LOCATIONS, _PRODUCTS, _ALL):
        session.info.pop(key, None)
