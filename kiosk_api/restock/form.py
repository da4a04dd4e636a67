"""The restock visit form: its field names, what a submitted form asks the service to record, and
errors named by the field they belong to, in Chinese with the English beside.

Fields, per slot code S and row k: put-S-k-lot, put-S-k-qty (goods put in); rm-S-k-lot, rm-S-k-qty,
rm-S-k-reason (goods taken out); count-S (what is in the slot afterwards). Blank or 0 rows are
skipped; a blank count records no count. `key` is the idempotency key the page was rendered with.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from core.errors import DomainError
from kiosk_api.input_limits import int_within

ROW = re.compile(r"^(put|rm)-([A-Z0-9]{1,8})-(\d{1,3})-qty$")
COUNT = re.compile(r"^count-([A-Z0-9]{1,8})$")
# new_token(16) makes 22 characters; at most 23 keep "restock:{code}:{key}" within its 64 (codes ≤ 32).
KEY = re.compile(r"^[A-Za-z0-9_-]{16,23}$")
MAX_QTY = 9999
MAX_LOT = 64
# Taken out: written off as expired or damaged, or (near expiry, still good) back to the warehouse.
REMOVE_REASONS = ("expired", "damaged", "return")

Message = tuple[str, str]

BAD_QTY: Message = (f"数量须为 0–{MAX_QTY} 的整数", f"a whole number from 0 to {MAX_QTY}")
BAD_COUNT: Message = (
    f"清点数须为 0–{MAX_QTY} 的整数，或留空",
    f"a whole number from 0 to {MAX_QTY}, or blank",
)
NO_LOT: Message = ("请选择批次", "choose a lot")
# What the service's refusals mean to the restocker, by error code.
REFUSALS: dict[str, Message] = {
    "insufficient_stock": ("库存不足：仓库或货道没有这么多", "not enough stock there"),
    "out_of_stock": ("库存不足", "not enough stock"),
    "unknown_lot": ("没有这个批次", "no such lot of this product"),
    "lot_expired": ("该批次已过期，不能放入", "this lot has expired"),
    "not_expired": (
        "该批次未过期：请选“临期带回仓库”或“破损”",
        "not expired: choose back to warehouse or damaged",
    ),
    "over_capacity": ("超过货道容量", "more than the slot holds"),
    "unknown_slot": ("没有这个货道", "no such slot"),
    "busy": ("系统繁忙，请再提交一次", "busy: submit again"),
}
LEAF_NAMES = {"lot": "批次", "qty": "数量", "reason": "原因", "counted": "清点数"}


@dataclass
class VisitForm:
    """A submitted visit: the service's put/removed/counted entries, the page field of each, errors."""

    key: str
    put: list[dict[str, Any]] = field(default_factory=list)
    removed: list[dict[str, Any]] = field(default_factory=list)
    returned: list[dict[str, Any]] = field(default_factory=list)
    counted: list[dict[str, Any]] = field(default_factory=list)
    names: dict[str, list[str]] = field(
        default_factory=lambda: {"put": [], "removed": [], "returned": [], "counted": []}
    )
    errors: dict[str, Message] = field(default_factory=dict)


def _whole(text: str) -> int | None:
    """A count of 0 to MAX_QTY (0 when blank), or None."""
    if not text.strip():
        return 0
    try:
        return int_within(0, MAX_QTY)(text)
    except ValueError:
        return None


def _row(form: Mapping[str, str], visit: VisitForm, kind: str, slot: str, prefix: str) -> None:
    qty = _whole(form.get(f"{prefix}-qty", ""))
    lot = form.get(f"{prefix}-lot", "").strip()
    if qty is None:
        visit.errors[f"{prefix}-qty"] = BAD_QTY
        return
    if qty == 0:
        return
    if not lot or len(lot) > MAX_LOT:
        visit.errors[f"{prefix}-lot"] = NO_LOT
        return
    if kind == "put":
        visit.put.append({"slot": slot, "lot": lot, "qty": qty})
        visit.names["put"].append(prefix)
        return
    reason = form.get(f"{prefix}-reason", "expired")
    if reason not in REMOVE_REASONS:
        visit.errors[f"{prefix}-reason"] = ("请选择原因", "choose a reason")
    elif reason == "return":
        visit.returned.append({"slot": slot, "lot": lot, "qty": qty})
        visit.names["returned"].append(prefix)
    else:
        visit.removed.append({"slot": slot, "lot": lot, "qty": qty, "reason": reason})
        visit.names["removed"].append(prefix)


