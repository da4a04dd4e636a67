"""Every load schema's field is bounded, and within the column it is stored in.

Each string has a maximum length (Length, OneOf or a known pattern) no longer than its column's;
each integer a range within its column's (32-bit Integer, 64-bit BigInteger/Fen) or, with no
column, within 32 bits. A new load schema must be listed in SCHEMAS (with its model, or None);
a new field is found by name in that model (`x`, `x_id`, `x_code`) or listed in COLUMNS."""

from __future__ import annotations

import importlib
import pkgutil
from typing import Any

from marshmallow import fields, validate
from sqlalchemy import BigInteger, Column, Integer, String
from sqlalchemy.types import TypeDecorator

import kiosk_api.schemas
from accounts.models import User
from audit.models import AuditEntry
from catalogue.models import Pairing, Product, Region, Supplier
from devices.models import KioskDevice
from inventory.models import Location, Lot, Reservation, Slot, StockBalance, StockMovement
from kiosk_api.input_limits import INT32_MAX, INT32_MIN, INT64_MAX, INT64_MIN
from kiosk_api.schemas.base import StrictSchema
from payments.models import BankReceipt, Payout
from sales.models import Order, OrderLine
from sales.org_models import BulkOrder, Organization, OrganizationMember, OrganizationQuota
from sales.statements.models import Statement

for module in pkgutil.iter_modules(kiosk_api.schemas.__path__):
    importlib.import_module(f"kiosk_api.schemas.{module.name}")


def _c(model: Any, name: str) -> Column:
    return model.__table__.c[name]


# Each load schema and the model its fields are stored in (None: a query or a request with no table).
SCHEMAS: dict[str, Any] = {
    "RegionIn": Region, "RegionPatch": Region, "RegionQuery": Region,
    "PairingIn": Pairing, "PairingPatch": Pairing, "PairingQuery": None,
    "SupplierIn": Supplier, "SupplierPatch": Supplier, "SupplierQuery": Supplier,
    "_ProductFields": Product, "ProductIn": Product, "ProductPatch": Product, "ProductQuery": Product,
    "PageArgs": None,
    "LocationIn": Location, "LocationPatch": Location, "LocationQuery": Location,
    "SlotIn": Slot, "SlotPatch": Slot, "LotQuery": Lot,
    "ReceiptIn": StockMovement, "TransferIn": StockMovement, "WriteoffIn": StockMovement,
    "CountIn": StockMovement, "BalanceQuery": StockMovement, "MovementQuery": StockMovement,
    "ReservationQuery": Reservation, "PutLine": StockMovement, "RemovedLine": StockMovement,
    "RestockVisitIn": StockMovement, "AlertQuery": None,
    "SessionLineIn": OrderLine, "SessionIn": None, "DoorSessionIn": None,
    "VendResultIn": OrderLine, "VendResultsIn": Order, "TakenIn": OrderLine, "DoorClosedIn": Order,
    "HeartbeatIn": KioskDevice,
    "CartLineIn": OrderLine, "ContactIn": BulkOrder, "OrderIn": None, "OrderQuery": Order,
    "OrgIn": Organization, "MemberIn": OrganizationMember, "QuotaIn": OrganizationQuota,
    "YearQuery": OrganizationQuota, "BulkLineIn": OrderLine, "DeliveryIn": BulkOrder,
    "BulkOrderIn": None, "NoteIn": BulkOrder, "RejectIn": BulkOrder, "MarkPaidIn": BankReceipt,
    "PayoutPaidIn": Payout, "PayoutFailedIn": Payout,
    "StatementQuery": Statement, "PeriodQuery": Statement, "AuditQuery": AuditEntry,
}  # fmt: skip

