"""Organizations (单位) that buy instead of donating: members, annual quotas, bulk orders, certificates."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core import labels
from core.db import FEN, Base, UTCDateTime

# kind → the buyer kind its purchases carry in RevenueEntry.buyer_kind
_BUYER_KINDS = {
    "government_office": "government",
    "public_institution": "institution",
    "state_owned_enterprise": "soe",
    "enterprise": "enterprise",
    "trade_union": "union",
    "school": "school",
    "hospital": "hospital",
    "community": "community",
}
# kind → (RevenueEntry.buyer_kind, name zh, name en); the names are core.labels'.
ORG_KINDS: dict[str, tuple[str, str, str]] = {
    kind: (_BUYER_KINDS[kind], *labels.ORG_KINDS[kind]) for kind in labels.ORG_KINDS
}
MEMBER_ROLES = tuple(labels.MEMBER_ROLES)
QUOTA_KINDS = ("fixed", "per_member", "budget_share")
PAYMENT_ROUTES = ("bank_transfer", "online")


def _in(column: str, values: tuple[str, ...] | list[str]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Organization(Base):
    """A unit that buys: government office, institution, enterprise, trade union, school, hospital…"""

    __tablename__ = "organizations"
    __table_args__ = (CheckConstraint(_in("kind", list(ORG_KINDS)), name="kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name_zh: Mapped[str] = mapped_column(String(128))
    name_en: Mapped[str] = mapped_column(String(256), default="")
    kind: Mapped[str] = mapped_column(String(32))
    credit_code: Mapped[str] = mapped_column(String(18), unique=True)
    # The city (an eastern partner, or a district of one) the unit sits in.
    city_code: Mapped[str] = mapped_column(ForeignKey("regions.code"), index=True)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    members: Mapped[list[OrganizationMember]] = relationship(
        back_populates="organization", order_by="OrganizationMember.id"
    )
    quotas: Mapped[list[OrganizationQuota]] = relationship(
        back_populates="organization", order_by="OrganizationQuota.year"
    )

    @property
    def buyer_kind(self) -> str:
        """The buyer kind its purchases carry in the revenue ledger."""
        return ORG_KINDS[self.kind][0]


class OrganizationMember(Base):
    """A user who buys for (buyer) or approves the purchases of (approver) one organization."""

    __tablename__ = "organization_members"
    __table_args__ = (CheckConstraint(_in("role", MEMBER_ROLES), name="role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    # One unit per user: a member's own storefront purchases must count toward exactly one unit.
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    organization: Mapped[Organization] = relationship(back_populates="members")


class OrganizationQuota(Base):
    """A unit's purchasing quota for one year: fixed, members × amount each, or a share of a budget."""

    __tablename__ = "organization_quotas"
    __table_args__ = (
        UniqueConstraint("organization_id", "year", name="uq_organization_quotas_org_year"),
        CheckConstraint(_in("kind", QUOTA_KINDS), name="kind"),
        CheckConstraint(
            "(kind = 'fixed' AND fixed_fen > 0)"
            " OR (kind = 'per_member' AND members > 0 AND per_member_fen > 0)"
            " OR (kind = 'budget_share' AND budget_fen > 0 AND share_bp > 0 AND share_bp <= 10000)",
            name="inputs",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))
    year: Mapped[int]
    kind: Mapped[str] = mapped_column(String(16))
    fixed_fen: Mapped[int | None] = mapped_column(FEN)
    members: Mapped[int | None]
    per_member_fen: Mapped[int | None] = mapped_column(FEN)
    budget_fen: Mapped[int | None] = mapped_column(FEN)  # the declared canteen food budget of the year
    share_bp: Mapped[int | None]  # basis points of that budget reserved for paired counties
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    organization: Mapped[Organization] = relationship(back_populates="quotas")


class BulkOrder(Base):
    """The organization side of a bulk order (以购代捐): delivery, invoice, approval and delivery records."""

    __tablename__ = "bulk_orders"
    __table_args__ = (CheckConstraint(_in("payment_route", PAYMENT_ROUTES), name="payment_route"),)

    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id"), primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)  # what the buyer writes on the transfer
    contact_name: Mapped[str] = mapped_column(String(64))
    phone: Mapped[str] = mapped_column(String(32))
    delivery_address: Mapped[str] = mapped_column(String(256))
    invoice_title: Mapped[str] = mapped_column(String(128))
    tax_id: Mapped[str] = mapped_column(String(18))
    note: Mapped[str] = mapped_column(Text, default="")
    payment_route: Mapped[str] = mapped_column(String(16), default="bank_transfer")
    drafted_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decision_note: Mapped[str] = mapped_column(Text, default="")
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    delivered_by: Mapped[str | None] = mapped_column(String(128))
    delivery_note: Mapped[str] = mapped_column(Text, default="")

    organization: Mapped[Organization] = relationship()


class OrgCertificate(Base):
    """A certificate of consumption assistance as issued: its figures, and the hash its QR code names."""

    __tablename__ = "org_certificates"

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    year: Mapped[int]
    content_hash: Mapped[str] = mapped_column(String(64), unique=True)
    figures: Mapped[dict] = mapped_column(JSON)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime())
    issued_by: Mapped[str] = mapped_column(String(128))

    organization: Mapped[Organization] = relationship()
