"""Schemas of statements, their issue, the reconciliation report and the audit log."""

from marshmallow import Schema, fields, validate

from kiosk_api.schemas.base import Id, StrictSchema
from sales.statements.compute import PERIOD as PERIOD_PATTERN

PERIOD = validate.Regexp(PERIOD_PATTERN, error="a period is YYYY-MM, 2000-01 to 2099-12")
SCOPE = validate.OneOf(("county", "supplier", "partner"))


class StatementQuery(StrictSchema):
    period = fields.String(validate=PERIOD, metadata={"description": "YYYY-MM (Asia/Shanghai)"})
    scope = fields.String(validate=SCOPE)
    county = fields.String(validate=validate.Length(equal=6), metadata={"description": "origin county code"})
    supplier = Id(strict=False)
    partner = fields.String(
        validate=validate.Length(equal=6), metadata={"description": "eastern partner code"}
    )


class PeriodQuery(StrictSchema):
    period = fields.String(required=True, validate=PERIOD)


class AuditQuery(StrictSchema):
    actor = fields.String(validate=validate.Length(max=128), metadata={"description": "who"})
    target_type = fields.String(validate=validate.Length(max=64), metadata={"description": "a table"})
    operation = fields.String(
        validate=validate.Length(max=128), metadata={"description": "text in the method and route or command"}
    )
    via = fields.String(validate=validate.OneOf(("api", "console", "page", "cli")))
    since = fields.Date(metadata={"description": "from this day (Asia/Shanghai)"})
    until = fields.Date(metadata={"description": "to this day, included (Asia/Shanghai)"})
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=500))
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0))


class StatementSummaryOut(Schema):
    id = fields.Integer(allow_none=True, metadata={"description": "null for a draft (not stored)"})
    period = fields.String()
    scope = fields.String()
    key = fields.String()
    subject = fields.Dict()
    status = fields.String(metadata={"description": "draft | issued"})
    content_hash = fields.String(allow_none=True)
    issued_at = fields.DateTime(allow_none=True)
    totals = fields.Dict(metadata={"description": "amounts in fen, units in pieces"})
    links = fields.Dict(keys=fields.String(), values=fields.String())


class StatementOut(StatementSummaryOut):
    figures = fields.Dict(metadata={"description": "totals, breakdowns and adjustments; amounts in fen"})


class IssueOut(Schema):
    period = fields.String()
    issued_at = fields.DateTime()
    statement_count = fields.Integer()
    newly_issued = fields.Boolean(metadata={"description": "false when the period had been issued before"})


class ReconciliationLineOut(Schema):
    kind = fields.String(
        metadata={"description": "order | county | supplier | overpayment (returned by no refund)"}
    )
    key = fields.String()
    expected_fen = fields.Integer()
    found_fen = fields.Integer()
    difference_fen = fields.Integer()


class OwedOut(Schema):
    kind = fields.String(
        metadata={"description": "overpayment (not yet returned) | payout (a bank-transfer refund)"}
    )
    order_id = fields.String()
    refund_id = fields.Integer(allow_none=True)
    amount_fen = fields.Integer()


class ReconciliationOut(Schema):
    period = fields.String()
    issued = fields.Boolean()
    captured_fen = fields.Integer()
    refunded_fen = fields.Integer()
    payments_net_fen = fields.Integer()
    ledger_fen = fields.Integer()
    county_statements_fen = fields.Integer()
    supplier_statements_fen = fields.Integer()
    balanced = fields.Boolean(
        metadata={"description": "payments − refunds = revenue = statements, no difference"}
    )
    differences = fields.List(fields.Nested(ReconciliationLineOut))
    owed_fen = fields.Integer(
        metadata={"description": "money owed back to buyers (not revenue), still unpaid"}
    )
    owed = fields.List(fields.Nested(OwedOut))
    settled = fields.Boolean(metadata={"description": "balanced and nothing owed back"})


class AuditEntryOut(Schema):
    id = fields.Integer()
    actor = fields.String()
    actor_role = fields.String()
    action = fields.String()
    target_type = fields.String()
    target_id = fields.String()
    before = fields.Dict(allow_none=True)
    after = fields.Dict(allow_none=True)
    via = fields.String(metadata={"description": "api | console | page | cli"})
    at = fields.DateTime()
    origin = fields.String(allow_none=True, metadata={"description": "caller's address or CLI host"})
    operation = fields.String(allow_none=True, metadata={"description": "method and route, or the command"})
    request_id = fields.String(allow_none=True, metadata={"description": "the request log's request_id"})
