"""The console's forms of units: register, edit, members and quotas, through the services the API
calls; a bad field answers 422 naming it and writes nothing; the auditor may not post."""

from __future__ import annotations

from sqlalchemy import func, select

from catalogue.validators import credit_code_check_char
from sales.org_models import Organization, OrganizationMember, OrganizationQuota
from tests.api.test_login import csrf_from, sign_in


def _code(body: str) -> str:
    return body + credit_code_check_char(body)


def _wrong_check(body: str) -> str:
    right = credit_code_check_char(body)
    return body + ("1" if right != "1" else "2")


def _unit(session) -> Organization:  # type: ignore[no-untyped-def]
    return session.scalar(select(Organization).where(Organization.kind == "trade_union"))


def _count(session, model) -> int:  # type: ignore[no-untyped-def]
    session.expire_all()
    return session.scalar(select(func.count()).select_from(model))


def test_an_operator_registers_a_unit_with_its_kind_chosen_by_label(session, client) -> None:
    token = sign_in(client, "operator")
    form = client.get("/console/orgs/new").get_data(as_text=True)
    assert "学校 · School" in form and "宁波" in form
    code = _code("12330200MA0TQ0011")
    response = client.post(
        "/console/orgs/new",
        data={
            "csrf_token": token,
            "name_zh": "宁波某小学",
            "kind": "school",
            "credit_code": code,
            "city": "330200",
        },
    )
    assert response.status_code == 302
    org = session.scalar(select(Organization).where(Organization.credit_code == code))
    assert (org.name_zh, org.kind, org.city_code) == ("宁波某小学", "school", "330200")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "宁波某小学" in page and "已登记单位" in page


