"""The roles a user can hold, and which of them may do what."""

ADMIN = "admin"
OPERATOR = "operator"
RESTOCKER = "restocker"
SUPPLIER = "supplier"
ORG_BUYER = "org_buyer"
ORG_APPROVER = "org_approver"
AUDITOR = "auditor"
COUNTY = "county"

ROLES: dict[str, tuple[str, str]] = {
    ADMIN: ("管理员", "Administrator"),
    OPERATOR: ("运营人员", "Operator"),
    RESTOCKER: ("补货员", "Restocker"),
    SUPPLIER: ("供应商", "Supplier"),
    ORG_BUYER: ("单位采购员", "Organization buyer"),
    ORG_APPROVER: ("单位审批人", "Organization approver"),
    AUDITOR: ("审计人员", "Auditor"),
    COUNTY: ("原产县", "Origin county"),
}

# Who may change the catalogue (regions, pairings, suppliers, products).
CATALOGUE_EDITORS = (ADMIN, OPERATOR)
# Who may read what the public may not (suppliers' payout accounts, inactive products).
CATALOGUE_READERS = (ADMIN, OPERATOR, AUDITOR)
# Who may set up locations and slots and move stock (receipts, transfers, write-offs).
INVENTORY_EDITORS = (ADMIN, OPERATOR)
# Who may read stock, the stock ledger, holds and alerts.
INVENTORY_READERS = (ADMIN, OPERATOR, AUDITOR)
# Who may record restock visits and stock counts.
RESTOCK_RECORDERS = (ADMIN, OPERATOR, RESTOCKER)
# Who may read restock pick lists.
PICK_LIST_READERS = (ADMIN, OPERATOR, RESTOCKER, AUDITOR)
# Who may read every statement, the audit log and the reconciliation (suppliers and counties
# read their own statements only).
STATEMENT_READERS = (ADMIN, OPERATOR, AUDITOR)
# Who may issue (close) a month's statements.
STATEMENT_ISSUERS = (ADMIN, OPERATOR)
