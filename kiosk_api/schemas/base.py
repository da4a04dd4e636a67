"""Schema bases shared by every feature."""

from marshmallow import RAISE, Schema, fields, validate

from core.money import MAX_AMOUNT_FEN


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
    """An integer amount of fen up to MAX_AMOUNT_FEN; strings and floats are refused."""
    kwargs.setdefault("metadata", {}).setdefault("description", "amount in fen (1/100 yuan)")
    given = kwargs.pop("validate", None)
    checks = list(given) if isinstance(given, (list, tuple)) else [given] if given else []
    # Above it an amount is no real one, and would overflow the 64-bit columns as a 500.
    checks.append(validate.Range(max=MAX_AMOUNT_FEN, error=f"at most {MAX_AMOUNT_FEN} fen"))
    return fields.Integer(strict=True, validate=checks, **kwargs)
