"""Who may open which console page; the auditor reads everything and changes nothing."""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import date
from typing import Any, TypeVar

from flask import Blueprint, abort, g, redirect, render_template, request, session, url_for

from accounts.models import User
from accounts.roles import AUDIT_READERS, OWN_STATEMENT_READERS, RESTOCKER, STAFF_WRITERS, USER_READERS
from core.money import format_fen
from kiosk_api.auth.http import user_of_session
from kiosk_api.database import get_db

F = TypeVar("F", bound=Callable[..., Any])
console = Blueprint("console", __name__, url_prefix="/console", template_folder="templates")


def signed_in_user() -> User | None:
    """The user of the session cookie. Console forms carry Flask-WTF's CSRF token, checked before
    any view runs, so the API's X-CSRFToken header check does not apply here. Looked up in a short
    unit of work of its own, as auth.http does: on SQLite the request's session holds the write
    lock from its first query, and a view may still need a unit of work of its own after this."""
    if "current_user" in g:
        return g.current_user
    user = None
    if "user_id" in session:
        with get_db().unit_of_work() as lookup:
            user = user_of_session(lookup)
    g.current_user = user
    return user


def page_roles(*roles: str, writers: tuple[str, ...] = STAFF_WRITERS) -> Callable[[F], F]:
    """Send anonymous visitors to sign in; refuse other roles with a 403 page (and writes, to
    roles outside `writers`: the staff who change things, unless a page says otherwise)."""

    def decorator(view: F) -> F:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            user = signed_in_user()
            if user is None:
                return redirect(url_for("pages.login", next=request.full_path.rstrip("?")))
            allowed = roles if request.method in ("GET", "HEAD") else tuple(r for r in roles if r in writers)
            if user.role not in allowed:
                return render_template("console/forbidden.html"), 403
            return view(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorator


def can_edit() -> bool:
    user = signed_in_user()
    return user is not None and user.role in STAFF_WRITERS


@console.app_template_global()
def console_nav() -> list[tuple[str, str, str]]:
    """(endpoint, 中文, English) of the console sections this user may open."""
    user = signed_in_user()
    if user is None:
        return []
    if user.role in OWN_STATEMENT_READERS:
        return [("console.statements", "对账单", "Statements")]
    if user.role == RESTOCKER:  # no console page of theirs: the way back to their own pages
        return [("restock.route_today", "我的路线", "My route")]
    items = [
        ("console.dashboard", "总览", "Dashboard"),
        ("console.catalogue_list", "商品", "Catalogue"),
        ("console.kiosks", "售货柜", "Kiosks"),
        ("console.inventory_page", "库存", "Inventory"),
        ("console.orders", "订单", "Orders"),
        ("console.fulfilment", "发货", "Fulfilment"),
        ("console.org_list", "单位", "Units"),
        ("console.statements", "对账单", "Statements"),
        ("console.reconciliation", "对账核查", "Reconciliation"),
        ("console.money_audit", "资金核查", "Money audit"),
        ("console.bill_checks", "日账单", "Daily bills"),
        ("console.ledger", "台账", "Ledgers"),
    ]
    if user.role in USER_READERS:
        items.append(("console.users", "用户", "Users"))
    if user.role in AUDIT_READERS:
        items.append(("console.audit_log", "审计日志", "Audit log"))
    return items


def day_arg(name: str, errors: dict[str, str]) -> date | None:
    """A day from the query string (2026-11-26), None if absent; a bad one is noted by its name."""
    text = request.args.get(name, "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        errors[name] = "请输入日期，如 2026-11-26 · a date such as 2026-11-26"
        return None


def not_found() -> Any:
    abort(404)


@console.app_template_filter("fen")
def fen_filter(value: int, *, symbol: bool = True, grouping: bool = True) -> str:
    """{{ amount_fen|fen }} → ¥1,234.50; {{ amount_fen|fen(symbol=False, grouping=False) }} → 1234.50"""
    return format_fen(int(value or 0), symbol=symbol, grouping=grouping)


@console.app_template_filter("dict_without_page")
def dict_without_page(args: dict[str, str]) -> dict[str, str]:
    """Query arguments minus `page`, for pager links."""
    return {k: v for k, v in args.items() if k != "page"}
