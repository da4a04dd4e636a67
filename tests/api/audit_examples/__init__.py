"""Examples for the audit-coverage test (tests/api/test_audit_coverage.py): for every write route,
one small function making a valid, successful, writing request as the right signed-in role.

A route is named as its audit entries name their operation: method and URL rule, for example
"PATCH /api/v1/products/<int:product_id>". Register an example with `@example(route)` (and a
`variant` where one rule does several things, like the org portal's actions); the example builds what
it needs through real services or earlier requests (`setups`), then makes its one watched request
with `ctx.api` or `ctx.page` and returns what was seen. A route nobody signed in calls goes in
`exempt.EXEMPT` with the reason instead."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from accounts.models import User
from core.clock import FixedClock
from tests.api.test_login import csrf_from
from tests.audit_watch import AuditWatch, Seen

Example = Callable[["Ctx"], Seen]
# route → variant → example ("" where the route does one thing)
EXAMPLES: dict[str, dict[str, Example]] = {}


def example(route: str, variant: str = "") -> Callable[[Example], Example]:
    """Register `fn` as the example of `route` (method and URL rule, as the audit log names it)."""

    def register(fn: Example) -> Example:
        assert variant not in EXAMPLES.get(route, {}), f"two examples for {route} {variant}"
        EXAMPLES.setdefault(route, {})[variant] = fn
        return fn

    return register


def demo_user(role: str) -> str:
    """The demo account of a role (tests.conftest gives each a bearer token)."""
    return f"demo-{role}".replace("_", "-")


@dataclass
class Ctx:
    """What an example works with: the test's app, client, session and clock, and the watch."""

    app: Flask
    client: FlaskClient
    session: Session
    clock: FixedClock
    auth: Callable[[str], dict[str, str]]
    watch: AuditWatch
    signed_in: dict[str, str] = field(default_factory=dict)  # username → CSRF token

    def commit(self) -> None:
        """Make what the example set up visible to the request (a savepoint of the test's transaction)."""
        self.session.commit()

    def api(self, role: str, method: str, path: str, json: Any = None, **kwargs: Any) -> Seen:
        """The watched request: an API call with the role's bearer token."""
        self.commit()
        headers = {**self.auth(role), **kwargs.pop("headers", {})}
        return self.watch.call(
            self.client, method, path, actor=demo_user(role), json=json, headers=headers, **kwargs
        )

    def sign_in(self, username: str) -> str:
        """Sign this client in as a user, by the session cookie the sign-in page would set (not posting the
        password: hashing it is most of a sign-in's time; test_login covers the page); return the CSRF
        token its forms carry."""
        if username not in self.signed_in:
            user = self.session.scalar(select(User).where(User.username == username))
            with self.client.session_transaction() as cookie:
                cookie.clear()
                cookie["user_id"], cookie["epoch"] = user.id, user.session_epoch
            self.signed_in = {username: csrf_from(self.client.get("/login").data)}
        return self.signed_in[username]

    def page(self, role: str, path: str, data: dict[str, Any] | None = None, *, user: str = "") -> Seen:
        """The watched request: a page form posted by the signed-in role (or user), with its CSRF token."""
        username = user or demo_user(role)
        self.commit()
        csrf = self.sign_in(username)
        return self.watch.call(
            self.client, "POST", path, actor=username, data={"csrf_token": csrf, **(data or {})}
        )


from tests.api.audit_examples import (  # noqa: E402,F401  (they register)
    api_catalogue,
    api_orgs,
    console_catalogue,
    console_fulfilment,
    console_orgs,
    console_stock,
    pages,
)
