"""Issue 5, "Must show": cut the server off while vend results are pending, restart the kiosk
program, restore the server, and find every result delivered exactly once.

Everything here is real except the network: the dongxi Flask app (a migrated SQLite file with the
demo data, kiosk FZ-0001 provisioned) is served in-process by werkzeug, and the kiosk program's
own Agent — its outbox, journal, sender and requests signed by `requests-http-signature` — talks
to it through `Relay`, a small HTTP relay on 127.0.0.1 that the test can cut (its listening
socket is closed, so connections are refused), restore on the same port, or make lose report
requests (dropped before the server sees them) or their answers (after the server applied them).
The relay logs every request it saw and what became of it, which is how "sent once" is counted;
the server's database is how "applied once" is checked.
"""

from __future__ import annotations

import http.client
import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import func, select
from werkzeug.serving import WSGIRequestHandler, make_server

from core.clock import SystemClock
from core.db import Database, make_engine
from inventory.models import Location, Slot, StockBalance, StockMovement
from kiosk_api import create_app, migrate
from kiosk_api.demo import load_demo
from kiosk_api.kiosks import service as kiosks
from kiosk_client.agent import Agent
from kiosk_client.config import Settings
from kiosk_client.hardware import DispenseResult, SimulatedDriver
from kiosk_client.outbox import Outbox, OutboxRow
from kiosk_client.store import LocalStore
from payments.models import Payment, Refund
from sales.models import Order, OrderEvent, RevenueEntry
from tests.waiting import wait_until as _wait_until

KIOSK = "FZ-0001"
SECRET_KEY = "kiosk-outage-test-secret-key"
WAIT = 20.0  # upper bound of every wait (a loaded CI machine); each normally takes well under 1 s


def wait_until(condition: Callable[[], Any], what: str, timeout: float = WAIT) -> Any:
    return _wait_until(condition, what, timeout)


# -- the real server --
class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args: Any, **kwargs: Any) -> None:
        pass


@dataclass
class Server:
    url: str
    port: int
    db: Database
    key_id: str
    secret: str


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The dongxi app on a migrated SQLite file with the demo data and FZ-0001's device key."""
    var = tmp_path_factory.mktemp("outage-var")
    url = f"sqlite:///{var / 'dongxi.db'}"
    migrate.upgrade(url)
    db = Database(make_engine(url))
    with db.unit_of_work() as session:
        load_demo(session, SystemClock())
        key = kiosks.provision(session, SystemClock(), KIOSK, secret_key=SECRET_KEY)
    with pytest.MonkeyPatch.context() as env:
        # create_app reads the environment first: keep it away from the repository's var/.
        env.setenv("DONGXI_VAR_DIR", str(var))
        env.setenv("SECRET_KEY", SECRET_KEY)
        httpd = make_server("127.0.0.1", 0, _placeholder_app, threaded=True, request_handler=_QuietHandler)
        base = f"http://127.0.0.1:{httpd.server_port}"
        httpd.app = create_app(
            {
                "DATABASE_URL": url,
                "SECRET_KEY": SECRET_KEY,
                "PUBLIC_BASE_URL": base,
                "PAYMENT_PROVIDER": "simulated",
            }
        )
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield Server(base, httpd.server_port, db, key["key_id"], key["secret"])
    httpd.shutdown()
    httpd.server_close()
    thread.join(5)
    db.engine.dispose()


def _placeholder_app(environ: Any, start_response: Any) -> list[bytes]:  # replaced before serving
    start_response("503 Service Unavailable", [])
    return []


# -- the network between kiosk and server --
@dataclass
class Seen:
    """One request that reached the relay, and what became of it."""

    method: str
    path: str
    outcome: str  # forwarded | dropped (never reached the server) | swallowed (answer lost)
    status: int | None  # the server's answer, if the server got the request
    order_id: str | None = None  # of a vend-results report
    report_id: str | None = None


