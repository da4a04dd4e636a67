"""Reading a console form: text to values, every error by field in Chinese with the English beside,
and the dry run behind a confirmation step.

A form's values are read here only as far as turning text into types (a yuan amount, a date, a
whole number, one of a list); every rule about the values — lengths, ranges, check digits, known
regions, stock — is the API's: its schema (kiosk_api/schemas) and the services, whose messages
are put into Chinese here (one table for every form)."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from marshmallow import Schema, ValidationError
from sqlalchemy.orm import Session

from catalogue.images import MESSAGES_ZH as IMAGE_MESSAGES_ZH
from core.errors import DomainError, InvalidInput
from core.money import parse_yuan
from inventory.service import call_with_retry
from kiosk_api.database import get_session
from kiosk_api.errors import flatten_messages, status_for
from kiosk_api.input_limits import INT32_MAX, int_within

T = TypeVar("T")

# The API's field messages (schemas and services) in Chinese.
MESSAGES_ZH: dict[str, str] = {
    "Missing data for required field.": "必填",
    "required": "必填",
    "Field may not be null.": "必填",
    "Not a valid date.": "请输入日期，如 2026-12-31",
    "Not a valid boolean.": "请选择是或否",
    "not a valid GTIN-13 (13 digits, check digit)": "商品条码无效：应为 13 位数字，且校验位正确",
    "not a valid unified social credit code (check character)": "信用代码无效：应为 18 位，校验码正确",
    "already used": "已被其他商品使用",
    "already registered": "已有供应商登记此代码",
    "already exists": "已存在",
    "unknown region code": "未知的地区",
    "must be a county": "须为县级地区",
    "unknown supplier": "未知的供应商",
    "unknown category": "未知的品类",
    "required with a certification": "填写认定信息时必填（证书编号与起止日期）",
    "before certified_from": "不能早于认定起始日",
    "must not be before certified_from": "不能早于认定起始日",
    "before valid_from": "不能早于开始日期",
    "must differ from east": "不能与东部协作方相同",
    "a 6-digit GB/T 2260 code": "应为 6 位数字的 GB/T 2260 行政区划代码",
    "not a province code": "省级代码以 0000 结尾，且没有上级地区",
    "does not match the parent's code": "代码与上级地区的代码不符",
    "must be a province": "上级须为省级地区",
    "must be a prefecture or province": "上级须为地级或省级地区",
    "upper-case letters, digits, '.', '_' or '-'": "只能包含大写字母、数字、“.”、“_”或“-”",
    "https://…, /static/… or /media/… only": "只接受 https:// 地址或本站图片",
    **IMAGE_MESSAGES_ZH,
}
_PATTERNS_ZH = [
    (re.compile(r"^Length must be between (\d+) and (\d+)\.$"), "长度应在 {0} 到 {1} 个字符之间"),
    (re.compile(r"^Longer than maximum length (\d+)\.$"), "不能超过 {0} 个字符"),
    (re.compile(r"^Shorter than minimum length (\d+)\.$"), "至少 {0} 个字符"),
    (
        re.compile(r"^Must be greater than or equal to (\d+) and less than or equal to (\d+)\.$"),
        "应在 {0} 到 {1} 之间",
    ),
    (re.compile(r"^Must be greater than or equal to (\d+)\.$"), "不能小于 {0}"),
    (re.compile(r"^Must be one of: .*$"), "请从列表中选择"),
]


# The stock and kiosk services' messages, found anywhere in the message.
_SEARCHES_ZH: list[tuple[re.Pattern[str], str]] = [
    (re.compile(p), zh)
    for p, zh in [
        (r"^Missing data for required field", "必填"),
        (r"^Not a valid date", "请输入日期，如 2026-12-31"),
        (r"^Not a valid integer", "请输入整数"),
        (r"^Must be greater than or equal to (\d+) and less than or equal to (\d+)", r"应在 \1 到 \2 之间"),
        (r"^Length must be between (\d+) and (\d+)", r"长度应为 \1 到 \2 个字符"),
        (r"^Longer than maximum length (\d+)", r"最多 \1 个字符"),
        (r"^Must be one of", "请从列表中选择"),
        (r"^upper-case letters, digits and '-'", "只能用大写字母、数字和“-”"),
        (r"^1–8 upper-case letters or digits", "1 到 8 个大写字母或数字"),
        (r"^unknown location", "没有这个地点"),
        (r"^must be a (\w+) or (\w+)", "应为仓库或特产馆"),
        (r"^required at a kiosk", "售货柜须选择货道"),
        (r"^only kiosks have slots", "只有售货柜有货道"),
        (r"^unknown slot", "没有这个货道"),
        (r"^unknown product", "没有这个商品"),
        (r"^not the slot's product", "与货道的商品不符"),
        (r"^holds another product", "货道装的是另一种商品"),
        (r"^required for a new lot", "新批次须填写到期日"),
        (r"^required$", "必填"),
        (r"^at least (\d+)", r"至少为 \1"),
        (r"^only (\d+) expired units free", r"此处只有 \1 件已过期的可用"),
        (r"^only (\d+) units free", r"只有 \1 件可用"),
        (r"^already expired", "该批次已过期"),
        (r"^expired; it may not go to a", "该批次已过期，不能调入售货柜或特产馆"),
        (r"^slot (\w+) holds (\d+) of (\d+)", r"货道 \1 已有 \2 件，容量 \3 件"),
        (r"^same as from", "调入与调出相同"),
        (r"^unknown lot", "该商品没有这个批次"),
        (r"^lot (\S+) is recorded as expiring on (\S+)", r"批次 \1 的到期日为 \2"),
        (r"^not expired", "该批次未过期"),
        (r"^must not exceed capacity", "不能超过容量"),
        (r"^already exists", "已存在"),
        (r"^the slot still holds (\d+) units", r"货道里还有 \1 件，清空后才能换商品"),
        (r"^one of ", "请从列表中选择"),
        (r"^must be a whole number", "请输入整数"),
        (r"is already provisioned", "该售货柜已有设备密钥，请改用“更换”"),
        (r"has no device key", "该售货柜尚未配置设备密钥"),
    ]
]


def in_chinese(message: str) -> str:
    """A field message of the API or a service, in Chinese with the English beside it."""
    zh = MESSAGES_ZH.get(message)
    if zh is None:
        for pattern, template in _PATTERNS_ZH:
            match = pattern.match(message)
            if match:
                zh = template.format(*match.groups())
                break
    if zh is None:
        for pattern, template in _SEARCHES_ZH:
            found = pattern.search(message)
            if found:
                zh = found.expand(template)
                break
    return f"{zh or '输入有误'} · {message}"


def by_field(fields: Mapping[str, Any], rename: Mapping[str, str] | None = None) -> dict[str, str]:
    """Field messages (a service's or a schema's) keyed by the form's field names, in Chinese."""
    errors: dict[str, str] = {}
    for name, messages in fields.items():
        text = messages if isinstance(messages, str) else "; ".join(map(str, _flat(messages)))
        errors.setdefault((rename or {}).get(name, name), in_chinese(text))
    return errors


