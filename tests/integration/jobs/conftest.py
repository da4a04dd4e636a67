"""The jobs' tests drive kiosks through the Flask test client, as the kiosk API tests do."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.pool import NullPool

from core.clock import FixedClock
from core.db import Database, make_engine
from kiosk_api import migrate
from kiosk_api.demo import load_demo
from tests.api.kiosk.conftest import door_kiosk, provision, vend_kiosk  # noqa: F401  (fixtures)
from tests.conftest import TEST_NOW, create_postgres_database, drop_postgres_database, require_postgres


@pytest.fixture(params=["postgresql", "sqlite"])
def committed_db(request, tmp_path, worker_id: str, testrun_uid: str) -> Iterator[Database]:
    """A migrated database with the demo data (PostgreSQL, or a SQLite file) whose sessions each
    open their own connection and commit for real: for workers on threads of their own."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'jobs.db'}"
    else:
        require_postgres()
        name = f"dongxi_jobs_{testrun_uid[:8]}_{worker_id}"
        url = create_postgres_database(name)
    migrate.upgrade(url)
    db = Database(make_engine(url, poolclass=NullPool))
    with db.unit_of_work() as session:
        load_demo(session, FixedClock(TEST_NOW))
    yield db
    db.engine.dispose()
    if request.param == "postgresql":
        drop_postgres_database(name)
