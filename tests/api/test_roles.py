"""Every write endpoint checks the role: anonymous callers get 401, other roles 403."""

import pytest

from accounts.roles import CATALOGUE_EDITORS, CATALOGUE_READERS, ROLES

# (method, path, body): bodies are valid enough that only the role decides the outcome.
CATALOGUE_WRITES = [
    (
        "POST",
        "/api/v1/regions",
        {"code": "640498", "name_zh": "测", "name_en": "T", "level": "county", "parent": "640400"},
    ),
    ("PATCH", "/api/v1/regions/640422", {"name_en": "Xiji"}),
    ("POST", "/api/v1/pairings", {"east": "350100", "west": "640422", "valid_from": "2026-01-01"}),
    ("PATCH", "/api/v1/pairings/1", {"note_en": "x"}),
    (
        "POST",
        "/api/v1/suppliers",
        {"name_zh": "测", "kind": "cooperative", "county": "640422", "credit_code": "91350100M000100Y43"},
    ),
    ("PATCH", "/api/v1/suppliers/1", {"households_linked": 1}),
    (
        "POST",
        "/api/v1/products",
        {
            "sku": "X-1",
            "name_zh": "测",
            "category": "grain",
            "spec": "1kg",
            "price_fen": 100,
            "county": "640422",
            "supplier": 1,
            "shelf_life_days": 10,
        },
    ),
    ("PATCH", "/api/v1/products/1", {"price_fen": 100}),
]
PRIVATE_READS = [("GET", "/api/v1/suppliers", None), ("GET", "/api/v1/suppliers/1", None)]


def call(client, method: str, path: str, body, headers=None):
    return client.open(path, method=method, json=body, headers=headers or {})


@pytest.mark.parametrize(("method", "path", "body"), CATALOGUE_WRITES + PRIVATE_READS)
def test_anonymous_callers_are_401(client, method, path, body) -> None:
    response = call(client, method, path, body)
    assert response.status_code == 401 and response.get_json()["error"]["code"] == "unauthenticated"


@pytest.mark.parametrize("role", sorted(set(ROLES) - set(CATALOGUE_EDITORS)))
@pytest.mark.parametrize(("method", "path", "body"), CATALOGUE_WRITES)
def test_roles_outside_the_catalogue_team_are_refused_writes(client, auth, role, method, path, body) -> None:
    response = call(client, method, path, body, auth(role))
    assert response.status_code == 403 and response.get_json()["error"]["code"] == "forbidden"


@pytest.mark.parametrize("role", sorted(set(ROLES) - set(CATALOGUE_READERS)))
@pytest.mark.parametrize(("method", "path", "body"), PRIVATE_READS)
def test_payout_accounts_are_hidden_from_other_roles(client, auth, role, method, path, body) -> None:
    assert call(client, method, path, body, auth(role)).status_code == 403


@pytest.mark.parametrize("role", CATALOGUE_EDITORS)
@pytest.mark.parametrize(("method", "path", "body"), CATALOGUE_WRITES)
def test_catalogue_editors_get_past_the_role_check(client, auth, role, method, path, body) -> None:
    assert call(client, method, path, body, auth(role)).status_code not in (401, 403)


@pytest.mark.parametrize("header", ["Bearer not-a-token", "Basic dXNlcjpwYXNz", "Bearer "])
def test_bad_authorization_headers_are_401(client, header) -> None:
    response = client.get("/api/v1/products", headers={"Authorization": header})
    assert response.status_code == 401
