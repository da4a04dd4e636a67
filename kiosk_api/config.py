"""Configuration from the environment, with the embedded defaults of `make run`."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

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
        "SECRET_KEY": env.get("SECRET_KEY") or _embedded_secret_key(var_dir),
        "SECRET_KEY_FROM_ENV": bool(env.get("SECRET_KEY")),
        "PUBLIC_BASE_URL": env.get("PUBLIC_BASE_URL", "http://127.0.0.1:5000").rstrip("/"),
        "PAYMENT_PROVIDER": env.get("PAYMENT_PROVIDER", "simulated"),
        "STRIPE_SECRET_KEY": env.get("STRIPE_SECRET_KEY", ""),
        "STRIPE_PUBLISHABLE_KEY": env.get("STRIPE_PUBLISHABLE_KEY", ""),
        "STRIPE_WEBHOOK_SECRET": env.get("STRIPE_WEBHOOK_SECRET", ""),
        "STRIPE_API_BASE": env.get("STRIPE_API_BASE", ""),
        "KIOSK_HOLD_SECONDS": int(env.get("KIOSK_HOLD_SECONDS", "180")),
        "OPEN_DOOR_HOLD_FEN": int(env.get("OPEN_DOOR_HOLD_FEN", "20000")),
        # How long an app server trusts a device key it looked up: a key revoked or rotated by
        # another process (`dongxi kiosks revoke`) stops working within this many seconds.
        "DEVICE_KEY_TTL_SECONDS": int(env.get("DEVICE_KEY_TTL_SECONDS", "10")),
        # Where device signature nonces are kept (the replay check): Redis when set, else the
        # database's nonce table (the embedded default needs no Redis).
        "REDIS_URL": env.get("REDIS_URL", ""),
        # Where the JSON line of each request goes (kiosk_api/observability/request_log.py): `-` for
        # stderr, a file's path, or `off`.
        "REQUEST_LOG": env.get("DONGXI_REQUEST_LOG", "-"),
    }


def problems(config: dict[str, Any]) -> list[str]:
    """Return what is wrong or unsafe in a configuration, for `dongxi check-config`."""
    found: list[str] = []
    if not config.get("SECRET_KEY_FROM_ENV"):
        found.append("SECRET_KEY is not set: using the embedded default key from var/ (fine for a demo only)")
    if config["PAYMENT_PROVIDER"] not in ("simulated", "stripe"):
        found.append(f"PAYMENT_PROVIDER must be simulated or stripe, not {config['PAYMENT_PROVIDER']!r}")
    if config["PAYMENT_PROVIDER"] == "stripe":
        for key in ("STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET"):
            if not config.get(key):
                found.append(f"{key} is required with PAYMENT_PROVIDER=stripe")
    if not config["DATABASE_URL"].startswith(("sqlite", "postgresql")):
        found.append("DATABASE_URL must be sqlite:///… or postgresql+psycopg://…")
    return found
