"""Names of what statements break down by, in Chinese and English."""

from __future__ import annotations

from core.labels import BUYER_KINDS, CHANNELS, ORDER_STATUSES  # noqa: F401  (one label table)

# Statistics separate organizational purchases (采购) from help-selling to individuals (帮销).
PURCHASE_TYPES = {
    "organizational": ("采购（单位）", "Organizational purchase"),
    "individual": ("帮销（个人）", "Help-selling to individuals"),
}
CERTIFIED = {
    "certified": ("扶贫认定产品", "Certified products"),
    "not_certified": ("非认定产品", "Not certified"),
}
DIMENSIONS = {
    "county": ("原产县", "Origin county"),
    "prefecture": ("市/州", "Prefecture"),
    "supplier": ("供应商", "Supplier"),
    "product": ("商品", "Product"),
    "channel": ("渠道", "Channel"),
    "buyer_kind": ("购买方类型", "Buyer kind"),
    "purchase_type": ("采购与帮销", "Purchases vs help-selling"),
    "certified": ("认定情况", "Certification"),
    "partner": ("东部协作城市", "Eastern partner"),
    "location": ("销售网点", "Kiosk / location"),
}
SCOPES = {
    "county": ("原产县月度销售对账单", "Origin county monthly sales statement"),
    "supplier": ("供应商月度销售对账单", "Supplier monthly sales statement"),
    "partner": ("东部协作城市月度帮销汇总", "Eastern partner monthly summary"),
}
TOTALS = {
    "gross_fen": ("销售总额", "Gross sales"),
    "refunds_fen": ("本期退款", "Refunds"),
    "adjustments_fen": ("以前期间调整", "Previous-period adjustments"),
    "net_fen": ("销售净额", "Net sales"),
    "units": ("净销量（件）", "Net units"),
    "commission_fen": ("运营佣金", "Commission"),
    "net_payable_fen": ("应付金额", "Net payable"),
}


def purchase_type(buyer_kind: str) -> str:
    """采购 when a unit bought (any buyer kind but an individual), else 帮销."""
    return "individual" if buyer_kind == "individual" else "organizational"
