"""After sign-in the visitor goes back to `next` only when it is a path on this site: whatever a
browser could read as another host, a script or a header is answered by the home page, never a 500
(issue 13: `?next=/\t/evil.example` went to //evil.example and a newline in it was a 500)."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from kiosk_api.demo import demo_password
from tests.api.test_login import csrf_from

HOSTILE = [
    "/\t/evil.example",
    "//evil.example",
    "///evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "https://evil.example",
    "HTTPS://evil.example/",
    "javascript:alert(1)",
    " /\t/evil.example",
    "/\nSet-Cookie:x",
    "/shop\r\nSet-Cookie: a=b",
    "/console\n",
    "evil.example",
    "",
]


def _sign_in(client, query: str):  # type: ignore[no-untyped-def]
    token = csrf_from(client.get("/login").data)
    return client.post(
        f"/login{query}",
        data={"username": "demo-operator", "password": demo_password("operator"), "csrf_token": token},
    )


@pytest.mark.parametrize("target", HOSTILE)
def test_a_next_off_this_site_goes_to_the_users_own_page(client, target: str) -> None:
    response = _sign_in(client, "?next=" + quote(target, safe=""))
    assert response.status_code == 302
    assert response.headers["Location"] == "/console/"  # the operator's workspace, never off-site


def test_a_nul_byte_in_next_is_refused_before_sign_in(client) -> None:
    # No query string may carry a NUL byte (kiosk_api/input_limits.py, issue 13): a 422 naming it,
    # before the form is looked at — neither a redirect anywhere nor a 500.
    response = _sign_in(client, "?next=" + quote("/\x00evil", safe=""))
    assert response.status_code == 422 and "next" in response.get_json()["error"]["fields"]
    assert "Location" not in response.headers


@pytest.mark.parametrize(
    "raw", ["/%0aSet-Cookie:x", "/%0d%0aSet-Cookie:x", "/%09/evil.example", "%2F%2Fevil.example"]
)
def test_encoded_control_characters_and_slashes_go_home(client, raw: str) -> None:
    response = _sign_in(client, "?next=" + raw)
    assert response.status_code == 302 and response.headers["Location"] == "/console/"
    assert "Set-Cookie:x" not in str(response.headers)


@pytest.mark.parametrize("target", ["/console/orders?page=2", "/shop/orders/abc?token=x%2Fy", "/org"])
def test_a_path_on_this_site_is_kept(client, target: str) -> None:
    response = _sign_in(client, "?next=" + quote(target, safe=""))
    assert response.status_code == 302 and response.headers["Location"] == target


def test_the_sign_in_page_a_protected_page_sends_to_comes_back(client) -> None:
    login = client.get("/console/orders?page=2")
    assert login.status_code == 302 and login.headers["Location"].startswith("/login?next=")
    response = _sign_in(client, login.headers["Location"].removeprefix("/login"))
    assert response.headers["Location"] == "/console/orders?page=2"
