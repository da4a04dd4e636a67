"""Every console, operator and restock page is readable by people: no raw code, id or unlabelled time.

The scan discovers every GET route of the `console.`, `operator.` and `restock.` blueprints from
`app.url_map` (so a page added later is scanned too), fills its path parameters with real values of
the test database (the demo data, an issued October of sales, November orders of every channel and
status, and what an operator and a restocker then wrote through the console, the API and the restock
pages, so that the audit log has entries to show), fetches it signed in as an administrator and as an
auditor (the console and operator pages) and as a restocker (the restock pages), and reads the
page's visible text: tags stripped, <script> and <style> dropped, attribute values ignored. A page
fails, named with the offending text, when its text holds:

- an ISO 8601 timestamp: a date joined to a time by "T" (2026-11-28T12:00), or a time with a UTC
  offset or "Z" (12:00:00+00:00, 04:00Z);
- a time of day (H:MM or HH:MM, seconds optional) that is not labelled. The rule: after the time
  (and any seconds), within the next 12 characters, one of 北京时间, "Beijing time" or
  "(Asia/Shanghai)" must appear: "2026-11-26 15:00 北京时间", "15:00–16:00 北京时间" and
  "15:00 (Beijing time)" pass; "15:00" alone, or "15:00 UTC", fail. A label in a column header
  does not count: each time carries its own, as the `bj` filter writes it;
- a code of core.labels.TABLES written with an underscore (awaiting_payment, partially_refunded,
  requires_capture, taken_unrecorded…) anywhere as a word of its own; a one-word code (paid, kiosk,
  simulated…) is an English word too, so it fails only as the whole text of a table cell;
- a full uuid (an order's 36-character id): pages show an order's short id, linked to the order.

A parameter set may name the routes it is `ONLY` for (a region's code is not a kiosk's); a route
that such sets name is filled from those alone. A route whose path parameters cannot be filled
must be listed in UNFILLABLE with the reason, and a route that answers something other than a page
in NOT_PAGES; both lists fail when a route listed there no longer exists.
"""

from __future__ import annotations

import re
from datetime import datetime
from html.parser import HTMLParser
from itertools import product as combinations

import pytest
from flask import Flask, url_for
from sqlalchemy import select

from accounts.models import User
from catalogue.models import Pairing, Product, Region, Supplier
from core.clock import SHANGHAI
from core.labels import TABLES
from inventory import service as inventory
from inventory.models import Location, Slot
from sales.org_models import Organization
from sales.statements.issue import issue_period
from sales.statements.models import Statement
from tests.api.readable_writes import operator_writes, restocker_visit
from tests.api.test_login import sign_in
from tests.integration.statements.factories import make_month, orders_of_every_kind
from tests.query_counter import count_queries

# Who reads which blueprints' pages (and the page a printed statement's QR code opens, drawn from
# the console's templates); a blueprint's static files are not pages.
SCANS = {
    "admin": ("console", "operator", "verify.verify_statement"),
    "auditor": ("console", "operator", "verify.verify_statement"),
    "restocker": ("restock",),
}
ONLY = "_only"
NOT_PAGES = {  # endpoint → why it is not read as a page
    "console.money_audit_csv": "a CSV download for spreadsheets: ISO 8601 times with +08:00 on purpose",
}
UNFILLABLE: dict[str, str] = {}
# Query strings the pages without path parameters are also read with (another month, in English),
# and those some pages are read with besides (every month, a channel).
VARIANTS = ("", "?period=2026-10", "?period=2026-10&lang=en")
EXTRA = {
    "console.orders": ("?channel=kiosk", "?channel=storefront", "?channel=bulk"),
    "console.money_audit": ("?period=all",),
}

