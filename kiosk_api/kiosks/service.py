"""Provisioning, rotating and revoking device keys; replay checks; heartbeats; kiosk alerts."""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import case, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from core.clock import Clock, local_minute
from core.db import Database
from core.errors import Conflict, NotFound
from devices.models import DeviceNonce, KioskDevice
from inventory.alerts import Alert
from inventory.models import Location
from kiosk_api.auth.device import REPLAY_WINDOW, DeviceAuthError

OFFLINE_AFTER = timedelta(minutes=5)
DOOR_OPEN_ALERT_AFTER = timedelta(minutes=3)


def _new_secret() -> str:
    """A device secret; never one that begins with "-", which a command line would take for an option."""
    while (secret := secrets.token_urlsafe(32)).startswith("-"):
        pass
    return secret


def _fernet(secret_key: str) -> Fernet:
    # The device secrets are encrypted with a key derived from SECRET_KEY: the server needs the
    # secret itself to verify HMAC, so a hash would not do.
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"dongxi-kiosk-device-keys", info=b"v1").derive(
        secret_key.encode()
    )
    return Fernet(base64.urlsafe_b64encode(key))


def _kiosk(session: Session, code: str) -> Location:
    kiosk = session.scalar(select(Location).where(Location.code == code))
    if kiosk is None or kiosk.kind != "kiosk":
        raise NotFound(f"no kiosk {code}", code="kiosk_not_found")
    return kiosk


def provision(session: Session, clock: Clock, code: str, *, secret_key: str) -> dict[str, str]:
    """Create the device key of a kiosk and return key id and secret (shown this once)."""
    kiosk = _kiosk(session, code)
    if session.scalar(select(KioskDevice).where(KioskDevice.location_id == kiosk.id)) is not None:
        raise Conflict(
            f"kiosk {code} is already provisioned; rotate its key instead", code="already_provisioned"
        )
    secret = _new_secret()
    key_id = f"kiosk-{code}-{secrets.token_hex(4)}"
    session.add(
        KioskDevice(
            location_id=kiosk.id,
            key_id=key_id,
            created_at=clock.now(),
            secret_encrypted=_fernet(secret_key).encrypt(secret.encode()).decode(),
        )
    )
    return {"key_id": key_id, "secret": secret}


def rotate(session: Session, clock: Clock, code: str, *, secret_key: str) -> dict[str, str]:
    """Replace a kiosk's key (and re-enable it); the old key stops working at once."""
    device = device_of(session, code)
    secret = _new_secret()
    device.key_id = f"kiosk-{code}-{secrets.token_hex(4)}"
    device.secret_encrypted = _fernet(secret_key).encrypt(secret.encode()).decode()
    device.status = "active"
    device.rotated_at = clock.now()
    return {"key_id": device.key_id, "secret": secret}


def revoke(session: Session, code: str) -> None:
    """Disable a kiosk's key."""
    device_of(session, code).status = "revoked"


def device_of(session: Session, code: str) -> KioskDevice:
    """Return the device record of a kiosk."""
    kiosk = _kiosk(session, code)
    device = session.scalar(select(KioskDevice).where(KioskDevice.location_id == kiosk.id))
    if device is None:
        raise NotFound(f"kiosk {code} has no device key; provision it", code="kiosk_not_provisioned")
    return device


@dataclass(frozen=True)
class DeviceKey:
    """What a signed request needs to know of its kiosk: the HMAC secret and the cabinet's settings."""

    key_id: str
    secret: bytes
    device_id: int
    location_id: int
    code: str
    mode: str
    partner_code: str
    open_door_hold_fen: int | None  # the cabinet's own hold per visit, if set


def device_key(session: Session, key_id: str, *, secret_key: str) -> DeviceKey | None:
    """Return the active key with this id and its kiosk's settings (one query), or None."""
    row = session.execute(
        select(
            KioskDevice.id,
            KioskDevice.secret_encrypted,
            Location.id,
            Location.code,
            Location.mode,
            Location.partner_code,
            Location.open_door_hold_fen,
        )
        .join(Location, Location.id == KioskDevice.location_id)
        .where(KioskDevice.key_id == key_id, KioskDevice.status == "active", Location.active.is_(True))
    ).one_or_none()
    if row is None:
        return None
    try:
        secret = _fernet(secret_key).decrypt(row[1].encode())
    except InvalidToken:  # SECRET_KEY changed since the key was provisioned
        return None
    return DeviceKey(key_id, secret, row[0], row[2], row[3], row[4], row[5], row[6])


