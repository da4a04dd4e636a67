"""Fixtures of the kiosk program's tests: a fake server on a free port, fast settings, agents that stop."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from kiosk_client.agent import Agent
from kiosk_client.config import Settings
from kiosk_client.hardware import SimulatedDriver
from tests.kiosk_client.fake_server import KEY_ID, SECRET, FakeKioskServer
from tests.waiting import wait_until as _wait_until

WAIT = 30.0  # upper bound of every wait (a busy machine); tests normally finish each in milliseconds


def wait_until(condition: Callable[[], Any], timeout: float = WAIT) -> Any:
    """Poll condition() (bounded by WAIT): see tests/waiting.py."""
    return _wait_until(condition, "the condition", timeout, every=0.01)


@pytest.fixture
def fake_server() -> Iterator[FakeKioskServer]:
    server = FakeKioskServer().start()
    yield server
    server.stop()


def fast_settings(server_url: str, data_dir: Path, **overrides: Any) -> Settings:
    """Settings with every interval short enough for a test."""
    settings = Settings(
        server=server_url,
        key_id=KEY_ID,
        secret=SECRET,
        data_dir=data_dir,
        http_timeout=2.0,
        poll_interval=0.02,
        heartbeat_interval=0.2,
        sync_interval=60.0,
        retry_base=0.05,
        retry_max=0.2,
        expiry_grace=0.0,
        hw_poll_interval=0.01,
        door_unopened_timeout=5.0,
        door_reminder_after=5.0,
        result_seconds=30.0,
    )
    return replace(settings, **overrides)


@pytest.fixture
def settings(fake_server: FakeKioskServer, tmp_path: Path) -> Settings:
    return fast_settings(fake_server.url, tmp_path / "kiosk")


@pytest.fixture
def make_agent() -> Iterator[Callable[..., Agent]]:
    """Build agents (started unless start=False); every one is stopped at the end of the test."""
    agents: list[Agent] = []

    def build(settings: Settings, driver: SimulatedDriver | None = None, start: bool = True) -> Agent:
        agent = Agent(settings, driver=driver or SimulatedDriver())
        agents.append(agent)
        if start:
            agent.start()
        return agent

    yield build
    for agent in agents:
        agent.stop()
