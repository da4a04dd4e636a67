"""Organizations: kinds and their buyer kinds, credit codes, one unit per member, and the three quotas."""

from __future__ import annotations

import pytest

from core.errors import Conflict, DomainError, InvalidInput
from sales.models import BUYER_KINDS
from sales.org_models import ORG_KINDS
from sales.organizations import (
    add_member,
    create_organization,
    quota_amount_fen,
    require_member,
    set_quota,
    unit_of_member,
)

from .factories import credit_code, demo_unit, other_unit


def test_every_organization_kind_maps_to_a_ledger_buyer_kind() -> None:
    assert {buyer for buyer, _zh, _en in ORG_KINDS.values()} == set(BUYER_KINDS) - {"individual"}
    assert ORG_KINDS["trade_union"][0] == "union" and ORG_KINDS["state_owned_enterprise"][0] == "soe"


def test_a_credit_code_with_a_wrong_check_character_is_refused(session, clock) -> None:
    good = credit_code("91330200MA0TQ0001")
    wrong = good[:17] + ("0" if good[17] != "0" else "1")
    with pytest.raises(InvalidInput) as error:
        create_organization(
            session, clock, name_zh="某企业", kind="enterprise", credit_code=wrong, city="330200"
        )
    assert error.value.code == "invalid_credit_code"
    org = create_organization(
        session, clock, name_zh="某企业", kind="enterprise", credit_code=good, city="330200"
    )
    session.flush()
    assert org.buyer_kind == "enterprise"
    with pytest.raises(Conflict):
        create_organization(session, clock, name_zh="重复", kind="school", credit_code=good, city="330200")


def test_unknown_kind_and_city_are_refused(session, clock) -> None:
    code = credit_code("12330200MA0TQ0002")
    with pytest.raises(InvalidInput):
        create_organization(session, clock, name_zh="x", kind="church", credit_code=code, city="330200")
    with pytest.raises(InvalidInput):
        create_organization(session, clock, name_zh="x", kind="school", credit_code=code, city="999999")


def test_a_user_belongs_to_one_unit_only(session, clock) -> None:
    demo = demo_unit(session, clock)
    other = other_unit(session, clock)
    assert unit_of_member(session, demo.buyer.id).id == demo.org.id
    with pytest.raises(Conflict):
        add_member(session, clock, other.org.id, user_id=demo.buyer.id, role="buyer")
    # Adding the same membership again changes nothing.
    assert (
        add_member(session, clock, demo.org.id, user_id=demo.buyer.id, role="buyer").organization_id
        == demo.org.id
    )


def test_membership_of_another_unit_reads_as_not_found_and_the_wrong_role_as_forbidden(
    session, clock
) -> None:
    demo = demo_unit(session, clock)
    other = other_unit(session, clock)
    with pytest.raises(DomainError) as error:
        require_member(session, other.buyer.id, demo.org.id)
    assert error.value.code == "organization_not_found"
    with pytest.raises(DomainError) as error:
        require_member(session, demo.buyer.id, demo.org.id, roles=("approver",))
    assert error.value.code == "forbidden"


def test_the_three_quota_kinds_and_their_amounts(session, clock) -> None:
    demo = demo_unit(session, clock)  # a government office: a budget unit
    union = create_organization(
        session,
        clock,
        name_zh="某工会",
        kind="trade_union",
        credit_code=credit_code("81330200MA0TQ0003"),
        city="330200",
    )
    session.flush()
    share = set_quota(
        session, clock, demo.org.id, year=2027, kind="budget_share", budget_fen=123_456_789, share_bp=1250
    )
    per_member = set_quota(
        session, clock, union.id, year=2027, kind="per_member", members=812, per_member_fen=45_050
    )
    fixed = set_quota(session, clock, union.id, year=2028, kind="fixed", fixed_fen=5_000_000)
    session.flush()
    # 12.5% of ¥1,234,567.89 is ¥154,320.98625: rounded half up once, to the fen.
    assert quota_amount_fen(share) == 15_432_099
    assert quota_amount_fen(per_member) == 812 * 45_050
    assert quota_amount_fen(fixed) == 5_000_000
    # Setting a year again replaces the quota rather than adding a second one.
    again = set_quota(session, clock, union.id, year=2028, kind="fixed", fixed_fen=6_000_000)
    assert again.id == fixed.id and quota_amount_fen(again) == 6_000_000


@pytest.mark.parametrize(
    ("kind", "inputs", "field"),
    [
        ("per_member", {"members": 10, "per_member_fen": 100}, "kind"),  # not a trade union
        ("budget_share", {"budget_fen": 100, "share_bp": 10_001}, "share_bp"),
        ("fixed", {"fixed_fen": 0}, "fixed_fen"),
        ("fixed", {"fixed_fen": 12.5}, "fixed_fen"),
    ],
)
def test_quota_inputs_that_break_the_rules_are_refused(session, clock, kind, inputs, field) -> None:
    demo = demo_unit(session, clock)
    with pytest.raises(InvalidInput) as error:
        set_quota(session, clock, demo.org.id, year=2027, kind=kind, **inputs)
    assert field in error.value.fields
