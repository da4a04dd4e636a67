"""Every change through the API or the console is in the append-only audit log."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update
from sqlalchemy.exc import DBAPIError

from audit.models import AuditEntry
from catalogue.models import Product
from kiosk_api.console.catalogue_pages import product_form_values
from tests.api.test_login import csrf_from, sign_in


def test_a_product_change_through_the_api_is_audited(session, client, auth) -> None:
    before = client.get("/api/v1/products/1").get_json()["price_fen"]
    response = client.patch("/api/v1/products/1", json={"price_fen": before + 100}, headers=auth("operator"))
    assert response.status_code == 200
    entries = client.get("/api/v1/audit?target_type=products", headers=auth("auditor")).get_json()
    entry = entries[0]
    assert (
        entry["action"] == "products.update" and entry["actor"] == "demo-operator" and entry["via"] == "api"
    )
    assert entry["operation"] == "PATCH /api/v1/products/<int:product_id>" and entry["origin"] == "127.0.0.1"
    assert entry["request_id"] == response.headers["X-Request-ID"]
    assert entry["before"]["price_fen"] == before and entry["after"]["price_fen"] == before + 100
    assert "name_zh" not in entry["after"]  # only what changed


def test_a_product_change_through_the_console_is_audited(session, client) -> None:
    sign_in(client, "operator")
    form = client.get("/console/catalogue/2")
    assert form.status_code == 200
    response = client.post(
        "/console/catalogue/2",
        data={
            **product_form_values(session.get(Product, 2)),
            "csrf_token": csrf_from(form.data),
            "name_zh": "改名测试",
            "price": "12.50",
        },
    )
    assert response.status_code == 303
    entry = session.scalar(
        select(AuditEntry).where(AuditEntry.action == "products.update").order_by(AuditEntry.id.desc())
    )
    assert entry.action == "products.update" and entry.via == "console" and entry.actor == "demo-operator"
    assert entry.after["name_zh"] == "改名测试" and entry.after["price_fen"] == 1250


def test_issuing_is_audited(session, client, auth, issued_october) -> None:
    entries = client.get("/api/v1/audit", headers=auth("admin")).get_json()
    assert any(e["action"] == "statement_periods.create" and e["target_id"] == "2026-10" for e in entries)


def test_the_audit_log_refuses_changes(session, client, auth) -> None:
    client.patch("/api/v1/regions/640422", json={"name_en": "Xiji"}, headers=auth("admin"))
    savepoint = session.begin_nested()
    with pytest.raises(DBAPIError):
        session.execute(update(AuditEntry).values(actor="someone else"))
    savepoint.rollback()


@pytest.mark.parametrize("role", ["operator", "supplier", "restocker"])
def test_only_admins_and_auditors_read_the_audit_log(client, auth, role) -> None:
    assert client.get("/api/v1/audit", headers=auth(role)).status_code == 403
