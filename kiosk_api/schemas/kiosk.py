"""Schemas of the kiosk device protocol (KIOSK_PROTOCOL.md), field for field."""

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from kiosk_api.schemas.base import Fen, StrictSchema

SLOT = validate.Regexp(r"^[A-Za-z0-9-]{1,8}$", error="a slot code such as A1")
REPORT_ID = validate.Length(min=1, max=64)


SKU = validate.Regexp(r"^[A-Z0-9][A-Z0-9._-]{1,63}$", error="a product's sku")


class SessionLineIn(StrictSchema):
    """A slot and its quantity, or a product (sku) and its quantity: the server then chooses the slots."""

    slot = fields.String(validate=SLOT)
    sku = fields.String(validate=SKU)
    qty = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=99))

    @validates_schema
    def _slot_or_sku(self, data: dict, **_kwargs: object) -> None:
        if ("slot" in data) == ("sku" in data):
            raise ValidationError("give either slot or sku", "slot")


class SessionIn(StrictSchema):
    lines = fields.List(fields.Nested(SessionLineIn), required=True, validate=validate.Length(min=1, max=40))


class DoorSessionIn(StrictSchema):
    """An empty object: the server decides the hold."""


class VendResultIn(StrictSchema):
    slot = fields.String(required=True, validate=SLOT)
    requested = fields.Integer(required=True, strict=True, validate=validate.Range(min=0, max=99))
    dispensed = fields.Integer(required=True, strict=True, validate=validate.Range(min=0, max=99))
    error = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=64))


class VendResultsIn(StrictSchema):
    report_id = fields.String(required=True, validate=REPORT_ID)
    results = fields.List(fields.Nested(VendResultIn), required=True, validate=validate.Length(min=1, max=40))


class TakenIn(StrictSchema):
    slot = fields.String(required=True, validate=SLOT)
    qty = fields.Integer(required=True, strict=True, validate=validate.Range(min=0, max=999))


class DoorClosedIn(StrictSchema):
    report_id = fields.String(required=True, validate=REPORT_ID)
    taken = fields.List(fields.Nested(TakenIn), required=True, validate=validate.Length(max=80))


class HeartbeatIn(StrictSchema):
    software_version = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=64))
    door = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(("closed", "open")))
    temperature_c = fields.Float(load_default=None, allow_none=True, validate=validate.Range(min=-50, max=90))
    outbox_depth = fields.Integer(
        load_default=None, allow_none=True, strict=True, validate=validate.Range(min=0)
    )
    errors = fields.List(
        fields.String(validate=validate.Length(max=256)), load_default=list, validate=validate.Length(max=50)
    )


class HeartbeatOut(Schema):
    server_time = fields.String()
    catalogue_etag = fields.String()


class PaymentOut(Schema):
    provider = fields.String()
    qr_payload = fields.String(allow_none=True)


class OrderLineOut(Schema):
    slot = fields.String(allow_none=True)
    sku = fields.String()
    name = fields.Dict(keys=fields.String(), values=fields.String())
    qty = fields.Integer()
    unit_price_fen = fields.Integer()
    line_total_fen = fields.Integer()


class SessionOut(Schema):
    order_id = fields.String()
    status = fields.String()
    total_fen = fields.Integer()
    expires_at = fields.String(metadata={"description": "RFC 3339 with offset"})
    lines = fields.List(fields.Nested(OrderLineOut))
    payment = fields.Nested(PaymentOut)


class DoorSessionOut(Schema):
    order_id = fields.String()
    status = fields.String()
    hold_fen = Fen()
    deposit = fields.Boolean(
        metadata={"description": "true: the shopper pays hold_fen as a deposit (the provider holds no money)"}
    )
    expires_at = fields.String()
    payment = fields.Nested(PaymentOut)


class KioskOrderOut(Schema):
    order_id = fields.String()
    status = fields.String()
    total_fen = fields.Integer()
    lines = fields.List(fields.Nested(OrderLineOut))
    refunded_fen = fields.Integer()
    expires_at = fields.String(allow_none=True)


class VendResultsOut(Schema):
    order_id = fields.String()
    status = fields.String()
    refunded_fen = fields.Integer()


class DoorClosedOut(Schema):
    order_id = fields.String()
    status = fields.String()
    total_fen = fields.Integer()
    refunded_fen = fields.Integer(metadata={"description": "what of a deposit goes back (0 for a hold)"})
    lines = fields.List(fields.Nested(OrderLineOut))


class CatalogueProductOut(Schema):
    id = fields.Integer()
    sku = fields.String()
    name = fields.Dict(keys=fields.String(), values=fields.String())
    spec = fields.String()
    price_fen = fields.Integer()
    certified = fields.Boolean()
    image_url = fields.String(allow_none=True)
    county = fields.Dict(keys=fields.String(), values=fields.String())
    supplier = fields.String()
    category = fields.String(metadata={"description": "category code, e.g. grain"})
    category_name = fields.Dict(keys=fields.String(), values=fields.String())


class CatalogueSlotOut(Schema):
    slot = fields.String()
    capacity = fields.Integer()
    available = fields.Integer()
    blocked = fields.String(
        metadata={
            "description": "present only when the slot sells nothing although it holds stock: "
            "expired_stock (a vending slot holding an expired unit, until a restocker pulls it)"
        }
    )
    product = fields.Nested(CatalogueProductOut)


class CatalogueKioskOut(Schema):
    code = fields.String()
    name = fields.String()
    name_en = fields.String()
    mode = fields.String()
    partner = fields.String()
    partner_en = fields.String(allow_none=True)
    currency = fields.String()


class CatalogueOut(Schema):
    kiosk = fields.Nested(CatalogueKioskOut)
    slots = fields.List(fields.Nested(CatalogueSlotOut))
