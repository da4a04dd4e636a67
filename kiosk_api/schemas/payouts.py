"""Schemas of payouts: bank-transfer refunds an operator pays out by hand."""

from marshmallow import Schema, fields, validate

from kiosk_api.schemas.base import Fen, StrictSchema


class PayoutPaidIn(StrictSchema):
    bank_reference = fields.String(
        required=True,
        validate=validate.Length(min=1, max=128),
        metadata={"description": "the reference of the outgoing transfer on the bank statement"},
    )
    amount_fen = Fen(
        required=True, validate=validate.Range(min=1), metadata={"description": "the refund's amount"}
    )
    paid_on = fields.Date(required=True, metadata={"description": "the day the bank paid it (Asia/Shanghai)"})


class PayoutFailedIn(StrictSchema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=500))


class OwedPayoutOut(Schema):
    refund_id = fields.Integer()
    order_id = fields.String()
    number = fields.String(allow_none=True, metadata={"description": "the bulk order's number"})
    kind = fields.String(metadata={"description": "order (a refund of lines) | overpayment"})
    amount_fen = fields.Integer()
    reason = fields.String()
    created_at = fields.AwareDateTime()


class PayoutOut(Schema):
    refund_id = fields.Integer()
    refund_status = fields.String(metadata={"description": "succeeded once paid out, failed once failed"})
    status = fields.String(metadata={"description": "paid | failed"})
    bank_reference = fields.String(allow_none=True)
    amount_fen = fields.Integer()
    paid_on = fields.Date(allow_none=True)
    note = fields.String()
    recorded_by = fields.String()
    recorded = fields.Boolean(metadata={"description": "false when this payout was recorded before"})