def parse_visit(form: Mapping[str, str], slots: list[str]) -> VisitForm:
    """Read a submitted visit form for a kiosk of these slot codes; errors name the field."""
    key = form.get("key", "")
    visit = VisitForm(key=key)
    if not KEY.match(key):
        visit.errors["visit"] = ("表单已失效，请重新打开本页", "This form is stale: open the page again")
    order = {code: i for i, code in enumerate(slots)}
    rows = sorted(
        (order.get(m[2], len(order)), 0 if m[1] == "rm" else 1, int(m[3]), m[1], m[2])
        for m in map(ROW.match, form)
        if m
    )
    for _, _, index, kind, slot in rows:
        prefix = f"{kind}-{slot}-{index}"
        if slot not in order:
            visit.errors[f"{prefix}-qty"] = REFUSALS["unknown_slot"]
            continue
        _row(form, visit, "put" if kind == "put" else "removed", slot, prefix)
    for slot in slots:
        text = form.get(f"count-{slot}", "").strip()
        if not text:
            continue
        counted = _whole(text)
        if counted is None:
            visit.errors[f"count-{slot}"] = BAD_COUNT
            continue
        visit.counted.append({"slot": slot, "counted": counted})
        visit.names["counted"].append(f"count-{slot}")
    return visit


def refusal_errors(error: DomainError, visit: VisitForm) -> dict[str, Message]:
    """The service's refusal, on the page fields of the entries it names (`put.2.qty` → put-A1-0-qty)."""
    found: dict[str, Message] = {}
    for name, text in error.fields.items():
        said = REFUSALS.get(error.code) or REFUSALS.get(str(text).replace(" ", "_"))
        kind, _, rest = name.partition(".")
        index, _, leaf = rest.partition(".")
        names = visit.names.get(kind, [])
        if not index.isdigit() or int(index) >= len(names):
            continue
        prefix = names[int(index)]
        leaf = leaf if leaf in ("lot", "qty", "reason") else "qty"
        page_field = prefix if kind == "counted" else f"{prefix}-{leaf}"
        zh_leaf = LEAF_NAMES["counted" if kind == "counted" else leaf]
        found[page_field] = said or (f"{zh_leaf}有误", text)
    if not found:
        found["visit"] = REFUSALS.get(error.code) or ("无法记录本次补货", error.message)
    return found


FIELD_NAMES = {
    "put": ("放入", "put in"),
    "rm": ("取出", "taken out"),
    "lot": ("批次", "lot"),
    "qty": ("数量", "quantity"),
    "reason": ("原因", "reason"),
}


def named(errors: dict[str, Message]) -> dict[str, Message]:
    """Each error prefixed with the field it is about, in words: put-A1-0-qty → 「A1 放入数量：…」."""
    out: dict[str, Message] = {}
    for name, (zh, en) in errors.items():
        parts = name.split("-")
        if parts[0] == "count" and len(parts) == 2:
            out[name] = (f"{parts[1]} 清点数：{zh}", f"{parts[1]} count: {en}")
        elif len(parts) == 4 and parts[0] in FIELD_NAMES and parts[3] in FIELD_NAMES:
            (kind_zh, kind_en), (leaf_zh, leaf_en) = FIELD_NAMES[parts[0]], FIELD_NAMES[parts[3]]
            out[name] = (f"{parts[1]} {kind_zh}{leaf_zh}：{zh}", f"{parts[1]} {kind_en}, {leaf_en}: {en}")
        else:
            out[name] = (zh, en)
    return out
