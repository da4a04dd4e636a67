"""The console's forms of user accounts, through kiosk_api.auth.service as the CLI: create with the
password policy, change a role, reset a password, deactivate after a confirmation (sessions and
tokens end); the admin's alone."""

from __future__ import annotations

from sqlalchemy import func, select

from accounts.models import ApiToken, User
from kiosk_api.auth.service import create_token
from tests.api.test_login import csrf_from, sign_in

GOOD_PASSWORD = "Maple-quarry-41-tundra"


def _user(session, username: str) -> User:  # type: ignore[no-untyped-def]
    session.expire_all()
    return session.scalar(select(User).where(User.username == username))


def test_an_admin_creates_a_user_with_a_role_chosen_by_label(session, client) -> None:
    token = sign_in(client, "admin")
    form = client.get("/console/users/new").get_data(as_text=True)
    assert "单位采购员 · Organization buyer" in form
    response = client.post(
        "/console/users/new",
        data={
            "csrf_token": token,
            "username": "li.na",
            "display_name": "李娜",
            "role": "restocker",
            "password": GOOD_PASSWORD,
            "password_again": GOOD_PASSWORD,
        },
    )
    assert response.status_code == 302
    user = _user(session, "li.na")
    assert (user.role, user.display_name, user.active) == ("restocker", "李娜", True)
    assert GOOD_PASSWORD not in user.password_hash
    assert "补货员" in client.get("/console/users").get_data(as_text=True)


def test_a_weak_password_is_refused_by_the_cli_policy_and_nothing_is_written(session, client) -> None:
    token = sign_in(client, "admin")
    before = session.scalar(select(func.count()).select_from(User))
    weak = client.post(
        "/console/users/new",
        data={
            "csrf_token": token,
            "username": "wang.wei",
            "role": "operator",
            "password": "password123",
            "password_again": "password123",
        },
    )
    html = weak.get_data(as_text=True)
    assert weak.status_code == 422 and "密码 Password" in html and "wang.wei" in html
    assert "password123" not in html  # a password is never sent back
    differ = client.post(
        "/console/users/new",
        data={
            "csrf_token": token,
            "username": "wang.wei",
            "role": "operator",
            "password": GOOD_PASSWORD,
            "password_again": "x",
        },
    )
    assert differ.status_code == 422 and "两次输入的密码不一致" in differ.get_data(as_text=True)
    bad_name = client.post(
        "/console/users/new",
        data={
            "csrf_token": token,
            "username": "a b",
            "role": "operator",
            "password": GOOD_PASSWORD,
            "password_again": GOOD_PASSWORD,
        },
    )
    assert bad_name.status_code == 422 and "用户名 Username" in bad_name.get_data(as_text=True)
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(User)) == before


def test_an_admin_changes_a_role_but_a_unit_member_keeps_an_org_role(session, client) -> None:
    token = sign_in(client, "admin")
    restocker, buyer = _user(session, "demo-restocker"), _user(session, "demo-org-buyer")
    assert (
        client.post(
            f"/console/users/{restocker.id}/role", data={"csrf_token": token, "role": "operator"}
        ).status_code
        == 302
    )
    assert _user(session, "demo-restocker").role == "operator"
    refused = client.post(f"/console/users/{buyer.id}/role", data={"csrf_token": token, "role": "operator"})
    assert refused.status_code == 409 and "请先移出单位" in refused.get_data(as_text=True)
    assert _user(session, "demo-org-buyer").role == "org_buyer"


def test_a_password_reset_ends_the_users_sessions(app, session, client) -> None:
    operator = app.test_client()
    sign_in(operator, "operator")
    assert operator.get("/console/").status_code == 200
    token = sign_in(client, "admin")
    target = _user(session, "demo-operator")
    weak = client.post(
        f"/console/users/{target.id}/password",
        data={"csrf_token": token, "password": "abc", "password_again": "abc"},
    )
    assert weak.status_code == 422
    assert operator.get("/console/").status_code == 200  # nothing changed
    reset = client.post(
        f"/console/users/{target.id}/password",
        data={"csrf_token": token, "password": GOOD_PASSWORD, "password_again": GOOD_PASSWORD},
    )
    assert reset.status_code == 302
    assert operator.get("/console/").status_code == 302  # signed out


def test_deactivation_asks_first_then_ends_sessions_and_revokes_tokens(app, session, client, clock) -> None:
    bearer = create_token(session, clock, "demo-restocker", "van")
    session.commit()
    restocker = app.test_client()
    sign_in(restocker, "restocker")
    token = sign_in(client, "admin")
    target = _user(session, "demo-restocker")
    asked = client.post(f"/console/users/{target.id}/deactivate", data={"csrf_token": token})
    html = asked.get_data(as_text=True)
    assert asked.status_code == 200 and "确认停用" in html and 'name="confirm" value="1"' in html
    assert _user(session, "demo-restocker").active  # nothing written yet
    done = client.post(f"/console/users/{target.id}/deactivate", data={"csrf_token": token, "confirm": "1"})
    assert done.status_code == 302
    assert not _user(session, "demo-restocker").active
    live = session.scalar(
        select(func.count()).where(ApiToken.user_id == target.id, ApiToken.revoked_at.is_(None))
    )
    assert live == 0
    assert (
        client.get("/api/v1/inventory/balances", headers={"Authorization": f"Bearer {bearer}"}).status_code
        == 401
    )
    assert "已吊销" in client.get(done.headers["Location"]).get_data(as_text=True)


def test_an_admin_may_not_deactivate_themselves(session, client) -> None:
    token = sign_in(client, "admin")
    me = _user(session, "demo-admin")
    refused = client.post(f"/console/users/{me.id}/deactivate", data={"csrf_token": token, "confirm": "1"})
    assert refused.status_code == 409 and "不能对自己的账号" in refused.get_data(as_text=True)
    assert _user(session, "demo-admin").active


def test_operators_and_auditors_read_users_but_may_not_change_them(session, client) -> None:
    target = _user(session, "demo-restocker")
    for role in ("operator", "auditor"):
        sign_in(client, role)
        listing = client.get("/console/users")
        assert listing.status_code == 200 and "新建用户" not in listing.get_data(as_text=True)
        assert client.get("/console/users/new").status_code == 403
        token = csrf_from(client.get(f"/console/users/{target.id}").data)
        for path, data in [
            ("/console/users/new", {"username": "x.y.z", "role": "operator", "password": GOOD_PASSWORD}),
            (f"/console/users/{target.id}/role", {"role": "admin"}),
            (
                f"/console/users/{target.id}/password",
                {"password": GOOD_PASSWORD, "password_again": GOOD_PASSWORD},
            ),
            (f"/console/users/{target.id}/deactivate", {"confirm": "1"}),
        ]:
            assert client.post(path, data={"csrf_token": token, **data}).status_code == 403, (role, path)
    assert _user(session, "demo-restocker").role == "restocker"
