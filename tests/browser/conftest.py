"""Browser tests: a real server on 127.0.0.1 and headless Chromium driven by Playwright.

Without /usr/bin/chromium the tests skip with one line, unless REQUIRE_BROWSER=1 (CI), where
they fail. The server runs in a thread over its own SQLite file (migrated, demo data loaded);
a test module seeds what it needs through `live_server.seed` before the server starts serving, and
may choose settings of its own (a payment provider) by overriding the `live_server_config` fixture."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest
from flask import Flask, Response, g, request
from sqlalchemy import select
from werkzeug.serving import make_server

from audit.models import AuditEntry
from core.clock import SHANGHAI, FixedClock
from core.db import Database
from kiosk_api import create_app, migrate
from kiosk_api.demo import load_demo

CHROMIUM = Path("/usr/bin/chromium")
REQUIRE_BROWSER = os.environ.get("REQUIRE_BROWSER") == "1"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "browser"
# The server's moment: late on 28 November 2026 in Shanghai.
SERVER_NOW = datetime(2026, 11, 28, 20, 0, tzinfo=SHANGHAI)


@dataclass
class LiveServer:
    url: str
    db: Database
    clock: FixedClock


def _require_chromium() -> None:
    if CHROMIUM.exists():
        return
    if REQUIRE_BROWSER:
        pytest.fail(f"REQUIRE_BROWSER=1 but {CHROMIUM} is missing (Debian package chromium)")
    pytest.skip(f"{CHROMIUM} missing: install the Debian package chromium to run browser tests")


@pytest.fixture(scope="module")
def live_server_config() -> dict[str, object]:
    """Settings the module's server starts with, over the defaults (PAYMENT_PROVIDER=simulated)."""
    return {}


@pytest.fixture(scope="module")
def live_server(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    live_server_config: dict[str, object],
) -> Iterator[LiveServer]:
    """The app served on a free port of 127.0.0.1; the module's `seed(db, clock)` runs first."""
    _require_chromium()
    url = f"sqlite:///{tmp_path_factory.mktemp('live') / 'dongxi.db'}"
    migrate.upgrade(url)
    db = Database.from_url(url)
    clock = FixedClock(SERVER_NOW)
    with db.unit_of_work() as session:
        load_demo(session, clock)
    seed: Callable[[Database, FixedClock], None] | None = getattr(request.module, "seed", None)
    if seed is not None:
        seed(db, clock)
    clock.set(SERVER_NOW)
    app = create_app(
        {"DATABASE": db, "CLOCK": clock, "SECRET_KEY": "browser-tests", "TESTING": False} | live_server_config
    )
    writes = _watch_writes(app)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield LiveServer(f"http://127.0.0.1:{server.server_port}", db, clock)
    finally:
        server.shutdown()
        thread.join(timeout=10)
        try:
            _assert_each_write_audited(db, writes)
        finally:
            db.engine.dispose()


def _watch_writes(app: Flask) -> list[tuple[str, str, str]]:
    """Note every form or API write a signed-in person made that the server carried out: a non-GET
    request answered with a redirect (the pages' answer to a change made; a confirmation step's
    summary is a 200 and writes nothing) or a 2xx from the API."""
    writes: list[tuple[str, str, str]] = []

    @app.after_request
    def _note(response: Response) -> Response:
        user = g.get("current_user")
        done = response.status_code in (301, 302, 303) or (
            request.path.startswith("/api/") and response.status_code < 300
        )
        if user is not None and request.method not in ("GET", "HEAD", "OPTIONS") and done:
            writes.append((g.get("request_id", ""), f"{request.method} {request.path}", user.username))
        return response

    return writes


def _assert_each_write_audited(db: Database, writes: list[tuple[str, str, str]]) -> None:
    """After a module's browser session: every write a person made left an audit entry, theirs."""
    with db.unit_of_work() as session:
        entries = session.execute(select(AuditEntry.request_id, AuditEntry.actor)).all()
    audited = {(rid, actor) for rid, actor in entries}
    missing = [(what, who) for rid, what, who in writes if (rid, who) not in audited]
    assert not missing, f"writes with no audit entry: {missing}"


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """Headless Chromium (the Debian build) under Playwright."""
    _require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def artifacts() -> Path:
    """Where screenshots go (test-artifacts/browser/)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS
