"""Issuing (closing) a month: each statement frozen with the SHA-256 of its canonical content."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from core.clock import Clock
from core.errors import Conflict
from core.money import format_fen
from sales.models import RevenueEntry
from sales.statements import rollup
from sales.statements.compute import check_period, compute, period_bounds
from sales.statements.models import Statement, StatementPeriod


@dataclass(frozen=True)
class IssueResult:
    period: str
    issued_at: datetime
    statement_count: int
    newly_issued: bool


def canonical_content(statement: Statement) -> bytes:
    """The bytes the content hash covers: scope, key, period, moment of issue and every figure."""
    content = {
        "scope": statement.scope,
        "key": statement.scope_key,
        "period": statement.period,
        "issued_at": statement.issued_at.isoformat() if statement.issued_at else None,
        "figures": statement.figures,
    }
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def content_hash(statement: Statement) -> str:
    """SHA-256 (hex) of the statement's canonical content."""
    return hashlib.sha256(canonical_content(statement)).hexdigest()


def issued_period(session: Session, period: str) -> StatementPeriod | None:
    """The record of a month's issue, or None while it is open."""
    return session.get(StatementPeriod, period)


def first_sale_period(session: Session) -> str | None:
    """The month of the first revenue entry, or None before any sale."""
    return session.scalar(select(func.min(RevenueEntry.period)))


def _check_rollup(session: Session, period: str) -> None:
    ledger = rollup.totals_by_county_supplier(session, period, source="ledger")
    summed = rollup.totals_by_county_supplier(session, period, source="rollup")
    if ledger != summed:
        differing = sorted(k for k in set(ledger) | set(summed) if ledger.get(k) != summed.get(k))
        raise Conflict(
            "the revenue rollup disagrees with the ledger; rebuild it before issuing",
            code="rollup_mismatch",
            fields={
                f"{c}/{s}": f"ledger {ledger.get((c, s))} rollup {summed.get((c, s))}" for c, s in differing
            },
        )


