"""The response headers every page and API answer carries: one setup, with flask-talisman.

- Content-Security-Policy: our own origin only, plus what Stripe's Payment Element needs on the
  shop's pay page; no inline script but the one carrying the request's nonce (`csp_nonce()`), no
  inline style, no plugin, and `frame-ancestors 'none'` (with X-Frame-Options: DENY for old
  browsers): no page of ours can be framed by another site.
- X-Content-Type-Options: nosniff; Referrer-Policy: strict-origin-when-cross-origin (a pay link's
  token never leaves in a Referer); Strict-Transport-Security on https answers.
- Cache-Control: no-store on every answer to a signed-in caller (session cookie or bearer token),
  so a shared computer's cache or a proxy keeps no console page, statement or order.
- Session cookies are Secure in production mode (always behind TLS there) and whenever the request
  came over https. Behind a TLS-terminating proxy set DONGXI_PROXY_FIX=<number of proxies> so that
  X-Forwarded-Proto/-For/-Host are believed (werkzeug's ProxyFix), and only then.
- No version banner: the servers say `Server: dongxi` (gunicorn_conf.py, cli.py's embedded server).

TLS itself is the proxy's job, so nothing here redirects http to https.
"""

from __future__ import annotations

from flask import Flask, Response, g, request
from flask.sessions import SecureCookieSessionInterface
from flask_talisman import Talisman
from werkzeug.middleware.proxy_fix import ProxyFix

from kiosk_api.config import is_production

SERVER_NAME_HEADER = "dongxi"

STRIPE_JS = "https://js.stripe.com"
CONTENT_SECURITY_POLICY = {
    "default-src": "'self'",
    "script-src": ["'self'", STRIPE_JS],
    "style-src": "'self'",
    # Product pictures may live on a CDN (https only); QR codes are data: URIs.
    "img-src": ["'self'", "data:", "https:"],
    "connect-src": ["'self'", "https://api.stripe.com"],
    "frame-src": [STRIPE_JS, "https://hooks.stripe.com"],
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}

talisman = Talisman()


def init_app(app: Flask) -> None:
    proxies = int(app.config.get("DONGXI_PROXY_FIX") or 0)
    if proxies:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)  # type: ignore[method-assign]
    talisman.init_app(
        app,
        force_https=False,
        frame_options="DENY",
        content_security_policy=CONTENT_SECURITY_POLICY,
        content_security_policy_nonce_in=["script-src"],
        referrer_policy="strict-origin-when-cross-origin",
        session_cookie_secure=is_production(app.config),
        session_cookie_http_only=True,
        session_cookie_samesite="Lax",
    )
    app.session_interface = _SessionCookies()
    app.after_request(_no_store_for_signed_in)


class _SessionCookies(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, the cookie Secure when production says so or the request
    came over https (through a proxy: DONGXI_PROXY_FIX)."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"]) or request.is_secure


def _no_store_for_signed_in(response: Response) -> Response:
    # current_user() ran in before_request and left its answer in g; a request refused before
    # that (a bad token) carries no page to keep either.
    if g.get("current_user") is not None:
        response.headers["Cache-Control"] = "no-store"
    return response
