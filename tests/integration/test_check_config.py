"""`dongxi check-config --production` refuses each unsafe setting with a line of its own and exits 1;
`dongxi serve --production` runs the same check first and will not start (issue 12)."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from kiosk_api import cli
from kiosk_api.jobs import scheduler as job_scheduler
from tests.api.kiosk.conftest import REDIS_URL, require_redis
from tests.conftest import POSTGRES_ADMIN_URL, require_postgres

SAFE = {
    "DATABASE_URL": POSTGRES_ADMIN_URL,
    "PAYMENT_PROVIDER": "stripe",
    "STRIPE_SECRET_KEY": "sk_test_check_config",
    "STRIPE_WEBHOOK_SECRET": "whsec_check_config",
    "SECRET_KEY": "k3Jq9vLx2mPz8RtW5nYb7cHd4fGs6aUe1oIi0",
    "PUBLIC_BASE_URL": "https://dongxi.example.cn",
    "REDIS_URL": REDIS_URL,
}
SETTINGS = (*SAFE, "DONGXI_ENV", "DONGXI_VAR_DIR")

# Each unsafe setting, and the start of the one line that refuses it.
UNSAFE = {
    "sqlite": ({"DATABASE_URL": "sqlite:///{tmp}/dongxi.db"}, "! DATABASE_URL is SQLite"),
    "simulated": ({"PAYMENT_PROVIDER": "simulated"}, "! PAYMENT_PROVIDER is simulated"),
    "no key": ({"SECRET_KEY": None}, "! SECRET_KEY is not set"),
    "example key": ({"SECRET_KEY": "bench-secret-key-not-for-production"}, "! SECRET_KEY is a default"),
    "short key": ({"SECRET_KEY": "s3cr3t-but-short"}, "! SECRET_KEY is 16 characters"),
    "http": ({"PUBLIC_BASE_URL": "http://dongxi.example.cn"}, "! PUBLIC_BASE_URL is 'http://"),
    "no redis": ({"REDIS_URL": None}, "! REDIS_URL is not set"),
}


@pytest.fixture
def env(tmp_path, monkeypatch):  # type: ignore[no-untyped-def]
    """Set the environment of a check: the safe production settings with some changed."""

    def set_env(**changes: str | None) -> None:
        for name in SETTINGS:
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("DONGXI_VAR_DIR", str(tmp_path))
        for name, value in {**SAFE, **changes}.items():
            if value is not None:
                monkeypatch.setenv(name, value.format(tmp=tmp_path))

    return set_env


def refusals(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith("! ")]


def test_safe_production_settings_pass(env) -> None:
    require_postgres()
    require_redis()
    env()
    result = CliRunner().invoke(cli.main, ["check-config", "--production"])
    assert result.exit_code == 0, result.output
    assert refusals(result.output) == [] and "configuration OK (production)" in result.output


@pytest.mark.parametrize("case", list(UNSAFE))
def test_each_unsafe_setting_is_refused_with_its_own_line(env, case: str) -> None:
    require_postgres()
    require_redis()
    changes, line = UNSAFE[case]
    env(**changes)
    result = CliRunner().invoke(cli.main, ["check-config", "--production"])
    assert result.exit_code == 1, result.output
    assert len(refusals(result.output)) == 1, result.output
    assert refusals(result.output)[0].startswith(line), result.output


def test_the_embedded_default_is_refused_on_every_count_but_fine_for_development(env) -> None:
    env(**{name: None for name in SAFE})
    production = CliRunner().invoke(cli.main, ["check-config", "--production"])
    assert production.exit_code == 1
    assert [line.split(" is ")[0] for line in refusals(production.output)] == [
        "! DATABASE_URL",
        "! PAYMENT_PROVIDER",
        "! SECRET_KEY",
        "! PUBLIC_BASE_URL",
        "! REDIS_URL",
    ]
    assert "configuration refused (production): 5 problems" in production.output
    development = CliRunner().invoke(cli.main, ["check-config"])
    assert development.exit_code == 0, development.output
    assert refusals(development.output) == [
        "! SECRET_KEY is not set: using the embedded default key from var/ (fine for a demo only)"
    ]


def test_dongxi_env_production_checks_as_production(env) -> None:
    env(**{name: None for name in SAFE}, DONGXI_ENV="production")
    result = CliRunner().invoke(cli.main, ["check-config"])
    assert result.exit_code == 1 and len(refusals(result.output)) == 5, result.output


def test_serve_production_will_not_start_on_an_unsafe_setting(env, monkeypatch) -> None:
    started: list[bool] = []
    monkeypatch.setattr(cli, "_serve_with_gunicorn", lambda: started.append(True))
    env(PAYMENT_PROVIDER="simulated")
    result = CliRunner().invoke(cli.main, ["serve", "--production"])
    assert result.exit_code != 0
    assert "! PAYMENT_PROVIDER is simulated" in result.output and "not starting" in result.output
    assert started == []


def test_serve_production_becomes_gunicorn_in_production_mode_when_safe(env, monkeypatch) -> None:
    """…and the app servers run no jobs: `dongxi worker` does."""
    require_postgres()
    require_redis()
    execs: list[tuple[str, list[str], dict[str, str]]] = []
    monkeypatch.setattr(cli.os, "execve", lambda path, args, environ: execs.append((path, args, environ)))
    monkeypatch.setattr(job_scheduler, "start_in_background", lambda *a, **k: pytest.fail("jobs started"))
    env()
    result = CliRunner().invoke(cli.main, ["serve", "--production"])
    assert result.exit_code == 0, result.output
    [(path, args, environ)] = execs
    assert path.endswith("gunicorn") and args[1:2] == ["--config"] and args[2].endswith("gunicorn_conf.py")
    assert environ["DONGXI_ENV"] == "production"


def test_a_gunicorn_started_by_hand_in_production_mode_refuses_the_same_settings(env, tmp_path) -> None:
    import subprocess
    import sys

    env(PUBLIC_BASE_URL="http://dongxi.example.cn", DONGXI_ENV="production")
    started = subprocess.run(
        [sys.executable, "-c", "import kiosk_api.wsgi"], capture_output=True, text=True, timeout=120
    )
    assert started.returncode == 1
    assert "! PUBLIC_BASE_URL is 'http://dongxi.example.cn'" in started.stderr
