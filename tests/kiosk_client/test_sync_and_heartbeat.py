"""Catalogue sync with ETag / If-None-Match, and heartbeats in the protocol's shape."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from kiosk_client.agent import Agent
from kiosk_client.api import KioskApi
from kiosk_client.catalogue import CatalogueCache
from kiosk_client.config import Settings
from kiosk_client.hardware import SimulatedDriver
from kiosk_client.ui.server import create_ui_app
from tests.kiosk_client.conftest import fast_settings, wait_until
from tests.kiosk_client.fake_server import KEY_ID, SECRET, FakeKioskServer


def test_sync_asks_with_if_none_match_and_keeps_the_catalogue_on_304(
    fake_server: FakeKioskServer, tmp_path: Path
) -> None:
    api = KioskApi(fake_server.url, KEY_ID, SECRET)
    cache = CatalogueCache(tmp_path / "catalogue.json")
    assert cache.sync(api) is True
    assert cache.etag == fake_server.etag and cache.slot("A1")["product"]["sku"] == "GY-POTATO-5KG"  # type: ignore[index]
    assert cache.sync(api) is False
    first, second = fake_server.requests_to("/catalogue")
    assert "If-None-Match" not in first["headers"]
    assert second["headers"]["If-None-Match"] == cache.etag
    assert cache.version == 1

    fake_server.catalogue["slots"][0]["available"] = 0
    assert cache.sync(api) is True
    assert cache.etag == fake_server.etag and cache.slot("A1")["available"] == 0  # type: ignore[index]


def test_the_cached_catalogue_survives_a_restart_and_is_revalidated(
    fake_server: FakeKioskServer, tmp_path: Path
) -> None:
    api = KioskApi(fake_server.url, KEY_ID, SECRET)
    CatalogueCache(tmp_path / "catalogue.json").sync(api)
    reloaded = CatalogueCache(tmp_path / "catalogue.json")
    assert reloaded.slot("B3") is not None  # shown at once, even before the network answers
    assert reloaded.sync(api) is False
    assert fake_server.requests_to("/catalogue")[-1]["headers"]["If-None-Match"] == fake_server.etag


def test_a_heartbeat_announcing_a_new_etag_triggers_a_sync(
    make_agent: Callable[..., Agent], settings: Settings, fake_server: FakeKioskServer
) -> None:
    agent = make_agent(settings)
    wait_until(lambda: agent.catalogue.data)
    fake_server.catalogue["slots"][1]["product"]["price_fen"] = 3190
    wait_until(lambda: agent.catalogue.slot("B3")["product"]["price_fen"] == 3190)  # type: ignore[index]
    assert agent.catalogue.etag == fake_server.etag


def test_heartbeats_follow_the_protocol(
    make_agent: Callable[..., Agent], settings: Settings, fake_server: FakeKioskServer
) -> None:
    driver = SimulatedDriver(temperature_c=4.5)
    make_agent(settings, driver)
    beats = wait_until(lambda: len(fake_server.heartbeats) >= 2 and fake_server.heartbeats)
    assert set(beats[0]) == {"software_version", "door", "temperature_c", "outbox_depth", "errors"}
    assert beats[0]["door"] == "closed" and beats[0]["temperature_c"] == 4.5
    assert beats[0]["outbox_depth"] == 0 and beats[0]["errors"] == []
    assert beats[0]["software_version"].startswith("dongxi-kiosk ")
    driver.unlock_door()
    wait_until(lambda: fake_server.heartbeats[-1]["door"] == "open")


def test_the_mode_can_come_from_the_server(
    make_agent: Callable[..., Agent], settings: Settings, fake_server: FakeKioskServer
) -> None:
    fake_server.catalogue["kiosk"]["mode"] = "open_door"
    agent = make_agent(replace(settings, mode_from_server=True))
    wait_until(lambda: agent.state.phase == "door_ready")
    assert agent.mode == "open_door"
    assert agent.checkout([{"slot": "A1", "qty": 1}]) is False


def test_a_completed_sale_resyncs_the_catalogue_at_once_not_at_the_next_sync(
    make_agent: Callable[..., Agent], fake_server: FakeKioskServer, tmp_path: Path
) -> None:
    # Neither the sync nor the heartbeat is due for a minute: only the sale can ask.
    settings = replace(
        fast_settings(fake_server.url, tmp_path / "kiosk"), sync_interval=60.0, heartbeat_interval=60.0
    )
    agent = make_agent(settings, SimulatedDriver())
    wait_until(lambda: agent.catalogue.data)
    ui = create_ui_app(agent).test_client()
    synced = len(fake_server.requests_to("/catalogue"))
    assert ui.post("/api/checkout", json={"lines": [{"sku": "GY-POTATO-5KG", "qty": 1}]}).status_code == 202
    order = wait_until(lambda: fake_server.orders and fake_server.only_order())
    assert [line["slot"] for line in order["lines"]] == ["A1"]
    before = agent.catalogue.slot("A1")["available"]  # type: ignore[index]
    fake_server.catalogue["slots"][0]["available"] = before - 1  # what the server's stock now says
    fake_server.pay(order["order_id"])
    wait_until(lambda: ui.get("/api/state").get_json()["phase"] == "done", timeout=10)
    wait_until(lambda: agent.catalogue.slot("A1")["available"] == before - 1, timeout=10)  # type: ignore[index]
    assert len(fake_server.requests_to("/catalogue")) > synced
    assert ui.get("/api/state").get_json()["catalogue_version"] == agent.catalogue.version