def lock_period(session: Session, period: str) -> None:
    """Take a month's lock exclusively until this transaction ends (PostgreSQL): every revenue entry
    takes it shared as it is written (the trigger that refuses entries in issued months), so this
    waits for the month's writers in flight and keeps new ones out until the issue is committed —
    and then they are refused, into the current month. SQLite runs one writer at a time."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": f"dongxi.period.{period}"}
        )


def issue_period(
    session: Session,
    clock: Clock,
    period: str,
    *,
    actor: str,
    start: str | None = None,
    progress: Callable[[str], None] = lambda _m: None,
) -> IssueResult:
    """Freeze every statement of a finished month; a month already issued is left as it was.

    Only months from `start` (STATEMENTS_START), or else from the month of the first sale, may be
    issued: a month before them never had sales, and freezing it would only stop a late entry."""
    check_period(period)
    lock_period(session, period)  # before anything is read: the month's writers in flight finish first
    done = issued_period(session, period)
    if done is not None:
        progress(f"{period} was issued at {done.issued_at.isoformat()}: nothing to do")
        return IssueResult(period, done.issued_at, done.statement_count, newly_issued=False)
    now = clock.now()
    if now < period_bounds(period)[1]:
        raise Conflict(
            f"{period} has not ended yet (Asia/Shanghai); issue it from the 1st of the next month",
            code="period_open",
            fields={"period": "not over"},
        )
    first = check_period(start) if start else first_sale_period(session)
    if first is None or period < first:
        raise Conflict(
            f"{period} is before the first month of statements ({first or 'no sale yet'})",
            code="period_before_start",
            fields={"period": f"from {first}" if first else "nothing has been sold yet"},
        )
    progress(f"{period}: checking the rollup against the ledger …")
    _check_rollup(session, period)
    progress(f"{period}: computing statements …")
    drafts = compute(session, period)
    # The period row first: a concurrent issue of the same month fails on its primary key, and
    # from here on the database refuses ledger entries dated in this month.
    session.add(StatementPeriod(period=period, issued_at=now, issued_by=actor, statement_count=len(drafts)))
    session.flush()  # claim the period before writing its statements
    for i, statement in enumerate(drafts, 1):
        statement.status = "issued"
        statement.issued_at = now
        statement.content_hash = content_hash(statement)
        session.add(statement)
        totals = statement.figures["totals"]
        progress(
            f"  [{i}/{len(drafts)}] {statement.scope} {statement.scope_key} "
            f"{statement.figures['subject']['zh']}: net {format_fen(totals['net_fen'])}"
        )
    session.flush()  # the statements get their ids
    return IssueResult(period, now, len(drafts), newly_issued=True)


@dataclass(frozen=True)
class Visibility:
    """What a caller may see: everything, or one supplier's, or one county's statements."""

    everything: bool = False
    supplier_id: int | None = None
    county_code: str | None = None

    def allows(self, statement: Statement) -> bool:
        if self.everything:
            return True
        if self.supplier_id is not None:
            return statement.scope == "supplier" and statement.supplier_id == self.supplier_id
        if self.county_code is not None:
            return statement.scope in ("county", "supplier") and statement.county_code == self.county_code
        return False


def list_statements(
    session: Session,
    visibility: Visibility,
    *,
    period: str | None = None,
    scope: str | None = None,
    county: str | None = None,
    supplier: int | None = None,
    partner: str | None = None,
) -> list[Statement]:
    """Statements the caller may see: issued ones as stored, drafts of an open month computed now."""
    if period is not None and issued_period(session, check_period(period)) is None:
        found = compute(session, period, scope=scope)
    else:
        stmt = select(Statement).where(Statement.status == "issued")
        if period is not None:
            stmt = stmt.where(Statement.period == period)
        if scope is not None:
            stmt = stmt.where(Statement.scope == scope)
        if county is not None:
            stmt = stmt.where(Statement.county_code == county)
        if supplier is not None:
            stmt = stmt.where(Statement.supplier_id == supplier)
        if partner is not None:
            stmt = stmt.where(Statement.scope == "partner", Statement.scope_key == partner)
        found = list(
            session.scalars(stmt.order_by(Statement.period.desc(), Statement.scope, Statement.scope_key))
        )

    def wanted(s: Statement) -> bool:
        return (
            (county is None or s.county_code == county)
            and (supplier is None or s.supplier_id == supplier)
            and (partner is None or (s.scope == "partner" and s.scope_key == partner))
            and visibility.allows(s)
        )

    return [s for s in found if wanted(s)]


def find_statement(
    session: Session, period: str, scope: str, key: str, visibility: Visibility
) -> Statement | None:
    """One statement, issued (stored) or draft (computed), if the caller may see it."""
    if issued_period(session, check_period(period)) is not None:
        statement = session.scalar(
            select(Statement).where(
                Statement.period == period, Statement.scope == scope, Statement.scope_key == key
            )
        )
    else:
        statement = next(iter(compute(session, period, scope=scope, key=key)), None)
    return statement if statement is not None and visibility.allows(statement) else None


def get_issued(session: Session, statement_id: int, visibility: Visibility) -> Statement | None:
    """An issued statement by id, if the caller may see it."""
    statement = session.get(Statement, statement_id)
    return statement if statement is not None and visibility.allows(statement) else None


def verify(session: Session, digest: str) -> Statement | None:
    """The issued statement a printed hash belongs to, if its stored content still hashes to it."""
    if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
        return None
    statement = session.scalar(select(Statement).where(Statement.content_hash == digest))
    if statement is None or statement.status != "issued" or content_hash(statement) != digest:
        return None
    return statement


def summary(statement: Statement) -> dict[str, Any]:
    """The headline of a statement: who, which month, status and totals."""
    return {
        "id": statement.id,
        "period": statement.period,
        "scope": statement.scope,
        "key": statement.scope_key,
        "subject": statement.figures["subject"],
        "status": statement.status,
        "content_hash": statement.content_hash,
        "issued_at": statement.issued_at,
        "totals": statement.figures["totals"],
    }
