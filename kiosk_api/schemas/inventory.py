"""Schemas of locations, slots, lots, stock movements, balances, pick lists and alerts."""

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from inventory.models import (
    KIOSK_MODES,
    LOCATION_KINDS,
    MOVEMENT_KINDS,
    RESERVATION_STATUSES,
    WRITEOFF_REASONS,
)
from kiosk_api.schemas.base import Fen, Id, PageArgs, StrictSchema

LOCATION_CODE = validate.Regexp(r"^[A-Z0-9][A-Z0-9-]{1,31}$", error="upper-case letters, digits and '-'")
SLOT_CODE = validate.Regexp(r"^[A-Z0-9]{1,8}$", error="1–8 upper-case letters or digits")
REGION_CODE = validate.Regexp(r"^\d{6}$", error="a 6-digit GB/T 2260 code")
LOT_CODE = validate.Length(min=1, max=64)
QTY = validate.Range(min=1, max=100_000)


def Qty(**kwargs):
    """A whole, positive number of units; strings and floats are refused."""
    return fields.Integer(strict=True, validate=QTY, **kwargs)


def ProductId(**kwargs):
    """A product's id: a JSON integer in bodies, `strict=False` in query strings (all text)."""
    return Id(**kwargs)


# --- load ---


class LocationIn(StrictSchema):
    code = fields.String(required=True, validate=LOCATION_CODE, metadata={"example": "FZ-0003"})
    kind = fields.String(required=True, validate=validate.OneOf(LOCATION_KINDS))
    name_zh = fields.String(required=True, validate=validate.Length(min=1, max=128))
    name_en = fields.String(load_default="", validate=validate.Length(max=256))
    partner = fields.String(required=True, validate=REGION_CODE, metadata={"description": "eastern partner"})
    mode = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(KIOSK_MODES))
    warehouse = fields.String(load_default=None, allow_none=True, validate=LOCATION_CODE)
    route = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=32))
    address = fields.String(load_default="", validate=validate.Length(max=256))
    open_door_hold_fen = Fen(
        load_default=None,
        allow_none=True,
        validate=validate.Range(min=100),
        metadata={"description": "an open-door kiosk's hold per visit (default: the server's)"},
    )


class LocationPatch(StrictSchema):
    open_door_hold_fen = Fen(
        required=True,
        allow_none=True,
        validate=validate.Range(min=100),
        metadata={"description": "an open-door kiosk's hold per visit; null: the server's default"},
    )


class LocationQuery(StrictSchema):
    kind = fields.String(validate=validate.OneOf(LOCATION_KINDS))
    route = fields.String(validate=validate.Length(min=1, max=32))


class SlotIn(StrictSchema):
    code = fields.String(required=True, validate=SLOT_CODE)
    product = ProductId(required=True)
    capacity = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=1000))
    par_level = fields.Integer(required=True, strict=True, validate=validate.Range(min=0, max=1000))

    @validates_schema
    def _par_within_capacity(self, data: dict, **_kwargs: object) -> None:
        if data.get("par_level", 0) > data.get("capacity", 1000):
            raise ValidationError("must not exceed capacity", "par_level")


class SlotPatch(StrictSchema):
    product = ProductId()
    capacity = fields.Integer(strict=True, validate=validate.Range(min=1, max=1000))
    par_level = fields.Integer(strict=True, validate=validate.Range(min=0, max=1000))
    active = fields.Boolean()


class LotQuery(StrictSchema):
    product = ProductId(strict=False)


class ReceiptIn(StrictSchema):
    location = fields.String(required=True, validate=LOCATION_CODE)
    product = ProductId(required=True)
    lot = fields.String(required=True, validate=LOT_CODE)
    expires_on = fields.Date(load_default=None, metadata={"description": "required for a new lot"})
    qty = Qty(required=True)
    reference = fields.String(load_default=None, validate=validate.Length(max=64))
    note = fields.String(load_default="", validate=validate.Length(max=256))


class TransferIn(StrictSchema):
    source = fields.String(required=True, data_key="from", validate=LOCATION_CODE)
    dest = fields.String(required=True, data_key="to", validate=LOCATION_CODE)
    source_slot = fields.String(load_default=None, data_key="from_slot", validate=SLOT_CODE)
    dest_slot = fields.String(load_default=None, data_key="to_slot", validate=SLOT_CODE)
    product = ProductId(load_default=None, metadata={"description": "optional when a slot names it"})
    lot = fields.String(load_default=None, validate=LOT_CODE, metadata={"description": "else FEFO"})
    qty = Qty(required=True)
    reference = fields.String(load_default=None, validate=validate.Length(max=64))
    note = fields.String(load_default="", validate=validate.Length(max=256))


