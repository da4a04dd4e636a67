"""Configuration from the environment, with the embedded defaults of `make run`."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

from payments.providers import alipay_config, wechatpay_config

DEFAULT_VAR_DIR = Path.cwd() / "var"


def _embedded_secret_key(var_dir: Path) -> str:
    # The embedded default keeps a random key on disk so that logins survive a restart;
    # production sets SECRET_KEY (check-config says so).
    var_dir.mkdir(parents=True, exist_ok=True)
    path = var_dir / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


def from_environment(env: dict[str, str] | None = None) -> dict[str, Any]:
    """Read the settings of KIOSK_PROTOCOL.md and DESIGN.md from the environment."""
    env = dict(os.environ if env is None else env)
    var_dir = Path(env.get("DONGXI_VAR_DIR", DEFAULT_VAR_DIR))
    return {
        "VAR_DIR": str(var_dir),
        "DATABASE_URL": env.get("DATABASE_URL", f"sqlite:///{var_dir / 'dongxi.db'}"),
        # Where pictures uploaded in the console are kept (served at /media/, kiosk_api/media.py).
        "MEDIA_DIR": env.get("DONGXI_MEDIA_DIR", str(var_dir / "media")),
        "SECRET_KEY": env.get("SECRET_KEY") or _embedded_secret_key(var_dir),
        "SECRET_KEY_FROM_ENV": bool(env.get("SECRET_KEY")),
        "PUBLIC_BASE_URL": env.get("PUBLIC_BASE_URL", "http://127.0.0.1:5000").rstrip("/"),
        "PAYMENT_PROVIDER": env.get("PAYMENT_PROVIDER", "simulated"),
        "STRIPE_SECRET_KEY": env.get("STRIPE_SECRET_KEY", ""),
        "STRIPE_PUBLISHABLE_KEY": env.get("STRIPE_PUBLISHABLE_KEY", ""),
        "STRIPE_WEBHOOK_SECRET": env.get("STRIPE_WEBHOOK_SECRET", ""),
        "STRIPE_API_BASE": env.get("STRIPE_API_BASE", ""),
        # WECHATPAY_MCHID, _APPID, _PRIVATE_KEY_PATH, _CERT_SERIAL_NO, _APIV3_KEY(_FILE), _PUBLIC_KEY_PATH,
        # _PUBLIC_KEY_ID, _NOTIFY_URL, _API_BASE (payments/providers/wechatpay_config.py, README).
        **wechatpay_config.from_environment(env),
        # ALIPAY_APP_ID, _APP_PRIVATE_KEY_PATH, ALIPAY_PUBLIC_KEY_PATH, ALIPAY_GATEWAY_URL,
        # ALIPAY_NOTIFY_URL (payments/providers/alipay_config.py, README).
        **alipay_config.from_environment(env),
        "KIOSK_HOLD_SECONDS": int(env.get("KIOSK_HOLD_SECONDS", "180")),
        "OPEN_DOOR_HOLD_FEN": int(env.get("OPEN_DOOR_HOLD_FEN", "20000")),
        # Days until a kiosk's next restock visit: goods expired by then are pulled now, none brought.
        "RESTOCK_VISIT_DAYS": int(env.get("RESTOCK_VISIT_DAYS", "3")),
        # How long an app server trusts a device key it looked up: a key revoked or rotated by
        # another process (`dongxi kiosks revoke`) stops working within this many seconds.
        "DEVICE_KEY_TTL_SECONDS": int(env.get("DEVICE_KEY_TTL_SECONDS", "10")),
        # Where device signature nonces are kept (the replay check): Redis when set, else the
        # database's nonce table (the embedded default needs no Redis).
        "REDIS_URL": env.get("REDIS_URL", ""),
        # Rate limits (kiosk_api/limits.py, README: Limits), as flask-limiter reads them ("600/minute",
        # "10/second;600/minute"). Far above what a working kiosk or shopper sends.
        "RATELIMIT_DEVICE": env.get("RATELIMIT_DEVICE", "600/minute"),  # per kiosk, all device endpoints
        "RATELIMIT_PAY": env.get("RATELIMIT_PAY", "120/minute"),  # per address: pay page, button, simulate
        "RATELIMIT_PAY_LINK": env.get("RATELIMIT_PAY_LINK", "30/minute"),  # per pay link: the same
        "RATELIMIT_ORDERS": env.get("RATELIMIT_ORDERS", "30/minute"),  # per address: placing shop orders
        # Failed sign-ins: while over, every sign-in of that username (or from that address) is refused.
        "RATELIMIT_LOGIN_USER": env.get("RATELIMIT_LOGIN_USER", "5/15 minutes"),
        "RATELIMIT_LOGIN_ADDRESS": env.get("RATELIMIT_LOGIN_ADDRESS", "30/15 minutes"),
        # Where the counts live: this, else REDIS_URL, else the process's memory (the embedded default).
        "RATELIMIT_STORAGE_URI": env.get("RATELIMIT_STORAGE_URI", ""),
        # Behind a TLS-terminating proxy: how many proxies' X-Forwarded-* headers to believe.
        "DONGXI_PROXY_FIX": int(env.get("DONGXI_PROXY_FIX", "0") or 0),
        # `production` (set by `dongxi serve --production`) refuses what only a demo may use: the
        # simulated provider's pay endpoints, and (check-config) SQLite, default keys, plain http.
        "DONGXI_ENV": env.get("DONGXI_ENV", "development").strip().lower() or "development",
        # Where the JSON line of each request goes (kiosk_api/observability/request_log.py): `-` for
        # stderr, a file's path, or `off`.
        "REQUEST_LOG": env.get("DONGXI_REQUEST_LOG", "-"),
        # The first month whose statements may be issued (YYYY-MM); by default the first sale's.
        "STATEMENTS_START": env.get("STATEMENTS_START", "").strip(),
    }


ENVIRONMENTS = ("development", "production")
# Keys that appear in examples and benchmarks: a server signing sessions with one of them can be
# forged by anyone who has read the example.
_PLACEHOLDER_KEYS = ("change-me", "changeme", "secret", "dev", "development", "test", "example")
MIN_SECRET_KEY_LENGTH = 32


def _is_period(value: str) -> bool:
    from sales.statements.compute import PERIOD

    return bool(PERIOD.match(value))


def is_production(config: dict[str, Any]) -> bool:
    """Whether the server runs in production mode (DONGXI_ENV=production)."""
    return config.get("DONGXI_ENV") == "production"


def problems(config: dict[str, Any], *, production: bool = False) -> list[str]:
    """What is wrong in a configuration, one line each; `production` adds what only a demo may use.

    Every line is a reason to refuse to start; `warnings` lists what only a demo should rely on."""
    found: list[str] = []
    if config.get("DONGXI_ENV", "development") not in ENVIRONMENTS:
        found.append(f"DONGXI_ENV must be development or production, not {config['DONGXI_ENV']!r}")
    if config["PAYMENT_PROVIDER"] not in ("simulated", "stripe", "wechatpay", "alipay"):
        found.append(
            "PAYMENT_PROVIDER must be simulated, stripe, wechatpay or alipay,"
            f" not {config['PAYMENT_PROVIDER']!r}"
        )
    if config["PAYMENT_PROVIDER"] == "stripe":
        for key in ("STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET"):
            if not config.get(key):
                found.append(f"{key} is required with PAYMENT_PROVIDER=stripe")
    if config["PAYMENT_PROVIDER"] == "wechatpay":
        found.extend(wechatpay_config.problems(config, production=production))
    if config["PAYMENT_PROVIDER"] == "alipay":
        found.extend(alipay_config.problems(config, production=production))
    if config.get("STATEMENTS_START") and not _is_period(config["STATEMENTS_START"]):
        found.append(
            "STATEMENTS_START must be a month YYYY-MM (2000-01 … 2099-12),"
            f" not {config['STATEMENTS_START']!r}"
        )
    if not config["DATABASE_URL"].startswith(("sqlite", "postgresql")):
        found.append("DATABASE_URL must be sqlite:///… or postgresql+psycopg://…")
    if production:
        found.extend(_production_problems(config))
    return found


def warnings(config: dict[str, Any]) -> list[str]:
    """What is fine for a demo on one machine and refused in production."""
    if config.get("SECRET_KEY_FROM_ENV"):
        return []
    return ["SECRET_KEY is not set: using the embedded default key from var/ (fine for a demo only)"]


def _production_problems(config: dict[str, Any]) -> list[str]:
    found: list[str] = []
    if config["DATABASE_URL"].startswith("sqlite"):
        found.append("DATABASE_URL is SQLite: production needs PostgreSQL (postgresql+psycopg://…)")
    if config["PAYMENT_PROVIDER"] == "simulated":
        found.append("PAYMENT_PROVIDER is simulated: no money moves; production needs a real provider")
    key = config.get("SECRET_KEY", "") if config.get("SECRET_KEY_FROM_ENV") else ""
    if not key:
        found.append(
            "SECRET_KEY is not set: production needs its own key (e.g. python -c 'import secrets; "
            "print(secrets.token_urlsafe(48))')"
        )
    elif _is_placeholder(key):
        found.append("SECRET_KEY is a default or example value: set a random key of its own")
    elif len(key) < MIN_SECRET_KEY_LENGTH:
        found.append(
            f"SECRET_KEY is {len(key)} characters: production needs at least {MIN_SECRET_KEY_LENGTH}"
        )
    if not config["PUBLIC_BASE_URL"].startswith("https://"):
        found.append(
            f"PUBLIC_BASE_URL is {config['PUBLIC_BASE_URL']!r}: production needs https:// (the links in "
            "kiosk QR codes and e-mails are opened on shoppers' phones)"
        )
    if not config.get("REDIS_URL"):
        found.append(
            "REDIS_URL is not set: production needs Redis for the rate limits and device nonces "
            "every app server shares"
        )
    return found


def _is_placeholder(key: str) -> bool:
    lowered = key.lower()
    return lowered in _PLACEHOLDER_KEYS or "not-for-production" in lowered or "change-me" in lowered
