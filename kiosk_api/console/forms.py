"""Reading a console form: text to values, every error by field in Chinese with the English beside,
a domain refusal with its HTTP status, and the dry run behind a confirmation step.

A form's values are read here only as far as turning text into types (a yuan amount, a whole
number, one of a list); every rule about the values — lengths, ranges, check digits, known regions,
stock — is the API's: its schema (kiosk_api/schemas) and the services, whose messages are put into
Chinese here (one table for every form: by error code, by exact message, by pattern)."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from marshmallow import Schema, ValidationError

from catalogue.images import MESSAGES_ZH as IMAGE_MESSAGES_ZH
from core.errors import DomainError, InvalidInput
from core.money import parse_yuan
from inventory.service import call_with_retry
from kiosk_api.database import get_session
from kiosk_api.errors import flatten_messages, status_for
from kiosk_api.input_limits import INT32_MAX, int_within

T = TypeVar("T")

# The domain's error codes a console form can meet, in Chinese.
CODES_ZH: dict[str, str] = {
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
    "period_open": "该月尚未结束（北京时间），下月 1 日起方可签发",
    "period_before_start": "该月早于对账单的首月（尚无销售的月份不能签发）",
}
# The API's messages (schemas and services) in Chinese, word for word.
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
    "an amount in yuan with at most 2 decimals, e.g. 1234.50": "请输入金额（元），最多两位小数，如 1234.50",
    "not a negative amount": "金额不能为负数",
    "an amount other than ¥0.00": "金额不能为 ¥0.00",
    "positive integer": "应为正整数",
    "already recorded with another amount": "该银行流水号已按另一金额登记，请核对",
    "recorded for another order": "该银行流水号已登记在另一笔订单上",
    "not a CSV file": "不是 CSV 文件",
    "not a readable CSV file": "CSV 文件无法读取",
    "not an XLSX file": "不是 XLSX 文件",
    "not a readable XLSX file": "XLSX 文件无法读取",
    "too large unpacked": "表格解压后过大",
    ".csv or .xlsx": "请上传 .csv 或 .xlsx 文件",
    "columns sku (or gtin) and qty are required": "第一行须有商品编码或条码列、数量列",
    "no rows": "表头下没有数据行",
    "empty": "为空",
    "too many rows": "行数过多（最多 500 行）",
    **IMAGE_MESSAGES_ZH,
}
# The messages with numbers or names in them, found in the message (the first pattern found wins).
PATTERNS_ZH: list[tuple[re.Pattern[str], str]] = [
    (re.compile(p), zh)
    for p, zh in [
        (r"^Missing data for required field", "必填"),
        (r"^Not a valid date", "请输入日期，如 2026-12-31"),
        (r"^Not a valid integer", "请输入整数"),
        (r"^Not a valid", "格式有误"),
        (r"^Length must be between (\d+) and (\d+)", r"长度应在 \1 到 \2 个字符之间"),
        (r"^Length must be (\d+)", r"长度应为 \1 个字符"),
        (r"^Longer than maximum length (\d+)", r"不能超过 \1 个字符"),
        (r"^Shorter than minimum length (\d+)", r"至少 \1 个字符"),
        (r"^Must be greater than or equal to (\d+) and less than or equal to (\d+)", r"应在 \1 到 \2 之间"),
        (r"^Must be greater than or equal to (\d+)", r"不能小于 \1"),
        (r"^Must be less than or equal to (\d+)", r"不能大于 \1"),
        (r"18 characters", "须为 18 位"),
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
        (r"^at least (\d+) characters", r"至少 \1 个字"),
        (r"^row (\d+): cell too long", r"第 \1 行有单元格过长"),
        (r"^at most (¥[\d,.]+)", r"不能超过 \1"),
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
        (r"^must be a whole number", "请输入整数"),
        (r"is already provisioned", "该售货柜已有设备密钥，请改用“更换”"),
        (r"has no device key", "该售货柜尚未配置设备密钥"),
    ]
]
# A refusal of a field under a generic code (invalid_input, conflict) that no message above names.
FIELDS_ZH: dict[str, str] = {
    "password": "密码不符合要求",
    "username": "用户名不符合要求",
    "kind": "与单位类型不符",
    "qty": "数量有误",
    "share_bp": "比例有误",
    "year": "年度有误",
}
# A choice refused: its English lists the codes, which a reader never sees.
CHOOSE = "请从列表中选择 · choose one from the list"
_CHOICE = re.compile(r"^(Must be )?one of[: ]", re.IGNORECASE)


def in_chinese(message: str, code: str = "", field: str = "", unknown: str = "输入有误") -> str:
    """A message of the API or a service, in Chinese with the English beside it: by the exact
    message, the error's code, a pattern, the field it is about, else `unknown`."""
    if _CHOICE.match(message):
        return CHOOSE
    zh = MESSAGES_ZH.get(message) or CODES_ZH.get(code) or _by_pattern(message) or FIELDS_ZH.get(field)
    return f"{zh or unknown} · {message}"


