"""Who acts in an HTTP request, for the audit log: the signed-in user or bearer token's owner.

`init_app` tells the recorder (audit/recorder.py), for any session flushed while a
request is served, who is calling, through what (the API, the console, a page), from which address,
on which route and under which request id. Requests with nobody signed in — devices, webhooks,
anonymous shoppers — have no actor: their writes are in the order, payment and stock ledgers."""

from __future__ import annotations

from flask import Flask, current_app, g, has_request_context, request

from audit.context import Actor, register_provider

CONSOLE_BLUEPRINTS = frozenset({"console", "operator", "restock"})


def _via() -> str:
    if request.path.startswith("/api/"):
        return "api"
    return "console" if request.blueprint in CONSOLE_BLUEPRINTS else "page"


def actor_of_request() -> Actor | None:
    """The caller of the request being served, once authentication has named them."""
    if not has_request_context():
        return None
    user = g.get("current_user")
    if user is None:
        return None
    rule = request.url_rule.rule if request.url_rule is not None else request.path
    clock = current_app.extensions["dongxi.clock"]
    return Actor(
        name=user.username,
        role=user.role,
        via=_via(),
        origin=request.remote_addr,
        operation=f"{request.method} {rule}",
        request_id=g.get("request_id"),
        clock=clock.now,
    )


def init_app(app: Flask) -> None:
    """Name the signed-in caller of a request as the actor of its writes (once per process)."""
    register_provider(actor_of_request)