# A date and time joined by T; or a time with "Z" or a "+hh:mm" offset (a "-hh:mm" one only after
# seconds, so that a range such as 10:00-12:00 is not taken for one).
ISO_TIMESTAMP = re.compile(
    r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}"
    r"|\b\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:\+\d{2}:?\d{2}|Z)(?!\w)"
    r"|\b\d{1,2}:\d{2}:\d{2}(?:\.\d+)?-\d{2}:?\d{2}(?!\w)"
)
TIME_OF_DAY = re.compile(r"(?<![\d:])\d{1,2}:\d{2}(?::\d{2})?(?![\d:])")
TIME_LABEL = re.compile(r"北京时间|Beijing time|\(Asia/Shanghai\)")
UUID = re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b", re.IGNORECASE)
CODES = sorted({code for table in TABLES.values() for code in table})
UNDERSCORE_CODES = re.compile(
    r"(?<![\w-])(" + "|".join(re.escape(c) for c in CODES if "_" in c) + r")(?![\w-])"
)
WORD_CODES = frozenset(c for c in CODES if "_" not in c)


class VisibleText(HTMLParser):
    """The text a reader sees, and the whole text of every table cell."""

    HIDDEN = frozenset({"script", "style", "template"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.cells: list[str] = []
        self._hidden = 0
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.HIDDEN:
            self._hidden += 1
        elif tag in ("td", "th"):
            self._cell = []
        self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.HIDDEN:
            self._hidden = max(self._hidden - 1, 0)
        elif tag in ("td", "th") and self._cell is not None:
            self.cells.append(" ".join("".join(self._cell).split()))
            self._cell = None
        self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if self._hidden:
            return
        self.parts.append(data)
        if self._cell is not None:
            self._cell.append(data)

    def text(self) -> str:
        return " ".join("".join(self.parts).split())


def offences(html: str) -> list[str]:
    """What on a page a reader should not see, each with a little of the text around it."""
    parser = VisibleText()
    parser.feed(html)
    text = parser.text()

    def around(match: re.Match[str]) -> str:
        return text[max(match.start() - 30, 0) : match.end() + 30]

    found = [f"ISO timestamp {m.group()!r} in …{around(m)}…" for m in ISO_TIMESTAMP.finditer(text)]
    for m in TIME_OF_DAY.finditer(text):
        if not label_follows(text, m.end()):
            found.append(f"unlabelled time {m.group()!r} in …{around(m)}…")
    found += [f"raw code {m.group()!r} in …{around(m)}…" for m in UNDERSCORE_CODES.finditer(text)]
    found += [f"raw code {cell!r} as a table cell" for cell in parser.cells if cell in WORD_CODES]
    found += [f"full uuid {m.group()!r} in …{around(m)}…" for m in UUID.finditer(text)]
    return found


def label_follows(text: str, end: int) -> bool:
    """Whether the label of a time ending at `end` starts within the next 12 characters."""
    label = TIME_LABEL.search(text, end, end + 12 + len("(Asia/Shanghai)"))
    return label is not None and label.start() - end <= 12


@pytest.fixture
def world(session, clock):  # type: ignore[no-untyped-def]
    """October 2026 sold and issued on 2 November; November orders of every kind; a write-off and a
    stock count; the clock a few minutes past 10:00 on 2 November, Beijing time."""
    make_month(session, clock, datetime(2026, 10, 1, tzinfo=SHANGHAI), orders=24, seed=11)
    session.commit()
    clock.set(datetime(2026, 11, 2, 10, 0, tzinfo=SHANGHAI))
    issue_period(session, clock, "2026-10", actor="test")
    orders = orders_of_every_kind(session, clock)
    inventory.write_off(
        session, clock, location="FZ-0001", slot="A3", qty=1, reason="damaged", actor="demo-operator"
    )
    inventory.count(session, clock, location="FZ-0001", slot="B2", counted=1, actor="demo-operator")
    session.commit()
    statements = session.scalars(select(Statement).where(Statement.period == "2026-10")).all()
    return {"orders": orders, "statements": statements}


@pytest.fixture
def written(client, session, clock, auth, world) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """What people then wrote: the operator's console and API writes, and a restocker's visit."""
    refunded, paid = operator_writes(client, session, clock, auth)
    return {"refunded": refunded.id, "paid": paid.id, "visit": restocker_visit(client, session)}


def parameter_sets(session, world, written=None) -> list[dict[str, object]]:  # type: ignore[no-untyped-def]
    """Values for path parameters, as sets that belong together (a statement's period, scope, key)."""
    sets: list[dict[str, object]] = [{"order_id": order.id} for order in world["orders"].values()]
    sets += [{"product_id": p} for p in session.scalars(select(Product.id).order_by(Product.id).limit(3))]
    kiosks = session.scalars(select(Location.code).where(Location.kind == "kiosk")).all()
    sets += [{"code": code} for code in kiosks]
    sets += [
        {"code": code, "slot": slot}
        for code, slot in session.execute(
            select(Location.code, Slot.code).join(Slot, Slot.location_id == Location.id).limit(4)
        )
    ]
    for scope in ("county", "supplier", "partner"):
        first = next(s for s in world["statements"] if s.scope == scope)
        sets.append({"period": first.period, "scope": scope, "key": first.scope_key})
        sets.append({"digest": first.content_hash})
    sets += [{"kind": kind} for kind in ("receipt", "transfer", "count", "writeoff")]
    sets += [{"org_id": i} for i in session.scalars(select(Organization.id).order_by(Organization.id))]
    sets += [{"pairing_id": i} for i in session.scalars(select(Pairing.id).order_by(Pairing.id))]
    sets += [{"supplier_id": i} for i in session.scalars(select(Supplier.id).order_by(Supplier.id).limit(3))]
    sets += [{"user_id": i} for i in session.scalars(select(User.id).order_by(User.id))]
    regions = session.scalars(select(Region.code).where(Region.level.in_(("county", "prefecture")))).all()
    sets += [{"code": code, ONLY: ("console.region_edit",)} for code in regions[:4]]
    if written:
        sets += [{"order_id": written[k]} for k in ("refunded", "paid")]
        sets.append({"code": "FZ-0001", "key": written["visit"]})
    return sets


def page_routes(app: Flask, scanned: tuple[str, ...] | None = None) -> list[tuple[str, str, frozenset[str]]]:
    """(endpoint, rule, path parameters) of every GET route of the scanned blueprints (and endpoints)."""
    scanned = scanned or tuple({name for names in SCANS.values() for name in names})
    return sorted(
        (rule.endpoint, rule.rule, frozenset(rule.arguments))
        for rule in app.url_map.iter_rules()
        if (rule.endpoint.split(".")[0] in scanned or rule.endpoint in scanned)
        and not rule.endpoint.endswith(".static")
        and "GET" in (rule.methods or ())
    )


def urls_of(app: Flask, endpoint: str, arguments: frozenset[str], sets: list[dict[str, object]]) -> list[str]:
    """Every URL of a route its parameter sets fill, with the query variants."""
    named = [s for s in sets if endpoint in s.get(ONLY, ())]  # type: ignore[operator]
    sets = named or [s for s in sets if ONLY not in s]
    with app.test_request_context():
        fills = [{k: s[k] for k in arguments} for s in sets if arguments <= set(s)] if arguments else [{}]
        unique = [dict(t) for t in {tuple(sorted(f.items())) for f in fills}]
        paths = sorted(url_for(endpoint, **f) for f in unique)
    queries = (VARIANTS if not arguments else ("",)) + EXTRA.get(endpoint, ())
    return [path + query for path, query in combinations(paths, queries)]


@pytest.mark.parametrize("role", list(SCANS))
def test_no_console_page_shows_a_raw_code_id_or_unlabelled_time(  # type: ignore[no-untyped-def]
    app, client, session, world, written, role
) -> None:
    sign_in(client, role)
    sets = parameter_sets(session, world, written)
    problems: dict[str, list[str]] = {}
    scanned = 0
    for endpoint, rule, arguments in page_routes(app, SCANS[role]):
        if endpoint in NOT_PAGES or endpoint in UNFILLABLE:
            continue
        found = problems.setdefault(f"{endpoint} ({rule})", [])
        urls = urls_of(app, endpoint, arguments, sets)
        if not urls:
            found.append(
                f"no values for {sorted(arguments)}: add a parameter set to parameter_sets(), "
                "or list the route in UNFILLABLE with the reason"
            )
        for url in urls:
            response = client.get(url)
            scanned += 1
            shown = UUID.sub(lambda m: m.group()[:8] + "…", url)
            if response.status_code not in (200, 403) or (response.status_code == 403 and role == "admin"):
                found.append(f"{shown}: answered {response.status_code}")
            elif not response.content_type.startswith("text/html"):
                found.append(f"{shown}: answered {response.content_type}, not a page; list it in NOT_PAGES")
            else:
                found += [f"{shown}: {o}" for o in offences(response.get_data(as_text=True))]
    assert scanned > (20 if role != "restocker" else 4)
    failing = {route: found for route, found in problems.items() if found}
    report = [
        f"{route}: {len(found)} unreadable, e.g.\n    " + "\n    ".join(found[:6])
        for route, found in failing.items()
    ]
    if failing:
        pytest.fail(f"{len(failing)} console pages are not readable:\n" + "\n".join(report), pytrace=False)


def test_ledger_pages_load_names_once_a_page_not_once_a_row(client, engine, session, clock, world) -> None:
    sign_in(client, "admin")

    def statements(path: str) -> int:
        client.get(path)  # the signed-in user and the catalogue version are looked up once per session
        with count_queries(engine) as counts:
            assert client.get(path).status_code == 200
        return counts.total

    # October has dozens of revenue entries over many counties and suppliers; November a few.
    assert statements("/console/ledger?period=2026-10") == statements("/console/ledger?period=2026-11")
    before = statements("/console/ledger/stock")
    for slot, actor in (("B3", "demo-admin"), ("C1", "demo-auditor"), ("C4", "demo-restocker")):
        inventory.write_off(session, clock, location="FZ-0001", slot=slot, qty=1, reason="lost", actor=actor)
    session.commit()
    assert statements("/console/ledger/stock") == before


def test_the_routes_left_out_of_the_scan_still_exist(app) -> None:
    endpoints = {endpoint for endpoint, _rule, _args in page_routes(app)}
    gone = sorted(set(NOT_PAGES) - endpoints) + sorted(set(UNFILLABLE) - endpoints)
    assert not gone, f"listed as left out of the scan but no longer routes: {gone}; take them off the lists"


def test_the_routes_left_out_as_not_pages_answer_something_else(app, client, world) -> None:
    sign_in(client, "admin")
    with app.test_request_context():
        urls = {endpoint: url_for(endpoint) for endpoint in NOT_PAGES}
    for endpoint, url in urls.items():
        response = client.get(url)
        assert response.status_code == 200 and not response.content_type.startswith("text/html"), endpoint


@pytest.mark.parametrize(
    ("html", "what"),
    [
        ("<p>2026-11-28T12:00</p>", "ISO timestamp"),
        ("<p>at 12:00:00+00:00</p>", "ISO timestamp"),
        ("<p>at 04:00Z</p>", "ISO timestamp"),
        ("<p>at 04:00:00-05:00</p>", "ISO timestamp"),
        ("<p>签发 2026-11-02 10:00 UTC</p>", "unlabelled time"),
        ("<table><tr><td>15:07</td></tr></table>", "unlabelled time"),
        ("<p>状态 awaiting_payment</p>", "raw code"),
        ("<table><tr><td>paid</td></tr></table>", "raw code"),
        ("<p>2a9f6c1e-0b4d-4c8e-9f3a-1d2e3f4a5b6c</p>", "full uuid"),
    ],
)
def test_the_scan_catches_what_a_reader_should_not_see(html: str, what: str) -> None:
    assert any(o.startswith(what) for o in offences(html)), offences(html)


@pytest.mark.parametrize(
    "html",
    [
        "<p>2026-11-26 15:00 北京时间</p>",
        "<p>2026-11-26 15:00:07 Beijing time</p>",
        "<p>15:00–16:00 北京时间</p>",
        "<p>10:00-12:00 北京时间</p>",
        "<p>run at 15:00 (Asia/Shanghai)</p>",
        "<p>订单已付款 paid</p>",
        '<p data-status="awaiting_payment"><a href="/console/orders/'
        '2a9f6c1e-0b4d-4c8e-9f3a-1d2e3f4a5b6c">2a9f6c1e</a></p>',
        "<script>var at = '2026-11-28T12:00:00Z';</script><p>ok</p>",
    ],
)
def test_the_scan_lets_readable_text_pass(html: str) -> None:
    assert offences(html) == []
