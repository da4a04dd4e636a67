"""The one label table: what every status, channel, kind and reason is called, in Chinese and English.

Pages, PDFs, spreadsheets and the console read codes through `label(table, code, lang)`; a code
with no label falls back to itself, and `tests/unit/test_labels.py` checks that every code the
models allow has one, so a raw code never reaches a reader."""

from __future__ import annotations

Labels = dict[str, tuple[str, str]]

ORDER_STATUSES: Labels = {
    "draft": ("草稿", "Draft"),
    "awaiting_approval": ("待审批", "Awaiting approval"),
    "awaiting_payment": ("待付款", "Awaiting payment"),
    "awaiting_authorization": ("待预授权", "Awaiting pre-authorisation"),
    "authorized": ("已预授权", "Pre-authorised"),
    "paid": ("已付款", "Paid"),
    "fulfilled": ("已送达", "Delivered"),
    "completed": ("已完成", "Completed"),
    "rejected": ("已驳回", "Rejected"),
    "cancelled": ("已取消", "Cancelled"),
    "expired": ("已过期", "Expired"),
    "refunded": ("已退款", "Refunded"),
    "partially_refunded": ("部分退款", "Partly refunded"),
}
CHANNELS: Labels = {
    "kiosk": ("无人售货柜", "Kiosk"),
    "storefront": ("网上商城", "Web shop"),
    "bulk": ("单位集采", "Bulk order"),
    "shop": ("特产馆", "Specialty shop"),
}
BUYER_KINDS: Labels = {
    "individual": ("个人", "Individual"),
    "government": ("机关", "Government office"),
    "institution": ("事业单位", "Public institution"),
    "soe": ("国有企业", "State-owned enterprise"),
    "enterprise": ("企业", "Enterprise"),
    "union": ("工会", "Trade union"),
    "school": ("学校", "School"),
    "hospital": ("医院", "Hospital"),
    "community": ("社区", "Community"),
}
PAYMENT_STATUSES: Labels = {
    "pending": ("处理中", "Pending"),
    "requires_payment": ("待付款", "Awaiting payment"),
    "requires_payment_method": ("待付款", "Awaiting payment"),
    "requires_capture": ("已预授权", "Authorised, not captured"),
    "succeeded": ("已收款", "Captured"),
    "canceled": ("已撤销", "Cancelled"),
    "failed": ("失败", "Failed"),
}
REFUND_STATUSES: Labels = {
    "pending": ("退款中", "Refund pending"),
    "succeeded": ("已退款", "Refunded"),
    "failed": ("退款失败", "Refund failed"),
}
REFUND_KINDS: Labels = {
    "order": ("订单退款", "Order refund"),
    "overpayment": ("退还多付款", "Overpayment returned"),
}
PAYOUT_STATUSES: Labels = {
    "pending": ("待退付", "To pay out"),
    "paid": ("已退付", "Paid out"),
    "failed": ("退付失败", "Payout failed"),
}
PROVIDERS: Labels = {
    "simulated": ("模拟支付（演示）", "Simulated (demo)"),
    "stripe": ("Stripe", "Stripe"),
    "bank_transfer": ("银行转账", "Bank transfer"),
    "wechatpay": ("微信支付", "WeChat Pay"),
    "alipay": ("支付宝", "Alipay"),
}
BILL_DIFFERENCES: Labels = {
    "missing_ours": ("我方无记录", "Missing on our side"),
    "missing_theirs": ("对方账单无此笔", "Missing from their bill"),
    "amount": ("金额不符", "Amounts differ"),
}
BILL_RECORDS: Labels = {"payment": ("收款", "Payment"), "refund": ("退款", "Refund")}
MOVEMENT_KINDS: Labels = {
    "receipt": ("入库", "Receipt"),
    "transfer": ("调拨", "Transfer"),
    "sale": ("销售出库", "Sale"),
    "return": ("退货入库", "Return"),
    "writeoff": ("报损", "Write-off"),
    "count": ("盘点调整", "Count adjustment"),
}
STOCK_REASONS: Labels = {
    "expired": ("过期", "Expired"),
    "damaged": ("破损", "Damaged"),
    "lost": ("丢失", "Lost"),
    "recalled": ("召回", "Recalled"),
    "returned": ("退回", "Returned"),
    "other": ("其他", "Other"),
    "stocktake": ("盘点", "Stocktake"),
    "taken_unrecorded": ("未记录取走", "Taken, not recorded"),
}
RESERVATION_STATUSES: Labels = {
    "active": ("占用中", "Held"),
    "fulfilled": ("已出库", "Fulfilled"),
    "released": ("已释放", "Released"),
    "expired": ("已过期释放", "Expired"),
}
LOCATION_KINDS: Labels = {
    "warehouse": ("仓库", "Warehouse"),
    "shop": ("特产馆", "Specialty shop"),
    "kiosk": ("售货柜", "Kiosk"),
}
KIOSK_STATES: Labels = {
    "online": ("在线", "Online"),
    "offline": ("离线", "Offline"),
    "unprovisioned": ("未配置设备密钥", "No device key"),
    "revoked": ("密钥已吊销", "Key revoked"),
}
SUPPLIER_KINDS: Labels = {
    "cooperative": ("合作社", "Cooperative"),
    "enterprise": ("企业", "Enterprise"),
}
REGION_LEVELS: Labels = {
    "province": ("省/自治区", "Province"),
    "prefecture": ("市/州", "Prefecture"),
    "county": ("县/区", "County"),
}
QUOTA_KINDS: Labels = {
    "fixed": ("固定金额", "Fixed amount"),
    "per_member": ("按会员人数", "Per member"),
    "budget_share": ("食堂预算比例", "Share of canteen budget"),
}
STATEMENT_STATUSES: Labels = {
    "draft": ("草稿", "Draft"),
    "issued": ("已出具", "Issued"),
}
CERTIFICATION_STATUSES: Labels = {
    "certified": ("认定有效", "Certified"),
    "lapsed": ("认定已过期", "Certification lapsed"),
    "not_yet_valid": ("认定未生效", "Not yet valid"),
    "none": ("未认定", "Not certified"),
}
AUDIT_VIA: Labels = {
    "api": ("接口", "API"),
    "console": ("运营后台", "Console"),
    "cli": ("命令行", "Command line"),
    "page": ("网页", "Web page"),
}
FULFILMENT_STEPS: Labels = {
    "to_pick": ("待拣货", "To pick"),
    "to_pack": ("待打包", "To pack"),
    "to_ship": ("待发货", "To ship"),
    "picked": ("已拣货", "Picked"),
    "packed": ("已打包", "Packed"),
    "shipped": ("已发货", "Shipped"),
    "delivered": ("已送达", "Delivered"),
}
CARRIERS: Labels = {
    "sf": ("顺丰速运", "SF Express"),
    "ems": ("中国邮政 EMS", "China Post EMS"),
    "jd": ("京东物流", "JD Logistics"),
    "zto": ("中通快递", "ZTO Express"),
    "yto": ("圆通速递", "YTO Express"),
    "yunda": ("韵达快递", "Yunda Express"),
}
REVENUE_KINDS: Labels = {
    "sale": ("销售", "Sale"),
    "refund": ("退款冲减", "Refund"),
}
PAYMENT_METHODS: Labels = {
    "any": ("任意方式", "Any method"),
    "card": ("银行卡", "Card"),
    "wechat_pay": ("微信支付", "WeChat Pay"),
    "alipay": ("支付宝", "Alipay"),
    "bank_transfer": ("银行转账", "Bank transfer"),
}
RECONCILIATION_KINDS: Labels = {
    "order": ("订单", "Order"),
    "county": ("原产县对账单", "County statement"),
    "supplier": ("供应商对账单", "Supplier statement"),
    "overpayment": ("多付款", "Overpayment"),
    "payout": ("转账退款待退付", "Transfer refund to pay out"),
}
KIOSK_MODES: Labels = {
    "vend": ("选购出货柜", "Vending cabinet"),
    "open_door": ("开门自取柜", "Open-door cabinet"),
}
STORAGE_CLASSES: Labels = {
    "ambient": ("常温", "Ambient"),
    "chilled": ("冷藏", "Chilled"),
    "frozen": ("冷冻", "Frozen"),
}

