"""Pages sign in with a session cookie and CSRF; the API accepts that session only with the CSRF header."""

import re

import pytest

from kiosk_api.demo import demo_password


def csrf_from(html: bytes) -> str:
    match = re.search(rb'name="csrf_token" value="([^"]+)"', html)
    assert match, "the page carries no CSRF token"
    return match.group(1).decode()


def sign_in(client, role: str = "operator") -> str:
    token = csrf_from(client.get("/login").data)
    username = f"demo-{role}".replace("_", "-")
    response = client.post(
        "/login", data={"username": username, "password": demo_password(role), "csrf_token": token}
    )
    assert response.status_code == 302
    return csrf_from(client.get("/").data)


def test_login_without_csrf_token_is_refused(client) -> None:
    response = client.post(
        "/login", data={"username": "demo-operator", "password": demo_password("operator")}
    )
    assert response.status_code == 400


def test_wrong_password_is_refused(client) -> None:
    token = csrf_from(client.get("/login").data)
    response = client.post(
        "/login", data={"username": "demo-operator", "password": "wrong-password", "csrf_token": token}
    )
    assert response.status_code == 401 and "用户名或密码不正确".encode() in response.data


def test_signed_in_session_reads_and_writes_with_csrf_header(client) -> None:
    csrf = sign_in(client)
    assert client.get("/api/v1/suppliers").status_code == 200
    refused = client.patch("/api/v1/regions/640422", json={"name_en": "Xiji"})
    assert refused.status_code == 401 and refused.get_json()["error"]["code"] == "csrf_failed"
    accepted = client.patch("/api/v1/regions/640422", json={"name_en": "Xiji"}, headers={"X-CSRFToken": csrf})
    assert accepted.status_code == 200


def test_logout_ends_the_session(client) -> None:
    csrf = sign_in(client)
    client.post("/logout", data={"csrf_token": csrf})
    assert client.get("/api/v1/suppliers").status_code == 401


def test_login_redirect_stays_on_this_site(client) -> None:
    token = csrf_from(client.get("/login").data)
    response = client.post(
        "/login?next=//evil.example/",
        data={"username": "demo-operator", "password": demo_password("operator"), "csrf_token": token},
    )
    assert response.headers["Location"] == "/console/"


@pytest.mark.parametrize(
    ("role", "landing"),
    [
        ("operator", "/console/"),
        ("auditor", "/console/"),
        ("restocker", "/restock/"),
        ("org_buyer", "/org"),
        ("org_approver", "/org"),
        ("supplier", "/console/statements"),
        ("county", "/console/statements"),
    ],
)
def test_each_role_lands_on_its_own_workspace(client, role: str, landing: str) -> None:
    token = csrf_from(client.get("/login").data)
    username = f"demo-{role}".replace("_", "-")
    response = client.post(
        "/login", data={"username": username, "password": demo_password(role), "csrf_token": token}
    )
    assert response.status_code == 302 and response.headers["Location"] == landing
