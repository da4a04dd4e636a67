"""The audit log as people read it: changes grouped by the request (or command) that made them,
each row named instead of numbered, and before/after as a diff of words, amounts and Beijing times."""

from __future__ import annotations

import json
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask import current_app
from sqlalchemy.orm import Session

from accounts.roles import ROLES
from audit.models import AuditEntry
from core import labels
from core.money import format_fen
from kiosk_api.console.audit_names import UUID, Names, shortened
from kiosk_api.template_filters import beijing_time
from sales.order_search import short_id

ACTIONS = {"create": ("新建", "created"), "update": ("修改", "changed"), "delete": ("删除", "deleted")}
# Columns as people call them (the rest show their column name, which is what an auditor searches).
FIELDS: dict[str, tuple[str, str]] = {
    "name_zh": ("中文名称", "Chinese name"),
    "name_en": ("英文名称", "English name"),
    "price_fen": ("价格", "Price"),
    "status": ("状态", "Status"),
    "active": ("启用", "Active"),
    "role": ("角色", "Role"),
    "username": ("用户名", "Username"),
    "display_name": ("显示名", "Display name"),
    "qty": ("数量", "Quantity"),
    "kind": ("类型", "Kind"),
    "reason": ("原因", "Reason"),
    "product_id": ("商品", "Product"),
    "supplier_id": ("供应商", "Supplier"),
    "location_id": ("网点", "Location"),
    "from_location_id": ("调出", "From"),
    "to_location_id": ("调入", "To"),
    "lot_id": ("批次", "Lot"),
    "slot_id": ("货道", "Slot"),
    "county_code": ("原产县", "Origin county"),
    "partner_code": ("东部协作城市", "Eastern partner"),
    "user_id": ("用户", "User"),
    "org_id": ("单位", "Unit"),
    "organization_id": ("单位", "Unit"),
    "order_id": ("订单", "Order"),
    "capacity": ("容量", "Capacity"),
    "households_linked": ("带动农户数", "Households linked"),
    "credit_code": ("统一社会信用代码", "Credit code"),
    "payout_account": ("收款账户", "Payout account"),
    "gtin": ("商品条码", "GTIN"),
    "sku": ("货号", "SKU"),
    "par_level": ("标准库存", "Par level"),
    "certification_no": ("认定证书编号", "Certificate no."),
    "certified_from": ("认定起始", "Certified from"),
    "certified_until": ("认定截止", "Certified until"),
    "bank_reference": ("银行流水号", "Bank reference"),
    "session_epoch": ("会话批次", "Session epoch"),
    "revoked_at": ("吊销时间", "Revoked at"),
    "created_at": ("创建时间", "Created at"),
    "at": ("时间", "At"),
    "updated_at": ("修改时间", "Updated at"),
    "certified": ("认定产品", "Certified product"),
    "method": ("支付方式", "Method"),
    "provider": ("支付渠道", "Provider"),
    "provider_ref": ("渠道单号", "Provider reference"),
    "capture_mode": ("收款方式", "Capture mode"),
    "idempotency_key": ("幂等键", "Idempotency key"),
    "reference": ("关联单据", "Reference"),
    "actor": ("操作者", "By"),
    "recorded_by": ("登记人", "Recorded by"),
    "note": ("备注", "Note"),
    "lines": ("商品行", "Lines"),
    "amount_fen": ("金额", "Amount"),
    "captured_fen": ("已收", "Captured"),
    "refunded_fen": ("已退", "Refunded"),
    "commission_fen": ("佣金", "Commission"),
    "refunded_qty": ("已退数量", "Refunded qty"),
    "from_status": ("原状态", "From"),
    "to_status": ("新状态", "To"),
    "channel": ("渠道", "Channel"),
    "buyer_kind": ("购买方类型", "Buyer kind"),
    "period": ("月份", "Period"),
    "expires_on": ("到期日", "Expires on"),
    "code": ("编码", "Code"),
    "order_line_id": ("订单行", "Order line"),
    "refund_id": ("退款", "Refund"),
    "payment_id": ("支付", "Payment"),
    "from_slot_id": ("调出货道", "From slot"),
    "to_slot_id": ("调入货道", "To slot"),
    "fulfilled_at": ("出库时间", "Fulfilled at"),
    "story_zh": ("产品故事（中文）", "Story (zh)"),
    "story_en": ("产品故事（英文）", "Story (en)"),
    "surplus_fen": ("多付金额", "Overpaid"),
    "qr_payload": ("付款二维码", "Payment QR code"),
    "client_secret": ("渠道密钥", "Client secret"),
    "order_ref": ("订单", "Order"),
    "line_no": ("行号", "Line no."),
    "expires_at": ("占用到期", "Held until"),
    "unit_price_fen": ("单价", "Unit price"),
    "line_total_fen": ("小计", "Line total"),
    "storage": ("储存条件", "Storage"),
    "category": ("品类", "Category"),
    "spec": ("规格", "Spec"),
    "keywords": ("搜索别名", "Keywords"),
    "shelf_life_days": ("保质期（天）", "Shelf life (days)"),
    "image_url": ("图片", "Picture"),
}
# Columns not shown in a diff: a row's own database id (the row is named above its diff instead).
HIDDEN_COLUMNS = frozenset({"id"})
# Which label table a column's codes come from, by table (None: any table).
CODE_TABLES: dict[tuple[str | None, str], str] = {
    ("orders", "status"): "order_status",
    ("order_events", "from_status"): "order_status",
    ("order_events", "to_status"): "order_status",
    ("order_events", "reason"): "event_reason",
    ("payments", "status"): "payment_status",
    ("refunds", "status"): "refund_status",
    ("refunds", "kind"): "refund_kind",
    ("payouts", "status"): "payout_status",
    ("reservations", "status"): "reservation_status",
    ("stock_movements", "kind"): "movement_kind",
    ("locations", "kind"): "location_kind",
    ("suppliers", "kind"): "supplier_kind",
    ("regions", "level"): "region_level",
    ("organization_quotas", "kind"): "quota_kind",
    ("statements", "status"): "statement_status",
    ("revenue_entries", "kind"): "revenue_kind",
    (None, "method"): "payment_method",
    (None, "capture_mode"): "capture_mode",
    (None, "storage"): "storage",
    (None, "channel"): "channel",
    (None, "buyer_kind"): "buyer_kind",
    (None, "reason"): "stock_reason",
    (None, "provider"): "provider",
}
# Columns (and targets) that name another record: which table, to show its name.
REFERENCES = {
    "product_id": "products",
    "supplier_id": "suppliers",
    "location_id": "locations",
    "from_location_id": "locations",
    "to_location_id": "locations",
    "warehouse_id": "locations",
    "lot_id": "lots",
    "slot_id": "slots",
    "county_code": "regions",
    "partner_code": "regions",
    "parent_code": "regions",
    "east_code": "regions",
    "west_code": "regions",
    "user_id": "users",
    "org_id": "organizations",
    "organization_id": "organizations",
    "order_id": "orders",
    "order_ref": "orders",
    "order_line_id": "order_lines",
    "refund_id": "refunds",
    "payment_id": "payments",
    "from_slot_id": "slots",
    "to_slot_id": "slots",
}
ACTOR_COLUMNS = frozenset({"actor", "recorded_by"})
ISO_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


