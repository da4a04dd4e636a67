"""Fixtures for the WeChat Pay provider: the fake API (tests/fakes/wechatpay_fake.py) on 127.0.0.1, one per
test worker, its keys written to files, and the configuration that points the real SDK at it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from payments.providers import make_provider
from payments.providers.wechatpay import WeChatPayProvider
from tests.api.kiosk.conftest import provision  # noqa: F401  (the signed kiosk fixture, registered here)
from tests.fakes.wechatpay_fake import FakeKeys, FakeWeChatPay, generate_keys

NOTIFY_URL = "https://dongxi.example.cn/api/v1/payments/wechatpay/webhook"


@pytest.fixture(scope="session")
def wechatpay_keys() -> FakeKeys:
    """The merchant's and the platform's keys of this worker's fake."""
    return generate_keys()


@pytest.fixture(scope="session")
def wechatpay_server(wechatpay_keys: FakeKeys) -> Iterator[FakeWeChatPay]:
    """The fake WeChat Pay API, listening for this worker's session."""
    fake = FakeWeChatPay(wechatpay_keys).start()
    try:
        yield fake
    finally:
        fake.stop()


@pytest.fixture
def wechatpay_fake(wechatpay_server: FakeWeChatPay) -> FakeWeChatPay:
    """The fake, emptied of the previous test's orders and refunds."""
    wechatpay_server.reset()
    return wechatpay_server


@pytest.fixture(scope="session")
def wechatpay_key_files(
    tmp_path_factory: pytest.TempPathFactory, wechatpay_keys: FakeKeys
) -> dict[str, Path]:
    """The merchant private key, the platform public key and the APIv3 key, as files (as deployed)."""
    folder = tmp_path_factory.mktemp("wechatpay-keys")
    files = {
        "private": folder / "apiclient_key.pem",
        "public": folder / "pub_key.pem",
        "apiv3": folder / "apiv3_key",
    }
    files["private"].write_text(wechatpay_keys.merchant_private_pem)
    files["public"].write_bytes(wechatpay_keys.platform_public_pem)
    files["apiv3"].write_text(wechatpay_keys.apiv3_key + "\n")
    return files


def wechatpay_settings(keys: FakeKeys, files: dict[str, Path], api_base: str) -> dict[str, Any]:
    """The settings of PAYMENT_PROVIDER=wechatpay pointed at the fake."""
    return {
        "PAYMENT_PROVIDER": "wechatpay",
        "WECHATPAY_MCHID": keys.mchid,
        "WECHATPAY_APPID": keys.appid,
        "WECHATPAY_PRIVATE_KEY_PATH": str(files["private"]),
        "WECHATPAY_CERT_SERIAL_NO": keys.merchant_serial,
        "WECHATPAY_APIV3_KEY_FILE": str(files["apiv3"]),
        "WECHATPAY_PUBLIC_KEY_PATH": str(files["public"]),
        "WECHATPAY_PUBLIC_KEY_ID": keys.platform_key_id,
        "WECHATPAY_NOTIFY_URL": NOTIFY_URL,
        "WECHATPAY_API_BASE": api_base,
    }


@pytest.fixture
def wechatpay_config(
    wechatpay_keys: FakeKeys, wechatpay_key_files: dict[str, Path], wechatpay_fake: FakeWeChatPay
) -> dict[str, Any]:
    return wechatpay_settings(wechatpay_keys, wechatpay_key_files, wechatpay_fake.base_url)


@pytest.fixture
def wechatpay(wechatpay_config: dict[str, Any]) -> WeChatPayProvider:
    """The provider make_provider builds from the settings, talking to the fake through the SDK."""
    provider = make_provider(wechatpay_config, lambda token: f"https://dongxi.example.cn/pay/{token}")
    assert isinstance(provider, WeChatPayProvider)
    return provider
