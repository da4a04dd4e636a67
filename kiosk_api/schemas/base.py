"""Schema bases shared by every feature."""

from marshmallow import RAISE, Schema, fields, validate


class StrictSchema(Schema):
    """A load schema that refuses fields it does not know."""

    class Meta:
        unknown = RAISE


class ErrorDetail(Schema):
    code = fields.String(required=True, metadata={"example": "invalid_input"})
    message = fields.String(required=True)
    fields = fields.Dict(
        keys=fields.String(),
        values=fields.String(),
        metadata={"description": "field path → what is wrong with it"},
    )


class ErrorSchema(Schema):
    error = fields.Nested(ErrorDetail, required=True)


class PageArgs(StrictSchema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1))
    per_page = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))


def Fen(**kwargs):
    """An integer amount of fen; strings and floats are refused."""
    kwargs.setdefault("metadata", {}).setdefault("description", "amount in fen (1/100 yuan)")
    return fields.Integer(strict=True, **kwargs)
