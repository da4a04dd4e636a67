"""Sign-in is throttled (issue 13): after a few wrong passwords for one username — or many from one
address — every attempt is refused with 429 and Retry-After, the right password too, until the
window passes; other accounts and addresses are not affected."""

from __future__ import annotations

import uuid

from kiosk_api import create_app
from kiosk_api.demo import demo_password
from tests.api.test_login import csrf_from


def app_with(db, clock, **config):  # type: ignore[no-untyped-def]
    return create_app(
        {
            "DATABASE": db,
            "CLOCK": clock,
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "RATELIMIT_KEY_PREFIX": f"dongxi-test-{uuid.uuid4().hex}",
            **config,
        }
    )


def attempt(client, username: str, password: str, address: str = "198.51.100.1"):  # type: ignore[no-untyped-def]
    client.environ_base["REMOTE_ADDR"] = address
    token = csrf_from(client.get("/login").data)
    return client.post("/login", data={"username": username, "password": password, "csrf_token": token})


def test_after_five_wrong_passwords_the_account_is_refused_even_the_right_one(db, clock) -> None:
    client = app_with(db, clock).test_client()
    for _ in range(5):
        assert attempt(client, "demo-operator", "not-the-password").status_code == 401
    refused = attempt(client, "demo-operator", demo_password("operator"))
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= 15 * 60
    assert "登录失败次数过多" in refused.get_data(as_text=True)
    assert client.get("/api/v1/alerts").status_code == 401  # not signed in
    # From another address too (the count is the account's), and whatever the username's case.
    assert attempt(client, "Demo-Operator", demo_password("operator"), "203.0.113.9").status_code == 429
    # Another account signs in.
    assert attempt(client, "demo-auditor", demo_password("auditor")).status_code == 302


def test_a_right_password_counts_nothing(db, clock) -> None:
    client = app_with(db, clock, RATELIMIT_LOGIN_USER="2/15 minutes").test_client()
    for _ in range(3):
        assert attempt(client, "demo-operator", demo_password("operator")).status_code == 302
    assert attempt(client, "demo-operator", "wrong-1").status_code == 401
    assert attempt(client, "demo-operator", demo_password("operator")).status_code == 302
    assert attempt(client, "demo-operator", "wrong-2").status_code == 401
    assert attempt(client, "demo-operator", demo_password("operator")).status_code == 429


def test_one_address_trying_many_accounts_is_refused(db, clock) -> None:
    client = app_with(db, clock, RATELIMIT_LOGIN_ADDRESS="3/15 minutes").test_client()
    for name in ("alice-x", "bob-x", "carol-x"):
        assert attempt(client, name, "guess-guess-1").status_code == 401
    assert attempt(client, "demo-operator", demo_password("operator")).status_code == 429
    assert attempt(client, "demo-operator", demo_password("operator"), "203.0.113.9").status_code == 302


def test_with_the_storage_away_failures_are_counted_in_memory(db, clock) -> None:
    client = app_with(db, clock, RATELIMIT_STORAGE_URI="redis://127.0.0.1:1/0").test_client()
    for _ in range(5):
        assert attempt(client, "demo-operator", "not-the-password").status_code == 401
    assert attempt(client, "demo-operator", demo_password("operator")).status_code == 429
