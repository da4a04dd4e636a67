"""Who sees which statement: staff all, a supplier its own, a county its county's; nobody else."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from accounts.models import User


def _link(session, role: str, **fields) -> None:
    user = session.scalar(select(User).where(User.role == role))
    for name, value in fields.items():
        setattr(user, name, value)
    session.commit()


def test_a_supplier_sees_only_its_own_statements(session, client, auth, issued_october) -> None:
    mine = next(s for s in issued_october if s["scope"] == "supplier")
    other = next(s for s in issued_october if s["scope"] == "supplier" and s["key"] != mine["key"])
    _link(session, "supplier", supplier_id=int(mine["key"]))
    listed = client.get("/api/v1/statements?period=2026-10", headers=auth("supplier")).get_json()
    assert [s["id"] for s in listed] == [mine["id"]]
    assert client.get(f"/api/v1/statements/{mine['id']}.pdf", headers=auth("supplier")).status_code == 200
    assert client.get(f"/api/v1/statements/{other['id']}.pdf", headers=auth("supplier")).status_code == 404
    assert client.get(f"/api/v1/statements/{other['id']}", headers=auth("supplier")).status_code == 404
    county = next(s for s in issued_october if s["scope"] == "county")
    assert client.get(f"/api/v1/statements/{county['id']}.csv", headers=auth("supplier")).status_code == 404


def test_a_county_sees_its_county_and_its_suppliers(session, client, auth, issued_october) -> None:
    county = next(s for s in issued_october if s["scope"] == "county")
    _link(session, "county", county_code=county["key"])
    listed = client.get("/api/v1/statements?period=2026-10", headers=auth("county")).get_json()
    assert county["id"] in {s["id"] for s in listed}
    for statement in listed:
        full = client.get(f"/api/v1/statements/{statement['id']}", headers=auth("county")).get_json()
        assert statement["scope"] in ("county", "supplier")
        assert full["key"] == county["key"] or full["subject"]["county"]["code"] == county["key"]
    others = [s for s in issued_october if s["scope"] == "county" and s["key"] != county["key"]]
    assert client.get(f"/api/v1/statements/{others[0]['id']}.xlsx", headers=auth("county")).status_code == 404


def test_an_unlinked_supplier_account_sees_nothing(session, client, auth, issued_october) -> None:
    _link(session, "supplier", supplier_id=None)  # the demo account comes linked to a demo cooperative
    assert client.get("/api/v1/statements?period=2026-10", headers=auth("supplier")).get_json() == []


@pytest.mark.parametrize("role", ["restocker", "org_buyer", "org_approver"])
def test_other_roles_may_not_read_statements(client, auth, role) -> None:
    assert client.get("/api/v1/statements?period=2026-10", headers=auth(role)).status_code == 403


@pytest.mark.parametrize("role", ["auditor", "supplier", "county", "restocker"])
def test_only_admins_and_operators_issue(client, auth, role) -> None:
    assert client.post("/api/v1/statements/2026-10/issue", headers=auth(role)).status_code == 403


def test_anonymous_callers_get_401(client) -> None:
    assert client.get("/api/v1/statements?period=2026-10").status_code == 401
    assert client.post("/api/v1/statements/2026-10/issue").status_code == 401


def test_bad_filters_are_422(client, auth) -> None:
    assert client.get("/api/v1/statements?period=2026-1", headers=auth("admin")).status_code == 422
    assert client.get("/api/v1/statements?perod=2026-10", headers=auth("admin")).status_code == 422
