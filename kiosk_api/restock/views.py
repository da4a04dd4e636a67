"""A restocker's pages, on a phone: the route of the day, a kiosk's pick list, recording the visit
(reviewed, then confirmed) and what it changed. Chinese first, English with ?lang=en."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from accounts.roles import RESTOCK_RECORDERS
from core.errors import DomainError
from core.ids import new_token
from inventory import service as inventory
from kiosk_api.console.access import page_roles, signed_in_user
from kiosk_api.database import get_clock, get_session
from kiosk_api.restock.form import KEY, VisitForm, named, parse_visit, refusal_errors
from kiosk_api.restock.summary import changes, defaults, kiosk_summary, totals

restock = Blueprint(
    "restock",
    __name__,
    url_prefix="/restock",
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
)
restock_pages = page_roles(*RESTOCK_RECORDERS, writers=RESTOCK_RECORDERS)


def _next_visit() -> date:
    days = int(current_app.config.get("RESTOCK_VISIT_DAYS", 3))
    return inventory.today(get_clock()) + timedelta(days=days)


@restock.get("/")
@restock_pages
def route_today() -> str:
    """我的路线: the routes of the day, each kiosk with the units to bring and goods to pull."""
    session, clock = get_session(), get_clock()
    day, next_visit = inventory.today(clock), _next_visit()
    routes = inventory.routes_today(session, clock, next_visit=next_visit)
    return render_template(
        "restock/route.html",
        routes=[(r, [kiosk_summary(pick, day) for pick in r.kiosks]) for r in routes],
        today=day,
        next_visit=next_visit,
    )


@restock.get("/kiosks/<string:code>")
@restock_pages
def pick_list(code: str) -> str:
    """A kiosk's pick list: what to bring by lot (FEFO), what expired or expires before the next visit."""
    session, clock = get_session(), get_clock()
    try:
        pick = inventory.kiosk_pick_list(session, clock, code, next_visit=_next_visit())
    except DomainError:
        abort(404)
    day = inventory.today(clock)
    return render_template(
        "restock/picklist.html",
        pick=pick,
        summary=kiosk_summary(pick, day),
        today=day,
        next_visit=_next_visit(),
    )


def _sheet(code: str) -> inventory.VisitSheet:
    try:
        return inventory.visit_sheet(get_session(), get_clock(), code, next_visit=_next_visit())
    except DomainError:
        abort(404)


def _form_page(sheet: inventory.VisitSheet, values: dict[str, str], errors: dict, status: int = 200) -> Any:
    gtin = request.args.get("gtin", "").strip()
    page = render_template(
        "restock/visit.html",
        sheet=sheet,
        values=values,
        errors=named(errors),
        open_slots={
            s.line.slot.code
            for s in sheet.slots
            if gtin and (gtin == s.line.product.gtin or gtin.upper() == s.line.slot.code)
        },
        gtin=gtin,
    )
    return page, status


@restock.get("/kiosks/<string:code>/visit")
@restock_pages
def visit_form(code: str) -> Any:
    """Record a visit: per slot, what was put in, taken out and counted, filled in from the pick list."""
    sheet = _sheet(code)
    return _form_page(sheet, {**defaults(sheet), "key": new_token(16)}, {})


def _record(code: str, visit: VisitForm) -> tuple[str, list[Any]]:
    user = signed_in_user()
    assert user is not None  # page_roles let only a signed-in restocker through
    return inventory.record_restock_visit(
        get_session(),
        get_clock(),
        kiosk=code,
        put=visit.put,
        removed=visit.removed,
        returned=visit.returned,
        counted=visit.counted,
        actor=user.username,
        idempotency_key=visit.key,
    )


@restock.post("/kiosks/<string:code>/visit")
@restock_pages
def submit_visit(code: str) -> Any:
    """First a summary to confirm (nothing written), then, with confirm=1, the visit recorded once."""
    sheet = _sheet(code)
    values = {k: v for k, v in request.form.items() if k != "csrf_token"}
    visit = parse_visit(request.form, [s.line.slot.code for s in sheet.slots])
    if visit.errors:
        return _form_page(sheet, values, visit.errors, 422)
    if request.form.get("edit") == "1":
        return _form_page(sheet, values, {})
    session = get_session()
    if inventory.visit_movements(session, sheet.pick.kiosk.code, visit.key):
        # Recorded already: a submit repeated after its answer was lost. Show what it did.
        return redirect(url_for("restock.visit_done", code=sheet.pick.kiosk.code, key=visit.key), 303)
    if request.form.get("confirm") == "1":
        try:
            inventory.call_with_retry(lambda: _record(sheet.pick.kiosk.code, visit), session.rollback)
        except DomainError as error:
            session.rollback()
            return _form_page(sheet, values, refusal_errors(error, visit), 422)
        return redirect(url_for("restock.visit_done", code=sheet.pick.kiosk.code, key=visit.key), 303)
    # The review: the visit is recorded inside a savepoint and rolled back, so that every refusal
    # shows now, on the form, and the summary lists exactly the movements 「确认」 will write.
    savepoint = session.begin_nested()
    try:
        _, movements = _record(sheet.pick.kiosk.code, visit)
        summary = changes(movements, sheet.pick.kiosk)
    except DomainError as error:
        savepoint.rollback()
        return _form_page(sheet, values, refusal_errors(error, visit), 422)
    savepoint.rollback()
    if not movements:
        nothing = (
            "本次记录不会改变任何库存：请填写放入、取出或清点数",
            "Nothing would change: fill in what you did",
        )
        return _form_page(sheet, values, {"visit": nothing}, 422)
    return render_template(
        "restock/confirm.html", sheet=sheet, values=values, summary=summary, totals=totals(summary)
    )


@restock.get("/kiosks/<string:code>/visits/<string:key>")
@restock_pages
def visit_done(code: str, key: str) -> Response | str:
    """What a recorded visit changed: units put per slot, removed, counts adjusted (Beijing time)."""
    if not KEY.match(key):
        abort(404)
    session = get_session()
    try:
        kiosk = inventory.get_location(session, code)
        movements = inventory.visit_movements(session, kiosk.code, key)
    except DomainError:
        abort(404)
    if not movements:
        abort(404)
    summary = changes(movements, kiosk)
    return render_template(
        "restock/done.html", kiosk=kiosk, summary=summary, totals=totals(summary), at=movements[0].at
    )
