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


def _zh(message: str) -> str:
    return next((zh for en, zh in _SHAPE_ZH if en in message), "有误")


def load_form(schema: Schema, data: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """Load a form with the API's schema: (values, {}) or ({}, errors by field)."""
    try:
        return schema.load(data), {}
    except ValidationError as exc:
        messages = flatten_messages(exc.messages)
        return {}, {field: f"{_zh(text)} · {text}" for field, text in messages.items()}


def domain_errors(error: DomainError) -> tuple[dict[str, str], int]:
    """A domain refusal as errors by field (or under "_" for the whole form), and its status."""
    zh = ERROR_ZH.get(error.code, "未能完成")
    if error.fields:
        errors = {field: f"{zh} · {text}" for field, text in error.fields.items()}
    else:
        errors = {"_": f"{zh} · {error.message}"}
    return errors, status_for(error)
