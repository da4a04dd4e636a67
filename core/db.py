"""Declarative base, engine set-up for SQLite and PostgreSQL, and the unit of work."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime
from typing import Any

import psycopg
from sqlalchemy import BigInteger, DateTime, Integer, MetaData, create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Fen(TypeDecorator[int]):
    """An amount of fen: 64-bit, as a unit's bulk order passes 2³¹ fen (¥21.4M).

    SQLite's INTEGER already holds 64 bits, so there it stays INTEGER (no table is rebuilt for a
    name). Sums over the column come back as int too (PostgreSQL's SUM of a BIGINT is NUMERIC)."""

    impl = BigInteger
    cache_ok = True

    def load_dialect_impl(self, dialect: Any) -> Any:
        return dialect.type_descriptor(Integer() if dialect.name == "sqlite" else BigInteger())

    def process_result_value(self, value: Any, dialect: Any) -> int | None:
        return None if value is None else int(value)


FEN = Fen()


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always returned timezone-aware, on SQLite as on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; pass an aware datetime")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


CONNECT_TIMEOUT_SECONDS = 5
# SQLSTATEs of a server that is going away or not there yet: admin_shutdown, crash_shutdown,
# cannot_connect_now (starting up, shutting down); class 08 is the connection exceptions.
_GOING_AWAY = frozenset({"57P01", "57P02", "57P03"})


def is_unreachable(error: BaseException) -> bool:
    """Whether a database error means the database cannot be used now: not reachable, stopping or
    starting, the connection lost, or no pooled connection free in time. Not a refused statement
    (a constraint, a lock timeout): those are answers of a working database."""
    if isinstance(error, PoolTimeout):
        return True
    if not isinstance(error, DBAPIError):
        return False
    if error.connection_invalidated:
        return True
    sqlstate = getattr(error.orig, "sqlstate", "")
    if sqlstate is None:
        # psycopg's own OperationalError, with no SQLSTATE from a server: the connection attempt
        # failed (refused, timed out) or the connection broke.
        return isinstance(error.orig, psycopg.OperationalError | psycopg.InterfaceError)
    return sqlstate.startswith("08") or sqlstate in _GOING_AWAY


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine; SQLite gets foreign keys, WAL and write-locking transactions."""
    if url.startswith("sqlite"):
        kwargs.setdefault("connect_args", {}).setdefault("timeout", 30)
        engine = create_engine(url, **kwargs)
        _configure_sqlite(engine)
        return engine
    # No pre-ping: it costs a round trip on every checkout, and a connection the server closed fails
    # its first statement with OperationalError, which the request answers 503 (clients retry) and
    # the pool replaces (with every connection as old: the pool is invalidated on a disconnect).
    # Recycling keeps connections younger than any idle timeout between us. A server that does not
    # answer at all (a host gone, packets dropped) fails a connection attempt after connect_timeout
    # rather than holding the request; one stopped on its host refuses at once.
    kwargs.setdefault("pool_recycle", 1800)
    if "connect_timeout" not in make_url(url).query:
        kwargs.setdefault("connect_args", {}).setdefault("connect_timeout", CONNECT_TIMEOUT_SECONDS)
    if "poolclass" not in kwargs:  # a queue pool, sized for a worker's threads
        kwargs.setdefault("pool_size", 10)
        kwargs.setdefault("max_overflow", 10)
    return create_engine(url, **kwargs)


def _configure_sqlite(engine: Engine) -> None:
    # pysqlite's own transaction handling defers BEGIN and upgrades read locks to write locks
    # mid-transaction, which fails with "database is locked" no matter the timeout. We take the
    # write lock at BEGIN (IMMEDIATE) instead, so concurrent writers queue on busy_timeout.
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


class Database:
    """An engine and its session factory: the one way code gets a session."""

    def __init__(self, engine: Engine, session_factory: sessionmaker[Session] | None = None) -> None:
        self.engine = engine
        self.sessionmaker = session_factory or sessionmaker(engine, expire_on_commit=False)

    @classmethod
    def from_url(cls, url: str) -> Database:
        return cls(make_engine(url))

    @contextmanager
    def unit_of_work(self) -> Iterator[Session]:
        """Yield a session that commits once at the end, or rolls back on any error."""
        session = self.sessionmaker()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()


class UnitOfWork:
    """An open unit of work — a request's session — that a service may end before calling a provider.

    STYLE rule 7: a payment provider is never called inside a transaction. A service that must call
    one commits the open unit (`commit`), calls, and records the answer in a unit of its own
    (`then`). Whoever opened the session still commits whatever comes after, as usual."""

    def __init__(self, db: Database, session: Session, on_commit: Callable[[], None] | None = None) -> None:
        self.db = db
        self.session = session
        self._on_commit = on_commit

    def commit(self) -> None:
        """End the open unit of work now."""
        self.session.commit()
        if self._on_commit is not None:
            self._on_commit()

    def rollback(self) -> None:
        """Abandon the open unit of work (after a conflict the database refused)."""
        self.session.rollback()

    def then(self) -> AbstractContextManager[Session]:
        """A further unit of work of its own, after the open one committed."""
        return self.db.unit_of_work()
