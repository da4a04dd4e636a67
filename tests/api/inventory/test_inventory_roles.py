"""Who may do what with stock: operators write, restockers count, restock and read pick lists,
auditors read; everyone else is refused (401 anonymous, 403 other roles)."""

import pytest

from accounts.roles import (
    INVENTORY_EDITORS,
    INVENTORY_READERS,
    PICK_LIST_READERS,
    RESTOCK_RECORDERS,
    ROLES,
)

# (method, path, body): bodies are valid enough that only the role decides whether they get in.
EDITOR_WRITES = [
    (
        "POST",
        "/api/v1/inventory/locations",
        {"code": "T-WH-9", "kind": "warehouse", "name_zh": "测", "partner": "350100"},
    ),
    (
        "POST",
        "/api/v1/inventory/locations/FZ-0001/slots",
        {"code": "D1", "product": 1, "capacity": 4, "par_level": 2},
    ),
    ("PATCH", "/api/v1/inventory/locations/FZ-0001/slots/A1", {"par_level": 5}),
    (
        "POST",
        "/api/v1/inventory/receipts",
        {"location": "FZ-WH-01", "product": 1, "lot": "X", "expires_on": "2027-01-01", "qty": 1},
    ),
    ("POST", "/api/v1/inventory/transfers", {"from": "FZ-WH-01", "to": "FZ-0001", "to_slot": "C2", "qty": 1}),
    (
        "POST",
        "/api/v1/inventory/writeoffs",
        {"location": "FZ-0001", "slot": "A3", "qty": 1, "reason": "expired"},
    ),
]
RESTOCK_WRITES = [
    ("POST", "/api/v1/inventory/counts", {"location": "FZ-0001", "slot": "A1", "counted": 5}),
    ("POST", "/api/v1/kiosks/FZ-0001/restock-visits", {"removed": [{"slot": "A3", "qty": 2}]}),
]
READS = [
    ("GET", "/api/v1/inventory/locations", None),
    ("GET", "/api/v1/inventory/locations/FZ-0001", None),
    ("GET", "/api/v1/inventory/lots", None),
    ("GET", "/api/v1/inventory/balances", None),
    ("GET", "/api/v1/inventory/movements", None),
    ("GET", "/api/v1/inventory/reservations", None),
    ("GET", "/api/v1/alerts", None),
]
PICK_LISTS = [
    ("GET", "/api/v1/kiosks/FZ-0001/pick-list", None),
    ("GET", "/api/v1/routes/FZ-R1/pick-list", None),
]
EVERYTHING = EDITOR_WRITES + RESTOCK_WRITES + READS + PICK_LISTS
# One endpoint of each group stands for its group when every role is tried.
REPRESENTATIVES = [EDITOR_WRITES[3], RESTOCK_WRITES[0], READS[3], PICK_LISTS[0]]


def call(client, method, path, body, headers=None):
    return client.open(path, method=method, json=body, headers=headers or {})


def allowed(method, path) -> tuple[str, ...]:
    for group, roles in (
        (EDITOR_WRITES, INVENTORY_EDITORS),
        (RESTOCK_WRITES, RESTOCK_RECORDERS),
        (READS, INVENTORY_READERS),
        (PICK_LISTS, PICK_LIST_READERS),
    ):
        if any((m, p) == (method, path) for m, p, _ in group):
            return roles
    raise AssertionError(path)


@pytest.mark.parametrize(("method", "path", "body"), EVERYTHING)
def test_anonymous_callers_are_401(client, method, path, body) -> None:
    response = call(client, method, path, body)
    assert response.status_code == 401 and response.get_json()["error"]["code"] == "unauthenticated"


@pytest.mark.parametrize("role", sorted(ROLES))
@pytest.mark.parametrize(("method", "path", "body"), REPRESENTATIVES)
def test_each_role_gets_exactly_its_share(client, auth, role, method, path, body) -> None:
    status = call(client, method, path, body, auth(role)).status_code
    if role in allowed(method, path):
        assert status < 400, (role, method, path, status)
    else:
        assert status == 403, (role, method, path, status)


@pytest.mark.parametrize(("method", "path", "body"), EDITOR_WRITES + READS)
def test_a_restocker_may_not_move_stock_or_read_the_ledger(client, auth, method, path, body) -> None:
    assert call(client, method, path, body, auth("restocker")).status_code == 403


def test_restockers_and_auditors_have_the_intended_reach() -> None:
    assert "restocker" in RESTOCK_RECORDERS and "restocker" in PICK_LIST_READERS
    assert "restocker" not in INVENTORY_EDITORS and "restocker" not in INVENTORY_READERS
    assert "auditor" in INVENTORY_READERS and "auditor" not in RESTOCK_RECORDERS + INVENTORY_EDITORS
