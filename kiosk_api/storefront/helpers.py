"""What the storefront, org portal and operator pages share: the language helper, the cart badge,
sign-in for pages, and turning a domain error into a message on the page instead of a JSON body."""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

from flask import Blueprint, flash, g, redirect, request, session, url_for
from werkzeug.wrappers import Response

from accounts.models import User
from core.clock import local_minute
from core.errors import DomainError
from core.labels import ORDER_STATUSES
from core.money import format_fen
from kiosk_api.auth.http import current_user, user_of_session
from kiosk_api.database import get_session
from kiosk_api.i18n import current_language
from kiosk_api.storefront import cart

F = TypeVar("F", bound=Callable[..., Any])

# Messages of the errors a shopper or buyer can cause, in both languages; others show their English.
ERROR_TEXT: dict[str, tuple[str, str]] = {
    "out_of_stock": ("库存不足", "Not enough stock"),
    "empty_order": ("还没有选择商品", "No products chosen"),
    "invalid_lines": ("商品或数量有误", "Some products or quantities are wrong"),
    "invalid_input": ("填写的信息有误", "Some details are wrong"),
    "bank_reference_conflict": ("该银行流水号已登记", "This bank reference is already recorded"),
    "not_awaiting_payment": ("订单当前不需要付款", "The order is not awaiting payment"),
    "partly_paid": (
        "已登记银行转账，请继续转账付款",
        "A bank transfer is recorded: pay the rest by transfer",
    ),
    "illegal_transition": ("订单当前状态不允许此操作", "The order's status does not allow this"),
    "forbidden": ("您的角色不能执行此操作", "Your role may not do this"),
}


def pick(zh: str, en: str) -> str:
    """Return the Chinese or English text, by the page's language."""
    return en if current_language() == "en" else zh


def register_context(blueprint: Blueprint) -> None:
    """Give every template `L(zh, en)`, `fen()`, `when()` and the cart badge."""

    @blueprint.app_context_processor
    def _storefront_helpers() -> dict[str, Any]:
        return {
            "L": pick,
            "fen": format_fen,
            "when": when,
            "cart_count": cart.count(),
            "order_statuses": ORDER_STATUSES,
        }


def when(at: datetime | None) -> str:
    """A moment as China reads it: 2026-11-26 15:00 (Asia/Shanghai)."""
    return local_minute(at) if at else ""


def resolve_page_user() -> None:
    """Know the signed-in user of a page request, forms included.

    A page form carries its CSRF token as a form field, which CSRFProtect has checked before any
    blueprint's before_request runs; auth.http.current_user asks writes for the X-CSRFToken header
    (the API's way), so page requests settle the user from the session here, once.
    """
    if "current_user" in g or "user_id" not in session:
        return
    g.current_user = user_of_session(get_session())


def page_user(roles: tuple[str, ...] | None = None) -> User | None:
    """The signed-in user of a page, if any (and of one of the roles, when given)."""
    user = current_user()
    if user is None or (roles is not None and user.role not in roles):
        return None
    return user


def sign_in_required(view: F) -> F:
    """Send anonymous visitors to the sign-in page, and back here afterwards."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if current_user() is None:
            return redirect(url_for("pages.login", next=request.full_path.rstrip("?")))
        return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def error_message(error: DomainError) -> str:
    """A domain error as a sentence for the page, with the fields it names."""
    zh, en = ERROR_TEXT.get(error.code, (error.message, error.message))
    text = pick(zh, en)
    if error.fields:
        text += "：" if current_language() == "zh" else ": "
        text += "; ".join(f"{k} — {v}" for k, v in error.fields.items())
    return text


def attempt(action: Callable[[], Any], *, back: str) -> Response | Any:
    """Run a page's action; a domain error rolls the request's changes back and shows on the page."""
    try:
        return action()
    except DomainError as error:
        get_session().rollback()
        flash(error_message(error), "error")
        return redirect(back)
