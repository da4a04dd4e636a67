"""Schemas of organizations, quotas, bulk orders and certificates."""

from marshmallow import Schema, fields, validate

from kiosk_api.schemas.base import Fen, Id, StrictSchema
from kiosk_api.schemas.orders import PHONE
from sales.bulk import MAX_QTY
from sales.org_models import MEMBER_ROLES, ORG_KINDS, QUOTA_KINDS

CREDIT_CODE = validate.Length(equal=18, error="18 characters")


class OrgIn(StrictSchema):
    name_zh = fields.String(required=True, validate=validate.Length(min=1, max=128))
    name_en = fields.String(load_default="", validate=validate.Length(max=256))
    kind = fields.String(required=True, validate=validate.OneOf(list(ORG_KINDS)))
    credit_code = fields.String(required=True, validate=CREDIT_CODE)
    city = fields.String(
        required=True, validate=validate.Length(equal=6), metadata={"description": "region code"}
    )


class OrgOut(Schema):
    id = fields.Integer()
    name = fields.Dict(keys=fields.String(), values=fields.String())
    kind = fields.String()
    kind_name = fields.Dict(keys=fields.String(), values=fields.String())
    buyer_kind = fields.String(metadata={"description": "the buyer kind its purchases carry in the ledger"})
    credit_code = fields.String()
    city = fields.String()
    active = fields.Boolean()


class MemberIn(StrictSchema):
    username = fields.String(required=True, validate=validate.Length(min=3, max=64))
    role = fields.String(required=True, validate=validate.OneOf(MEMBER_ROLES))


class MemberOut(Schema):
    organization_id = fields.Integer()
    user_id = fields.Integer()
    role = fields.String()


class QuotaIn(StrictSchema):
    kind = fields.String(required=True, validate=validate.OneOf(QUOTA_KINDS))
    fixed_fen = Fen(validate=validate.Range(min=1))
    members = fields.Integer(strict=True, validate=validate.Range(min=1))
    per_member_fen = Fen(validate=validate.Range(min=1))
    budget_fen = Fen(validate=validate.Range(min=1), metadata={"description": "declared canteen food budget"})
    share_bp = fields.Integer(
        strict=True, validate=validate.Range(min=1, max=10000), metadata={"description": "basis points"}
    )


class YearQuery(StrictSchema):
    year = fields.Integer(
        validate=validate.Range(min=2000, max=2100), metadata={"description": "default: this year"}
    )


class QuotaOut(Schema):
    kind = fields.String()
    fixed_fen = fields.Integer(allow_none=True)
    members = fields.Integer(allow_none=True)
    per_member_fen = fields.Integer(allow_none=True)
    budget_fen = fields.Integer(allow_none=True)
    share_bp = fields.Integer(allow_none=True)
    amount_fen = fields.Integer()


class CountyAmountOut(Schema):
    code = fields.String()
    name = fields.Dict(keys=fields.String(), values=fields.String())
    amount_fen = fields.Integer()


class QuotaProgressOut(Schema):
    organization = fields.Nested(OrgOut)
    year = fields.Integer()
    quota = fields.Nested(QuotaOut, allow_none=True)
    purchased_fen = fields.Integer()
    expected_to_date_fen = fields.Integer()
    shortfall_fen = fields.Integer()
    percent = fields.Integer()
    behind = fields.Boolean()
    months = fields.List(fields.Integer(), metadata={"description": "January … December, fen"})
    counties = fields.List(fields.Nested(CountyAmountOut))
    channels = fields.Dict(keys=fields.String(), values=fields.Integer())


class BulkLineIn(StrictSchema):
    product = Id(required=True)
    qty = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=MAX_QTY))


class DeliveryIn(StrictSchema):
    contact_name = fields.String(required=True, validate=validate.Length(min=1, max=64))
    phone = fields.String(required=True, validate=PHONE)
    address = fields.String(required=True, validate=validate.Length(min=4, max=256))
    invoice_title = fields.String(required=True, validate=validate.Length(min=1, max=128))
    tax_id = fields.String(
        required=True, validate=CREDIT_CODE, metadata={"description": "unified social credit code"}
    )
    note = fields.String(load_default="", validate=validate.Length(max=500))


class BulkOrderIn(StrictSchema):
    lines = fields.List(fields.Nested(BulkLineIn), required=True, validate=validate.Length(min=1, max=500))
    delivery = fields.Nested(DeliveryIn, required=True)
    submit = fields.Boolean(load_default=True, metadata={"description": "send for approval at once"})


class NoteIn(StrictSchema):
    note = fields.String(load_default="", validate=validate.Length(max=500))


class RejectIn(StrictSchema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=500))


class MarkPaidIn(StrictSchema):
    bank_reference = fields.String(required=True, validate=validate.Length(min=1, max=128))
    amount_fen = Fen(required=True, validate=validate.Range(min=1))
    received_at = fields.AwareDateTime(metadata={"description": "when the bank received it; default now"})


class BulkLineOut(Schema):
    product = fields.Integer()
    sku = fields.String()
    name_zh = fields.String()
    name_en = fields.String()
    county = fields.String()
    county_zh = fields.String()
    qty = fields.Integer()
    unit_price_fen = fields.Integer()
    line_total_fen = fields.Integer()


class ReceiptOut(Schema):
    reference = fields.String()
    amount_fen = fields.Integer()
    at = fields.AwareDateTime()
    recorded_by = fields.String()


class EventOut(Schema):
    from_status = fields.String(data_key="from", attribute="from", allow_none=True)
    to = fields.String()
    at = fields.AwareDateTime()
    actor = fields.String()
    reason = fields.String()


class BulkOrderOut(Schema):
    order_id = fields.String()
    number = fields.String(metadata={"description": "the reference to write on the bank transfer"})
    organization = fields.Nested(OrgOut)
    status = fields.String()
    total_fen = fields.Integer()
    total = fields.String()
    captured_fen = fields.Integer()
    transferred_fen = fields.Integer()
    outstanding_fen = fields.Integer()
    overpaid_fen = fields.Integer()
    payment_route = fields.String()
    expires_at = fields.AwareDateTime(allow_none=True)
    delivery = fields.Dict()
    drafted_by = fields.String(allow_none=True)
    decided_by = fields.String(allow_none=True)
    decided_at = fields.AwareDateTime(allow_none=True)
    decision_note = fields.String()
    delivered_at = fields.AwareDateTime(allow_none=True)
    lines = fields.List(fields.Nested(BulkLineOut))
    receipts = fields.List(fields.Nested(ReceiptOut))
    events = fields.List(fields.Nested(EventOut))


class MarkPaidOut(Schema):
    recorded = fields.Boolean(metadata={"description": "false when this transfer was recorded before"})
    paid_now = fields.Boolean()
    order = fields.Nested(BulkOrderOut)


class OnlinePaymentOut(Schema):
    provider = fields.String()
    pay_url = fields.String()
    client_secret = fields.String(allow_none=True)