def _flat(messages: Any) -> list[Any]:
    if isinstance(messages, dict):
        return [m for value in messages.values() for m in _flat(value)]
    return list(messages) if isinstance(messages, (list, tuple)) else [messages]


def refusal(error: DomainError, rename: Mapping[str, str] | None = None) -> dict[str, str]:
    """A domain refusal as form errors: by field where it names one, else for the whole form."""
    if error.fields:
        return by_field(error.fields, rename)
    return {"_": in_chinese(error.message)}


def on_form(errors: dict[str, str], names: tuple[str, ...]) -> dict[str, str]:
    """Errors by the fields a form shows; one of a field it does not show goes to the whole form."""
    kept = {name: message for name, message in errors.items() if name in names or name == "_"}
    rest = [f"{name}: {message}" for name, message in errors.items() if name not in kept]
    if rest:
        kept["_"] = "; ".join([*filter(None, [kept.get("_")]), *rest])
    return kept


def whole(form: Mapping[str, str], name: str, errors: dict[str, str]) -> int | None:
    """A form's whole number (None if left empty); a bad one is noted in errors by its field."""
    text = form.get(name, "").strip()
    if not text:
        return None
    if not re.fullmatch(r"-?\d{1,9}", text):
        errors[name] = "请输入整数 · a whole number"
        return None
    return int(text)


def load(schema: Schema, data: dict[str, Any], errors: dict[str, str], rename: Mapping[str, str]) -> Any:
    """Check the form's values with the API's own schema: what it refuses, the form refuses."""
    try:
        return schema.load({k: v for k, v in data.items() if v is not None})
    except ValidationError as error:
        for name, message in by_field(error.normalized_messages(), rename).items():
            errors.setdefault(name, message)
        return None


