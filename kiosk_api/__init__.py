"""The dongxi server: create_app() builds the Flask application."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask_smorest import Api
from flask_wtf import CSRFProtect

from core.clock import Clock, SystemClock
from core.db import Database
from kiosk_api import (
    audit,
    database,
    errors,
    headers,
    input_limits,
    limits,
    observability,
    payments_ext,
    template_filters,
)
from kiosk_api import config as config_module
from kiosk_api.auth import device_http
from kiosk_api.auth.http import current_user
from kiosk_api.openapi_errors import ErrorResponsesPlugin
from kiosk_api.schemas.base import ErrorSchema

API_PREFIX = "/api/v1"
csrf = CSRFProtect()


class DongxiApi(Api):
    """flask-smorest's Api, documenting errors with the design's `{"error": {...}}` body: each
    operation lists the error statuses it can answer (kiosk_api/openapi_errors.py), no catch-all."""

    ERROR_SCHEMA = ErrorSchema
    DEFAULT_ERROR_RESPONSE_NAME = None


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the app. `config` overrides the environment; tests pass DATABASE and CLOCK objects."""
    app = Flask(__name__)
    settings = config_module.from_environment()
    settings.update(config or {})
    app.config.update(settings)
    app.config.update(
        API_TITLE="dongxi",
        API_VERSION="1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX=API_PREFIX,
        OPENAPI_JSON_PATH="openapi.json",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        WTF_CSRF_TIME_LIMIT=None,
    )
    app.json.ensure_ascii = False  # Chinese stays readable in JSON
    app.json.sort_keys = False

    db: Database = app.config.get("DATABASE") or Database.from_url(app.config["DATABASE_URL"])
    clock: Clock = app.config.get("CLOCK") or SystemClock()
    # First: its after-request hook then runs last, and sees the status the commit leaves.
    observability.init_app(app, up_since=clock.now())
    # Next (before any API blueprint, whose rules take their converters as they are added): its
    # check of every request runs before the other hooks, timed and logged like any request.
    input_limits.init_app(app)
    database.init_app(app, db, clock)
    audit.init_app(app)
    payments_ext.init_app(app)
    device_http.init_app(app)
    limits.init_app(app)
    template_filters.init_app(app)

    api = DongxiApi(
        app,
        spec_kwargs={
            "info": {"description": "消费帮扶 dongxi — consumption assistance for East–West cooperation"},
            "servers": [{"url": "/"}],
            "extra_plugins": [ErrorResponsesPlugin()],
        },
    )
    api.spec.components.security_scheme("bearerAuth", {"type": "http", "scheme": "bearer"})
    api.spec.components.security_scheme(
        "sessionCookie", {"type": "apiKey", "in": "cookie", "name": "session"}
    )
    _register_blueprints(app, api)

    csrf.init_app(app)
    headers.init_app(app)
    errors.init_app(app)  # after Api, whose own HTTP error handler this replaces

    @app.before_request
    def _know_the_caller_first() -> None:
        # Who is calling is settled before any view opens the request's session: on SQLite that
        # session holds the write lock, which the caller's own lookup would otherwise wait on.
        # A bad bearer token is thereby refused even on public reads.
        current_user()

    return app


def _register_blueprints(app: Flask, api: Api) -> None:
    from kiosk_api.blueprints import catalogue
    from kiosk_api.pages import pages

    for blueprint in catalogue.BLUEPRINTS:
        api.register_blueprint(blueprint)
        csrf.exempt(blueprint)  # API writes authenticate by bearer token or CSRF header (auth/http.py)
    from kiosk_api.blueprints import inventory

    for blueprint in inventory.BLUEPRINTS:
        api.register_blueprint(blueprint)
        csrf.exempt(blueprint)  # as catalogue's: bearer token, or session cookie with CSRF header
    from kiosk_api.blueprints.kiosk_device import device
    from kiosk_api.blueprints.orders import orders
    from kiosk_api.blueprints.payments import payments
    from kiosk_api.pay_page import pay

    api.register_blueprint(orders)
    csrf.exempt(orders)  # a signed-in browser's writes still need X-CSRFToken (auth/http.py)
    for blueprint in (device, payments):
        # Devices sign every request; webhooks are signed by the provider; neither carries cookies.
        api.register_blueprint(blueprint)
        csrf.exempt(blueprint)
    app.register_blueprint(pages)
    app.register_blueprint(pay)
    from kiosk_api.media import media

    app.register_blueprint(media)
    from kiosk_api.blueprints import orgs, payouts
    from kiosk_api.storefront import page_blueprints

    for blueprint in (*orgs.BLUEPRINTS, *payouts.BLUEPRINTS):
        api.register_blueprint(blueprint)
        csrf.exempt(blueprint)  # bearer token, or session cookie with X-CSRFToken (auth/http.py)
    for blueprint in page_blueprints():
        app.register_blueprint(blueprint)
    from kiosk_api.blueprints import statements
    from kiosk_api.console import console_blueprints

    for blueprint in statements.BLUEPRINTS:
        api.register_blueprint(blueprint)
        csrf.exempt(blueprint)  # bearer token, or session cookie with X-CSRFToken (auth/http.py)
    for blueprint in console_blueprints():
        app.register_blueprint(blueprint)  # console forms carry Flask-WTF's CSRF token
    from kiosk_api.restock import restock

    app.register_blueprint(restock)  # a restocker's pages; their forms carry Flask-WTF's CSRF token