class _RelayHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _RelayServer

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self._relay()

    def do_POST(self) -> None:
        self._relay()

    def _relay(self) -> None:
        relay = self.server.relay
        self.close_connection = True
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        report = _report_of(self.command, self.path, body)
        seen = Seen(self.command, self.path, "dropped", None, *(report or (None, None)))
        if not relay.up or (report and relay.drop_reports):
            relay.saw(seen)
            return  # the connection closes without an answer
        upstream = http.client.HTTPConnection("127.0.0.1", relay.upstream_port, timeout=30)
        try:
            upstream.putrequest(self.command, self.path, skip_host=True, skip_accept_encoding=True)
            for name, value in self.headers.items():  # Host and the signature headers unchanged
                if name.lower() not in ("connection", "keep-alive"):
                    upstream.putheader(name, value)
            upstream.endheaders(body)
            answer = upstream.getresponse()
            data = answer.read()
        finally:
            upstream.close()
        seen.status = answer.status
        if report and relay.swallow_answers:
            seen.outcome = "swallowed"
            relay.saw(seen)
            return  # the server applied it; the kiosk never hears so
        seen.outcome = "forwarded"
        relay.saw(seen)
        self.send_response_only(answer.status, answer.reason)
        for name, value in answer.getheaders():
            if name.lower() not in ("connection", "keep-alive", "transfer-encoding", "content-length"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(data)


def _report_of(method: str, path: str, body: bytes | None) -> tuple[str, str] | None:
    """(order id, report id) of a vend-results request, else None."""
    if method != "POST" or not path.endswith("/vend-results"):
        return None
    order_id = path.rsplit("/", 2)[-2]
    return order_id, json.loads(body or b"{}").get("report_id", "")


class _RelayServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, port: int, relay: Relay) -> None:
        super().__init__(("127.0.0.1", port), _RelayHandler)
        self.relay = relay


class Relay:
    """An HTTP relay to the server on its own port; cut() refuses connections until restore()."""

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.up = False
        self.drop_reports = False  # report requests are lost on the way to the server
        self.swallow_answers = False  # the server applies reports but its answers are lost
        self.seen: list[Seen] = []
        self._lock = threading.Lock()
        self._httpd: _RelayServer | None = None
        self._thread: threading.Thread | None = None
        self.port = 0
        self.restore()
        self.url = f"http://127.0.0.1:{self.port}"

    def restore(self) -> None:
        """Listen (again, on the same port) and relay everything."""
        assert self._httpd is None
        self._httpd = _RelayServer(self.port, self)
        self.port = self._httpd.server_port
        self.up = True
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()

    def cut(self) -> None:
        """Close the listening socket: from now on connecting is refused."""
        assert self._httpd is not None and self._thread is not None
        self.up = False  # a request already accepted is not relayed either
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(5)
        self._httpd = self._thread = None

    def close(self) -> None:
        if self._httpd is not None:
            self.cut()

    def saw(self, seen: Seen) -> None:
        with self._lock:
            self.seen.append(seen)

    def reports(self, order_id: str) -> list[Seen]:
        """The report requests for an order that reached the relay, in order."""
        with self._lock:
            return [s for s in self.seen if s.order_id == order_id]

    def answered(self, path_end: str) -> int:
        """How many requests to a path ending so the server answered through the relay."""
        with self._lock:
            return sum(1 for s in self.seen if s.path.endswith(path_end) and s.outcome == "forwarded")


@pytest.fixture
def relay(server: Server) -> Iterator[Relay]:
    relay = Relay(server.port)
    yield relay
    relay.close()


# -- the kiosk program --
class GatedDriver(SimulatedDriver):
    """The simulated cabinet, whose motors wait for the test's go once the agent starts dispensing."""

    def __init__(self) -> None:
        super().__init__()
        self.dispensing = threading.Event()
        self.go = threading.Event()
        self.go.set()

    def hold_next_dispense(self) -> None:
        self.dispensing.clear()
        self.go.clear()

    def dispense(self, slot: str, qty: int) -> DispenseResult:
        self.dispensing.set()
        assert self.go.wait(WAIT), "the test never let the motors turn"
        return super().dispense(slot, qty)


