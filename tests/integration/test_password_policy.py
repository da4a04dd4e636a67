"""New passwords are refused when they are easy to guess (issue 13): ten spaces, `1234567890`,
`password12`, the username and the like; the refusal names the field and nothing is written."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from accounts.models import User
from core.errors import InvalidInput
from kiosk_api.auth.service import create_user
from kiosk_api.cli import main

WEAK = ["          ", "1234567890", "password12", "qwertyuiop", "new-buyer-01", "dongxi-2026", "short-1"]


@pytest.mark.parametrize("password", WEAK)
def test_a_guessable_password_is_refused_naming_the_field(session, clock, password: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        create_user(session, clock, username="new-buyer", role="org_buyer", password=password)
    assert set(refused.value.fields) == {"password"}
    assert session.scalar(select(User).where(User.username == "new-buyer")) is None


def test_a_strong_password_is_accepted(session, clock) -> None:
    user = create_user(session, clock, username="new-buyer", role="org_buyer", password="xiji-potato-harvest")
    assert user.password_hash.startswith("$argon2id$")


def test_the_cli_says_why(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("DONGXI_VAR_DIR", str(tmp_path))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    runner = CliRunner()
    assert runner.invoke(main, ["db", "upgrade"]).exit_code == 0
    result = runner.invoke(
        main, ["users", "create", "--username", "ops-1", "--role", "operator", "--password", "password12"]
    )
    assert result.exit_code != 0 and "password: too easy to guess" in result.output
