"""Verifying and decrypting WeChat Pay API v3 notifications (回调通知), without the SDK's silent failures.

WeChat Pay signs a notification with its platform key: `Wechatpay-Signature` is base64 RSA-SHA256
(PKCS#1 v1.5) over "timestamp\\nnonce\\nbody\\n", `Wechatpay-Serial` names the key (the platform
public key's id, or the platform certificate's serial number) and `Wechatpay-Timestamp` must be
within five minutes of now. The notification's `resource` is AES-256-GCM encrypted with the
merchant's APIv3 key, with its `nonce` and `associated_data`. Every failure here raises
WebhookSignatureError, so that nothing of a forged, stale or wrongly encrypted body is recorded.
Docs: https://pay.weixin.qq.com/doc/v3/merchant/4012791861 (签名验证), 4012071382 (回调报文解密).
"""

from __future__ import annotations

import base64
import binascii
import json
import time
from collections.abc import Callable, Mapping
from typing import Any

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.hashes import SHA256

from payments.errors import WebhookSignatureError
from payments.providers.base import header

TOLERANCE_SECONDS = 300
SIGNATURE_TYPE = "WECHATPAY2-SHA256-RSA2048"


def verify_signature(
    payload: bytes,
    headers: Mapping[str, str],
    *,
    public_key: rsa.RSAPublicKey,
    key_id: str,
    now: Callable[[], float] = time.time,
    tolerance: int = TOLERANCE_SECONDS,
) -> None:
    """Refuse (WebhookSignatureError) a body whose Wechatpay-* headers do not prove it fresh and genuine."""
    signature = header(headers, "Wechatpay-Signature")
    timestamp = header(headers, "Wechatpay-Timestamp")
    nonce = header(headers, "Wechatpay-Nonce")
    serial = header(headers, "Wechatpay-Serial")
    if not (signature and timestamp and nonce and serial):
        raise WebhookSignatureError(
            "WeChat Pay notification without Wechatpay-Signature/-Timestamp/-Nonce/-Serial"
        )
    kind = header(headers, "Wechatpay-Signature-Type")
    if kind and kind != SIGNATURE_TYPE:
        raise WebhookSignatureError(f"WeChat Pay signature type {kind!r} is not {SIGNATURE_TYPE}")
    if serial.strip().upper() != key_id.strip().upper():
        # A rotated platform key: the operator configures the new one (README, WeChat Pay).
        raise WebhookSignatureError(
            f"WeChat Pay notification signed by key {serial!r}, not the configured one"
        )
    try:
        signed_at = int(timestamp)
    except ValueError:
        raise WebhookSignatureError("Wechatpay-Timestamp is not a number") from None
    if abs(now() - signed_at) > tolerance:
        raise WebhookSignatureError(
            f"WeChat Pay notification signed {int(now() - signed_at)} s away from now"
        )
    try:
        raw_signature = base64.b64decode(signature, validate=True)
    except (binascii.Error, ValueError):
        raise WebhookSignatureError("Wechatpay-Signature is not base64") from None
    message = f"{timestamp}\n{nonce}\n".encode() + payload + b"\n"
    try:
        public_key.verify(raw_signature, message, padding.PKCS1v15(), SHA256())
    except InvalidSignature:
        raise WebhookSignatureError("WeChat Pay notification signature does not match") from None


def decrypt_resource(resource: Mapping[str, Any], apiv3_key: bytes) -> dict[str, Any]:
    """Decrypt a notification's AEAD_AES_256_GCM resource with the APIv3 key into its JSON object."""
    if resource.get("algorithm") != "AEAD_AES_256_GCM":
        raise WebhookSignatureError(f"WeChat Pay resource algorithm {resource.get('algorithm')!r} is unknown")
    try:
        plain = AESGCM(apiv3_key).decrypt(
            str(resource["nonce"]).encode(),
            base64.b64decode(str(resource["ciphertext"])),
            str(resource.get("associated_data") or "").encode(),
        )
        decoded = json.loads(plain)
    except (KeyError, ValueError, binascii.Error, InvalidTag) as exc:
        raise WebhookSignatureError(
            f"WeChat Pay resource does not decrypt with the APIv3 key ({exc!r})"
        ) from None
    if not isinstance(decoded, dict):
        raise WebhookSignatureError("WeChat Pay resource is not a JSON object")
    return decoded


def open_notification(
    payload: bytes,
    headers: Mapping[str, str],
    *,
    public_key: rsa.RSAPublicKey,
    key_id: str,
    apiv3_key: bytes,
    now: Callable[[], float] = time.time,
) -> dict[str, Any]:
    """Verify a notification and return it with its resource decrypted in place."""
    verify_signature(payload, headers, public_key=public_key, key_id=key_id, now=now)
    try:
        body = json.loads(payload)
    except ValueError:
        raise WebhookSignatureError("WeChat Pay notification is not JSON") from None
    if not isinstance(body, dict) or not isinstance(body.get("resource"), dict):
        raise WebhookSignatureError("WeChat Pay notification carries no resource")
    return {**body, "resource": decrypt_resource(body["resource"], apiv3_key)}
