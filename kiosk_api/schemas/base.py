"""Schema bases shared by every feature."""

from collections.abc import Mapping
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, pre_load, validate

from core.money import MAX_AMOUNT_FEN
from kiosk_api.input_limits import INT32_MAX, INT32_MIN, bad_text


def _text_errors(value: Any, depth: int = 0) -> Any:
    """Marshmallow-shaped messages for every string in `value` a text column cannot hold, or None."""
    if isinstance(value, str):
        why = bad_text(value)
        return [why] if why else None
    if depth > 64:  # the request's own JSON depth limit is far below; this is only a backstop
        return None
    if isinstance(value, Mapping):
        found = {}
        for key, item in value.items():
            name = key if isinstance(key, str) and not bad_text(key) else "_schema"
            errors = _text_errors(key, depth + 1) or _text_errors(item, depth + 1)
            if errors:
                found[name] = errors
        return found or None
    if isinstance(value, (list, tuple)):
        found = {i: e for i, item in enumerate(value) if (e := _text_errors(item, depth + 1))}
        return found or None
    return None


def _integer_bounds(field: fields.Field) -> None:
    """Give an Integer field without a lower or upper bound the 32-bit column's."""
    ranges = [v for v in field.validators if isinstance(v, validate.Range)]
    low = max((r.min for r in ranges if r.min is not None), default=None)
    high = min((r.max for r in ranges if r.max is not None), default=None)
    if low is None or high is None:
        field.validators = [
            *field.validators,
            validate.Range(
                min=INT32_MIN if low is None else None,
                max=INT32_MAX if high is None else None,
            ),
        ]


class StrictSchema(Schema):
    """A load schema that refuses fields it does not know, text no column can hold (NUL bytes,
    lone surrogates) and integers past the 32-bit columns unless a field declares its own range."""

    class Meta:
        unknown = RAISE

    def on_bind_field(self, field_name: str, field_obj: fields.Field) -> None:
        for field in (field_obj, getattr(field_obj, "inner", None)):
            if isinstance(field, fields.Integer):
                _integer_bounds(field)

    @pre_load
    def _refuse_unstorable_text(self, data: Any, **_kwargs: Any) -> Any:
        errors = _text_errors(data)
        if errors:
            raise ValidationError(errors)
        return data


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


# Past it even (page - 1) × per_page stays an offset every database takes.
MAX_PAGE = 100_000


class PageArgs(StrictSchema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=MAX_PAGE))
    per_page = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))


def Fen(**kwargs):
    """An integer amount of fen up to MAX_AMOUNT_FEN; strings and floats are refused."""
    kwargs.setdefault("metadata", {}).setdefault("description", "amount in fen (1/100 yuan)")
    given = kwargs.pop("validate", None)
    checks = list(given) if isinstance(given, (list, tuple)) else [given] if given else []
    # Above it an amount is no real one, and would overflow the 64-bit columns as a 500.
    checks.append(validate.Range(max=MAX_AMOUNT_FEN, error=f"at most {MAX_AMOUNT_FEN} fen"))
    return fields.Integer(strict=True, validate=checks, **kwargs)


def Id(*, strict: bool = True, **kwargs):
    """A row id (≥ 1, within the 32-bit id columns); `strict=False` for query strings, where every
    value is text."""
    return fields.Integer(strict=strict, validate=validate.Range(min=1, max=INT32_MAX), **kwargs)
