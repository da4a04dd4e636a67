"""Sessions that end (issue 13): a session cookie copied before sign-out opens nothing after it;
a password change and deactivation end every session of the user; revoked tokens stop at once."""

from __future__ import annotations

from click.testing import CliRunner
from sqlalchemy import select

from accounts.models import User
from audit.models import AuditEntry
from kiosk_api.auth.service import create_token, deactivate_user, revoke_tokens, set_password
from kiosk_api.cli import main
from tests.api.test_login import sign_in


def cookie_of(client) -> str:  # type: ignore[no-untyped-def]
    return client.get_cookie("session").value


def test_a_cookie_copied_before_sign_out_opens_nothing_after_it(app, client) -> None:
    csrf = sign_in(client)
    copied = cookie_of(client)
    assert client.get("/console/").status_code == 200
    client.post("/logout", data={"csrf_token": csrf})
    thief = app.test_client()
    thief.set_cookie("session", copied)
    assert thief.get("/console/").status_code == 302  # to the sign-in page
    assert thief.get("/api/v1/alerts").status_code == 401
    assert thief.get("/shop/orders").status_code in (302, 401, 404)
    # Signing in again works, with a new session.
    sign_in(client)
    assert client.get("/console/").status_code == 200


def test_sign_out_ends_the_users_other_sessions_too(app, client) -> None:
    other = app.test_client()
    sign_in(other)
    csrf = sign_in(client)
    client.post("/logout", data={"csrf_token": csrf})
    assert other.get("/console/").status_code == 302


def test_a_password_change_or_deactivation_ends_every_session(app, client, session) -> None:
    sign_in(client)
    assert client.get("/api/v1/alerts").status_code == 200
    set_password(session, "demo-operator", "a-new-harvest-password")
    session.commit()
    assert client.get("/api/v1/alerts").status_code == 401
    assert client.get("/console/").status_code == 302

    auditor = app.test_client()
    sign_in(auditor, "auditor")
    deactivate_user(session, app.extensions["dongxi.clock"], "demo-auditor")
    session.commit()
    assert auditor.get("/console/").status_code == 302


def test_revoked_and_deactivated_users_tokens_stop_at_once(client, session, clock) -> None:
    token = create_token(session, clock, "demo-operator", "script")
    other = create_token(session, clock, "demo-operator", "other script")
    session.commit()
    bearer = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/alerts", headers=bearer).status_code == 200
    assert revoke_tokens(session, clock, "demo-operator") >= 2
    session.commit()
    assert client.get("/api/v1/alerts", headers=bearer).status_code == 401
    assert client.get("/api/v1/alerts", headers={"Authorization": f"Bearer {other}"}).status_code == 401


def test_the_cli_deactivates_revokes_and_records_it(tmp_path, monkeypatch) -> None:
    from core.db import Database

    monkeypatch.setenv("DONGXI_VAR_DIR", str(tmp_path))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    runner = CliRunner()
    assert runner.invoke(main, ["db", "upgrade"]).exit_code == 0
    created = runner.invoke(
        main,
        ["users", "create", "--username", "ops-1", "--role", "operator", "--password", "xiji-potato-harvest"],
    )
    assert created.exit_code == 0, created.output
    assert runner.invoke(main, ["tokens", "create", "--username", "ops-1", "--name", "a"]).exit_code == 0
    assert runner.invoke(main, ["tokens", "create", "--username", "ops-1", "--name", "b"]).exit_code == 0
    listed = runner.invoke(main, ["tokens", "list", "--username", "ops-1"])
    assert listed.output.count("live") == 2 and "Asia/Shanghai" in listed.output
    one = runner.invoke(main, ["tokens", "revoke", "--username", "ops-1", "--id", "1"])
    assert one.exit_code == 0 and "1 token(s) revoked" in one.output
    gone = runner.invoke(main, ["users", "deactivate", "--username", "ops-1"])
    assert gone.exit_code == 0 and "deactivated, every session ended, 1 token(s) revoked" in gone.output
    weak = runner.invoke(main, ["users", "set-password", "--username", "ops-1", "--password", "password12"])
    assert weak.exit_code != 0 and "too easy to guess" in weak.output

    db = Database.from_url(f"sqlite:///{tmp_path / 'dongxi.db'}")
    with db.unit_of_work() as s:
        user = s.scalar(select(User).where(User.username == "ops-1"))
        assert not user.active and user.session_epoch == 1
        entries = s.scalars(
            select(AuditEntry).where(AuditEntry.via == "cli", AuditEntry.action != "users.create")
        ).all()
        by_operation = {(e.operation, e.action): e for e in entries}
        revoked = by_operation[("dongxi tokens revoke", "api_tokens.update")]
        assert revoked.target_id == "1" and revoked.after["revoked_at"] is not None
        gone = by_operation[("dongxi users deactivate", "users.update")]
        assert (gone.target_id, gone.before, gone.after) == (
            str(user.id),
            {"active": True, "session_epoch": 0},
            {"active": False, "session_epoch": 1},
        )
        assert all(e.actor.startswith("cli:") and e.origin for e in entries)
        assert not any("password" in str(e.after) and "••••" not in str(e.after) for e in entries)
    db.engine.dispose()