@pytest.fixture
def kiosk_settings(server: Server, relay: Relay, tmp_path: Path) -> Settings:
    """The kiosk program's settings, reaching the server only through the relay; short intervals."""
    return Settings(
        server=relay.url,
        key_id=server.key_id,
        secret=server.secret,
        data_dir=tmp_path / "kiosk",
        http_timeout=10.0,
        poll_interval=0.05,
        heartbeat_interval=0.3,
        sync_interval=60.0,
        retry_base=0.05,
        retry_max=0.3,
        result_seconds=120.0,
    )


@pytest.fixture
def start_agent() -> Iterator[Callable[[Settings, SimulatedDriver], Agent]]:
    """Start kiosk programs (agent + driver, as kiosk_client.main builds them); all stop at the end."""
    started: list[Agent] = []

    def start(settings: Settings, driver: SimulatedDriver) -> Agent:
        agent = Agent(settings, driver=driver)
        started.append(agent)
        agent.start()
        wait_until(lambda: agent.catalogue.data, "a catalogue (synced, or cached on disk)")
        return agent

    yield start
    for agent in started:
        agent.stop()
        agent.driver.close()


def restart(
    old: Agent, settings: Settings, start_agent: Callable[[Settings, SimulatedDriver], Agent]
) -> Agent:
    """Stop the kiosk program and start a new one on the same data directory (the server still cut).

    Returns once the new program has tried the oldest pending report and failed: the sender stops
    at the first failure while the server is unreachable, so later reports wait for the network."""
    old.stop()
    old.driver.close()
    on_disk = Outbox(LocalStore(settings.outbox_path)).all()  # what the new process finds
    pending = [r for r in on_disk if r.status == "pending"]
    assert pending, "nothing was pending at the restart"
    new = start_agent(settings, SimulatedDriver())
    oldest = pending[0]
    wait_until(
        lambda: (r := new.outbox.get(oldest.report_id)) and r.attempts > oldest.attempts,
        "the restarted kiosk tried to deliver while the server was cut off",
    )
    return new


# -- helpers --
def pick_slots(agent: Agent, n: int) -> list[dict[str, Any]]:
    """n slots of the synced catalogue with at least 2 units, pairwise of different prices."""
    chosen: list[dict[str, Any]] = []
    for slot in sorted(agent.catalogue.slots, key=lambda s: -s["available"]):
        prices = {c["product"]["price_fen"] for c in chosen}
        if slot["available"] >= 2 and slot["product"]["price_fen"] not in prices:
            chosen.append(slot)
    assert len(chosen) >= n, f"the demo kiosk has too few stocked slots: {agent.catalogue.slots}"
    return chosen[:n]


def buy(server: Server, agent: Agent, lines: list[dict[str, Any]]) -> str:
    """Tap the lines on the kiosk, pay with the simulated provider as the shopper's phone would."""
    assert agent.checkout(lines)
    shown = wait_until(
        lambda: (s := agent.state.snapshot())["phase"] == "awaiting_payment" and s, "the pay screen"
    )
    token = shown["qr_payload"].rstrip("/").rsplit("/", 1)[-1]
    paid = requests.post(f"{server.url}/api/v1/pay/{token}/simulate", timeout=30)
    assert paid.status_code == 200, paid.text
    return str(shown["order_id"])


def result_screen(agent: Agent, order_id: str) -> dict[str, Any]:
    return wait_until(
        lambda: (s := agent.state.snapshot())["phase"] == "done" and s.get("order_id") == order_id and s,
        f"the result screen of {order_id}",
    )


def row_of(agent: Agent, order_id: str) -> OutboxRow:
    [row] = [r for r in agent.outbox.all() if r.order_id == order_id]
    return row


