"""User accounts and their API tokens."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from accounts.roles import ROLES
from core.db import Base, UTCDateTime


class User(Base):
    """A person who signs in: operator, restocker, supplier, org member or auditor."""

    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint("role IN (" + ", ".join(f"'{role}'" for role in ROLES) + ")", name="role"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[str] = mapped_column(String(32))
    display_name: Mapped[str] = mapped_column(String(128), default="")
    active: Mapped[bool] = mapped_column(default=True)
    # Copied into a browser's session at sign-in; bumped by sign-out, a password change and
    # deactivation, which thereby end every session of the user (migration 0014).
    session_epoch: Mapped[int] = mapped_column(default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Whose statements a supplier or county account may see (migration 0006).
    supplier_id: Mapped[int | None] = mapped_column(ForeignKey("suppliers.id"))
    county_code: Mapped[str | None] = mapped_column(ForeignKey("regions.code"))

    tokens: Mapped[list[ApiToken]] = relationship(back_populates="user")


class ApiToken(Base):
    """A bearer token for scripts; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(128), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship(back_populates="tokens")
