"""The roles a user can hold, and which of them may do what."""

from core.labels import USER_ROLES

ADMIN = "admin"
OPERATOR = "operator"
RESTOCKER = "restocker"
SUPPLIER = "supplier"
ORG_BUYER = "org_buyer"
ORG_APPROVER = "org_approver"
AUDITOR = "auditor"
COUNTY = "county"

# Every role with its names (zh, en), from the one label table.
ROLES: dict[str, tuple[str, str]] = USER_ROLES

# The staff: admins and operators run everything, auditors read all of it and change nothing.
STAFF_WRITERS = (ADMIN, OPERATOR)
STAFF_READERS = (*STAFF_WRITERS, AUDITOR)
# The accounts that can be members of an organization (as its buyer or approver).
ORG_MEMBER_ACCOUNTS = (ORG_BUYER, ORG_APPROVER)
# Accounts that read only their own statements: a supplier's, a county's (and its suppliers').
OWN_STATEMENT_READERS = (SUPPLIER, COUNTY)

# Who may change the catalogue (regions, pairings, suppliers, products).
CATALOGUE_EDITORS = STAFF_WRITERS
# Who may read what the public may not (suppliers' payout accounts, inactive products).
CATALOGUE_READERS = STAFF_READERS
# Who may set up locations and slots and move stock (receipts, transfers, write-offs).
INVENTORY_EDITORS = STAFF_WRITERS
# Who may read stock, the stock ledger, holds and alerts.
INVENTORY_READERS = STAFF_READERS
# Who may record restock visits and stock counts.
RESTOCK_RECORDERS = (*STAFF_WRITERS, RESTOCKER)
# Who may read restock pick lists.
PICK_LIST_READERS = (*STAFF_READERS, RESTOCKER)
# Who may read every statement and the reconciliation.
STATEMENT_READERS = STAFF_READERS
# Who may open statements at all (suppliers and counties see their own only).
STATEMENT_VIEWERS = (*STATEMENT_READERS, *OWN_STATEMENT_READERS)
# Who may issue (close) a month's statements.
STATEMENT_ISSUERS = STAFF_WRITERS
# Who may read the audit log.
AUDIT_READERS = (ADMIN, AUDITOR)
# Who may register units and change them, their members and their quotas.
ORG_EDITORS = STAFF_WRITERS
# Who may read the user accounts and their roles.
USER_READERS = STAFF_READERS
# Who may create users, change their roles, reset their passwords and deactivate them.
USER_ADMINS = (ADMIN,)
