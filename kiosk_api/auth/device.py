"""Kiosk device authentication: RFC 9421 HTTP Message Signatures with HMAC-SHA256.

Verification uses `http-message-signatures`, the library under the protocol's example client
`requests-http-signature`. Time limits follow KIOSK_PROTOCOL.md and the injectable clock:
`created` at most 300 s in the past or 60 s in the future. Replay (a nonce seen twice for one
key within that window) is the caller's to check, against storage shared by all app servers
(`kiosk_api.kiosks.nonces`): a signature can be accepted for at most 360 s (from 60 s before its
`created` to 300 s after), so a nonce must be remembered that long; stores keep it `REPLAY_WINDOW`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from http_message_signatures import (
    HTTPMessageVerifier,
    HTTPSignatureKeyResolver,
    InvalidSignature,
    algorithms,
)

from core.clock import Clock
from core.errors import DomainError, Unauthenticated

MAX_AGE = timedelta(seconds=300)
MAX_FUTURE = timedelta(seconds=60)
REQUIRED_COMPONENTS = ("@method", "@authority", "@target-uri")
# How long a used nonce is remembered: the 360 s a signature can be accepted, and a minute for the
# clocks of app servers to disagree.
REPLAY_WINDOW = MAX_AGE + MAX_FUTURE + timedelta(minutes=1)


class DeviceAuthError(Unauthenticated):
    """A device request whose signature cannot be accepted."""

    code = "bad_signature"


class ReplayCheckUnavailable(DomainError):
    """The nonce store could not be asked whether a nonce was used: refuse (503), never accept."""

    code = "replay_check_unavailable"


@dataclass(frozen=True)
class VerifiedDevice:
    key_id: str
    nonce: str
    created: datetime


@dataclass(frozen=True)
class _Message:
    """The request as the verifier reads it: method, absolute URL and header lines."""

    method: str
    url: str
    headers: list[tuple[str, str]]


class _Headers:
    def __init__(self, lines: Iterable[tuple[str, str]]) -> None:
        self._lines = list(lines)

    def items(self) -> list[tuple[str, str]]:
        return self._lines

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(name for name, _ in self._lines)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and any(n.lower() == name.lower() for n, _ in self._lines)


class _Resolver(HTTPSignatureKeyResolver):
    def __init__(self, secret_for: Callable[[str], bytes | None]) -> None:
        self.secret_for = secret_for
        self.unknown: str | None = None

    def resolve_public_key(self, key_id: str) -> bytes | None:
        secret = self.secret_for(key_id)
        if secret is None:
            self.unknown = key_id
        return secret

    def resolve_private_key(self, key_id: str) -> bytes:
        raise NotImplementedError("the server never signs as a device")


class _ClockedVerifier(HTTPMessageVerifier):
    """The library's verifier, with the protocol's time window read from our clock."""

    max_clock_skew = timedelta(0)

    def __init__(self, clock: Clock, resolver: _Resolver) -> None:
        super().__init__(signature_algorithm=algorithms.HMAC_SHA256, key_resolver=resolver)
        self.clock = clock

    def validate_created_and_expires(self, sig_input: Any, max_age: Any = None) -> None:
        params = sig_input.params
        for name in ("created", "keyid", "nonce", "alg"):
            if name not in params:
                raise DeviceAuthError(f'the signature lacks its "{name}" parameter', code="bad_signature")
        if type(params["created"]) is not int:
            raise DeviceAuthError('"created" must be an integer', code="bad_signature")
        created = datetime.fromtimestamp(params["created"], tz=UTC)
        now = self.clock.now()
        if created > now + MAX_FUTURE:
            raise DeviceAuthError("the signature is created in the future", code="signature_future")
        if created < now - MAX_AGE:
            raise DeviceAuthError("the signature is stale", code="signature_stale")
        expires = params.get("expires")
        if expires is not None and (type(expires) is not int or datetime.fromtimestamp(expires, UTC) < now):
            raise DeviceAuthError("the signature has expired", code="signature_stale")


def verify_device_request(
    *,
    method: str,
    url: str,
    headers: Iterable[tuple[str, str]],
    body: bytes,
    clock: Clock,
    secret_for: Callable[[str], bytes | None],
) -> VerifiedDevice:
    """Verify a device request's signature and digest; return its key id, nonce and created time."""
    header_lines = list(headers)
    names = {name.lower() for name, _ in header_lines}
    if "signature" not in names or "signature-input" not in names:
        raise DeviceAuthError(
            "sign the request (RFC 9421: Signature and Signature-Input)", code="signature_missing"
        )
    resolver = _Resolver(secret_for)
    verifier = _ClockedVerifier(clock, resolver)
    message = _Message(method=method.upper(), url=url, headers=_Headers(header_lines))  # type: ignore[arg-type]
    try:
        (result,) = verifier.verify(message, max_age=None, require_components=REQUIRED_COMPONENTS, body=body)
    except DeviceAuthError:
        raise
    except InvalidSignature as exc:
        if resolver.unknown is not None:
            raise DeviceAuthError("unknown or revoked key id", code="unknown_key") from exc
        raise DeviceAuthError(f"the signature does not verify: {exc}", code="bad_signature") from exc
    except Exception as exc:  # malformed structured fields and the like: still the client's fault
        raise DeviceAuthError(f"malformed signature: {exc}", code="bad_signature") from exc
    params = result.parameters
    if params.get("alg") != "hmac-sha256":
        raise DeviceAuthError('alg must be "hmac-sha256"', code="bad_signature")
    return VerifiedDevice(
        key_id=str(params["keyid"]),
        nonce=str(params["nonce"]),
        created=datetime.fromtimestamp(int(params["created"]), tz=UTC),
    )