class WriteoffIn(StrictSchema):
    location = fields.String(required=True, validate=LOCATION_CODE)
    slot = fields.String(load_default=None, validate=SLOT_CODE)
    product = ProductId(load_default=None)
    lot = fields.String(load_default=None, validate=LOT_CODE)
    qty = Qty(required=True)
    reason = fields.String(required=True, validate=validate.OneOf(WRITEOFF_REASONS))
    reference = fields.String(load_default=None, validate=validate.Length(max=64))
    note = fields.String(load_default="", validate=validate.Length(max=256))


class CountIn(StrictSchema):
    location = fields.String(required=True, validate=LOCATION_CODE, metadata={"example": "FZ-0001"})
    slot = fields.String(load_default=None, validate=SLOT_CODE, metadata={"example": "A1"})
    product = ProductId(load_default=None)
    lot = fields.String(load_default=None, validate=LOT_CODE)
    counted = fields.Integer(
        required=True, strict=True, validate=validate.Range(min=0, max=100_000), metadata={"example": 5}
    )
    note = fields.String(load_default="", validate=validate.Length(max=256))


class BalanceQuery(StrictSchema):
    location = fields.String(validate=LOCATION_CODE)
    product = ProductId(strict=False)
    include_empty = fields.Boolean(load_default=False)


class MovementQuery(PageArgs):
    location = fields.String(validate=LOCATION_CODE)
    product = ProductId(strict=False)
    reference = fields.String(validate=validate.Length(min=1, max=64))
    kind = fields.String(validate=validate.OneOf(MOVEMENT_KINDS))


class ReservationQuery(StrictSchema):
    order_ref = fields.String(validate=validate.Length(min=1, max=64))
    location = fields.String(validate=LOCATION_CODE)
    status = fields.String(validate=validate.OneOf(RESERVATION_STATUSES))


class PutLine(StrictSchema):
    slot = fields.String(required=True, validate=SLOT_CODE)
    lot = fields.String(required=True, validate=LOT_CODE)
    qty = Qty(required=True)


class RemovedLine(StrictSchema):
    slot = fields.String(required=True, validate=SLOT_CODE)
    lot = fields.String(load_default=None, validate=LOT_CODE)
    qty = Qty(required=True)
    reason = fields.String(load_default="expired", validate=validate.OneOf(WRITEOFF_REASONS))


class RestockVisitIn(StrictSchema):
    put = fields.List(fields.Nested(PutLine), load_default=list, validate=validate.Length(max=200))
    removed = fields.List(fields.Nested(RemovedLine), load_default=list, validate=validate.Length(max=200))
    note = fields.String(load_default="", validate=validate.Length(max=256))

    @validates_schema
    def _something_done(self, data: dict, **_kwargs: object) -> None:
        if not data.get("put") and not data.get("removed"):
            raise ValidationError("a visit puts in or takes out something", "put")


class AlertQuery(StrictSchema):
    within_days = fields.Integer(load_default=7, validate=validate.Range(min=0, max=365))
    low_percent = fields.Integer(load_default=50, validate=validate.Range(min=1, max=100))
    location = fields.String(validate=LOCATION_CODE)


# --- dump ---


class ProductBrief(Schema):
    id = fields.Integer()
    sku = fields.String()
    name = fields.Function(lambda p: {"zh": p.name_zh, "en": p.name_en})


class SlotOut(Schema):
    code = fields.String()
    product = fields.Nested(ProductBrief)
    capacity = fields.Integer()
    par_level = fields.Integer()
    active = fields.Boolean()


class LocationOut(Schema):
    id = fields.Integer()
    code = fields.String()
    kind = fields.String()
    name_zh = fields.String()
    name_en = fields.String()
    partner = fields.String(attribute="partner_code")
    mode = fields.String(allow_none=True)
    warehouse = fields.Function(lambda loc: loc.warehouse.code if loc.warehouse else None, allow_none=True)
    route = fields.String(allow_none=True)
    address = fields.String()
    active = fields.Boolean()
    open_door_hold_fen = fields.Integer(allow_none=True)
    slots = fields.List(fields.Nested(SlotOut))


class LotOut(Schema):
    id = fields.Integer()
    product = fields.Integer(attribute="product_id")
    code = fields.String()
    expires_on = fields.Date()


