"""Fixtures for the Alipay provider: RSA2 keys made for the test run, the fake gateway on
127.0.0.1 (tests/fakes/alipay_fake.py) and the provider, or the app, pointed at it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from payments.providers.alipay import AlipayProvider
from tests.api.kiosk.conftest import provision  # noqa: F401  (the signed kiosk fixture, registered here)
from tests.fakes.alipay_fake import APP_ID, AlipayFake, new_key, private_pem, public_pem, serve


@pytest.fixture(scope="session")
def alipay_keys() -> dict[str, Any]:
    """The app's key pair (the app signs, the fake verifies) and the fake "Alipay" key pair."""
    return {"app": new_key(), "alipay": new_key(), "stranger": new_key()}


@pytest.fixture
def alipay_fake(alipay_keys: dict[str, Any]) -> Iterator[AlipayFake]:
    fake = AlipayFake(
        app_public_key=alipay_keys["app"].public_key(), alipay_private_key=alipay_keys["alipay"]
    )
    yield from serve(fake)


def make_provider(fake: AlipayFake, keys: dict[str, Any], **overrides: Any) -> AlipayProvider:
    settings: dict[str, Any] = {
        "app_id": APP_ID,
        "app_private_key": private_pem(keys["app"]),
        "alipay_public_key": public_pem(keys["alipay"]),
        "notify_url": "https://dongxi.example/api/v1/payments/alipay/notify",
        "gateway_url": fake.gateway_url,
        "timeout_seconds": 10,
    }
    return AlipayProvider(**(settings | overrides))


@pytest.fixture
def alipay(alipay_fake: AlipayFake, alipay_keys: dict[str, Any]) -> AlipayProvider:
    return make_provider(alipay_fake, alipay_keys)


@pytest.fixture
def alipay_key_files(tmp_path: Path, alipay_keys: dict[str, Any]) -> dict[str, str]:
    app_key = tmp_path / "app_private_key.pem"
    app_key.write_text(private_pem(alipay_keys["app"]))
    alipay_key = tmp_path / "alipay_public_key.pem"
    alipay_key.write_text(public_pem(alipay_keys["alipay"]))
    return {"ALIPAY_APP_PRIVATE_KEY_PATH": str(app_key), "ALIPAY_PUBLIC_KEY_PATH": str(alipay_key)}


def alipay_settings(fake: AlipayFake, key_files: dict[str, str]) -> dict[str, object]:
    """The settings of PAYMENT_PROVIDER=alipay pointed at the fake gateway."""
    return {
        "PAYMENT_PROVIDER": "alipay",
        "ALIPAY_APP_ID": APP_ID,
        "ALIPAY_GATEWAY_URL": fake.gateway_url,
        "ALIPAY_NOTIFY_URL": "",
        **key_files,
    }


@pytest.fixture
def app_config(alipay_fake: AlipayFake, alipay_key_files: dict[str, str]) -> dict[str, object]:
    """The app with PAYMENT_PROVIDER=alipay against the fake gateway."""
    return alipay_settings(alipay_fake, alipay_key_files)