def on_hand(server: Server) -> dict[str, int]:
    """Units on hand per slot of the kiosk, on the server."""
    with server.db.unit_of_work() as session:
        rows = session.execute(
            select(Slot.code, func.sum(StockBalance.on_hand))
            .join(StockBalance, StockBalance.slot_id == Slot.id)
            .join(Location, Location.id == Slot.location_id)
            .where(Location.code == KIOSK)
            .group_by(Slot.code)
        ).all()
    return {code: int(qty) for code, qty in rows}


@dataclass
class Expected:
    """One order as the kiosk bought it: what each slot should have dispensed."""

    order_id: str
    lines: list[dict[str, Any]]  # {"slot", "qty", "dispensed", "price_fen"}
    stock_before: dict[str, int]

    @property
    def refund_fen(self) -> int:
        return sum((line["qty"] - line["dispensed"]) * line["price_fen"] for line in self.lines)


def assert_applied_once(server: Server, agent: Agent, expected: Expected) -> None:
    """The server holds the kiosk's one report, refunded the undispensed units once, and restocked them."""
    row = row_of(agent, expected.order_id)
    assert row.status == "delivered"
    total = sum(line["qty"] * line["price_fen"] for line in expected.lines)
    with server.db.unit_of_work() as session:
        order = session.get(Order, expected.order_id)
        assert order is not None
        assert order.report_id == row.report_id == row.body["report_id"]
        stored = [{k: v for k, v in r.items() if v is not None} for r in order.report_json["results"]]
        assert stored == row.body["results"]  # the server kept what the kiosk queued
        assert (order.status, order.total_fen) == ("partially_refunded", total)
        assert order.refunded_fen == expected.refund_fen > 0
        payment = session.scalar(select(Payment).where(Payment.order_id == order.id))
        assert payment is not None
        assert (payment.captured_fen, payment.refunded_fen) == (total, expected.refund_fen)
        refunds = session.scalars(select(Refund).where(Refund.payment_id == payment.id)).all()
        assert [(r.amount_fen, r.status) for r in refunds] == [(expected.refund_fen, "succeeded")]
        entries = session.execute(
            select(RevenueEntry.kind, RevenueEntry.amount_fen)
            .where(RevenueEntry.order_id == order.id)
            .order_by(RevenueEntry.id)
        ).all()
        assert sorted(entries) == sorted(
            [("sale", line["qty"] * line["price_fen"]) for line in expected.lines]
            + [("refund", -expected.refund_fen)]
        )
        reports = session.scalar(
            select(func.count())
            .select_from(OrderEvent)
            .where(OrderEvent.order_id == order.id, OrderEvent.to_status == "partially_refunded")
        )
        assert reports == 1
        returned = session.scalar(
            select(func.coalesce(func.sum(StockMovement.qty), 0)).where(
                StockMovement.reference == order.id, StockMovement.kind == "return"
            )
        )
        assert returned == sum(line["qty"] - line["dispensed"] for line in expected.lines)
    after = on_hand(server)
    for line in expected.lines:
        # what did not come out is back in its own slot, once
        assert after[line["slot"]] == expected.stock_before[line["slot"]] - line["dispensed"], line
    assert row.response == {
        "order_id": expected.order_id,
        "status": "partially_refunded",
        "refunded_fen": expected.refund_fen,
    }


def assert_nothing_sent_again(relay: Relay, agent: Agent, orders: list[str]) -> None:
    """Later rounds of the agent (two more heartbeats got through) send no report again, and the
    server refused none of the kiosk's signed requests."""
    sent = {order_id: len(relay.reports(order_id)) for order_id in orders}
    beats = relay.answered("/heartbeat")
    wait_until(lambda: relay.answered("/heartbeat") >= beats + 2, "two more heartbeats")
    assert {order_id: len(relay.reports(order_id)) for order_id in orders} == sent
    counts = agent.outbox.counts()
    assert (counts["pending"], counts["dead"]) == (0, 0)
    assert [(s.method, s.path) for s in relay.seen if s.status is not None and s.status >= 400] == []


