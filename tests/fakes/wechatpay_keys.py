"""Keys, signatures and encrypted notifications of the fake WeChat Pay (tests/fakes/wechatpay_fake.py),
written with `cryptography` as WeChat Pay documents them, not taken from the code under test."""

from __future__ import annotations

import base64
import json
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.hashes import SHA256


def _pem_private(key: rsa.RSAPrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def _pem_public(key: rsa.RSAPublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


@dataclass(frozen=True)
class FakeKeys:
    """The merchant's and the platform's keys, generated for one test session."""

    mchid: str
    appid: str
    merchant_key: rsa.RSAPrivateKey
    merchant_serial: str
    platform_key: rsa.RSAPrivateKey
    platform_key_id: str
    apiv3_key: str

    @property
    def merchant_private_pem(self) -> str:
        return _pem_private(self.merchant_key)

    @property
    def platform_public_pem(self) -> bytes:
        return _pem_public(self.platform_key.public_key())


def generate_keys() -> FakeKeys:
    """Fresh RSA-2048 keys for the merchant and the platform, and a random 32-character APIv3 key."""
    return FakeKeys(
        mchid="1900000109",
        appid="wxd678efh567hg6787",
        merchant_key=rsa.generate_private_key(public_exponent=65537, key_size=2048),
        merchant_serial=secrets.token_hex(20).upper(),
        platform_key=rsa.generate_private_key(public_exponent=65537, key_size=2048),
        platform_key_id=f"PUB_KEY_ID_{secrets.token_hex(16).upper()}",
        apiv3_key=secrets.token_hex(16),
    )


def rsa_sign(key: rsa.RSAPrivateKey, message: str | bytes) -> str:
    """Base64 RSA-SHA256 PKCS#1 v1.5, as WeChat Pay signs."""
    data = message.encode() if isinstance(message, str) else message
    return base64.b64encode(key.sign(data, padding.PKCS1v15(), SHA256())).decode()


def encrypt_resource(apiv3_key: str, plain: dict[str, Any], associated_data: str) -> dict[str, str]:
    """A notification's `resource`: AEAD_AES_256_GCM with the APIv3 key, as documented."""
    nonce = secrets.token_hex(6)  # WeChat's nonces are 12 characters
    sealed = AESGCM(apiv3_key.encode()).encrypt(
        nonce.encode(), json.dumps(plain, ensure_ascii=False).encode(), associated_data.encode()
    )
    return {
        "original_type": associated_data,
        "algorithm": "AEAD_AES_256_GCM",
        "ciphertext": base64.b64encode(sealed).decode(),
        "associated_data": associated_data,
        "nonce": nonce,
    }


@dataclass(frozen=True)
class Notification:
    """A notification as WeChat Pay POSTs it: the body and its signed headers."""

    event_id: str
    body: bytes
    headers: dict[str, str]
    platform_key: rsa.RSAPrivateKey = field(repr=False)
    key_id: str

    def resigned(self, *, at: int | None = None) -> Notification:
        """The same body signed again, as a later retry of WeChat carries a new timestamp and nonce."""
        return Notification(
            self.event_id,
            self.body,
            signed_headers(self.platform_key, self.key_id, self.body, at=at),
            self.platform_key,
            self.key_id,
        )


def signed_headers(
    key: rsa.RSAPrivateKey, key_id: str, body: bytes, *, at: int | None = None
) -> dict[str, str]:
    """The Wechatpay-* headers of a body signed with the platform key at a time (default now)."""
    timestamp, nonce = str(int(time.time()) if at is None else at), secrets.token_hex(16)
    return {
        "Content-Type": "application/json",
        "Wechatpay-Timestamp": timestamp,
        "Wechatpay-Nonce": nonce,
        "Wechatpay-Serial": key_id,
        "Wechatpay-Signature-Type": "WECHATPAY2-SHA256-RSA2048",
        "Wechatpay-Signature": rsa_sign(key, f"{timestamp}\n{nonce}\n".encode() + body + b"\n"),
    }