def dry_run(call: Callable[[], T], summarize: Callable[[T], dict[str, Any]]) -> dict[str, Any]:
    """Run a write in a savepoint and roll it back: the confirmation step shows what it would do,
    checked by the service's own rules, and writes nothing."""
    savepoint = get_session().begin_nested()
    try:
        result = call()
        get_session().flush()  # a refusal by the database shows here too
        return summarize(result)
    finally:
        savepoint.rollback()


def write(call: Callable[[], T]) -> T:
    """Run a confirmed write, again on a rolled-back session when the database reports a lost race."""
    session = get_session()

    def attempt() -> T:
        result = call()
        session.flush()  # a refusal by the database shows here, before the success page
        return result

    try:
        return call_with_retry(attempt, session.rollback)
    except DomainError:
        # What the service changed before it refused must not reach the page's own queries,
        # whose autoflush would write it (or trip a constraint) while the form is re-rendered.
        session.rollback()
        raise


class Form:
    """A submitted form: typed values as read, and the errors found so far by field."""

    def __init__(self, data: Mapping[str, str], aliases: Mapping[str, str] | None = None) -> None:
        self.data = data
        self.errors: dict[str, str] = {}
        # A schema or service field → the form field that holds it (price_fen → price).
        self.aliases = dict(aliases or {})

    def fail(self, field: str, zh: str, en: str) -> None:
        """Record an error of a field (the first one found stays)."""
        self.errors.setdefault(self.aliases.get(field, field), f"{zh} · {en}")

    def text(self, name: str) -> str:
        """The field's text, without spaces at the ends."""
        return (self.data.get(name) or "").strip()

    def optional(self, name: str) -> str | None:
        """The field's text, or None when left empty."""
        return self.text(name) or None

    def flag(self, name: str) -> bool:
        """A checkbox: ticked or not."""
        return self.data.get(name) == "1"

    def choice(self, name: str, options: Mapping[str, Any]) -> str | None:
        """One of a list; an empty or unknown choice is an error."""
        value = self.text(name)
        if value not in options:
            self.fail(name, "请从列表中选择", "choose one of the list")
            return None
        return value

    def yuan(self, name: str) -> int | None:
        """An amount typed in yuan, as fen."""
        try:
            return parse_yuan(self.text(name), field=name)
        except InvalidInput:
            self.fail(name, "请输入金额，如 12.50", "an amount of yuan such as 12.50")
            return None

    def whole(self, name: str) -> int | None:
        """A whole number (its range is the schema's)."""
        try:
            return int_within(-INT32_MAX, INT32_MAX)(self.text(name))
        except ValueError:
            self.fail(name, "请输入整数", "a whole number")
            return None

    def load(
        self, schema: Schema, data: dict[str, Any], required: tuple[str, ...] = ()
    ) -> dict[str, Any] | None:
        """Check the values with the API's schema; None (and the errors) if it refuses them. A
        `required` field left empty is named as such rather than as too short."""
        for field in required:
            if data.get(field) in ("", None):
                self.fail(field, "必填", "required")
        # The fields already refused are left out (as if optional); the schema checks all the others.
        refused = tuple(k for k in data if self.aliases.get(k, k) in self.errors)
        checked = {k: v for k, v in data.items() if k not in refused}
        try:
            loaded = schema.load(checked, partial=refused)
        except ValidationError as error:
            for field, message in flatten_messages(error.messages).items():
                self.errors.setdefault(self.aliases.get(field, field), in_chinese(message))
            return None
        return None if self.errors else loaded

    def refused(self, error: DomainError) -> None:
        """A service's refusal, shown by field (or for the whole form when it names none)."""
        for field, message in error.fields.items():
            self.errors.setdefault(self.aliases.get(field, field), in_chinese(message))
        if not error.fields:
            self.errors.setdefault("_", f"未能保存 · {error.message}")


def save(
    session: Session, form: Form, data: dict[str, Any] | None, write: Callable[[dict[str, Any]], Any]
) -> Any:
    """Call a service with the checked values and return what it wrote, or None: the form's values
    were refused (by the schema, or now by the service, whose refusal joins the form's errors and
    whose half-made change is rolled back, so that nothing is written)."""
    if data is None:
        return None
    try:
        written = write(data)
        session.flush()  # the new row's id, and the database's own checks, now
    except DomainError as error:
        session.rollback()
        form.refused(error)
        return None
    return written


# --- The organization and user forms' helpers (to be folded into Form). ---
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
