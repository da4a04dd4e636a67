"""A restocker's pages: who may open them, and recording a visit through the form — reviewed
first (nothing written), confirmed once however often the submit is retried, refused naming the
field (422, nothing written)."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from sqlalchemy import func, select

from catalogue.models import Product
from inventory.models import Location, Slot, StockBalance, StockMovement
from kiosk_api.demo import demo_password
from tests.api.test_login import csrf_from, sign_in

VISIT = "/restock/kiosks/FZ-0001/visit"


class _Fields(HTMLParser):
    """The values a browser would submit from the visit form (inputs, and selects' chosen option)."""

    def __init__(self) -> None:
        super().__init__()
        self.values: dict[str, str] = {}
        self._select: str | None = None
        self._in_visit = False

    def handle_starttag(self, tag: str, attrs: list) -> None:  # type: ignore[type-arg]
        a = dict(attrs)
        if tag == "form":
            self._in_visit = "rs-visit" in (a.get("class") or "")
        elif not self._in_visit:
            return
        elif tag == "input" and a.get("name"):
            self.values[a["name"]] = a.get("value") or ""
        elif tag == "select" and a.get("name"):
            self._select = a["name"]
            self.values.setdefault(a["name"], "")
        elif tag == "option" and self._select and "selected" in a:
            self.values[self._select] = a.get("value") or ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None
        elif tag == "form":
            self._in_visit = False


def visit_form(client) -> dict[str, str]:  # type: ignore[no-untyped-def]
    response = client.get(VISIT)
    assert response.status_code == 200
    parser = _Fields()
    parser.feed(response.data.decode())
    return parser.values


def ledger(session) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    session.expire_all()
    return (
        session.scalar(select(func.count()).select_from(StockMovement)),
        session.scalar(select(func.sum(StockBalance.on_hand))),
    )


def test_a_restocker_lands_on_the_restock_pages_after_sign_in(client) -> None:
    token = csrf_from(client.get("/login").data)
    response = client.post(
        "/login",
        data={"username": "demo-restocker", "password": demo_password("restocker"), "csrf_token": token},
    )
    assert response.status_code == 302 and response.headers["Location"] == "/restock/"


def test_a_restocker_opens_the_restock_pages_but_no_console_page(client) -> None:
    sign_in(client, "restocker")
    for path in ("/console/", "/console/inventory", "/console/kiosks"):
        refused = client.get(path)
        assert refused.status_code == 403, path
        assert 'href="/restock/"' in refused.data.decode() and "/console/orders" not in refused.data.decode()
    route = client.get("/restock/")
    assert route.status_code == 200
    page = route.data.decode()
    assert "我的路线" in page and "FZ-0001" in page and "件要带" in page
    assert client.get("/restock/kiosks/FZ-0001").status_code == 200
    assert client.get(VISIT).status_code == 200


def test_other_roles_and_strangers_do_not_get_the_restock_pages(client) -> None:
    assert client.get("/restock/").status_code == 302  # to sign in
    sign_in(client, "org_buyer")
    assert client.get("/restock/").status_code == 403


def test_the_pick_list_names_products_and_marks_what_expired(client) -> None:
    sign_in(client, "restocker")
    page = client.get("/restock/kiosks/FZ-0001").data.decode()
    assert "西吉香辣土豆丝" in page and "已过期" in page
    english = client.get("/restock/kiosks/FZ-0001?lang=en").data.decode()
    assert "Pick list" in english and "Expired" in english


def test_the_review_writes_nothing_and_confirm_records_the_visit(client, session) -> None:
    sign_in(client, "restocker")
    fields = visit_form(client)
    before = ledger(session)
    review = client.post(VISIT, data=fields)
    assert review.status_code == 200 and "确认补货" in review.data.decode()
    assert ledger(session) == before
    done = client.post(VISIT, data={**fields, "confirm": "1"})
    assert done.status_code == 303
    assert done.headers["Location"].endswith(f"/restock/kiosks/FZ-0001/visits/{fields['key']}")
    movements, on_hand = ledger(session)
    assert movements > before[0] and on_hand == before[1] - 2  # the 2 expired units written off
    page = client.get(done.headers["Location"]).data.decode()
    assert "补货已记录" in page and "北京时间" in page and "西吉香辣土豆丝" in page


def test_a_retried_submit_with_the_same_idempotency_key_records_the_visit_once(client, session) -> None:
    sign_in(client, "restocker")
    fields = {**visit_form(client), "confirm": "1"}
    first = client.post(VISIT, data=fields)
    after_first = ledger(session)
    again = client.post(VISIT, data=fields)  # the answer was lost; the phone sends it again
    assert again.status_code == 303 and again.headers["Location"] == first.headers["Location"]
    assert ledger(session) == after_first
    review_again = client.post(VISIT, data={k: v for k, v in fields.items() if k != "confirm"})
    assert review_again.status_code == 303 and ledger(session) == after_first
    references = session.scalars(
        select(StockMovement.reference).where(StockMovement.reference.like("restock:FZ-0001:%")).distinct()
    ).all()
    assert references == [f"restock:FZ-0001:{fields['key']}"]


def test_a_bad_quantity_is_a_422_naming_the_field_and_writes_nothing(client, session) -> None:
    sign_in(client, "restocker")
    fields = visit_form(client)
    before = ledger(session)
    for step in ({}, {"confirm": "1"}):
        response = client.post(VISIT, data={**fields, "put-A1-0-qty": "三", **step})
        assert response.status_code == 422
        page = response.data.decode()
        assert re.search(r'id="err-put-A1-0-qty">A1 放入数量：数量须为 0–9999 的整数', page)
        assert 'name="put-A1-0-qty" class="rs-put-qty" value="三"' in page  # the value kept
        assert ledger(session) == before


def test_more_than_the_slot_holds_is_refused_on_its_field(client, session) -> None:
    sign_in(client, "restocker")
    fields = visit_form(client)
    before = ledger(session)
    response = client.post(VISIT, data={**fields, "put-B1-0-qty": "500", "confirm": "1"})
    assert response.status_code == 422
    assert re.search(r'id="err-put-B1-0-qty">B1 放入数量：超过货道容量', response.data.decode())
    assert ledger(session) == before


def test_a_count_that_differs_is_squared_by_a_count_movement(client, session) -> None:
    sign_in(client, "restocker")
    fields = visit_form(client)
    expected = int(fields["count-B2"])
    client.post(VISIT, data={**fields, "count-B2": str(expected - 1), "confirm": "1"})
    session.expire_all()
    counted = session.scalars(
        select(StockMovement).where(
            StockMovement.kind == "count", StockMovement.reference == f"restock:FZ-0001:{fields['key']}"
        )
    ).all()
    assert [(m.qty, m.from_slot.code) for m in counted] == [(1, "B2")]


def test_a_typed_gtin_opens_its_slot_without_scripts(client, session) -> None:
    sign_in(client, "restocker")
    gtin = session.scalar(
        select(Product.gtin)
        .join(Slot, Slot.product_id == Product.id)
        .join(Location, Location.id == Slot.location_id)
        .where(Location.code == "FZ-0001", Slot.code == "B1")
    )
    page = client.get(f"{VISIT}?gtin={gtin}").data.decode()
    opened = re.findall(r'<details class="rs-slotcard[^"]*" id="slot-(\w+)"[^>]*\sopen>', page)
    assert opened == ["B1"]


def test_back_to_edit_keeps_the_values_and_a_form_without_its_key_is_refused(client, session) -> None:
    sign_in(client, "restocker")
    fields = {**visit_form(client), "put-A1-0-qty": "0"}
    before = ledger(session)
    edit = client.post(VISIT, data={**fields, "edit": "1"})
    assert (
        edit.status_code == 200 and 'name="put-A1-0-qty" class="rs-put-qty" value="0"' in edit.data.decode()
    )
    assert f'name="key" value="{fields["key"]}"' in edit.data.decode()
    stale = client.post(VISIT, data={**fields, "key": "", "confirm": "1"})
    assert stale.status_code == 422 and "表单已失效" in stale.data.decode()
    assert ledger(session) == before