# -- the tests --
def test_a_report_pending_when_the_server_is_cut_off_is_delivered_once_after_a_restart(
    server: Server, relay: Relay, kiosk_settings: Settings, start_agent: Callable[..., Agent]
) -> None:
    driver = GatedDriver()
    first = start_agent(kiosk_settings, driver)
    ok, bad = pick_slots(first, 2)
    driver.fail_slot(bad["slot"], "motor_jam")
    expected_lines = [
        {"slot": ok["slot"], "qty": 2, "dispensed": 2, "price_fen": ok["product"]["price_fen"]},
        {"slot": bad["slot"], "qty": 1, "dispensed": 0, "price_fen": bad["product"]["price_fen"]},
    ]
    before = on_hand(server)

    # 1. The shopper pays; the agent sees `paid` and starts the motors; the server is cut off.
    driver.hold_next_dispense()
    order_id = buy(server, first, [{"slot": ok["slot"], "qty": 2}, {"slot": bad["slot"], "qty": 1}])
    assert driver.dispensing.wait(WAIT), "the agent never started dispensing"
    relay.cut()
    driver.go.set()

    # 2. The goods (one slot jammed) are out; the report cannot be sent and waits in the outbox.
    shown = result_screen(first, order_id)
    assert shown["refund_confirmed"] is False and shown["refund_fen"] == bad["product"]["price_fen"]
    row = row_of(first, order_id)
    assert row.status == "pending" and row.attempts >= 1
    assert "ConnectionError" in (row.last_error or "")
    assert row.body["results"] == [
        {"slot": ok["slot"], "requested": 2, "dispensed": 2},
        {"slot": bad["slot"], "requested": 1, "dispensed": 0, "error": "motor_jam"},
    ]
    with server.db.unit_of_work() as session:
        order = session.get(Order, order_id)
        assert order is not None and (order.status, order.report_id) == ("paid", None)
    assert relay.reports(order_id) == []

    # 3. The kiosk program restarts on the same data directory while the server is still cut off.
    second = restart(first, kiosk_settings, start_agent)
    assert second.outbox.counts() == {"pending": 1, "delivered": 0, "dead": 0}

    # 4. The server comes back: the report arrives, once, with its original id.
    relay.restore()
    wait_until(lambda: row_of(second, order_id).status == "delivered", "the report delivered")
    assert [(s.report_id, s.outcome, s.status) for s in relay.reports(order_id)] == [
        (row.report_id, "forwarded", 200)
    ]
    assert_applied_once(server, second, Expected(order_id, expected_lines, before))
    assert_nothing_sent_again(relay, second, [order_id])