def _by_pattern(message: str) -> str | None:
    for pattern, template in PATTERNS_ZH:
        found = pattern.search(message)
        if found:
            return found.expand(template)
    return None


def on_form(errors: Mapping[str, str], names: tuple[str, ...]) -> dict[str, str]:
    """Errors by the fields a form shows; one of a field it does not show goes to the whole form."""
    kept = {name: message for name, message in errors.items() if name in names or name == "_"}
    rest = [f"{name}: {message}" for name, message in errors.items() if name not in kept]
    if rest:
        kept["_"] = "; ".join([*filter(None, [kept.get("_")]), *rest])
    return kept


_REQUIRED = object()


class Form:
    """A submitted form: typed values as read, the errors found so far by field, and the HTTP
    status to answer them with (422, or a domain refusal's own)."""

    def __init__(self, data: Mapping[str, str], aliases: Mapping[str, str] | None = None) -> None:
        self.data = data
        self.errors: dict[str, str] = {}
        self.status = 422
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
            self.errors.setdefault(self.aliases.get(name, name), CHOOSE)
            return None
        return value

    def yuan(self, name: str) -> int | None:
        """An amount typed in yuan, as fen."""
        try:
            return parse_yuan(self.text(name), field=name)
        except InvalidInput:
            self.fail(name, "请输入金额，如 12.50", "an amount of yuan such as 12.50")
            return None

    def whole(self, name: str, blank: Any = _REQUIRED, within: tuple[int, int] | None = None) -> Any:
        """A whole number (its range the schema's, or `within`); left empty, `blank` if given, else
        an error."""
        if blank is not _REQUIRED and not self.text(name):
            return blank
        low, high = within or (-INT32_MAX, INT32_MAX)
        try:
            return int_within(low, high)(self.text(name))
        except ValueError:
            if within:
                self.fail(name, f"应为 {low} 到 {high} 的整数", f"a whole number from {low} to {high}")
            else:
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
        """A service's refusal, shown by field (or for the whole form when it names none), answered
        with the refusal's status."""
        for field, message in flatten_messages(error.fields).items():
            self.errors.setdefault(self.aliases.get(field, field), in_chinese(message, error.code, field))
        if not error.fields:
            self.errors.setdefault("_", in_chinese(error.message, error.code, unknown="未能完成"))
        self.status = status_for(error)

    def write(self, call: Callable[[], T]) -> T | None:
        """Run a confirmed write (again on a rolled-back session when the database reports a lost
        race) and return what it wrote; None when the service refuses, its refusal joining the
        form's errors and its half-made change rolled back, so that nothing is written."""
        session = get_session()

        def attempt() -> T:
            result = call()
            session.flush()  # a refusal by the database shows here, before the success page
            return result

        try:
            return call_with_retry(attempt, session.rollback)
        except DomainError as error:
            # What the service changed before it refused must not reach the page's own queries,
            # whose autoflush would write it (or trip a constraint) while the form is re-rendered.
            session.rollback()
            self.refused(error)
            return None

    def dry_run(
        self, call: Callable[[], T], summarize: Callable[[T], dict[str, Any]]
    ) -> dict[str, Any] | None:
        """Run a write in a savepoint and roll it back: the confirmation step shows what it would
        do, checked by the service's own rules, and writes nothing; None (and the errors) if the
        service refuses."""
        savepoint = get_session().begin_nested()
        try:
            result = call()
            get_session().flush()  # a refusal by the database shows here too
            return summarize(result)
        except DomainError as error:
            self.refused(error)
            return None
        finally:
            savepoint.rollback()

    def save(self, data: dict[str, Any] | None, write: Callable[[dict[str, Any]], T]) -> T | None:
        """Call a service with the checked values (None: the form refused them) and return what it
        wrote, or None when nothing was written."""
        return None if data is None else self.write(lambda: write(data))
