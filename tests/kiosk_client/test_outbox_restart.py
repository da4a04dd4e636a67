"""Reports queued during an outage survive a restart of the kiosk program and arrive exactly once."""

from __future__ import annotations

from collections.abc import Callable

from kiosk_client.agent import Agent
from kiosk_client.config import Settings
from kiosk_client.flows import dispense
from kiosk_client.hardware import DispenseResult, SimulatedDriver
from tests.kiosk_client.conftest import wait_until
from tests.kiosk_client.fake_server import FakeKioskServer


class OutageDuringDispenseDriver(SimulatedDriver):
    """The network drops while the motor turns: the server is gone before the report is sent."""

    def __init__(self, server: FakeKioskServer) -> None:
        super().__init__()
        self.server = server

    def dispense(self, slot: str, qty: int) -> DispenseResult:
        self.server.stop()
        return super().dispense(slot, qty)


def line(slot: str, qty: int, price: int) -> dict[str, object]:
    return {
        "slot": slot,
        "sku": f"SKU-{slot}",
        "qty": qty,
        "unit_price_fen": price,
        "line_total_fen": qty * price,
    }


def test_results_queued_while_the_server_is_down_arrive_exactly_once_after_a_restart(
    make_agent: Callable[..., Agent], settings: Settings, fake_server: FakeKioskServer
) -> None:
    driver = OutageDuringDispenseDriver(fake_server)
    driver.fail_slot("B3", "motor_jam")
    first = make_agent(settings, driver)
    wait_until(lambda: first.catalogue.data)

    # 1. A shopper pays; the server becomes unreachable while the goods drop.
    assert first.checkout([{"slot": "A1", "qty": 1}, {"slot": "B3", "qty": 1}])
    order_id = wait_until(lambda: first.state.snapshot().get("order_id"))
    fake_server.pay(order_id)
    done = wait_until(lambda: (s := first.state.snapshot())["phase"] == "done" and s)
    assert done["refund_confirmed"] is False
    assert done["refund_message"]["zh"] == "固原粉条 1 件未出货，¥29.90 将自动退回原支付账户"

    # 2. Two more paid orders are dispensed during the outage.
    for lines in ([line("C2", 2, 4500)], [line("A1", 1, 2990), line("B3", 2, 2990)]):
        paid = fake_server.add_order("vend", "paid", lines)
        first.journal.begin(paid["order_id"], "vend", "awaiting_payment", lines)
        dispense(first.ctx, paid["order_id"], lines)

    rows = first.outbox.all()
    assert len(rows) == 3 and {r.status for r in rows} == {"pending"}
    assert all(r.attempts >= 1 and "ConnectionError" in (r.last_error or "") for r in rows)
    assert fake_server.report_posts == {}
    queued = {r.order_id: r.report_id for r in rows}

    # 3. The kiosk program restarts on the same data directory; the server is still down.
    first.stop()
    second = make_agent(settings, SimulatedDriver())
    assert second.outbox.counts() == {"pending": 3, "delivered": 0, "dead": 0}

    # 4. The server comes back: everything is delivered, each report once, with its original id.
    fake_server.start()
    wait_until(lambda: len(fake_server.reports) == 3)
    assert {oid: report["report_id"] for oid, report in fake_server.reports.items()} == queued
    assert dict(fake_server.report_posts) == dict.fromkeys(queued.values(), 1)
    assert fake_server.orders[order_id]["status"] == "partially_refunded"
    assert fake_server.orders[order_id]["refunded_fen"] == 2990

    # 5. Later rounds of the agent send nothing again.
    beats = len(fake_server.heartbeats)
    wait_until(lambda: len(fake_server.heartbeats) >= beats + 2)
    second.run_once()
    assert dict(fake_server.report_posts) == dict.fromkeys(queued.values(), 1)
    assert second.outbox.counts() == {"pending": 0, "delivered": 3, "dead": 0}
    assert fake_server.heartbeats[-1]["outbox_depth"] == 0


def test_a_report_the_server_already_holds_differently_is_dead_lettered(
    make_agent: Callable[..., Agent], settings: Settings, fake_server: FakeKioskServer
) -> None:
    paid = fake_server.add_order("vend", "paid", [line("A1", 1, 2990)])
    fake_server.reports[paid["order_id"]] = {"report_id": "someone-else", "body": {}, "answer": {}}
    agent = make_agent(settings)
    row = agent.outbox.enqueue("vend_results", paid["order_id"], {"results": []})
    dead = wait_until(lambda: (r := agent.outbox.get(row.report_id)) and r.status == "dead" and r)
    assert "report_conflict" in (dead.last_error or "")
    wait_until(lambda: any("refused by the server" in e for e in fake_server.heartbeats[-1]["errors"]))