def secret_of(device: KioskDevice, *, secret_key: str) -> bytes | None:
    """Decrypt a device's HMAC secret (None if SECRET_KEY changed since it was provisioned)."""
    try:
        return _fernet(secret_key).decrypt(device.secret_encrypted.encode())
    except InvalidToken:
        return None


MAX_NONCE_LENGTH = 128


def _insert_nonce(session: Session, clock: Clock, key_id: str, nonce: str) -> bool:
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    stmt = (
        insert(DeviceNonce)
        .values(key_id=key_id, nonce=nonce, seen_at=clock.now())
        .on_conflict_do_nothing(index_elements=["key_id", "nonce"])
        .returning(DeviceNonce.id)
    )
    return session.execute(stmt).first() is not None


def check_nonce_length(nonce: str) -> None:
    """Refuse a nonce longer than any store keeps (the table's column)."""
    if len(nonce) > MAX_NONCE_LENGTH:
        raise DeviceAuthError(f"the nonce is longer than {MAX_NONCE_LENGTH} characters", code="bad_signature")


def use_nonce(session: Session, clock: Clock, key_id: str, nonce: str) -> None:
    """Record a nonce; refuse it if the key used it within the signature window (a replay).

    The unique key is the replay check, shared by every app server; one statement, no savepoint."""
    check_nonce_length(nonce)
    if not _insert_nonce(session, clock, key_id, nonce):
        raise DeviceAuthError("this signature nonce was already used", code="replayed")


def keep_nonce(db: Database, clock: Clock, key_id: str, nonce: str) -> None:
    """Record a nonce in a unit of work of its own: a request that failed still used it up."""
    with db.unit_of_work() as session:
        _insert_nonce(session, clock, key_id, nonce)


def prune_nonces(session: Session, clock: Clock, *, limit: int = 10_000) -> int:
    """Forget up to `limit` of the nonces older than any signature that could still be accepted
    (oldest first, by the seen_at index); return how many. A replay of one of them would fail the
    signature's age check anyway, so the table only needs the last few minutes. (With the nonces in
    Redis the table stays empty and there is nothing to prune: Redis expires each key itself.)"""
    cutoff = clock.now() - REPLAY_WINDOW
    oldest = (
        select(DeviceNonce.id).where(DeviceNonce.seen_at < cutoff).order_by(DeviceNonce.seen_at).limit(limit)
    )
    return session.execute(delete(DeviceNonce).where(DeviceNonce.id.in_(oldest))).rowcount or 0


def record_heartbeat(session: Session, clock: Clock, device_id: int, report: dict[str, Any]) -> None:
    """Store what a heartbeat reports and when; note when the door was first seen open (one UPDATE)."""
    now = clock.now()
    door = report.get("door")
    opened_at = (
        case((KioskDevice.door == "open", KioskDevice.door_opened_at), else_=now) if door == "open" else None
    )
    session.execute(
        update(KioskDevice)
        .where(KioskDevice.id == device_id)
        .values(
            last_seen_at=now,
            software_version=report.get("software_version"),
            door=door,
            door_opened_at=opened_at,
            temperature_c=report.get("temperature_c"),
            outbox_depth=report.get("outbox_depth"),
            errors=list(report.get("errors") or []),
        )
        .execution_options(synchronize_session=False)
    )


def is_online(device: KioskDevice, now: datetime) -> bool:
    """A kiosk is online if it sent a heartbeat within the last five minutes."""
    return device.last_seen_at is not None and now - device.last_seen_at <= OFFLINE_AFTER


def kiosk_alerts(session: Session, clock: Clock) -> list[Alert]:
    """Alerts from device state: kiosks silent for more than 5 minutes, doors open more than 3."""
    now = clock.now()
    alerts: list[Alert] = []
    for device in session.scalars(select(KioskDevice).where(KioskDevice.status == "active")):
        code = device.location.code
        if not is_online(device, now):
            seen = device.last_seen_at
            since = f"{local_minute(seen)} 北京时间 Asia/Shanghai" if seen else "从未 never"
            alerts.append(
                Alert(
                    kind="kiosk_offline",
                    severity="warning",
                    location=device.location,
                    product=None,
                    qty=0,
                    message=f"{code} 离线 · offline (最后心跳 last heartbeat: {since})",
                )
            )
        if (
            device.door == "open"
            and device.door_opened_at
            and now - device.door_opened_at > DOOR_OPEN_ALERT_AFTER
        ):
            minutes = int((now - device.door_opened_at).total_seconds() // 60)
            alerts.append(
                Alert(
                    kind="door_open",
                    severity="critical",
                    location=device.location,
                    product=None,
                    qty=0,
                    message=f"{code} 柜门已开 {minutes} 分钟 · door open for {minutes} min",
                )
            )
    return alerts
