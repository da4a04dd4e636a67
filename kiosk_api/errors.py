"""The one table mapping domain errors to HTTP, and the JSON error body of the design."""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, jsonify, request
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException

from core.db import is_unreachable
from core.errors import Conflict, DomainError, InvalidInput, NotFound, PermissionDenied, Unauthenticated
from inventory.errors import StockBusy
from kiosk_api.auth.device import ReplayCheckUnavailable
from payments.errors import PaymentProviderError, ProviderUnavailable

STATUS_OF: dict[type[DomainError], int] = {
    # The replay check could not be made (Redis away): refused, and the kiosk retries.
    ReplayCheckUnavailable: 503,
    StockBusy: 503,  # lock contention that outlasted its retries: try again, nothing was written
    # The provider's trouble, not the client's request: retried (with the same Idempotency-Key).
    ProviderUnavailable: 503,
    PaymentProviderError: 502,
    InvalidInput: 422,
    NotFound: 404,
    Conflict: 409,
    PermissionDenied: 403,
    Unauthenticated: 401,
}

_HTTP_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid_input",
    429: "rate_limited",
}


def error_response(status: int, code: str, message: str, fields: dict[str, str] | None = None) -> Response:
    """Build `{"error": {"code", "message", "fields"}}` with the given status."""
    response = jsonify({"error": {"code": code, "message": message, "fields": fields or {}}})
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="dongxi"'
    return response


def flatten_messages(messages: Any, prefix: str = "") -> dict[str, str]:
    """Turn marshmallow's nested messages into {"lines.0.slot": "message"}."""
    if isinstance(messages, dict):
        flat: dict[str, str] = {}
        for key, value in messages.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            flat.update(flatten_messages(value, name))
        return flat
    if isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        return {prefix or "_schema": " ".join(messages)}
    if isinstance(messages, list):
        return flatten_messages(dict(enumerate(messages)), prefix)
    return {prefix or "_schema": str(messages)}


def unstorable_response() -> Response:
    """The 422 of a value its column cannot hold (or a number past 64 bits, nesting past the stack)
    that got past the schemas: nothing was written."""
    return error_response(422, "invalid_input", "a value is out of range or not storable")


def database_error_response(error: BaseException) -> Response | None:
    """The 503 answer to a database that cannot serve now — unreachable, restarting, the connection
    lost (`database_unavailable`), or locked by another writer (`busy`) — or None for any other
    error. The request's work was rolled back, or its commit's answer lost: clients retry with the
    same Idempotency-Key (or report_id), which returns whatever did commit."""
    if is_unreachable(error):
        return error_response(503, "database_unavailable", "the database is unavailable; try again")
    orig = getattr(error, "orig", None)
    if isinstance(error, OperationalError) and any(
        word in str(orig).lower() for word in ("locked", "deadlock")
    ):
        return error_response(503, "busy", "the database is busy; try again")
    return None


def status_for(error: DomainError) -> int:
    """The HTTP status of a domain error: its class's (or nearest base's) in STATUS_OF, else 400."""
    for cls in type(error).__mro__:
        if cls in STATUS_OF:
            return STATUS_OF[cls]
    return 400


def init_app(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def _domain(error: DomainError) -> Response:
        return error_response(status_for(error), error.code, error.message, error.fields)

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException) -> Response:
        status = error.code or 500
        data = getattr(error, "data", None) or {}
        fields: dict[str, str] = {}
        if "messages" in data:
            # webargs (via flask-smorest) puts errors per location: {"json": {...}, "query": {...}}.
            for location_messages in data["messages"].values():
                fields.update(flatten_messages(location_messages))
        message = "invalid input" if fields else (error.description or error.name)
        response = error_response(status, _HTTP_CODES.get(status, "error"), message, fields)
        if status == 405 and hasattr(error, "valid_methods") and error.valid_methods:
            response.headers["Allow"] = ", ".join(error.valid_methods)
        return response

    @app.errorhandler(IntegrityError)
    def _integrity(error: IntegrityError) -> Response:
        app.logger.warning("integrity error on %s %s: %s", request.method, request.path, error.orig)
        return error_response(409, "conflict", "the change conflicts with existing data")

    @app.errorhandler(DBAPIError)
    @app.errorhandler(PoolTimeout)
    def _database(error: Exception) -> Response:
        response = database_error_response(error)
        if response is None:
            raise error
        code = response.get_json()["error"]["code"]
        app.logger.warning("%s on %s %s: %s", code, request.method, request.path, error)
        return response

    # The last line for input that got past the schemas (which should never let it through): a
    # value the database cannot hold, a number past a driver's 64 bits, nesting past the stack.
    @app.errorhandler(DataError)
    @app.errorhandler(OverflowError)
    @app.errorhandler(RecursionError)
    def _unstorable(error: Exception) -> Response:
        app.logger.warning("unstorable input on %s %s: %r", request.method, request.path, error)
        return unstorable_response()

    @app.errorhandler(500)
    def _internal(_error: Exception) -> Response:
        app.logger.exception("unhandled error on %s %s", request.method, request.path)
        return error_response(500, "internal_error", "something went wrong on our side")