# What each kind of record (a table) is called, as the audit log names what changed.
RECORD_KINDS: Labels = {
    "users": ("用户", "User"),
    "api_tokens": ("接口令牌", "API token"),
    "regions": ("行政区划", "Region"),
    "pairings": ("结对关系", "Pairing"),
    "suppliers": ("供应商", "Supplier"),
    "products": ("商品", "Product"),
    "locations": ("网点", "Location"),
    "slots": ("货道", "Slot"),
    "lots": ("批次", "Lot"),
    "stock_movements": ("库存流水", "Stock movement"),
    "reservations": ("库存占用", "Stock hold"),
    "kiosk_devices": ("售货柜设备密钥", "Kiosk device key"),
    "orders": ("订单", "Order"),
    "order_lines": ("订单行", "Order line"),
    "order_events": ("订单状态记录", "Order status change"),
    "payments": ("支付", "Payment"),
    "refunds": ("退款", "Refund"),
    "payouts": ("银行退付", "Bank payout"),
    "bank_receipts": ("银行到账", "Bank receipt"),
    "revenue_entries": ("收入分录", "Revenue entry"),
    "commission_rates": ("佣金费率", "Commission rate"),
    "organizations": ("单位", "Organization"),
    "organization_members": ("单位成员", "Unit member"),
    "organization_quotas": ("年度额度", "Annual quota"),
    "bulk_orders": ("集采订单", "Bulk order"),
    "org_certificates": ("消费帮扶证明", "Certificate"),
    "statement_periods": ("月结", "Month close"),
    "statements": ("对账单", "Statement"),
}