LOCATION_CODE, SLOT_CODE, LOT_CODE = _c(Location, "code"), _c(Slot, "code"), _c(Lot, "code")
# Fields whose column is not found by name (None: the field is stored in no column).
COLUMNS: dict[str, Column | None] = {
    "ProductQuery.q": None,
    "ProductQuery.prefecture": _c(Region, "code"),
    "ProductQuery.province": _c(Region, "code"),
    "ProductQuery.partner": _c(Region, "code"),
    "LocationIn.warehouse": LOCATION_CODE,
    "ReceiptIn.location": LOCATION_CODE, "ReceiptIn.lot": LOT_CODE,
    "TransferIn.source": LOCATION_CODE, "TransferIn.dest": LOCATION_CODE,
    "TransferIn.source_slot": SLOT_CODE, "TransferIn.dest_slot": SLOT_CODE, "TransferIn.lot": LOT_CODE,
    "WriteoffIn.location": LOCATION_CODE, "WriteoffIn.slot": SLOT_CODE, "WriteoffIn.lot": LOT_CODE,
    "CountIn.location": LOCATION_CODE, "CountIn.slot": SLOT_CODE, "CountIn.lot": LOT_CODE,
    "CountIn.counted": _c(StockBalance, "on_hand"),
    "BalanceQuery.location": LOCATION_CODE, "MovementQuery.location": LOCATION_CODE,
    "MovementQuery.kind": _c(StockMovement, "kind"),
    "ReservationQuery.location": LOCATION_CODE,
    "PutLine.slot": SLOT_CODE, "PutLine.lot": LOT_CODE,
    "RemovedLine.slot": SLOT_CODE, "RemovedLine.lot": LOT_CODE,
    "AlertQuery.location": LOCATION_CODE,
    "SessionLineIn.slot": _c(OrderLine, "slot_code"), "VendResultIn.slot": _c(OrderLine, "slot_code"),
    "TakenIn.slot": _c(OrderLine, "slot_code"),
    "VendResultIn.requested": _c(OrderLine, "qty"), "VendResultIn.dispensed": _c(OrderLine, "qty"),
    "VendResultIn.error": None,  # kept in the order's report JSON
    "HeartbeatIn.errors": None,  # a JSON column; each entry is bounded
    "CartLineIn.product": _c(OrderLine, "product_id"), "BulkLineIn.product": _c(OrderLine, "product_id"),
    "ContactIn.name": _c(BulkOrder, "contact_name"), "ContactIn.address": _c(BulkOrder, "delivery_address"),
    "OrderQuery.token": _c(Order, "pay_token"),
    "OrgIn.city": _c(Organization, "city_code"),
    "MemberIn.username": _c(User, "username"),
    "DeliveryIn.address": _c(BulkOrder, "delivery_address"),
    "RejectIn.reason": _c(BulkOrder, "decision_note"),
    "MarkPaidIn.bank_reference": _c(BankReceipt, "reference"),
    "PayoutFailedIn.reason": _c(Payout, "note"),
    "StatementQuery.partner": _c(Statement, "scope_key"),
    "AuditQuery.limit": None, "AuditQuery.offset": None,
}  # fmt: skip

# Patterns whose longest match is known (the schemas' codes); a new pattern must be added here.
PATTERN_MAX = {
    r"^\d{6}$": 6,
    r"^[A-Z0-9][A-Z0-9-]{1,31}$": 32,
    r"^[A-Z0-9]{1,8}$": 8,
    r"^[A-Za-z0-9-]{1,8}$": 8,
    r"^[A-Z0-9][A-Z0-9._-]{1,63}$": 64,
    r"^\+?[0-9 -]{6,20}$": 21,
    r"^(20\d\d)-(0[1-9]|1[0-2])$": 7,
}


def _load_schemas() -> list[type[StrictSchema]]:
    found, todo = [], [StrictSchema]
    while todo:
        cls = todo.pop()
        for sub in cls.__subclasses__():
            if sub.__module__.startswith("kiosk_api."):
                found.append(sub)
            todo.append(sub)
    return sorted(set(found), key=lambda c: c.__name__)


def _fields() -> list[tuple[str, str, fields.Field, Any]]:
    out = []
    for cls in _load_schemas():
        model = SCHEMAS.get(cls.__name__)
        for name, field in cls().fields.items():
            inner = getattr(field, "inner", None)
            out.append((cls.__name__, field.attribute or name, inner if inner is not None else field, model))
    return out


