"""The audit-coverage test: every write route of the OpenAPI document and every page form, run as its
signed-in caller, leaves an audit entry for each table it writes (tests/audit_watch.py checks, from
the database's own counts, what the request wrote). A route without an example fails here, asking
for one in tests/api/audit_examples (or a reason in its exempt.py)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from types import SimpleNamespace
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event
from sqlalchemy.orm import Session

from audit import recorder
from core.db import Database, make_engine
from kiosk_api import create_app
from tests.api.audit_examples import EXAMPLES, Ctx
from tests.api.audit_examples.exempt import EXEMPT
from tests.audit_watch import AuditWatch, Seen

WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
ADD_ONE = (
    "add an example to tests/api/audit_examples (or, if nobody signed in calls it, a reason to exempt.py)"
)


def openapi_path(rule: str) -> str:
    """A Flask URL rule as the OpenAPI document writes its path: <int:org_id> → {org_id}."""
    return re.sub(r"<(?:[^<>]*:)?([^<>:]+)>", r"{\1}", rule)


def write_routes(app: Flask, document: dict[str, Any]) -> set[str]:
    """Every write operation of the OpenAPI document and every other non-GET URL rule of the app (the
    page blueprints, whichever there are), named as audit entries name them: method and URL rule."""
    by_path: dict[tuple[str, str], str] = {}
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods & set(WRITE_METHODS)):
            by_path[(method, openapi_path(rule.rule))] = f"{method} {rule.rule}"
    routes = set(by_path.values())
    for path, operations in document["paths"].items():
        for method in operations:
            if method.upper() in WRITE_METHODS:
                routes.add(by_path.get((method.upper(), path), f"{method.upper()} {path} (in OpenAPI only)"))
    return routes


def _discovered() -> set[str]:
    app = create_app({"DATABASE": Database(make_engine("sqlite://")), "TESTING": True, "SECRET_KEY": "x"})
    return write_routes(app, app.extensions["flask-smorest"]["apis"][""]["ext_obj"].spec.to_dict())


ROUTES = _discovered()
CASES = sorted(
    {(route, variant) for route, variants in EXAMPLES.items() for variant in variants}
    | {(route, "") for route in ROUTES - set(EXAMPLES) - set(EXEMPT)}
)


def test_every_write_route_has_an_example_or_a_reason(client) -> None:
    """Read from the served /api/v1/openapi.json and the app's URL map; and no entry names a lost route."""
    document = client.get("/api/v1/openapi.json").get_json()
    routes = write_routes(client.application, document)
    assert not (missing := sorted(routes - set(EXAMPLES) - set(EXEMPT))), f"{ADD_ONE}: {missing}"
    assert not (gone := sorted((set(EXAMPLES) | set(EXEMPT)) - routes)), f"no such route any more: {gone}"
    assert not (both := sorted(set(EXAMPLES) & set(EXEMPT))), f"both an example and exempt: {both}"
    assert all(len(reason) > 20 for reason in EXEMPT.values())


@pytest.fixture
def ctx(app, client, session, clock, auth, connection) -> Ctx:  # type: ignore[no-untyped-def]
    return Ctx(app, client, session, clock, auth, AuditWatch(connection))


@pytest.mark.parametrize(("route", "variant"), CASES, ids=[" ".join(filter(None, c)) for c in CASES])
def test_a_write_route_leaves_an_entry_for_every_table_it_writes(ctx, route: str, variant: str) -> None:
    assert route in ROUTES, f"{route} no longer exists: remove its example"
    examples = EXAMPLES.get(route)
    assert examples, f"{route} has no example: {ADD_ONE}"
    seen = examples[variant](ctx)
    assert seen.route == route, f"the example of {route} called {seen.route}"
    assert seen.response.status_code < 400, f"{route} answered {seen.response.status_code}: {seen.explain()}"
    assert seen.wrote, f"the example of {route} wrote nothing, so it proves nothing: make it write"
    ctx.watch.assert_audited(seen)


@contextmanager
def recorder_off() -> Iterator[None]:
    """The recorder not listening (to see the watch notice), put back after."""
    event.remove(Session, "after_flush", recorder._after_flush)
    event.remove(Session, "do_orm_execute", recorder._on_execute)
    try:
        yield
    finally:
        recorder.install()


def test_the_watch_names_the_route_and_the_tables_a_request_left_unaudited(ctx) -> None:
    with recorder_off():
        seen = EXAMPLES["POST /api/v1/inventory/receipts"][""](ctx)
    assert seen.response.status_code == 201 and seen.wrote and not seen.entries
    with pytest.raises(AssertionError) as failed:
        ctx.watch.assert_audited(seen)
    message = str(failed.value)
    assert message.startswith("POST /api/v1/inventory/receipts (answered 201)")
    if ctx.session.get_bind().dialect.name == "postgresql":
        assert "lots" in message and "stock_movements" in message and "stock_balances" not in message
    else:
        assert "left no audit entry" in message


def _entry(table: str, target_id: str = "1", actor: str = "demo-operator") -> SimpleNamespace:
    return SimpleNamespace(target_type=table, target_id=target_id, actor=actor, operation=RECEIPTS)


RECEIPTS = "POST /api/v1/inventory/receipts"


@pytest.mark.parametrize(
    ("written", "entries", "problem"),
    [
        ({"lots": 1, "stock_balances": 2, "audit_log": 1}, [_entry("lots")], None),
        ({"lots": 1, "stock_movements": 1}, [_entry("lots")], "wrote stock_movements without an audit entry"),
        ({"lots": 2}, [_entry("lots")], "more rows than it has entries for: lots (2 rows, 1 entries)"),
        ({"lots": 5}, [_entry("lots", "*")], None),  # one bulk statement's entry
        ({"lots": 1}, [_entry("lots", actor="someone")], "another actor or operation"),
    ],
)
def test_the_watch_counts_rows_against_entries_table_by_table(written, entries, problem) -> None:
    seen = Seen(RECEIPTS, "demo-operator", None, written, sum(written.values()), entries)  # type: ignore[arg-type]
    problems = " ".join(seen.problems())
    assert (problem in problems) if problem else problems == ""
