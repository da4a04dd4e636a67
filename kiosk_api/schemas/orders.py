"""Schemas of storefront orders."""

from marshmallow import Schema, fields, validate

from kiosk_api.schemas.base import Id, StrictSchema

PHONE = validate.Regexp(r"^\+?[0-9 -]{6,20}$", error="a phone number")


class CartLineIn(StrictSchema):
    product = Id(required=True)
    qty = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=999))


class ContactIn(StrictSchema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=64))
    phone = fields.String(required=True, validate=PHONE)
    address = fields.String(required=True, validate=validate.Length(min=4, max=256))


class OrderIn(StrictSchema):
    lines = fields.List(fields.Nested(CartLineIn), required=True, validate=validate.Length(min=1, max=100))
    contact = fields.Nested(ContactIn, required=True)


class OrderQuery(StrictSchema):
    token = fields.String(
        validate=validate.Length(max=64), metadata={"description": "the order's secret link token"}
    )


class StoreOrderLineOut(Schema):
    product = fields.Integer()
    sku = fields.String()
    name = fields.Dict(keys=fields.String(), values=fields.String())
    county = fields.String()
    qty = fields.Integer()
    unit_price_fen = fields.Integer()
    line_total_fen = fields.Integer()
    refunded_qty = fields.Integer()
    refunded_fen = fields.Integer()


class OrderPaymentOut(Schema):
    provider = fields.String()
    status = fields.String()
    pay_url = fields.String()
    qr_payload = fields.String(allow_none=True)
    client_secret = fields.String(allow_none=True)


class OrderOut(Schema):
    order_id = fields.String()
    channel = fields.String()
    status = fields.String()
    total_fen = fields.Integer()
    total = fields.String()
    captured_fen = fields.Integer()
    refunded_fen = fields.Integer()
    expires_at = fields.String(allow_none=True)
    lines = fields.List(fields.Nested(StoreOrderLineOut))
    payment = fields.Nested(OrderPaymentOut, allow_none=True)
    events = fields.List(fields.Dict())
    link = fields.String(metadata={"description": "the owner's link to this order"})
