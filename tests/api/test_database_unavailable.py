"""A database that cannot be reached answers 503 `database_unavailable` with the JSON error body —
never a 500 — and which database errors mean "unavailable" rather than a refused statement.
(tests/failure/test_postgres_restart.py stops a real PostgreSQL under load.)"""

from __future__ import annotations

import sqlite3

import psycopg
import psycopg.errors
import pytest
from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from core.clock import FixedClock
from core.db import Database, is_unreachable, make_engine
from kiosk_api import create_app
from tests.api.kiosk.conftest import SignedKiosk
from tests.conftest import TEST_NOW

NOBODY = "postgresql+psycopg://postgres@127.0.0.1:1/dongxi"  # nothing listens on port 1: refused


@pytest.fixture
def unreachable_app():  # type: ignore[no-untyped-def]
    db = Database(make_engine(NOBODY))
    app = create_app({"DATABASE": db, "CLOCK": FixedClock(TEST_NOW), "TESTING": True, "SECRET_KEY": "t"})
    yield app
    db.engine.dispose()


@pytest.mark.parametrize("path", ["/api/v1/regions", "/api/v1/products?q=tudou", "/shop"])
def test_a_database_that_refuses_connections_answers_503_json(unreachable_app, path: str) -> None:  # type: ignore[no-untyped-def]
    response = unreachable_app.test_client().get(path)
    assert response.status_code == 503, response.get_data(as_text=True)
    assert response.get_json() == {
        "error": {
            "code": "database_unavailable",
            "message": "the database is unavailable; try again",
            "fields": {},
        }
    }


def test_a_signed_device_request_answers_503_json_too(unreachable_app) -> None:  # type: ignore[no-untyped-def]
    # Looking up the signature's key is the first thing a device request needs of the database.
    kiosk = SignedKiosk(unreachable_app.test_client(), FixedClock(TEST_NOW), "kiosk-FZ-0001-0000", "secret")
    response = kiosk.post("/heartbeat", {})
    assert response.status_code == 503, response.get_data(as_text=True)
    assert response.get_json()["error"]["code"] == "database_unavailable"


def _wrapped(orig: Exception, cls: type = OperationalError, invalidated: bool = False) -> Exception:
    return cls("SELECT 1", {}, orig, connection_invalidated=invalidated)


@pytest.mark.parametrize(
    "error",
    [
        _wrapped(psycopg.OperationalError("connection failed: Connection refused")),
        _wrapped(psycopg.OperationalError("consuming input failed: server closed the connection")),
        _wrapped(psycopg.errors.AdminShutdown("terminating connection due to administrator command")),
        _wrapped(psycopg.errors.CannotConnectNow("the database system is starting up")),
        _wrapped(psycopg.errors.ConnectionFailure("connection failure")),
        _wrapped(psycopg.errors.QueryCanceled("canceled"), invalidated=True),
        PoolTimeout("QueuePool limit of size 10 overflow 10 reached"),
    ],
    ids=["refused", "lost", "admin-shutdown", "starting-up", "class-08", "invalidated", "pool-timeout"],
)
def test_errors_of_a_database_that_cannot_serve_now_are_unavailable(error: Exception) -> None:
    assert is_unreachable(error)


@pytest.mark.parametrize(
    "error",
    [
        _wrapped(psycopg.errors.LockNotAvailable("could not obtain lock")),
        _wrapped(psycopg.errors.QueryCanceled("canceling statement due to statement timeout")),
        _wrapped(sqlite3.OperationalError("database is locked")),
        _wrapped(psycopg.errors.UniqueViolation("duplicate key"), IntegrityError),
        _wrapped(psycopg.ProgrammingError("the query has 1 placeholder but 2 parameters"), ProgrammingError),
        ValueError("not a database error"),
    ],
    ids=["lock-timeout", "statement-timeout", "sqlite-locked", "unique", "programming", "other"],
)
def test_answers_of_a_working_database_are_not_unavailable(error: Exception) -> None:
    assert not is_unreachable(error)
