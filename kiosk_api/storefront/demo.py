"""Demo organizations (演示单位): three units in the eastern partner cities, with quotas for the year,
and the demo org buyer and approver accounts as members of the first.

ALL INVENTED: names, credit codes (valid check character, made-up number), budgets and members.
`load_demo_organizations` is idempotent; `dongxi demo load` should call it after the accounts exist.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from accounts.models import User
from core.clock import Clock, local_date
from sales import organizations
from sales.org_models import Organization

DEMO_ORGS = [
    {
        "name_zh": "宁波市某区机关事务管理局（演示）",
        "name_en": "Ningbo district government offices administration (demo)",
        "kind": "government_office",
        "credit_code": "11330200MB0A12345G",
        "city": "330200",
        # A budget unit: 15% of a declared canteen food budget of ¥2,000,000.
        "quota": {"kind": "budget_share", "budget_fen": 200_000_000, "share_bp": 1500},
        "members": [("demo-org-buyer", "buyer"), ("demo-org-approver", "approver")],
    },
    {
        "name_zh": "宁波某制造企业工会（演示）",
        "name_en": "Ningbo manufacturing company trade union (demo)",
        "kind": "trade_union",
        "credit_code": "81330200MC0B23456N",
        "city": "330200",
        # 800 members × ¥500 each.
        "quota": {"kind": "per_member", "members": 800, "per_member_fen": 50_000},
        "members": [],
    },
    {
        "name_zh": "福州某医院（演示）",
        "name_en": "Fuzhou hospital (demo)",
        "kind": "hospital",
        "credit_code": "12350100MD0C34567B",
        "city": "350100",
        "quota": {"kind": "fixed", "fixed_fen": 10_000_000},
        "members": [],
    },
]


def load_demo_organizations(session: Session, clock: Clock) -> dict[str, int]:
    """Add the demo units, this year's quotas and the demo members that are missing."""
    added = {"organizations": 0, "members": 0}
    year = local_date(clock.now()).year
    for row in DEMO_ORGS:
        org = session.scalar(select(Organization).where(Organization.credit_code == row["credit_code"]))
        if org is None:
            org = organizations.create_organization(
                session,
                clock,
                name_zh=row["name_zh"],
                name_en=row["name_en"],
                kind=row["kind"],
                credit_code=row["credit_code"],
                city=row["city"],
            )
            session.flush()  # members and quotas below refer to the unit's id
            added["organizations"] += 1
        if organizations.quota_for(session, org.id, year) is None:
            organizations.set_quota(session, clock, org.id, year=year, **row["quota"])
        for username, role in row["members"]:
            user = session.scalar(select(User).where(User.username == username))
            if user is not None and organizations.membership(session, user.id) is None:
                organizations.add_member(session, clock, org.id, user_id=user.id, role=role)
                added["members"] += 1
    session.flush()
    return added
