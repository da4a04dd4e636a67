"""The Alipay settings: read from the environment, checked by `dongxi check-config`, and the provider
built from them (PAYMENT_PROVIDER=alipay).

- ALIPAY_APP_ID: the app's id (应用 APPID) in the Alipay open platform.
- ALIPAY_APP_PRIVATE_KEY_PATH: the app's RSA2 private key (PEM, or the bare base64 the key tool gives).
- ALIPAY_PUBLIC_KEY_PATH: Alipay's public key (支付宝公钥) shown for the app, PEM or bare base64.
- ALIPAY_GATEWAY_URL: the OpenAPI gateway; https://openapi.alipay.com/gateway.do by default.
- ALIPAY_NOTIFY_URL: where Alipay posts notifications; by default PUBLIC_BASE_URL +
  /api/v1/payments/alipay/notify.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from payments.providers.base import PaymentProvider

NOTIFY_PATH = "/api/v1/payments/alipay/notify"
KEY_SETTINGS = ("ALIPAY_APP_PRIVATE_KEY_PATH", "ALIPAY_PUBLIC_KEY_PATH")


def from_environment(env: Mapping[str, str]) -> dict[str, str]:
    """The ALIPAY_* settings, empty where unset."""
    return {
        key: env.get(key, "").strip()
        for key in ("ALIPAY_APP_ID", *KEY_SETTINGS, "ALIPAY_GATEWAY_URL", "ALIPAY_NOTIFY_URL")
    }


def notify_url(config: Mapping[str, Any]) -> str:
    """ALIPAY_NOTIFY_URL, else this server's notification endpoint under PUBLIC_BASE_URL."""
    base = str(config.get("PUBLIC_BASE_URL") or "http://127.0.0.1:5000").rstrip("/")
    return str(config.get("ALIPAY_NOTIFY_URL") or f"{base}{NOTIFY_PATH}")


def problems(config: Mapping[str, Any], *, production: bool = False) -> list[str]:
    """What stops PAYMENT_PROVIDER=alipay from working, one line each."""
    found: list[str] = []
    if not config.get("ALIPAY_APP_ID"):
        found.append("ALIPAY_APP_ID is required with PAYMENT_PROVIDER=alipay")
    for key in KEY_SETTINGS:
        path = config.get(key)
        if not path:
            found.append(f"{key} is required with PAYMENT_PROVIDER=alipay")
        elif not Path(path).is_file():
            found.append(f"{key} is {path!r}, which is not a readable file")
        else:
            try:
                _load_key(str(path), private=key == "ALIPAY_APP_PRIVATE_KEY_PATH")
            except ValueError as exc:
                found.append(f"{key}: {exc}")
    if production:
        gateway = str(config.get("ALIPAY_GATEWAY_URL") or "")
        if gateway and not gateway.startswith("https://"):
            found.append(f"ALIPAY_GATEWAY_URL is {gateway!r}: production talks to Alipay over https://")
        if not notify_url(config).startswith("https://"):
            found.append(
                "ALIPAY_NOTIFY_URL must be https:// in production (Alipay posts notifications there)"
            )
    return found


def _load_key(path: str, *, private: bool) -> str:
    """The text of a key file, refused (ValueError) when the RSA key in it does not load."""
    from Cryptodome.PublicKey import RSA

    from payments.providers.alipay import pem

    text = Path(path).read_text(encoding="utf-8").strip()
    try:
        key = RSA.import_key(pem(text, "RSA PRIVATE KEY" if private else "PUBLIC KEY"))
    except (ValueError, IndexError, TypeError) as exc:
        raise ValueError(f"{path} holds no RSA {'private' if private else 'public'} key") from exc
    if private and not key.has_private():
        raise ValueError(f"{path} holds a public key where the app's private key belongs")
    return text


def make_alipay_provider(config: Mapping[str, Any]) -> PaymentProvider:
    """The AlipayProvider of a configuration; ValueError when it is incomplete."""
    found = problems(config)
    if found:
        raise ValueError("PAYMENT_PROVIDER=alipay: " + "; ".join(found))
    from payments.providers.alipay import AlipayProvider

    return AlipayProvider(
        app_id=str(config["ALIPAY_APP_ID"]),
        app_private_key=_load_key(str(config["ALIPAY_APP_PRIVATE_KEY_PATH"]), private=True),
        alipay_public_key=_load_key(str(config["ALIPAY_PUBLIC_KEY_PATH"]), private=False),
        notify_url=notify_url(config),
        gateway_url=config.get("ALIPAY_GATEWAY_URL") or None,
    )
