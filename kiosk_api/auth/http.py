"""Who is calling: a bearer token for scripts, a signed-in session (with CSRF) for pages."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from flask import g, request, session
from flask_smorest import Blueprint
from flask_wtf.csrf import validate_csrf
from sqlalchemy.orm import Session
from wtforms.validators import ValidationError

from accounts.models import User
from core.errors import PermissionDenied, Unauthenticated
from kiosk_api.auth.service import user_for_token
from kiosk_api.database import get_db

F = TypeVar("F", bound=Callable[..., Any])
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_ERROR_BODY = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
_AUTH_DOC = {
    "security": [{"bearerAuth": []}, {"sessionCookie": []}],
    "responses": {
        "401": {"description": "Not signed in, or an unknown token", "content": _ERROR_BODY},
        "403": {"description": "The caller's role may not do this", "content": _ERROR_BODY},
    },
}


def current_user() -> User | None:
    """Return the caller, or None for an anonymous request; a bad bearer token is refused."""
    if "current_user" in g:
        return g.current_user
    user: User | None = None
    header = request.headers.get("Authorization", "")
    if not header and "user_id" not in session:
        g.current_user = None
        return None
    # A short unit of work of its own: the user comes back detached, and the request's own session
    # (which on SQLite holds the write lock) is not opened just to learn who is calling.
    with get_db().unit_of_work() as db_session:
        if header:
            scheme, _, token = header.partition(" ")
            if scheme.lower() != "bearer" or not token.strip():
                raise Unauthenticated("use Authorization: Bearer <token>", code="bad_authorization")
            user = user_for_token(db_session, token.strip())
            if user is None:
                raise Unauthenticated("unknown or revoked token", code="invalid_token")
        else:
            user = user_of_session(db_session)
    if (
        user is not None
        and not header
        and request.method not in SAFE_METHODS
        and request.path.startswith("/api/")
    ):
        # A signed-in browser may call the API, but a write must carry the page's CSRF token in a
        # header (API blueprints are exempt from the form check that CSRFProtect makes on pages).
        try:
            validate_csrf(request.headers.get("X-CSRFToken"))
        except ValidationError as exc:
            raise Unauthenticated("missing or wrong X-CSRFToken header", code="csrf_failed") from exc
    g.current_user = user
    return user


def user_of_session(db_session: Session) -> User | None:
    """The user the browser's session cookie names, while it is still theirs: active, and signed in
    since their last sign-out, password change or deactivation (the session's epoch is theirs). A
    session that is no longer theirs is forgotten (its cookie is cleared in the answer)."""
    if "user_id" not in session:
        return None
    user = db_session.get(User, session["user_id"])
    if user is None or not user.active or session.get("epoch") != user.session_epoch:
        session.pop("user_id", None)
        session.pop("epoch", None)
        return None
    return user


def require_roles(*roles: str) -> Callable[[F], F]:
    """Refuse the view with 401 to anonymous callers and 403 to roles not listed."""

    def decorator(view: F) -> F:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            user = current_user()
            if user is None:
                raise Unauthenticated("sign in or send a bearer token")
            if user.role not in roles:
                raise PermissionDenied(f"the {user.role} role may not do this")
            return view(*args, **kwargs)

        return Blueprint.doc(**_AUTH_DOC)(wrapper)  # type: ignore[return-value]

    return decorator
