"""What the console's write forms share: reading whole numbers, the API's schemas as the form's
shape check, errors by field in Chinese (English beside), and a dry run for the confirmation step."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from marshmallow import Schema, ValidationError

from core.errors import DomainError
from inventory.service import call_with_retry
from kiosk_api.database import get_session

T = TypeVar("T")

# The service's and the schemas' English field messages, each with its Chinese twin.
_ZH: list[tuple[re.Pattern[str], str]] = [
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
    """A field message as the console shows it: Chinese first, the original English beside."""
    for pattern, zh in _ZH:
        found = pattern.search(message)
        if found:
            return f"{found.expand(zh)} · {message}"
    return f"输入有误 · {message}"


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
