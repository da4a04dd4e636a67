"""The dongxi-kiosk command: arguments, and the program serving its screen against a server."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from kiosk_client.hardware import SimulatedDriver
from kiosk_client.main import build_parser, driver_from_args, settings_from_args
from tests.kiosk_client.conftest import wait_until
from tests.kiosk_client.fake_catalogue import free_port
from tests.kiosk_client.fake_server import KEY_ID, SECRET, FakeKioskServer


def test_arguments_become_settings() -> None:
    args = build_parser().parse_args(
        [
            "--server",
            "http://srv:5000",
            "--key-id",
            "k1",
            "--secret",
            "s",
            "--mode-from-server",
            "--port",
            "8200",
        ]
    )
    settings = settings_from_args(args)
    assert (settings.server, settings.port, settings.driver, settings.mode_from_server) == (
        "http://srv:5000",
        8200,
        "simulated",
        True,
    )
    assert settings.data_dir == Path("var/kiosk/k1")


def test_slot_maps_parse_and_bad_ones_are_usage_errors() -> None:
    args = build_parser().parse_args(["--server", "x", "--driver", "serial", "--slot-map", "s1=1, S2=18"])
    assert args.slot_map == {"S1": 1, "S2": 18}
    with pytest.raises(SystemExit):
        build_parser().parse_args(["--server", "x", "--slot-map", "S1=300"])


def test_sim_fail_flags_fail_those_slots() -> None:
    args = build_parser().parse_args(["--server", "x", "--sim-fail", "B3", "--sim-fail", "C2:slot_empty"])
    driver = driver_from_args(args)
    assert isinstance(driver, SimulatedDriver)
    assert driver.dispense("B3", 1).error == "motor_jam" and driver.dispense("C2", 1).error == "slot_empty"


def test_missing_credentials_are_a_usage_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DONGXI_KIOSK_KEY_ID", raising=False)
    monkeypatch.delenv("DONGXI_KIOSK_SECRET", raising=False)
    from kiosk_client.main import main

    with pytest.raises(SystemExit) as exited:
        main(["--server", "http://127.0.0.1:1"])
    assert exited.value.code == 2


def test_the_program_serves_its_screen_and_stops_on_sigterm(
    fake_server: FakeKioskServer, tmp_path: Path
) -> None:
    port = free_port()
    script = Path(sys.executable).with_name("dongxi-kiosk")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "kiosk_client.main"]
    process = subprocess.Popen(
        [*command, "--server", fake_server.url, "--key-id", KEY_ID, "--port", str(port),
         "--data-dir", str(tmp_path / "kiosk")],
        env={**os.environ, "DONGXI_KIOSK_SECRET": SECRET},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:

        def catalogue() -> dict[str, object] | None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/catalogue", timeout=1) as response:
                    body = json.load(response)
            except OSError:
                return None
            return body if body["slots"] else None

        body = wait_until(catalogue, timeout=20)
        assert body["kiosk"]["code"] == "FZ-0001"  # type: ignore[index]
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1) as response:
            assert "消费帮扶专柜" in response.read().decode()
    finally:
        process.send_signal(signal.SIGTERM)
        output = process.communicate(timeout=20)[0].decode()
    assert process.returncode == 0, output
    assert f"touch screen http://127.0.0.1:{port}/" in output
    assert fake_server.signature_failures == []
