"""How far each unit is with its annual quota, from the revenue ledger by aggregate SQL.

Purchases are net (sales minus refunds) of the entries carrying the unit's id, in the periods
(YYYY-MM, Asia/Shanghai) of the year. "Expected to date" spreads the quota evenly over the days of
the year: a unit is behind when its purchases are below that share.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from catalogue.models import Region
from core.money import Money
from sales.models import RevenueEntry
from sales.org_models import Organization
from sales.organizations import get_organization, list_organizations, quota_amount_fen, quota_basis, quota_for


@dataclass(frozen=True)
class CountyFigure:
    code: str
    name_zh: str
    name_en: str
    amount_fen: int


@dataclass(frozen=True)
class QuotaProgress:
    """A unit's purchases of a year against its quota."""

    organization: Organization
    year: int
    quota: dict | None
    purchased_fen: int
    expected_to_date_fen: int
    months: list[int]  # net purchases of January … December, fen
    counties: list[CountyFigure] = field(default_factory=list)
    channels: dict[str, int] = field(default_factory=dict)  # bulk (采购) vs storefront/kiosk (帮销)

    @property
    def quota_fen(self) -> int | None:
        return None if self.quota is None else self.quota["amount_fen"]

    @property
    def behind(self) -> bool:
        """True when a quota is set and purchases are below its share of the year so far."""
        return self.quota is not None and self.purchased_fen < self.expected_to_date_fen

    @property
    def shortfall_fen(self) -> int:
        return max(self.expected_to_date_fen - self.purchased_fen, 0)

    @property
    def percent(self) -> int:
        """Whole percent of the quota purchased (0 without a quota)."""
        return self.permille // 10

    @property
    def permille(self) -> int:
        """Tenths of a percent of the quota purchased, rounded down (0 without a quota)."""
        if not self.quota_fen:
            return 0
        return max(self.purchased_fen, 0) * 1000 // self.quota_fen

    @property
    def percent_text(self) -> str:
        """The share of the quota purchased as text: 12.3%."""
        return f"{self.permille // 10}.{self.permille % 10}%"


def _year_periods(year: int) -> tuple[str, str]:
    return f"{year}-01", f"{year}-12"


def _org_entries(org_id: int, year: int):  # type: ignore[no-untyped-def]
    first, last = _year_periods(year)
    return (RevenueEntry.organization_id == org_id, RevenueEntry.period.between(first, last))


def purchases_by_month(session: Session, org_id: int, year: int) -> list[int]:
    """Net purchases of each month of the year, fen."""
    rows = session.execute(
        select(RevenueEntry.period, func.sum(RevenueEntry.amount_fen))
        .where(*_org_entries(org_id, year))
        .group_by(RevenueEntry.period)
    ).all()
    months = [0] * 12
    for period, amount in rows:
        months[int(period[5:7]) - 1] = int(amount or 0)
    return months


def purchases_by_county(session: Session, org_id: int, year: int) -> list[CountyFigure]:
    """Net purchases per origin county, largest first."""
    total = func.sum(RevenueEntry.amount_fen)
    rows = session.execute(
        select(Region.code, Region.name_zh, Region.name_en, total)
        .join(Region, Region.code == RevenueEntry.county_code)
        .where(*_org_entries(org_id, year))
        .group_by(Region.code, Region.name_zh, Region.name_en)
        .having(total != 0)
        .order_by(total.desc(), Region.code)
    ).all()
    return [CountyFigure(code, zh, en, int(amount)) for code, zh, en, amount in rows]


def purchases_by_channel(session: Session, org_id: int, year: int) -> dict[str, int]:
    """Net purchases per channel: bulk orders (采购) and members' own purchases (帮销)."""
    rows = session.execute(
        select(RevenueEntry.channel, func.sum(RevenueEntry.amount_fen))
        .where(*_org_entries(org_id, year))
        .group_by(RevenueEntry.channel)
    ).all()
    return {channel: int(amount or 0) for channel, amount in rows}


def expected_to_date(quota_fen: int, year: int, today: date) -> int:
    """The quota's even share of the days of the year that have begun by today."""
    days = (date(year + 1, 1, 1) - date(year, 1, 1)).days
    if today.year < year or quota_fen == 0:
        return 0
    elapsed = days if today.year > year else (today - date(year, 1, 1)).days + 1
    return Money(quota_fen).allocate([elapsed, days - elapsed])[0].fen


def quota_progress(session: Session, org_id: int, year: int, today: date) -> QuotaProgress:
    """A unit's purchases of the year by month, county and channel, against its quota."""
    org = get_organization(session, org_id)
    quota = quota_for(session, org_id, year)
    months = purchases_by_month(session, org_id, year)
    return QuotaProgress(
        organization=org,
        year=year,
        quota=quota_basis(quota) if quota else None,
        purchased_fen=sum(months),
        expected_to_date_fen=expected_to_date(quota_amount_fen(quota), year, today) if quota else 0,
        months=months,
        counties=purchases_by_county(session, org_id, year),
        channels=purchases_by_channel(session, org_id, year),
    )


def units_progress(session: Session, year: int, today: date) -> list[QuotaProgress]:
    """Every active unit's progress, the furthest behind its quota first."""
    first, last = _year_periods(year)
    totals = dict(
        session.execute(
            select(RevenueEntry.organization_id, func.sum(RevenueEntry.amount_fen))
            .where(RevenueEntry.organization_id.is_not(None), RevenueEntry.period.between(first, last))
            .group_by(RevenueEntry.organization_id)
        ).all()
    )
    found = []
    for org in list_organizations(session):
        if not org.active:
            continue
        quota = next((q for q in org.quotas if q.year == year), None)
        amount = quota_amount_fen(quota) if quota else 0
        found.append(
            QuotaProgress(
                organization=org,
                year=year,
                quota=quota_basis(quota) if quota else None,
                purchased_fen=int(totals.get(org.id) or 0),
                expected_to_date_fen=expected_to_date(amount, year, today) if quota else 0,
                months=[],
            )
        )
    return sorted(found, key=lambda p: (not p.behind, -p.shortfall_fen, p.organization.id))


def units_behind_quota(session: Session, year: int, today: date) -> list[QuotaProgress]:
    """The units whose purchases are below their quota's share of the year so far."""
    return [p for p in units_progress(session, year, today) if p.behind]