TABLES: dict[str, Labels] = {
    "record_kind": RECORD_KINDS,
    "order_status": ORDER_STATUSES,
    "channel": CHANNELS,
    "buyer_kind": BUYER_KINDS,
    "payment_status": PAYMENT_STATUSES,
    "refund_status": REFUND_STATUSES,
    "refund_kind": REFUND_KINDS,
    "payout_status": PAYOUT_STATUSES,
    "provider": PROVIDERS,
    "bill_difference": BILL_DIFFERENCES,
    "bill_record": BILL_RECORDS,
    "movement_kind": MOVEMENT_KINDS,
    "stock_reason": STOCK_REASONS,
    "reservation_status": RESERVATION_STATUSES,
    "location_kind": LOCATION_KINDS,
    "kiosk_state": KIOSK_STATES,
    "supplier_kind": SUPPLIER_KINDS,
    "region_level": REGION_LEVELS,
    "quota_kind": QUOTA_KINDS,
    "statement_status": STATEMENT_STATUSES,
    "certification_status": CERTIFICATION_STATUSES,
    "audit_via": AUDIT_VIA,
    "fulfilment_step": FULFILMENT_STEPS,
    "carrier": CARRIERS,
    "revenue_kind": REVENUE_KINDS,
    "payment_method": PAYMENT_METHODS,
    "reconciliation_kind": RECONCILIATION_KINDS,
    "kiosk_mode": KIOSK_MODES,
    "storage_class": STORAGE_CLASSES,
}


def label(table: str, code: str | None, lang: str = "zh") -> str:
    """The reader's word for a code of a table (`label("order_status", "paid")` → 已付款)."""
    if code is None:
        return ""
    zh, en = TABLES[table].get(code, (code, code))
    return en if lang == "en" else zh


def both(table: str, code: str | None) -> str:
    """Chinese and English side by side, as a bilingual page shows them: 已付款 · Paid."""
    if code is None:
        return ""
    zh, en = TABLES[table].get(code, (code, code))
    return zh if zh == en else f"{zh} · {en}"


STORAGE_CLASSES: Labels = {
    "ambient": ("常温", "Ambient"),
    "chilled": ("冷藏", "Chilled"),
    "frozen": ("冷冻", "Frozen"),
}
TABLES["storage"] = STORAGE_CLASSES
PAIRING_STATES: Labels = {
    "in_force": ("有效", "In force"),
    "upcoming": ("未开始", "Not yet begun"),
    "ended": ("已结束", "Ended"),
}
TABLES["pairing_state"] = PAIRING_STATES
# Organization kinds, members' roles and user roles: sales.org_models and accounts.roles take their
# codes from these tables, so a new kind or role cannot lack a name.
ORG_KINDS: Labels = {
    "government_office": ("机关", "Government office"),
    "public_institution": ("事业单位", "Public institution"),
    "state_owned_enterprise": ("国有企业", "State-owned enterprise"),
    "enterprise": ("企业", "Enterprise"),
    "trade_union": ("工会", "Trade union"),
    "school": ("学校", "School"),
    "hospital": ("医院", "Hospital"),
    "community": ("社区", "Community"),
}
MEMBER_ROLES: Labels = {
    "buyer": ("采购员", "Buyer"),
    "approver": ("审批人", "Approver"),
}
USER_ROLES: Labels = {
    "admin": ("管理员", "Administrator"),
    "operator": ("运营人员", "Operator"),
    "restocker": ("补货员", "Restocker"),
    "supplier": ("供应商", "Supplier"),
    "org_buyer": ("单位采购员", "Organization buyer"),
    "org_approver": ("单位审批人", "Organization approver"),
    "auditor": ("审计人员", "Auditor"),
    "county": ("原产县", "Origin county"),
}
TABLES.update({"org_kind": ORG_KINDS, "member_role": MEMBER_ROLES, "user_role": USER_ROLES})
CAPTURE_MODES: Labels = {
    "automatic": ("付款即收款", "Captured at payment"),
    "manual": ("先预授权后收款", "Authorised, captured later"),
}
TABLES["capture_mode"] = CAPTURE_MODES
# Why an order changed status, as the services record it (free text, such as an approver's note or
# a delivery note, is shown as written).
ORDER_EVENTS: Labels = {
    "created": ("创建订单", "Order created"),
    "submitted": ("提交审批", "Submitted for approval"),
    "approved": ("批准，库存已保留", "Approved; stock held"),
    "rejected": ("驳回", "Rejected"),
    "cancelled by the unit": ("单位取消", "Cancelled by the unit"),
    "delivered": ("已送达", "Delivered"),
    "payment received": ("收到付款", "Payment received"),
    "late payment": ("逾期付款", "Late payment"),
    "payment authorized": ("已预授权", "Payment authorised"),
    "payment canceled": ("支付已撤销", "Payment cancelled"),
    "hold lapsed": ("库存保留到期", "Stock hold lapsed"),
    "dispensed": ("已出货", "Dispensed"),
}
# Who did it, when no person did: a scheduled job, a payment provider's notice, the demo loader.
ACTORS: Labels = {
    "system": ("系统", "System"),
}
# Why an order moved: a step of its own (ORDER_EVENTS) or a reason about its goods (STOCK_REASONS).
EVENT_REASONS: Labels = {**STOCK_REASONS, **ORDER_EVENTS}
TABLES.update({"order_event": ORDER_EVENTS, "event_reason": EVENT_REASONS, "actor": ACTORS})
