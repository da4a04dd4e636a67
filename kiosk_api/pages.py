"""Server-rendered pages: the home page (the shop's catalogue) and sign-in (session cookie + CSRF)."""

from __future__ import annotations

import math
from typing import Any

from flask import Blueprint, Response, redirect, render_template, request, session, url_for
from flask_wtf.csrf import generate_csrf

from accounts.roles import (
    ADMIN,
    AUDITOR,
    COUNTY,
    OPERATOR,
    ORG_APPROVER,
    ORG_BUYER,
    RESTOCKER,
    ROLES,
    SUPPLIER,
)
from kiosk_api.auth.http import current_user
from kiosk_api.auth.service import authenticate, end_sessions
from kiosk_api.database import get_session
from kiosk_api.i18n import current_language, translate
from kiosk_api.limits import throttle
from kiosk_api.redirects import safe_next
from kiosk_api.storefront.shop import browse

pages = Blueprint(
    "pages", __name__, template_folder="templates", static_folder="static", static_url_path="/static"
)


@pages.app_context_processor
def _page_helpers() -> dict[str, Any]:
    lang = current_language()
    return {
        "t": lambda key: translate(key, lang),
        "lang": lang,
        "csrf_token": generate_csrf,
        "user": current_user(),
        "roles": ROLES,
    }


@pages.after_app_request
def _remember_language(response: Response) -> Response:
    if request.args.get("lang") in ("zh", "en"):
        response.set_cookie("lang", request.args["lang"], max_age=365 * 86400, samesite="Lax")
    return response


# Where each role works: staff in the console, a unit's people in its portal, a restocker on the
# phone pages, a supplier or county in its statements. Everyone else shops.
LANDINGS = {
    ADMIN: "console.dashboard",
    OPERATOR: "console.dashboard",
    AUDITOR: "console.dashboard",
    RESTOCKER: "restock.route_today",
    ORG_BUYER: "orgportal.dashboard",
    ORG_APPROVER: "orgportal.dashboard",
    SUPPLIER: "console.statements",
    COUNTY: "console.statements",
}


def landing_of(role: str) -> str:
    """The page a role lands on after signing in (when no ?next= says otherwise)."""
    return url_for(LANDINGS.get(role, "pages.home"))


@pages.get("/")
def home() -> str:
    """The shop's catalogue, the same page as /shop (one design; its filters link to /shop)."""
    return browse()


@pages.route("/login", methods=["GET", "POST"])
def login() -> Any:
    """Sign in with username and password (the form carries a CSRF token)."""
    error = None
    if request.method == "POST":
        username = request.form.get("username", "")
        # Failed sign-ins are counted per username and per address; while either is over its rate,
        # every attempt is refused unchecked (the right password too) until the window passes.
        keys = {
            "login_user": username.strip().lower()[:64],
            "login_address": request.remote_addr or "unknown",
        }
        waits = [w for name, key in keys.items() if (w := throttle(name).wait(key)) is not None]
        if waits:
            minutes = math.ceil(max(waits) / 60)
            page = render_template("login.html", error=translate("login_throttled").format(minutes=minutes))
            return page, 429, {"Retry-After": str(max(waits))}
        user = authenticate(get_session(), username, request.form.get("password", ""))
        if user is None:
            for name, key in keys.items():
                throttle(name).failed(key)
            error = translate("login_failed")
        else:
            session.clear()
            session["user_id"] = user.id
            session["epoch"] = user.session_epoch
            return redirect(safe_next(request.args.get("next"), landing_of(user.role)))
    return render_template("login.html", error=error), (401 if error else 200)


@pages.post("/logout")
def logout() -> Any:
    """Sign out: this session, and every other session of the user (a copied cookie included)."""
    user = current_user()
    if user is not None and "user_id" in session:
        end_sessions(get_session().merge(user))  # committed with the request
    session.clear()
    return redirect(url_for("pages.home"))