def test_a_bad_credit_code_is_named_answers_422_and_writes_nothing(session, client) -> None:
    token = sign_in(client, "operator")
    before = _count(session, Organization)
    response = client.post(
        "/console/orgs/new",
        data={
            "csrf_token": token,
            "name_zh": "某单位",
            "kind": "school",
            "credit_code": _wrong_check("12330200MA0TQ0012"),
            "city": "330200",
        },
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "统一社会信用代码" in html and 'aria-invalid="true"' in html and "某单位" in html  # value kept
    assert _count(session, Organization) == before


def test_an_operator_edits_a_unit_and_a_taken_credit_code_is_refused(session, client) -> None:
    token = sign_in(client, "operator")
    unit = _unit(session)
    other = session.scalar(select(Organization).where(Organization.id != unit.id))
    form = {"csrf_token": token, "name_zh": "改名工会", "kind": "trade_union", "city": unit.city_code}
    taken = client.post(f"/console/orgs/{unit.id}", data={**form, "credit_code": other.credit_code})
    assert taken.status_code == 409 and "已存在" in taken.get_data(as_text=True)
    session.expire_all()
    assert session.get(Organization, unit.id).name_zh != "改名工会"
    saved = client.post(f"/console/orgs/{unit.id}", data={**form, "credit_code": unit.credit_code})
    assert saved.status_code == 302
    session.expire_all()
    assert session.get(Organization, unit.id).name_zh == "改名工会"


def test_an_operator_adds_and_removes_a_member(session, client, clock) -> None:
    from kiosk_api.auth.service import create_user

    create_user(session, clock, username="union-buyer", role="org_buyer", password="Xq9-lantern-harbour-77")
    session.commit()
    token = sign_in(client, "operator")
    unit = _unit(session)
    page = client.get(f"/console/orgs/{unit.id}").get_data(as_text=True)
    assert 'value="union-buyer"' in page  # offered: an org account in no unit
    added = client.post(
        f"/console/orgs/{unit.id}/members",
        data={"csrf_token": token, "username": "union-buyer", "role": "approver"},
    )
    assert added.status_code == 302
    member = session.scalar(select(OrganizationMember).where(OrganizationMember.organization_id == unit.id))
    assert member.role == "approver"
    removed = client.post(
        f"/console/orgs/{unit.id}/members/{member.user_id}/remove", data={"csrf_token": token}
    )
    assert removed.status_code == 302
    assert _count(session, OrganizationMember) == 2  # the demo unit's two remain


def test_a_staff_account_cannot_be_a_member(session, client) -> None:
    token = sign_in(client, "operator")
    unit = _unit(session)
    before = _count(session, OrganizationMember)
    refused = client.post(
        f"/console/orgs/{unit.id}/members",
        data={"csrf_token": token, "username": "demo-operator", "role": "buyer"},
    )
    assert refused.status_code == 422 and "只有单位采购员" in refused.get_data(as_text=True)
    assert _count(session, OrganizationMember) == before


def test_a_quota_per_member_is_set_in_yuan(session, client) -> None:
    token = sign_in(client, "operator")
    unit = _unit(session)
    response = client.post(
        f"/console/orgs/{unit.id}/quota",
        data={
            "csrf_token": token,
            "year": "2027",
            "kind": "per_member",
            "members": "1200",
            "per_member_fen": "¥450.50",
        },
    )
    assert response.status_code == 302
    quota = session.scalar(
        select(OrganizationQuota).where(
            OrganizationQuota.organization_id == unit.id, OrganizationQuota.year == 2027
        )
    )
    assert (quota.kind, quota.members, quota.per_member_fen, quota.fixed_fen) == (
        "per_member",
        1200,
        45050,
        None,
    )
    page = client.get(f"/console/orgs/{unit.id}").get_data(as_text=True)
    assert "¥540,600.00" in page  # 1,200 × ¥450.50


def test_a_budget_share_in_percent_becomes_basis_points(session, client) -> None:
    token = sign_in(client, "operator")
    office = session.scalar(select(Organization).where(Organization.kind == "government_office"))
    response = client.post(
        f"/console/orgs/{office.id}/quota",
        data={
            "csrf_token": token,
            "year": "2027",
            "kind": "budget_share",
            "budget_fen": "1,000,000",
            "share_bp": "12.5",
        },
    )
    assert response.status_code == 302
    quota = session.scalar(
        select(OrganizationQuota).where(
            OrganizationQuota.organization_id == office.id, OrganizationQuota.year == 2027
        )
    )
    assert (quota.budget_fen, quota.share_bp) == (100_000_000, 1250)


def test_a_bad_quota_amount_is_named_and_nothing_is_written(session, client) -> None:
    token = sign_in(client, "operator")
    unit = _unit(session)
    before = _count(session, OrganizationQuota)
    response = client.post(
        f"/console/orgs/{unit.id}/quota",
        data={"csrf_token": token, "year": "2027", "kind": "fixed", "fixed_fen": "12.345"},
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "全年金额" in html and "12.345" in html
    wrong_kind = client.post(
        f"/console/orgs/{unit.id}/quota",
        data={
            "csrf_token": token,
            "year": "2027",
            "kind": "budget_share",
            "budget_fen": "100",
            "share_bp": "10",
        },
    )
    assert wrong_kind.status_code == 422 and "budget units only" in wrong_kind.get_data(as_text=True)
    assert _count(session, OrganizationQuota) == before


def test_the_auditor_reads_units_but_may_not_post(session, client) -> None:
    sign_in(client, "auditor")
    unit = _unit(session)
    page = client.get(f"/console/orgs/{unit.id}")
    assert page.status_code == 200 and "disabled" in page.get_data(as_text=True)
    token = csrf_from(page.data)
    assert client.get("/console/orgs").status_code == 200
    for path, data in [
        ("/console/orgs/new", {"name_zh": "x", "kind": "school", "credit_code": "x", "city": "330200"}),
        (f"/console/orgs/{unit.id}", {"name_zh": "x"}),
        (f"/console/orgs/{unit.id}/members", {"username": "demo-org-buyer", "role": "buyer"}),
        (f"/console/orgs/{unit.id}/quota", {"year": "2027", "kind": "fixed", "fixed_fen": "1"}),
    ]:
        assert client.post(path, data={"csrf_token": token, **data}).status_code == 403, path


def test_an_unchosen_kind_and_city_are_named_in_words_not_codes(session, client) -> None:
    token = sign_in(client, "operator")
    response = client.post(
        "/console/orgs/new",
        data={"csrf_token": token, "name_zh": "某单位", "kind": "", "credit_code": "", "city": ""},
    )
    errors = response.get_data(as_text=True).split('role="alert"')[1].split("</div>")[0]
    assert response.status_code == 422
    assert "类型 Kind" in errors and "所在城市 City" in errors and "必填 · required" in errors
    assert "government_office" not in errors and "Length must be" not in errors
