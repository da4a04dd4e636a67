"""The console's dashboard: today's sales, this month by county and partner, kiosks, alerts."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from flask import render_template
from sqlalchemy import func, select

from accounts.roles import STAFF_READERS
from core.clock import SHANGHAI, local_date
from devices.models import KioskDevice
from inventory.alerts import list_alerts
from inventory.models import Location
from kiosk_api.console.access import console, page_roles
from kiosk_api.console.charts import bar_chart
from kiosk_api.console.names import region_names
from kiosk_api.database import get_clock, get_session
from kiosk_api.kiosks.service import is_online, kiosk_alerts
from sales.models import RevenueEntry
from sales.revenue import period_of
from sales.statements.models import NO_PARTNER, RevenueRollup


def kiosk_states(session: Any, now: datetime) -> list[dict[str, Any]]:
    """Every kiosk with its device state: online, offline or not provisioned."""
    devices = {d.location_id: d for d in session.scalars(select(KioskDevice))}
    states = []
    for kiosk in session.scalars(select(Location).where(Location.kind == "kiosk").order_by(Location.code)):
        device = devices.get(kiosk.id)
        if device is None or device.status != "active":
            state = "unprovisioned"
        else:
            state = "online" if is_online(device, now) else "offline"
        states.append({"kiosk": kiosk, "device": device, "state": state})
    return states


def month_sales(session: Any, period: str, column: Any) -> list[tuple[str, int]]:
    """Net sales of a month per county or partner, from the rollup."""
    rows = session.execute(
        select(column, func.sum(RevenueRollup.sale_fen + RevenueRollup.refund_fen))
        .where(RevenueRollup.period == period, column != NO_PARTNER)
        .group_by(column)
    ).all()
    names = region_names(session, [code for code, _ in rows])
    return [(names.get(code, code), int(total)) for code, total in rows]


@console.get("/")
@page_roles(*STAFF_READERS)
def dashboard() -> str:
    """Today's sales, this month by county and by partner, kiosks online and the alerts."""
    session, clock = get_session(), get_clock()
    now = clock.now()
    start = datetime.combine(local_date(now), time(), tzinfo=SHANGHAI)
    today_fen, today_orders = session.execute(
        select(
            func.coalesce(func.sum(RevenueEntry.amount_fen), 0),
            func.count(func.distinct(RevenueEntry.order_id)),
        ).where(RevenueEntry.at >= start, RevenueEntry.at < start + timedelta(days=1))
    ).one()
    period = period_of(now)
    by_county = month_sales(session, period, RevenueRollup.county_code)
    by_partner = month_sales(session, period, RevenueRollup.partner_code)
    kiosks = kiosk_states(session, now)
    alerts = [
        {"severity": a.severity, "message": a.message}
        for a in (*kiosk_alerts(session, clock), *list_alerts(session, clock))
    ]
    return render_template(
        "console/dashboard.html",
        today=local_date(now),
        today_fen=int(today_fen),
        today_orders=int(today_orders),
        period=period,
        month_fen=sum(v for _, v in by_county),
        county_chart=bar_chart(f"{period} 各原产县净销售额 · net sales by county", by_county),
        partner_chart=bar_chart(f"{period} 各东部协作城市帮销额 · net sales by partner", by_partner),
        kiosks=kiosks,
        online=sum(1 for k in kiosks if k["state"] == "online"),
        alerts=alerts,
    )
