"""What the console's forms share: shape checks by the API's load schemas, and errors by field in
Chinese with the English beside, for a form re-rendered with its values and a 4xx status."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError

from core.errors import DomainError
from kiosk_api.errors import flatten_messages, status_for

# Chinese for the domain's error codes a console form can meet; the English detail stays beside it.
ERROR_ZH: dict[str, str] = {
    "invalid_credit_code": "统一社会信用代码无效（校验位不符）",
    "duplicate": "已存在",
    "unknown_region": "未知地区",
    "already_member": "该用户已是某单位的成员",
    "member_not_found": "该用户不是本单位成员",
    "not_org_role": "只有单位采购员、单位审批人账号可以加入单位",
    "user_not_found": "没有这个用户",
    "member_role": "单位成员只能是单位采购员或单位审批人，请先移出单位",
    "refund_too_large": "退款数量超过可退数量",
    "nothing_captured": "订单尚未收款，无法退款",
    "no_line": "请选择商品行",
    "not_yourself": "不能对自己的账号执行此操作",
    "organization_not_found": "没有这个单位",
}
# Chinese for a refusal of a field under a generic code (invalid_input, conflict).
FIELD_ZH: dict[str, str] = {
    "password": "密码不符合要求",
    "username": "用户名不符合要求",
    "kind": "与单位类型不符",
    "qty": "数量有误",
    "share_bp": "比例有误",
    "year": "年度有误",
}
# Chinese for marshmallow's messages of the shape checks.
_SHAPE_ZH = (
    ("Missing data", "必填"),
    ("Must be one of", "请从列表中选择"),
    ("Length must be", "长度不符"),
    ("Not a valid", "格式有误"),
    ("18 characters", "须为 18 位"),
    ("Must be greater", "数值过小"),
    ("Must be less", "数值过大"),
)


CHOOSE = "请从列表中选择 · choose one from the list"


def _zh(message: str) -> str:
    return next((zh for en, zh in _SHAPE_ZH if en in message), "有误")


def load_form(schema: Schema, data: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """Load a form with the API's schema: (values, {}) or ({}, errors by field)."""
    try:
        return schema.load(data), {}
    except ValidationError as exc:
        messages = flatten_messages(exc.messages)
        return {}, {field: _shape_error(text, data.get(field)) for field, text in messages.items()}


def _shape_error(text: str, value: Any) -> str:
    if value in ("", None):
        return "必填 · required"
    if text.startswith("Must be one of"):  # its English lists the codes, which a reader never sees
        return CHOOSE
    return f"{_zh(text)} · {text}"


def domain_errors(error: DomainError) -> tuple[dict[str, str], int]:
    """A domain refusal as errors by field (or under "_" for the whole form), and its status."""
    zh = ERROR_ZH.get(error.code)
    if error.fields:
        errors = {
            field: CHOOSE if text.startswith("one of ") else f"{zh or FIELD_ZH.get(field, '有误')} · {text}"
            for field, text in error.fields.items()
        }
    else:
        errors = {"_": f"{zh or '未能完成'} · {error.message}"}
    return errors, status_for(error)
