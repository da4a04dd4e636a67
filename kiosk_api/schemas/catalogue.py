"""Schemas of regions, pairings, suppliers and products."""

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from catalogue.categories import CATEGORIES
from catalogue.models import REGION_LEVELS, STORAGE_CLASSES, SUPPLIER_KINDS
from kiosk_api.schemas.base import Fen, Id, PageArgs, StrictSchema

REGION_CODE = validate.Regexp(r"^\d{6}$", error="a 6-digit GB/T 2260 code")
NAME = validate.Length(min=1, max=128)
REGION_NAME = validate.Length(min=1, max=64)  # regions.name_zh holds 64


# --- regions ---


class RegionIn(StrictSchema):
    code = fields.String(required=True, validate=REGION_CODE)
    name_zh = fields.String(required=True, validate=REGION_NAME)
    name_en = fields.String(required=True, validate=validate.Length(min=1, max=128))
    level = fields.String(required=True, validate=validate.OneOf(REGION_LEVELS))
    parent = fields.String(load_default=None, allow_none=True, validate=REGION_CODE)


class RegionPatch(StrictSchema):
    name_zh = fields.String(validate=REGION_NAME)
    name_en = fields.String(validate=validate.Length(min=1, max=128))


class RegionQuery(StrictSchema):
    level = fields.String(validate=validate.OneOf(REGION_LEVELS))
    parent = fields.String(validate=REGION_CODE)


class RegionRef(Schema):
    code = fields.String()
    name = fields.Dict(keys=fields.String(), values=fields.String(), metadata={"example": {"zh": "西吉县"}})


class RegionOut(Schema):
    code = fields.String()
    name_zh = fields.String()
    name_en = fields.String()
    level = fields.String()
    parent = fields.String(attribute="parent_code", allow_none=True)


# --- pairings ---


class PairingIn(StrictSchema):
    east = fields.String(required=True, validate=REGION_CODE)
    west = fields.String(required=True, validate=REGION_CODE)
    valid_from = fields.Date(required=True)
    valid_to = fields.Date(load_default=None, allow_none=True)
    note_zh = fields.String(load_default="", validate=validate.Length(max=2000))
    note_en = fields.String(load_default="", validate=validate.Length(max=2000))


class PairingPatch(StrictSchema):
    valid_from = fields.Date()
    valid_to = fields.Date(allow_none=True)
    note_zh = fields.String(validate=validate.Length(max=2000))
    note_en = fields.String(validate=validate.Length(max=2000))


class PairingQuery(StrictSchema):
    on = fields.Date(metadata={"description": "only pairings valid on this day"})


class PairingOut(Schema):
    id = fields.Integer()
    east = fields.Nested(RegionRef)
    west = fields.Nested(RegionRef)
    valid_from = fields.Date()
    valid_to = fields.Date(allow_none=True)
    note_zh = fields.String()
    note_en = fields.String()


# --- suppliers ---


class SupplierIn(StrictSchema):
    name_zh = fields.String(required=True, validate=NAME)
    name_en = fields.String(load_default="", validate=validate.Length(max=256))
    kind = fields.String(required=True, validate=validate.OneOf(SUPPLIER_KINDS))
    county = fields.String(required=True, validate=REGION_CODE)
    credit_code = fields.String(
        required=True,
        validate=validate.Length(max=18),
        metadata={"description": "统一社会信用代码, 18 characters"},
    )
    certified = fields.Boolean(load_default=False)
    households_linked = fields.Integer(strict=True, load_default=0, validate=validate.Range(min=0))
    payout_account = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=256))


class SupplierPatch(StrictSchema):
    name_zh = fields.String(validate=NAME)
    name_en = fields.String(validate=validate.Length(max=256))
    kind = fields.String(validate=validate.OneOf(SUPPLIER_KINDS))
    county = fields.String(validate=REGION_CODE)
    credit_code = fields.String(validate=validate.Length(max=18))
    certified = fields.Boolean()
    households_linked = fields.Integer(strict=True, validate=validate.Range(min=0))
    payout_account = fields.String(allow_none=True, validate=validate.Length(max=256))


class SupplierQuery(StrictSchema):
    county = fields.String(validate=REGION_CODE)


class SupplierOut(Schema):
    id = fields.Integer()
    name_zh = fields.String()
    name_en = fields.String()
    kind = fields.String()
    county = fields.Nested(RegionRef)
    credit_code = fields.String(validate=validate.Length(max=18))
    certified = fields.Boolean()
    households_linked = fields.Integer()
    payout_account = fields.String(allow_none=True)


class SupplierRef(Schema):
    id = fields.Integer()
    name = fields.Dict(keys=fields.String(), values=fields.String())
    certified = fields.Boolean()
    households_linked = fields.Integer()


# --- products ---


class _ProductFields(StrictSchema):
    gtin = fields.String(
        allow_none=True,
        validate=validate.Length(max=13),
        metadata={"description": "GTIN-13 with check digit"},
    )
    name_zh = fields.String(validate=NAME)
    name_en = fields.String(validate=validate.Length(max=256))
    category = fields.String(validate=validate.OneOf(list(CATEGORIES)))
    spec = fields.String(validate=validate.Length(min=1, max=64), metadata={"example": "5kg/袋"})
    price_fen = Fen(validate=validate.Range(min=1, max=100_000_000))
    county = fields.String(validate=REGION_CODE)
    supplier = Id()
    certification_no = fields.String(allow_none=True, validate=validate.Length(min=1, max=64))
    certified_from = fields.Date(allow_none=True)
    certified_until = fields.Date(allow_none=True)
    shelf_life_days = fields.Integer(strict=True, validate=validate.Range(min=1, max=3650))
    storage = fields.String(validate=validate.OneOf(STORAGE_CLASSES))
    image_url = fields.String(allow_none=True, validate=validate.Length(max=512))
    keywords = fields.String(
        validate=validate.Length(max=256),
        metadata={"description": "other names shoppers search by, e.g. 土豆 洋芋"},
    )
    story_zh = fields.String(validate=validate.Length(max=4000))
    story_en = fields.String(validate=validate.Length(max=4000))
    active = fields.Boolean()

    @validates_schema
    def _dates_in_order(self, data: dict, **_kwargs: object) -> None:
        start, end = data.get("certified_from"), data.get("certified_until")
        if start and end and end < start:
            raise ValidationError("must not be before certified_from", "certified_until")


class ProductIn(_ProductFields):
    sku = fields.String(
        required=True,
        validate=validate.Regexp(
            r"^[A-Z0-9][A-Z0-9._-]{1,63}$", error="upper-case letters, digits, '.', '_' or '-'"
        ),
    )
    name_zh = fields.String(required=True, validate=NAME)
    category = fields.String(required=True, validate=validate.OneOf(list(CATEGORIES)))
    spec = fields.String(required=True, validate=validate.Length(min=1, max=64))
    price_fen = Fen(required=True, validate=validate.Range(min=1, max=100_000_000))
    county = fields.String(required=True, validate=REGION_CODE)
    supplier = Id(required=True)
    shelf_life_days = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=3650))


class ProductPatch(_ProductFields):
    """Any product field but the SKU, which identifies it."""


class ProductQuery(PageArgs):
    q = fields.String(
        validate=validate.Length(max=64),
        metadata={"description": "characters (简/繁), pinyin, initials or English"},
    )
    county = fields.String(validate=REGION_CODE)
    prefecture = fields.String(validate=REGION_CODE)
    province = fields.String(validate=REGION_CODE)
    partner = fields.String(validate=REGION_CODE, metadata={"description": "eastern partner's region code"})
    category = fields.String(validate=validate.OneOf(list(CATEGORIES)))
    supplier = Id(strict=False)
    certified = fields.Boolean(metadata={"description": "only products certified today"})


class CertificationOut(Schema):
    number = fields.String(allow_none=True)
    valid_from = fields.Date(allow_none=True)
    valid_until = fields.Date(allow_none=True)
    status = fields.String(metadata={"description": "certified | lapsed | not_yet_valid | none"})


class ProductOut(Schema):
    id = fields.Integer()
    sku = fields.String()
    gtin = fields.String(allow_none=True)
    name = fields.Dict(
        keys=fields.String(), values=fields.String(), metadata={"example": {"zh": "西吉马铃薯"}}
    )
    category = fields.Dict(keys=fields.String(), values=fields.String())
    spec = fields.String()
    price_fen = fields.Integer()
    price = fields.String(metadata={"example": "¥29.90"})
    county = fields.Nested(RegionRef)
    prefecture = fields.Nested(RegionRef, allow_none=True)
    province = fields.Nested(RegionRef, allow_none=True)
    partners = fields.List(fields.Nested(RegionRef))
    supplier = fields.Nested(SupplierRef)
    certified = fields.Boolean(metadata={"description": "certification valid today"})
    certification = fields.Nested(CertificationOut)
    shelf_life_days = fields.Integer()
    storage = fields.String()
    image_url = fields.String(allow_none=True)
    keywords = fields.String()
    story = fields.Dict(keys=fields.String(), values=fields.String())
    active = fields.Boolean()


class ProductPage(Schema):
    items = fields.List(fields.Nested(ProductOut))
    total = fields.Integer()
    page = fields.Integer()
    per_page = fields.Integer()