def pick(pair: tuple[str, str], lang: str) -> str:
    return pair[1] if lang == "en" else pair[0]


@dataclass
class Change:
    """One field of one row: its name, and what it was and became, as words."""

    name: str
    before: str
    after: str


@dataclass
class RowChange:
    """One row created, changed or deleted."""

    entry: AuditEntry
    kind: str
    target: str
    action: str
    changes: list[Change] = field(default_factory=list)


@dataclass
class Act:
    """What one request or command did: who, when, from where, through what, and its rows."""

    at: datetime
    actor: str
    role: str
    via: str
    origin: str
    operation: str
    title: str
    rows: list[RowChange] = field(default_factory=list)


def shown(table: str, column: str, value: Any, names: Names, lang: str) -> str:
    """A value as a reader understands it: names, labels, ¥ amounts, Beijing times, 是/否."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return ("是" if value else "否") if lang != "en" else ("yes" if value else "no")
    code_table = CODE_TABLES.get((table, column)) or CODE_TABLES.get((None, column))
    if code_table and isinstance(value, str):
        return labels.label(code_table, value, lang)
    if column == "role" and isinstance(value, str) and value in ROLES:
        return pick(ROLES[value], lang)
    if column in REFERENCES and REFERENCES[column] == "orders" and isinstance(value, str):
        return short_id(value)  # beside the field 订单 Order, its short id alone
    if column in REFERENCES:
        return names.of(REFERENCES[column], value)
    if column in ACTOR_COLUMNS and isinstance(value, str):
        return names.actor(value)
    if column == "reference" and isinstance(value, str) and UUID.fullmatch(value):
        return names.of("orders", value)  # a sale's or a return's stock movement names its order
    if column.endswith("_fen") and isinstance(value, int):
        return format_fen(value)
    if isinstance(value, str) and ISO_TIME.match(value):
        try:
            return beijing_time(datetime.fromisoformat(value), seconds=True, lang=lang)
        except ValueError:
            return value
    if column == "lines" and isinstance(value, list) and all(isinstance(v, dict) for v in value):
        return "；".join(_refund_line(v, names) for v in value)
    if isinstance(value, dict | list):
        text = json.dumps(value, ensure_ascii=False, sort_keys=True)
        text = shortened(text)
        return text if len(text) <= 160 else text[:157] + "…"
    return shortened(str(value))


def _refund_line(part: dict[str, Any], names: Names) -> str:
    """One line of a refund: which order line, how many, how much."""
    amount = part.get("amount_fen")
    money = f"（{format_fen(amount)}）" if isinstance(amount, int) else ""
    return f"{names.of('order_lines', part.get('line_id'))} × {part.get('qty', '?')}{money}"


def operation_title(operation: str | None) -> str:
    """The first line of the docstring of the view (or the command) an operation ran."""
    if not operation:
        return ""
    method, _, rule = operation.partition(" ")
    if method in ("GET", "POST", "PUT", "PATCH", "DELETE"):
        for url_rule in current_app.url_map.iter_rules():
            if url_rule.rule == rule and method in (url_rule.methods or ()):
                view = current_app.view_functions.get(url_rule.endpoint)
                doc = (view.__doc__ or "").strip().splitlines() if view else []
                return doc[0] if doc else ""
    return ""


def present(session: Session, entries: list[AuditEntry], lang: str) -> list[Act]:
    """Group a page of entries (newest first) into acts, with every row named and every value read."""
    wanted: dict[str, set[str]] = defaultdict(set)
    actors = {e.actor for e in entries}
    for e in entries:
        wanted[e.target_type].add(e.target_id)
        for values in (e.before or {}, e.after or {}):
            for column, value in values.items():
                if column in REFERENCES and value is not None:
                    wanted[REFERENCES[column]].add(str(value))
                elif column == "lines" and isinstance(value, list):
                    wanted["order_lines"].update(str(v.get("line_id")) for v in value if isinstance(v, dict))
                elif column in ACTOR_COLUMNS and isinstance(value, str):
                    actors.add(value)
    names = Names(session, wanted, actors, kinds=labels.RECORD_KINDS)
    acts: list[Act] = []
    index: dict[str, Act] = {}
    for e in entries:
        key = e.request_id or f"entry-{e.id}"
        act = index.get(key)
        if act is None:
            act = Act(
                at=e.at,
                actor=names.actor(e.actor),
                role=pick(ROLES[e.actor_role], lang) if e.actor_role in ROLES else e.actor_role,
                via=labels.label("audit_via", e.via, lang),
                origin=e.origin or "",
                operation=e.operation or "",
                title=operation_title(e.operation),
            )
            index[key] = act
            acts.append(act)
        act.rows.append(_row_change(e, names, lang))
    return acts


def _row_change(e: AuditEntry, names: Names, lang: str) -> RowChange:
    _table, _, kind = e.action.rpartition(".")
    bulk = kind.startswith("bulk_")
    kind = kind.removeprefix("bulk_")
    before, after = e.before or {}, e.after or {}
    columns = [c for c in dict.fromkeys([*before, *after]) if c not in HIDDEN_COLUMNS]
    target = "（批量）" if bulk or e.target_id == "*" else names.of(e.target_type, e.target_id)
    kind_name = pick(labels.RECORD_KINDS.get(e.target_type, (e.target_type, e.target_type)), lang)
    return RowChange(
        entry=e,
        kind=kind,
        target=target if target.startswith(f"{kind_name} ") else f"{kind_name} · {target}",
        action=pick(ACTIONS.get(kind, (kind, kind)), lang),
        changes=[
            Change(
                name=pick(FIELDS[c], lang) if c in FIELDS else c,
                before=shown(e.target_type, c, before.get(c), names, lang) if e.before is not None else "",
                after=shown(e.target_type, c, after.get(c), names, lang) if e.after is not None else "",
            )
            for c in columns
        ],
    )
