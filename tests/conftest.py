"""Fixtures shared by every ring of tests.

The database fixtures run each test twice, on SQLite and on PostgreSQL. PostgreSQL tests skip
with a one-line reason when no server answers, unless REQUIRE_POSTGRES=1 (CI), where they fail.
Each xdist worker migrates its own database once and loads the demo data; every test then runs
inside a transaction that is rolled back, so tests see the demo data and leave nothing behind.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import datetime

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.orm import Session, sessionmaker

from accounts.roles import ROLES
from core.clock import SHANGHAI, FixedClock
from core.db import Database, make_engine
from kiosk_api import create_app, migrate
from kiosk_api.auth.service import create_token
from kiosk_api.demo import demo_accounts, load_demo
from tests import hypothesis_profiles  # noqa: F401  (registers and loads the `ci` profile)

POSTGRES_ADMIN_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
REQUIRE_POSTGRES = os.environ.get("REQUIRE_POSTGRES") == "1"
# The moment the tests live in: a Thursday afternoon in Shanghai.
TEST_NOW = datetime(2026, 11, 26, 15, 0, tzinfo=SHANGHAI)


def postgres_unavailable_reason() -> str | None:
    """Return why PostgreSQL cannot be used, or None if it answers."""
    try:
        engine = make_engine(POSTGRES_ADMIN_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
    except Exception as exc:  # any failure to connect means the same: no PostgreSQL here
        where = make_url(POSTGRES_ADMIN_URL).render_as_string()
        return f"PostgreSQL not reachable at {where}: {exc.__class__.__name__}"
    return None


def require_postgres() -> None:
    """Skip (or, under REQUIRE_POSTGRES=1, fail) when PostgreSQL is not reachable."""
    reason = postgres_unavailable_reason()
    if reason is None:
        return
    if REQUIRE_POSTGRES:
        pytest.fail(f"REQUIRE_POSTGRES=1 but {reason}")
    pytest.skip(reason)


def create_postgres_database(name: str) -> str:
    """(Re)create an empty PostgreSQL database and return its URL."""
    admin = make_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)


def drop_postgres_database(name: str) -> None:
    admin = make_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _seed(engine: Engine) -> dict[str, str]:
    """Load the demo data and give every demo account a bearer token; return role → token."""
    clock = FixedClock(TEST_NOW)
    tokens: dict[str, str] = {}
    with Database(engine).unit_of_work() as session:
        load_demo(session, clock)
        for username, _password, role in demo_accounts():
            tokens[role] = create_token(session, clock, username, "tests")
    assert set(tokens) == set(ROLES)
    return tokens


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def backend(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, worker_id: str, testrun_uid: str
) -> Iterator[tuple[Engine, dict[str, str]]]:
    """A migrated database with the demo data, and bearer tokens by role."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'dongxi.db'}"
        migrate.upgrade(url)
        engine = make_engine(url)
        yield engine, _seed(engine)
        engine.dispose()
        return
    require_postgres()
    # One database per run and worker, so two runs on one machine never share or drop each other's.
    name = f"dongxi_test_{testrun_uid[:8]}_{worker_id}"
    url = create_postgres_database(name)
    migrate.upgrade(url)
    engine = make_engine(url)
    yield engine, _seed(engine)
    engine.dispose()
    drop_postgres_database(name)


@pytest.fixture
def engine(backend: tuple[Engine, dict[str, str]]) -> Engine:
    return backend[0]


@pytest.fixture
def tokens(backend: tuple[Engine, dict[str, str]]) -> dict[str, str]:
    """Bearer tokens of the demo accounts, by role."""
    return backend[1]


@pytest.fixture
def connection(engine: Engine) -> Iterator[Connection]:
    conn = engine.connect()
    outer = conn.begin()
    yield conn
    outer.rollback()
    conn.close()


@pytest.fixture
def db(connection: Connection) -> Database:
    """A Database whose sessions commit into savepoints of the test's transaction."""
    factory = sessionmaker(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
    return Database(connection.engine, factory)


@pytest.fixture
def session(db: Database) -> Iterator[Session]:
    s = db.sessionmaker()
    yield s
    s.close()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(TEST_NOW)


@pytest.fixture
def app_config() -> dict[str, object]:
    """Settings a test directory adds to its app (tests/fuzz: rate limits out of the way)."""
    return {}


@pytest.fixture
def app(db: Database, clock: FixedClock, app_config: dict[str, object]):  # type: ignore[no-untyped-def]
    return create_app(
        {"DATABASE": db, "CLOCK": clock, "TESTING": True, "SECRET_KEY": "test-secret", **app_config}
    )


@pytest.fixture
def client(app):  # type: ignore[no-untyped-def]
    return app.test_client()


@pytest.fixture
def auth(tokens: dict[str, str]):  # type: ignore[no-untyped-def]
    """auth("operator") → headers carrying that role's bearer token."""
    return lambda role: {"Authorization": f"Bearer {tokens[role]}"}


def pytest_addoption(parser: pytest.Parser) -> None:
    # Here, not in tests/fuzz/conftest.py: pytest reads options only from the conftests it starts with.
    parser.addoption(
        "--max-examples",
        type=int,
        default=None,
        help="examples per API operation in tests/fuzz (default: FUZZ_MAX_EXAMPLES or 5)",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """A test marked postgres_only is not collected in its SQLite variant (rather than skipped)."""
    keep, drop = [], []
    for item in items:
        callspec = getattr(item, "callspec", None)
        on_sqlite = callspec is not None and callspec.params.get("backend") == "sqlite"
        (drop if on_sqlite and item.get_closest_marker("postgres_only") else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep
