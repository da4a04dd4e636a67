"""Count the SQL statements and transactions a piece of code costs, with SQLAlchemy's events.

Statements are what reaches the database driver (an executemany counts once, as one round of
the driver's pipeline). The tests' own savepoints — every unit of work joins the test's outer
transaction through one — are not the code's and are left out; savepoints the code itself opens
(``begin_nested``) are counted apart. Transactions are the units of work that touched the database.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, SessionTransaction

_SAVEPOINT_SQL = re.compile(r"^\s*(SAVEPOINT|RELEASE SAVEPOINT|ROLLBACK TO SAVEPOINT)\b", re.IGNORECASE)


@dataclass
class Counts:
    statements: list[str] = field(default_factory=list)
    transactions: int = 0
    savepoints: int = 0

    @property
    def total(self) -> int:
        return len(self.statements)

    def __str__(self) -> str:
        listing = "\n".join(f"  {i:>2}. {sql[:160]}" for i, sql in enumerate(self.statements, 1))
        return (
            f"{self.total} statements, {self.transactions} transactions, "
            f"{self.savepoints} savepoints:\n{listing}"
        )


@contextmanager
def count_queries(engine: Engine) -> Iterator[Counts]:
    """Count, while the block runs, the statements on `engine` and the sessions' transactions."""
    counts = Counts()

    def on_execute(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if not _SAVEPOINT_SQL.match(statement):
            counts.statements.append(" ".join(statement.split()))

    def on_begin(_session: Session, _transaction: SessionTransaction, _connection: Any) -> None:
        counts.transactions += 1

    def on_create(_session: Session, transaction: SessionTransaction) -> None:
        if transaction.nested:
            counts.savepoints += 1

    event.listen(engine, "before_cursor_execute", on_execute)
    event.listen(Session, "after_begin", on_begin)
    event.listen(Session, "after_transaction_create", on_create)
    try:
        yield counts
    finally:
        event.remove(engine, "before_cursor_execute", on_execute)
        event.remove(Session, "after_begin", on_begin)
        event.remove(Session, "after_transaction_create", on_create)
