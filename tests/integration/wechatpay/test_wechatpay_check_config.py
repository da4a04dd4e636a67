"""`dongxi check-config` with PAYMENT_PROVIDER=wechatpay: the settings are complete, the key files
readable and of the right kind, the APIv3 key 32 bytes; each problem is a line of its own."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from kiosk_api import cli
from payments.providers.wechatpay_config import ENV_NAMES
from tests.api.kiosk.conftest import REDIS_URL, require_redis
from tests.conftest import POSTGRES_ADMIN_URL, require_postgres
from tests.fakes.wechatpay_fake import FakeKeys
from tests.integration.wechatpay.conftest import wechatpay_settings

BASE = {
    "DATABASE_URL": POSTGRES_ADMIN_URL,
    "SECRET_KEY": "k3Jq9vLx2mPz8RtW5nYb7cHd4fGs6aUe1oIi0",
    "PUBLIC_BASE_URL": "https://dongxi.example.cn",
    "REDIS_URL": REDIS_URL,
}


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, wechatpay_keys: FakeKeys, wechatpay_key_files):  # type: ignore[no-untyped-def]
    """Run `dongxi check-config --production` with the WeChat Pay settings, some changed; return
    (exit code, its `! ` lines)."""
    require_postgres()
    require_redis()
    settings = {**BASE, **wechatpay_settings(wechatpay_keys, wechatpay_key_files, "")}
    del settings["WECHATPAY_API_BASE"]

    def check(**changes: str | None) -> tuple[int, list[str]]:
        for name in (*settings, *ENV_NAMES, "DONGXI_ENV", "STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET"):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("DONGXI_VAR_DIR", str(tmp_path))
        for name, value in {**settings, **changes}.items():
            if value is not None:
                monkeypatch.setenv(name, value)
        result = CliRunner().invoke(cli.main, ["check-config", "--production"])
        return result.exit_code, [line for line in result.output.splitlines() if line.startswith("! ")]

    return check


def test_complete_wechatpay_settings_pass(run) -> None:  # type: ignore[no-untyped-def]
    assert run() == (0, [])


def test_the_apiv3_key_may_come_from_the_environment_instead_of_a_file(run, wechatpay_keys: FakeKeys) -> None:  # type: ignore[no-untyped-def]
    assert run(WECHATPAY_APIV3_KEY_FILE=None, WECHATPAY_APIV3_KEY=wechatpay_keys.apiv3_key) == (0, [])


def test_each_bad_setting_is_refused_with_its_own_line(run, tmp_path: Path, wechatpay_key_files) -> None:  # type: ignore[no-untyped-def]
    short = tmp_path / "short_key"
    short.write_text("too-short")
    cases = {
        "no merchant id": ({"WECHATPAY_MCHID": None}, "! WECHATPAY_MCHID is required"),
        "no key id": ({"WECHATPAY_PUBLIC_KEY_ID": None}, "! WECHATPAY_PUBLIC_KEY_ID is required"),
        "no apiv3 key": (
            {"WECHATPAY_APIV3_KEY_FILE": None},
            "! WECHATPAY_APIV3_KEY or WECHATPAY_APIV3_KEY_FILE",
        ),
        "short apiv3 key": (
            {"WECHATPAY_APIV3_KEY_FILE": str(short)},
            "! the WeChat Pay APIv3 key is 9 bytes",
        ),
        "missing file": (
            {"WECHATPAY_PRIVATE_KEY_PATH": str(tmp_path / "nope.pem")},
            "! WECHATPAY_PRIVATE_KEY_PATH cannot be read",
        ),
        "public key as private": (
            {"WECHATPAY_PRIVATE_KEY_PATH": str(wechatpay_key_files["public"])},
            "! WECHATPAY_PRIVATE_KEY_PATH is not a PEM private key",
        ),
        "private key as public": (
            {"WECHATPAY_PUBLIC_KEY_PATH": str(wechatpay_key_files["private"])},
            "! WECHATPAY_PUBLIC_KEY_PATH is not a PEM public key",
        ),
        "http notify": ({"WECHATPAY_NOTIFY_URL": "http://dongxi.example.cn/n"}, "! WECHATPAY_NOTIFY_URL is"),
        "fake gateway": ({"WECHATPAY_API_BASE": "http://127.0.0.1:1"}, "! WECHATPAY_API_BASE is set"),
    }
    for name, (changes, line) in cases.items():
        code, lines = run(**changes)
        assert code == 1 and len(lines) == 1 and lines[0].startswith(line), (name, lines)