def _column(schema: str, name: str, model: Any) -> Column | None:
    key = f"{schema}.{name}"
    if key in COLUMNS:
        return COLUMNS[key]
    if model is None:
        return None
    for candidate in (name, f"{name}_id", f"{name}_code"):
        if candidate in model.__table__.c:
            return model.__table__.c[candidate]
    return None


def _max_length(field: fields.Field) -> int | None:
    bounds = []
    for v in field.validators:
        if isinstance(v, validate.Length):
            bounds.append(v.equal if v.equal is not None else v.max)
        elif isinstance(v, validate.OneOf):
            bounds.append(max(len(str(c)) for c in v.choices))
        elif isinstance(v, validate.Regexp):
            assert v.regex.pattern in PATTERN_MAX, (
                f"add the longest match of {v.regex.pattern!r} to PATTERN_MAX"
            )
            bounds.append(PATTERN_MAX[v.regex.pattern])
    known = [b for b in bounds if b is not None]
    return min(known) if known else None


def _int_range(column: Column | None) -> tuple[int, int]:
    kind = column.type.impl if column is not None and isinstance(column.type, TypeDecorator) else None
    kind = kind if kind is not None else (column.type if column is not None else Integer())
    if isinstance(kind, BigInteger) or (isinstance(kind, type) and issubclass(kind, BigInteger)):
        return INT64_MIN, INT64_MAX
    return INT32_MIN, INT32_MAX


def string_problem(schema: str, name: str, field: fields.Field, model: Any) -> str | None:
    """What is wrong with a string field's bound, or None."""
    bound = _max_length(field)
    if bound is None:
        return f"{schema}.{name} has no maximum length (Length, OneOf or a known Regexp)"
    column = _column(schema, name, model)
    length = column.type.length if column is not None and isinstance(column.type, String) else None
    if length and bound > length:
        return f"{schema}.{name} allows {bound} characters, {column.table.name}.{column.name} holds {length}"
    return None


def integer_problem(schema: str, name: str, field: fields.Field, model: Any) -> str | None:
    """What is wrong with an integer field's range, or None."""
    ranges = [v for v in field.validators if isinstance(v, validate.Range)]
    low = max((r.min for r in ranges if r.min is not None), default=None)
    high = min((r.max for r in ranges if r.max is not None), default=None)
    if low is None or high is None:
        return f"{schema}.{name} has no range"
    column = _column(schema, name, model)
    if column is not None and not isinstance(column.type, (Integer, TypeDecorator)):
        return f"{schema}.{name} is stored in {column.table.name}.{column.name}, no integer column"
    least, most = _int_range(column)
    if low < least or high > most:
        return f"{schema}.{name} allows {low}…{high}, its column {least}…{most}"
    return None


def test_every_load_schema_is_listed_with_its_model() -> None:
    missing = [cls.__name__ for cls in _load_schemas() if cls.__name__ not in SCHEMAS]
    assert not missing, f"list these schemas in SCHEMAS with the model they write (or None): {missing}"


def test_every_string_is_bounded_within_its_column() -> None:
    found = [f for f in _fields() if isinstance(f[2], fields.String)]
    assert len(found) > 150
    problems = [p for f in found if (p := string_problem(*f))]
    assert not problems, "\n".join(problems)


def test_every_integer_is_within_its_column() -> None:
    found = [f for f in _fields() if isinstance(f[2], fields.Integer)]
    assert len(found) > 50
    problems = [p for f in found if (p := integer_problem(*f))]
    assert not problems, "\n".join(problems)


def test_the_checks_catch_a_field_that_forgets() -> None:
    from kiosk_api.schemas.catalogue import NAME

    # A region's name with the supplier's 128 characters: what the probe found (regions hold 64).
    assert "holds 64" in string_problem("RegionIn", "name_zh", fields.String(validate=NAME), Region)
    assert "no maximum length" in string_problem("RegionIn", "name_en", fields.String(), Region)
    too_wide = fields.Integer(validate=validate.Range(min=0, max=2**40))
    assert "its column" in integer_problem("SupplierIn", "households_linked", too_wide, Supplier)
    assert "no range" in integer_problem("SupplierIn", "households_linked", fields.Integer(), Supplier)