def test_two_pending_reports_survive_the_outage_and_the_restart_each_delivered_once(
    server: Server, relay: Relay, kiosk_settings: Settings, start_agent: Callable[..., Agent]
) -> None:
    driver = GatedDriver()
    first = start_agent(kiosk_settings, driver)
    ok1, bad1, ok2, bad2 = pick_slots(first, 4)
    driver.fail_slot(bad1["slot"], "motor_jam")
    driver.fail_slot(bad2["slot"], "motor_jam", dispensed=1)  # one of two units comes out

    # 1. First purchase: the network loses its report request (the server never sees it).
    relay.drop_reports = True
    before_a = on_hand(server)
    order_a = buy(server, first, [{"slot": ok1["slot"], "qty": 1}, {"slot": bad1["slot"], "qty": 1}])
    assert result_screen(first, order_a)["refund_confirmed"] is False
    wait_until(lambda: len(relay.reports(order_a)) >= 2, "the agent retried the lost report")
    assert {s.outcome for s in relay.reports(order_a)} == {"dropped"}
    assert row_of(first, order_a).status == "pending"

    # 2. Second purchase: paid, dispensing starts, the server is cut off before it is reported.
    before_b = on_hand(server)
    driver.hold_next_dispense()
    order_b = buy(server, first, [{"slot": ok2["slot"], "qty": 1}, {"slot": bad2["slot"], "qty": 2}])
    assert driver.dispensing.wait(WAIT), "the agent never started dispensing"
    relay.cut()
    driver.go.set()
    assert result_screen(first, order_b)["refund_confirmed"] is False
    assert {r.order_id: r.status for r in first.outbox.all()} == {order_a: "pending", order_b: "pending"}
    with server.db.unit_of_work() as session:
        for order_id in (order_a, order_b):
            order = session.get(Order, order_id)
            assert order is not None and (order.status, order.report_id) == ("paid", None)
    queued = {r.order_id: r.report_id for r in first.outbox.all()}

    # 3. Restart while cut off; then the server comes back and the network heals.
    second = restart(first, kiosk_settings, start_agent)
    assert second.outbox.counts() == {"pending": 2, "delivered": 0, "dead": 0}
    relay.drop_reports = False
    relay.restore()
    wait_until(lambda: second.outbox.counts()["delivered"] == 2, "both reports delivered")

    # 4. Each report reached the server exactly once, with the id it was queued with.
    for order_id in (order_a, order_b):
        forwarded = [(s.report_id, s.status) for s in relay.reports(order_id) if s.outcome != "dropped"]
        assert forwarded == [(queued[order_id], 200)], order_id
    assert_applied_once(
        server,
        second,
        Expected(
            order_a,
            [
                {"slot": ok1["slot"], "qty": 1, "dispensed": 1, "price_fen": ok1["product"]["price_fen"]},
                {"slot": bad1["slot"], "qty": 1, "dispensed": 0, "price_fen": bad1["product"]["price_fen"]},
            ],
            before_a,
        ),
    )
    assert_applied_once(
        server,
        second,
        Expected(
            order_b,
            [
                {"slot": ok2["slot"], "qty": 1, "dispensed": 1, "price_fen": ok2["product"]["price_fen"]},
                {"slot": bad2["slot"], "qty": 2, "dispensed": 1, "price_fen": bad2["product"]["price_fen"]},
            ],
            before_b,
        ),
    )
    assert_nothing_sent_again(relay, second, [order_a, order_b])


def test_a_report_applied_but_unanswered_before_the_outage_is_not_applied_twice(
    server: Server, relay: Relay, kiosk_settings: Settings, start_agent: Callable[..., Agent]
) -> None:
    driver = SimulatedDriver()
    first = start_agent(kiosk_settings, driver)
    ok, bad = pick_slots(first, 2)
    driver.fail_slot(bad["slot"], "motor_jam")
    before = on_hand(server)

    # 1. The server applies the report, but its answer is lost: the kiosk must assume nothing.
    relay.swallow_answers = True
    order_id = buy(server, first, [{"slot": ok["slot"], "qty": 1}, {"slot": bad["slot"], "qty": 1}])
    assert result_screen(first, order_id)["refund_confirmed"] is False
    row = row_of(first, order_id)
    assert row.status == "pending"
    with server.db.unit_of_work() as session:
        order = session.get(Order, order_id)
        assert order is not None and order.report_id == row.report_id
        assert order.status == "partially_refunded"

    # 2. The server is cut off, the kiosk restarts, the server comes back.
    relay.cut()
    second = restart(first, kiosk_settings, start_agent)
    relay.swallow_answers = False
    relay.restore()
    wait_until(lambda: row_of(second, order_id).status == "delivered", "the report delivered")

    # 3. Every attempt carried the same report id; the server answered each alike and applied one.
    seen = relay.reports(order_id)
    assert {s.report_id for s in seen} == {row.report_id}
    assert {s.status for s in seen} == {200}
    assert [s.outcome for s in seen][-1] == "forwarded"
    assert [s.outcome for s in seen].count("forwarded") == 1
    assert_applied_once(
        server,
        second,
        Expected(
            order_id,
            [
                {"slot": ok["slot"], "qty": 1, "dispensed": 1, "price_fen": ok["product"]["price_fen"]},
                {"slot": bad["slot"], "qty": 1, "dispensed": 0, "price_fen": bad["product"]["price_fen"]},
            ],
            before,
        ),
    )
    assert_nothing_sent_again(relay, second, [order_id])
