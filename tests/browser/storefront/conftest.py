"""Helpers for the storefront and bulk-order browser tests.

The server and Chromium are tests/browser/conftest.py's `live_server` and `browser` fixtures (a
real server on 127.0.0.1 over a migrated SQLite file with the demo data, headless Debian Chromium
under Playwright); a module's `seed(db, clock)` adds what it needs before the server starts.
Screenshots go to test-artifacts/storefront/, at 390 px and at desktop width.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kiosk_api.demo import demo_password

ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts" / "storefront"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 860}


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh browser context (no cookies) and page, phone-sized, that accepts downloads."""
    context = browser.new_context(viewport=PHONE, locale="zh-CN", accept_downloads=True)
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()


def url(server: Any, path: str) -> str:
    return f"{server.url}{path}"


def shoot(page: Any, name: str) -> None:
    """Save full-page screenshots of the current page at 390 px and at desktop width."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    original = page.viewport_size
    for label, size in (("390", PHONE), ("desktop", DESKTOP)):
        page.set_viewport_size(size)
        page.screenshot(path=str(ARTIFACTS / f"{name}-{label}.png"), full_page=True)
    page.set_viewport_size(original)


def submit(page: Any, selector: str) -> None:
    """Click a button (or link) that loads a new page, and wait until that page has loaded."""
    with page.expect_navigation():
        page.click(selector)


def sign_in(page: Any, server: Any, username: str, role: str, next_path: str = "/") -> None:
    """Sign in through the login form as a demo account."""
    page.goto(url(server, f"/login?next={next_path}"))
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", demo_password(role))
    page.click("form.login button")
    page.wait_for_url(url(server, next_path))


def sign_out(page: Any) -> None:
    """Sign out with the header's button."""
    submit(page, "nav form button.link")
