"""The WeChat Pay settings: read from the configuration (kiosk_api/config.py fills it from the environment),
checked by `dongxi check-config`, and turned into a WeChatPayProvider.

Variables (README, WeChat Pay): WECHATPAY_MCHID, WECHATPAY_APPID, WECHATPAY_PRIVATE_KEY_PATH
(apiclient_key.pem), WECHATPAY_CERT_SERIAL_NO, WECHATPAY_APIV3_KEY or WECHATPAY_APIV3_KEY_FILE,
WECHATPAY_PUBLIC_KEY_PATH and WECHATPAY_PUBLIC_KEY_ID (the platform public key and its id, or a
platform certificate and its serial number), WECHATPAY_NOTIFY_URL (default: the webhook under
PUBLIC_BASE_URL) and WECHATPAY_API_BASE (only to point at a fake in tests).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.serialization import load_pem_private_key

REQUIRED = (
    "WECHATPAY_MCHID",
    "WECHATPAY_APPID",
    "WECHATPAY_PRIVATE_KEY_PATH",
    "WECHATPAY_CERT_SERIAL_NO",
    "WECHATPAY_PUBLIC_KEY_PATH",
    "WECHATPAY_PUBLIC_KEY_ID",
)
ENV_NAMES = (
    *REQUIRED,
    "WECHATPAY_APIV3_KEY",
    "WECHATPAY_APIV3_KEY_FILE",
    "WECHATPAY_NOTIFY_URL",
    "WECHATPAY_API_BASE",
)
WEBHOOK_PATH = "/api/v1/payments/wechatpay/webhook"


def from_environment(env: Mapping[str, str]) -> dict[str, str]:
    """The WECHATPAY_* settings of an environment, as strings ("" when unset)."""
    return {name: env.get(name, "").strip() for name in ENV_NAMES}


def notify_url(config: Mapping[str, Any]) -> str:
    """Where WeChat Pay sends notifications: WECHATPAY_NOTIFY_URL, else our webhook under PUBLIC_BASE_URL."""
    return str(config.get("WECHATPAY_NOTIFY_URL") or f"{config.get('PUBLIC_BASE_URL', '')}{WEBHOOK_PATH}")


def _read(path: str, what: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise ValueError(f"{what} cannot be read ({path}): {exc.strerror}") from None


def apiv3_key(config: Mapping[str, Any]) -> str:
    """The APIv3 key, from WECHATPAY_APIV3_KEY or the file WECHATPAY_APIV3_KEY_FILE (ValueError if bad)."""
    key = str(config.get("WECHATPAY_APIV3_KEY") or "")
    if not key and config.get("WECHATPAY_APIV3_KEY_FILE"):
        key = _read(str(config["WECHATPAY_APIV3_KEY_FILE"]), "WECHATPAY_APIV3_KEY_FILE").decode().strip()
    if not key:
        raise ValueError(
            "WECHATPAY_APIV3_KEY or WECHATPAY_APIV3_KEY_FILE is required with PAYMENT_PROVIDER=wechatpay"
        )
    if len(key.encode()) != 32:
        raise ValueError(f"the WeChat Pay APIv3 key is {len(key.encode())} bytes: it must be 32")
    return key


def problems(config: Mapping[str, Any], *, production: bool = False) -> list[str]:
    """What is wrong in the WeChat Pay settings, one line each (nothing is sent to WeChat)."""
    from payments.providers.wechatpay import load_platform_key

    found = [
        f"{name} is required with PAYMENT_PROVIDER=wechatpay" for name in REQUIRED if not config.get(name)
    ]
    try:
        apiv3_key(config)
    except ValueError as exc:
        found.append(str(exc))
    for name, load, kind in (
        (
            "WECHATPAY_PRIVATE_KEY_PATH",
            lambda pem: load_pem_private_key(pem, None),
            "private key without a password",
        ),
        ("WECHATPAY_PUBLIC_KEY_PATH", load_platform_key, "public key or certificate"),
    ):
        if not config.get(name):
            continue
        try:
            load(_read(str(config[name]), name))
        except ValueError as exc:
            found.append(str(exc) if "cannot be read" in str(exc) else f"{name} is not a PEM {kind}: {exc}")
    if production and not notify_url(config).startswith("https://"):
        found.append(f"WECHATPAY_NOTIFY_URL is {notify_url(config)!r}: WeChat Pay notifies https:// only")
    if production and config.get("WECHATPAY_API_BASE"):
        found.append("WECHATPAY_API_BASE is set: production talks to WeChat Pay itself (unset it)")
    return found


def make_wechatpay_provider(config: Mapping[str, Any]) -> Any:
    """Build the WeChatPayProvider the settings describe; ValueError with every problem otherwise."""
    found = problems(config)
    if found:
        raise ValueError("; ".join(found))
    from payments.providers.wechatpay import WeChatPayProvider

    return WeChatPayProvider(
        mchid=str(config["WECHATPAY_MCHID"]),
        appid=str(config["WECHATPAY_APPID"]),
        private_key_pem=_read(
            str(config["WECHATPAY_PRIVATE_KEY_PATH"]), "WECHATPAY_PRIVATE_KEY_PATH"
        ).decode(),
        cert_serial_no=str(config["WECHATPAY_CERT_SERIAL_NO"]),
        apiv3_key=apiv3_key(config),
        platform_key_pem=_read(str(config["WECHATPAY_PUBLIC_KEY_PATH"]), "WECHATPAY_PUBLIC_KEY_PATH"),
        platform_key_id=str(config["WECHATPAY_PUBLIC_KEY_ID"]),
        notify_url=notify_url(config),
        api_base=str(config.get("WECHATPAY_API_BASE") or "") or None,
    )
