"""The quota form of a unit's page: amounts typed in yuan, the share in percent, the inputs that
sales.organizations.set_quota takes (fen, a count, basis points) by the kind's QUOTA_INPUTS."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from core.labels import QUOTA_KINDS
from core.money import format_fen
from kiosk_api.console.forms import Form
from sales import organizations

QUOTA_FIELDS = {
    "year": "年度 Year",
    "kind": "定额方式 Quota kind",
    "fixed_fen": "全年金额（元）Amount (yuan)",
    "members": "会员人数 Members",
    "per_member_fen": "每人金额（元）Per member (yuan)",
    "budget_fen": "食堂食材预算（元）Canteen budget (yuan)",
    "share_bp": "比例（%）Share (%)",
}
# The inputs a quota can have; the form names its fields as set_quota does (amounts typed in yuan).
QUOTA_INPUT_FIELDS = ("fixed_fen", "members", "per_member_fen", "budget_fen", "share_bp")


def quota_defaults(quota: Any, year: int) -> dict[str, str]:
    """The quota form's values: this year's quota as it is, amounts in yuan, the share in percent."""
    form = {"year": str(year), "kind": quota.kind if quota else "fixed"}
    if quota is None:
        return form
    for field in QUOTA_INPUT_FIELDS:
        value = getattr(quota, field)
        if value is None:
            continue
        if field.endswith("_fen"):
            form[field] = format_fen(value, symbol=False)
        elif field == "share_bp":
            form[field] = f"{Decimal(value) / 100:f}".rstrip("0").rstrip(".")
        else:
            form[field] = str(value)
    return form


def _percent_bp(form: Form, name: str) -> int | None:
    """A percentage typed as 15, 12.5 or 12.25% in basis points (no fractions of one)."""
    try:
        bp = Decimal(form.text(name).rstrip("%").strip()) * 100
    except InvalidOperation:
        bp = Decimal("NaN")
    if not bp.is_finite() or bp != bp.to_integral_value():
        form.fail(name, "请输入百分比，如 15 或 12.5", "a percentage such as 15 or 12.5")
        return None
    return int(bp)


def quota_inputs(form: Form) -> tuple[int, str, dict[str, int]]:
    """The year, kind and inputs (fen, count, basis points) of the quota form; errors in the form's."""
    year = form.whole("year", within=(2000, 2100)) or 0
    kind = form.choice("kind", QUOTA_KINDS)
    if kind is None:
        return year, form.text("kind"), {}
    inputs: dict[str, int | None] = {}
    for field in organizations.QUOTA_INPUTS[kind]:
        if field.endswith("_fen"):
            inputs[field] = form.yuan(field)
        elif field == "share_bp":
            inputs[field] = _percent_bp(form, field)
        else:
            inputs[field] = form.whole(field, within=(1, 10_000_000))
    return year, kind, {k: v for k, v in inputs.items() if v is not None}