class LotQtyOut(Schema):
    lot = fields.String(attribute="lot.code")
    expires_on = fields.Date(attribute="lot.expires_on")
    qty = fields.Integer()


def _code(attr: str, **kwargs):
    """The code of a related location, slot or lot, or null."""
    return fields.Function(
        lambda obj: getattr(obj, attr).code if getattr(obj, attr) else None, allow_none=True, **kwargs
    )


class MovementOut(Schema):
    id = fields.Integer()
    kind = fields.String()
    product = fields.Integer(attribute="product_id")
    lot = fields.String(attribute="lot.code")
    qty = fields.Integer()
    from_ = _code("from_location", data_key="from")
    from_slot = _code("from_slot")
    to = _code("to_location")
    to_slot = _code("to_slot")
    reason = fields.String(allow_none=True)
    reference = fields.String(allow_none=True)
    actor = fields.String()
    note = fields.String()
    at = fields.DateTime()


class MovementPage(Schema):
    items = fields.List(fields.Nested(MovementOut))
    total = fields.Integer()
    page = fields.Integer()
    per_page = fields.Integer()


class BalanceOut(Schema):
    location = fields.String()
    slot = fields.String(allow_none=True)
    product = fields.Nested(ProductBrief)
    lot = fields.String()
    expires_on = fields.Date()
    expired = fields.Boolean()
    on_hand = fields.Integer()
    reserved = fields.Integer()
    available = fields.Integer(metadata={"description": "on hand minus held"})


class ReservationOut(Schema):
    id = fields.Integer()
    order_ref = fields.String()
    line_no = fields.Integer()
    location = _code("location")
    slot = _code("slot")
    product = fields.Integer(attribute="product_id")
    lot = fields.String(attribute="lot.code")
    qty = fields.Integer()
    status = fields.String()
    expires_at = fields.DateTime()
    release_reason = fields.String(allow_none=True)


class CountOut(Schema):
    previous = fields.Integer()
    counted = fields.Integer()
    difference = fields.Integer()
    movements = fields.List(fields.Nested(MovementOut))


class RestockVisitOut(Schema):
    reference = fields.String()
    movements = fields.List(fields.Nested(MovementOut))


class PickLineOut(Schema):
    slot = fields.String(attribute="slot.code")
    product = fields.Nested(ProductBrief)
    par_level = fields.Integer(attribute="slot.par_level")
    capacity = fields.Integer(attribute="slot.capacity")
    sellable = fields.Integer(metadata={"description": "unexpired units in the slot now"})
    bring = fields.Integer(metadata={"description": "units to put in to reach par"})
    lots = fields.List(fields.Nested(LotQtyOut), metadata={"description": "warehouse lots, FEFO"})
    short = fields.Integer(metadata={"description": "units the warehouse cannot supply"})
    take_out = fields.List(fields.Nested(LotQtyOut), metadata={"description": "expired units to remove"})
    blocked = fields.String(
        allow_none=True,
        metadata={"description": "expired_stock: a vending slot off sale until its expired units are pulled"},
    )


class PickListOut(Schema):
    kiosk = fields.String(attribute="kiosk.code")
    warehouse = _code("warehouse")
    generated_at = fields.DateTime()
    lines = fields.List(fields.Nested(PickLineOut))


class LoadOut(Schema):
    warehouse = fields.String()
    product = fields.Nested(ProductBrief)
    lot = fields.String()
    expires_on = fields.Date()
    qty = fields.Integer()


class RoutePickListOut(Schema):
    route = fields.String()
    generated_at = fields.DateTime()
    load = fields.List(fields.Nested(LoadOut), metadata={"description": "what to load at the warehouse"})
    kiosks = fields.List(fields.Nested(PickListOut))


class AlertOut(Schema):
    kind = fields.String(
        metadata={
            "description": "low_stock | expiring_soon | expired_in_kiosk (one per kiosk slot holding expired"
            " units: a vending slot is off sale until they are pulled) | expired_in_stock | unrecorded_take"
            " | kiosk_offline | door_open | uncollected (an open-door visit beyond its hold)"
            " | refund_failed (a refund the provider refused, not yet retried)"
        }
    )
    severity = fields.String(metadata={"description": "critical | warning | info"})
    location = _code("location")
    slot = _code("slot")
    product = fields.Nested(ProductBrief, allow_none=True)
    lot = _code("lot")
    expires_on = fields.Function(lambda a: a.lot.expires_on.isoformat() if a.lot else None, allow_none=True)
    qty = fields.Integer()
    message = fields.String()
