"""Filters every page template shares: codes as words, times in Beijing time (labelled), ¥ amounts.

{{ order.status|label("order_status") }}  → 已付款 (or Paid on an English page)
{{ order.status|both("order_status") }}   → 已付款 · Paid
{{ order.created_at|bj }}                 → 2026-11-26 15:00 北京时间
{{ order.created_at|bj(seconds=True) }}   → 2026-11-26 15:00:07 北京时间
{{ amount_fen|yuan }}                     → ¥1,234.50
"""

from __future__ import annotations

import re
from datetime import date, datetime

from flask import Flask

from core import labels
from core.clock import SHANGHAI
from core.money import format_fen
from kiosk_api.i18n import current_language

BEIJING = ("北京时间", "Beijing time")


def beijing_time(at: datetime | date | None, *, seconds: bool = False, lang: str = "zh") -> str:
    """A moment in Asia/Shanghai, to the minute (or second), with its label; a date as it is."""
    if at is None:
        return ""
    if not isinstance(at, datetime):
        return at.isoformat()
    shown = at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")
    return f"{shown} {BEIJING[1] if lang == 'en' else BEIJING[0]}"


def masked_phone(phone: str | None) -> str:
    """A phone number with its middle hidden, as couriers print it: 138****5678."""
    digits = re.sub(r"[\s-]", "", phone or "")
    if len(digits) < 8:
        return "****" if digits else ""
    return f"{digits[:3]}****{digits[-4:]}"


def init_app(app: Flask) -> None:
    """Register the filters on the app, so every blueprint's templates have them."""

    @app.template_filter("label")
    def _label(code: str | None, table: str) -> str:
        return labels.label(table, code, current_language())

    @app.template_filter("both")
    def _both(code: str | None, table: str) -> str:
        return labels.both(table, code)

    @app.template_filter("bj")
    def _bj(at: datetime | date | None, seconds: bool = False) -> str:
        return beijing_time(at, seconds=seconds, lang=current_language())

    app.add_template_filter(masked_phone, "masked_phone")

    @app.template_filter("yuan")
    def _yuan(value: int | None) -> str:
        return format_fen(int(value or 0))
