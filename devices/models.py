"""Kiosk devices: their signing keys (encrypted), last heartbeat, and the nonces they have used."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base, UTCDateTime
from inventory.models import Location


class KioskDevice(Base):
    """The device of one kiosk cabinet: its key id, encrypted HMAC secret and reported state."""

    __tablename__ = "kiosk_devices"
    __table_args__ = (CheckConstraint("status IN ('active', 'revoked')", name="status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"), unique=True)
    key_id: Mapped[str] = mapped_column(String(64), unique=True)
    secret_encrypted: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="active")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    rotated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    software_version: Mapped[str | None] = mapped_column(String(64))
    door: Mapped[str | None] = mapped_column(String(8))
    door_opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    temperature_c: Mapped[float | None]
    outbox_depth: Mapped[int | None]
    errors: Mapped[list] = mapped_column(JSON, default=list)

    location: Mapped[Location] = relationship()


class DeviceNonce(Base):
    """A nonce a device has used; the unique key refuses a replay on every app server at once."""

    __tablename__ = "device_nonces"
    __table_args__ = (
        UniqueConstraint("key_id", "nonce", name="uq_device_nonces_key_nonce"),
        Index("ix_device_nonces_seen_at", "seen_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key_id: Mapped[str] = mapped_column(String(64))
    nonce: Mapped[str] = mapped_column(String(128))
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime())
