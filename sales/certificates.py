"""Certificates of consumption assistance (消费帮扶证明): a unit's purchases of a year, from the ledger.

The figures are aggregates of the revenue ledger (net of refunds) over the entries carrying the
unit's id in the year's periods: the amount, what was bought in bulk (采购) and by members (帮销),
the counties and suppliers bought from, and the sum of the households those suppliers register as
linked to them (Supplier.households_linked as it stands at issue: the suppliers' own figure, not a
count of households the unit helped, and printed as such; see sales.org_pdf.render_certificate). An issued
certificate is stored with the SHA-256 of its canonical figures; its QR code names that hash, and
/verify/certificate/<hash> shows the stored figures and whether the ledger still agrees.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session, aliased

from catalogue.models import Region, Supplier
from core.clock import Clock
from core.errors import NotFound
from sales.models import RevenueEntry
from sales.org_models import OrgCertificate
from sales.organizations import get_organization


class CertificateNotFound(NotFound):
    code = "certificate_not_found"


def _in_year(org_id: int, year: int) -> tuple[Any, ...]:
    return (RevenueEntry.organization_id == org_id, RevenueEntry.period.between(f"{year}-01", f"{year}-12"))


def certificate_figures(session: Session, org_id: int, year: int) -> dict[str, Any]:
    """The certificate's figures for a unit and year, by aggregate SQL over the revenue ledger."""
    org = get_organization(session, org_id)
    where = _in_year(org_id, year)
    amount = func.sum(RevenueEntry.amount_fen)
    totals = session.execute(
        select(
            func.coalesce(amount, 0),
            func.coalesce(
                func.sum(case((RevenueEntry.channel == "bulk", RevenueEntry.amount_fen), else_=0)), 0
            ),
            func.coalesce(func.sum(case((RevenueEntry.certified, RevenueEntry.amount_fen), else_=0)), 0),
            func.count(func.distinct(RevenueEntry.order_id)),
        ).where(*where)
    ).one()
    prefecture = aliased(Region)
    counties = session.execute(
        select(Region.code, Region.name_zh, Region.name_en, prefecture.name_zh, amount)
        .join(Region, Region.code == RevenueEntry.county_code)
        .outerjoin(prefecture, prefecture.code == Region.parent_code)
        .where(*where)
        .group_by(Region.code, Region.name_zh, Region.name_en, prefecture.name_zh)
        .having(amount != 0)
        .order_by(amount.desc(), Region.code)
    ).all()
    suppliers = session.execute(
        select(
            Supplier.id,
            Supplier.name_zh,
            Supplier.name_en,
            Region.name_zh,
            Supplier.households_linked,
            amount,
        )
        .join(Supplier, Supplier.id == RevenueEntry.supplier_id)
        .join(Region, Region.code == Supplier.county_code)
        .where(*where)
        .group_by(Supplier.id, Supplier.name_zh, Supplier.name_en, Region.name_zh, Supplier.households_linked)
        .having(amount != 0)
        .order_by(amount.desc(), Supplier.id)
    ).all()
    total, bulk, certified, orders = (int(v) for v in totals)
    return {
        "organization": {
            "id": org.id,
            "name_zh": org.name_zh,
            "name_en": org.name_en,
            "credit_code": org.credit_code,
            "kind": org.kind,
        },
        "year": year,
        "total_fen": total,
        "bulk_fen": bulk,
        "members_fen": total - bulk,
        "certified_fen": certified,
        "orders": orders,
        "counties": [
            {"code": c, "name_zh": zh, "name_en": en, "prefecture_zh": pref or "", "amount_fen": int(a)}
            for c, zh, en, pref, a in counties
        ],
        "suppliers": [
            {
                "id": i,
                "name_zh": zh,
                "name_en": en,
                "county_zh": county,
                "households_linked": h,
                "amount_fen": int(a),
            }
            for i, zh, en, county, h, a in suppliers
        ],
        "households_linked": sum(int(s[4]) for s in suppliers),
    }


def content_hash(figures: dict[str, Any]) -> str:
    """SHA-256 of the figures in canonical JSON: what the QR code names and the verify page looks up."""
    canonical = json.dumps(figures, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def issue_certificate(
    session: Session, clock: Clock, org_id: int, year: int, *, actor: str
) -> OrgCertificate:
    """Issue the certificate of a unit's year as the ledger stands; the same figures give the same one."""
    figures = certificate_figures(session, org_id, year)
    digest = content_hash(figures)
    existing = session.scalar(select(OrgCertificate).where(OrgCertificate.content_hash == digest))
    if existing is not None:
        return existing
    certificate = OrgCertificate(
        organization_id=org_id,
        year=year,
        content_hash=digest,
        figures=figures,
        issued_at=clock.now(),
        issued_by=actor,
    )
    session.add(certificate)
    session.flush()  # a concurrent issue of the same figures fails here on the unique hash
    return certificate


def find_certificate(session: Session, digest: str) -> OrgCertificate:
    """Return the issued certificate with this hash."""
    certificate = session.scalar(select(OrgCertificate).where(OrgCertificate.content_hash == digest.lower()))
    if certificate is None:
        raise CertificateNotFound("no certificate with this code")
    return certificate


def still_matches_ledger(session: Session, certificate: OrgCertificate) -> bool:
    """Tell whether the ledger today gives the same figures as the certificate did when issued."""
    return content_hash(certificate_figures(session, certificate.organization_id, certificate.year)) == (
        certificate.content_hash
    )
