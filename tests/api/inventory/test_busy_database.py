"""A SQLite file locked by another writer gives a JSON "busy" answer, never a 500."""

import sqlite3

import pytest
from sqlalchemy import event
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool

from catalogue.demo import load_demo_catalogue
from core.db import Database, make_engine
from inventory import service
from inventory.errors import StockBusy
from kiosk_api import create_app, migrate
from kiosk_api.auth.service import create_token, create_user


@pytest.fixture
def locked_app(tmp_path, clock):
    """An app on a SQLite file that waits at most 50 ms for a lock, and a token for an operator."""
    path = tmp_path / "busy.db"
    migrate.upgrade(f"sqlite:///{path}")
    engine = make_engine(f"sqlite:///{path}", poolclass=NullPool)

    @event.listens_for(engine, "connect")
    def _impatient(dbapi_connection, _record) -> None:  # runs after make_engine's own set-up
        dbapi_connection.execute("PRAGMA busy_timeout=50")

    db = Database(engine)
    with db.unit_of_work() as session:
        load_demo_catalogue(session, clock)
        create_user(session, clock, username="busy-operator", role="operator", password="operator-pass-1")
        token = create_token(session, clock, "busy-operator")
    app = create_app({"DATABASE": db, "CLOCK": clock, "TESTING": True, "SECRET_KEY": "test-secret"})
    yield app, path, {"Authorization": f"Bearer {token}"}
    engine.dispose()


def test_a_write_while_another_writer_holds_the_file_is_a_json_busy_error(locked_app) -> None:
    app, path, headers = locked_app
    body = {"code": "T-WH", "kind": "warehouse", "name_zh": "测试仓", "partner": "350100"}
    blocker = sqlite3.connect(path, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    try:
        response = app.test_client().post("/api/v1/inventory/locations", json=body, headers=headers)
    finally:
        blocker.rollback()
        blocker.close()
    assert response.status_code in (409, 503), response.get_data(as_text=True)
    assert response.get_json()["error"]["code"] == "busy"
    after = app.test_client().post("/api/v1/inventory/locations", json=body, headers=headers)
    assert after.status_code == 201, after.get_json()


def test_contention_is_retried_then_reported_as_busy() -> None:
    locked = OperationalError("BEGIN IMMEDIATE", {}, sqlite3.OperationalError("database is locked"))
    calls, rollbacks = [], []

    def work() -> str:
        calls.append(1)
        if len(calls) < 3:
            raise locked
        return "done"

    assert service.call_with_retry(work, lambda: rollbacks.append(1)) == "done"
    assert (len(calls), len(rollbacks)) == (3, 2)

    def always_locked() -> str:
        raise locked

    with pytest.raises(StockBusy):
        service.call_with_retry(always_locked, lambda: None, attempts=2)
