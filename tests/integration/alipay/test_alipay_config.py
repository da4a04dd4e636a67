"""PAYMENT_PROVIDER=alipay: the settings it needs, refused one line each by check-config."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from kiosk_api import cli
from kiosk_api.config import from_environment, problems
from payments.providers import make_provider
from payments.providers.alipay import AlipayProvider


def _env(tmp_path: Path, **changes: str) -> dict[str, str]:
    return {"DONGXI_VAR_DIR": str(tmp_path), "PAYMENT_PROVIDER": "alipay", **changes}


def test_missing_settings_are_named(tmp_path: Path) -> None:
    found = problems(from_environment(_env(tmp_path)))
    assert "ALIPAY_APP_ID is required with PAYMENT_PROVIDER=alipay" in found
    assert "ALIPAY_APP_PRIVATE_KEY_PATH is required with PAYMENT_PROVIDER=alipay" in found
    assert "ALIPAY_PUBLIC_KEY_PATH is required with PAYMENT_PROVIDER=alipay" in found


def test_a_key_file_that_holds_no_key_is_refused(tmp_path: Path, alipay_key_files: dict[str, str]) -> None:
    junk = tmp_path / "junk.pem"
    junk.write_text("not a key")
    env = _env(
        tmp_path,
        ALIPAY_APP_ID="2021000000000001",
        **(alipay_key_files | {"ALIPAY_PUBLIC_KEY_PATH": str(junk)}),
    )
    assert problems(from_environment(env)) == [f"ALIPAY_PUBLIC_KEY_PATH: {junk} holds no RSA public key"]
    swapped = _env(
        tmp_path,
        ALIPAY_APP_ID="2021000000000001",
        ALIPAY_APP_PRIVATE_KEY_PATH=alipay_key_files["ALIPAY_PUBLIC_KEY_PATH"],
        ALIPAY_PUBLIC_KEY_PATH=alipay_key_files["ALIPAY_PUBLIC_KEY_PATH"],
    )
    assert any(
        "public key where the app's private key belongs" in line
        for line in problems(from_environment(swapped))
    )


def test_complete_settings_build_the_provider(tmp_path: Path, alipay_key_files: dict[str, str]) -> None:
    config = from_environment(_env(tmp_path, ALIPAY_APP_ID="2021000000000001", **alipay_key_files))
    assert problems(config) == []
    provider = make_provider(config, lambda token: token)
    assert isinstance(provider, AlipayProvider) and provider.name == "alipay"


def test_check_config_prints_each_problem(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    for name, value in _env(tmp_path, DATABASE_URL=f"sqlite:///{tmp_path}/d.db", ALIPAY_APP_ID="").items():
        monkeypatch.setenv(name, value)
    for name in ("ALIPAY_APP_PRIVATE_KEY_PATH", "ALIPAY_PUBLIC_KEY_PATH", "REDIS_URL", "DONGXI_ENV"):
        monkeypatch.delenv(name, raising=False)
    result = CliRunner().invoke(cli.main, ["check-config"])
    assert result.exit_code == 1
    assert "! ALIPAY_APP_ID is required with PAYMENT_PROVIDER=alipay" in result.output
    assert "! ALIPAY_PUBLIC_KEY_PATH is required with PAYMENT_PROVIDER=alipay" in result.output
