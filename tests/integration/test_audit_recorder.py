"""The audit recorder writes an entry for every row a person or script changes, and only then."""

from __future__ import annotations

from sqlalchemy import select, update

from accounts.models import User
from audit.context import Actor, acting_as, unattributed
from audit.models import AuditEntry
from audit.recorder import HIDDEN, NOT_AUDITED
from catalogue.models import Region
from kiosk_api.auth.service import create_user

OPERATOR = Actor(
    "ops-7", "operator", "console", origin="10.0.0.7", operation="POST /console/x", request_id="r-1"
)


def _entries(session) -> list[AuditEntry]:  # type: ignore[no-untyped-def]
    session.flush()
    return list(session.scalars(select(AuditEntry).order_by(AuditEntry.id)))


def test_a_created_row_is_recorded_whole_with_who_and_from_where(session, clock) -> None:
    acting = Actor(**{**OPERATOR.__dict__, "clock": clock.now})
    with acting_as(acting):
        create_user(session, clock, username="newbie", role="restocker", password="pale-heron-moves-47")
        [entry] = _entries(session)
    user = session.scalar(select(User).where(User.username == "newbie"))
    assert (entry.action, entry.target_type, entry.target_id) == ("users.create", "users", str(user.id))
    assert (entry.actor, entry.actor_role, entry.via, entry.origin) == (
        "ops-7",
        "operator",
        "console",
        "10.0.0.7",
    )
    assert (entry.operation, entry.request_id, entry.at) == ("POST /console/x", "r-1", clock.now())
    assert entry.before is None and entry.after["username"] == "newbie" and entry.after["role"] == "restocker"
    assert entry.after["password_hash"] == HIDDEN  # never a secret, not even hashed


def test_an_update_keeps_only_what_changed_and_a_delete_keeps_what_was(session) -> None:
    region = Region(code="659999", name_zh="测试县", name_en="Test", level="county", parent_code=None)
    session.add(region)
    session.flush()
    with acting_as(OPERATOR):
        region.name_en = "Test County"
        session.flush()
        session.delete(region)
        update_entry, delete_entry = _entries(session)
    assert update_entry.action == "regions.update" and update_entry.target_id == "659999"
    assert (update_entry.before, update_entry.after) == ({"name_en": "Test"}, {"name_en": "Test County"})
    assert delete_entry.action == "regions.delete" and delete_entry.after is None
    assert delete_entry.before["name_zh"] == "测试县"


def test_nothing_is_recorded_when_nobody_acts(session) -> None:
    session.add(Region(code="659998", name_zh="无人县", name_en="Nobody", level="county", parent_code=None))
    assert _entries(session) == []


def test_a_bulk_statement_is_recorded_with_its_values_unless_it_is_machinery(session) -> None:
    session.add(Region(code="659997", name_zh="批量县", name_en="Bulk", level="county", parent_code=None))
    session.flush()
    with acting_as(OPERATOR):
        session.execute(update(Region).where(Region.code == "659997").values(name_en="Bulk County"))
        session.execute(
            update(Region).where(Region.code == "659997").values(name_en="Quiet"),
            execution_options=NOT_AUDITED,
        )
        [entry] = _entries(session)
    assert entry.action == "regions.bulk_update" and entry.after["name_en"] == "Bulk County"


def test_an_entry_rolls_back_with_its_change(session) -> None:
    savepoint = session.begin_nested()
    with acting_as(OPERATOR):
        session.add(
            Region(code="659996", name_zh="回滚县", name_en="Undone", level="county", parent_code=None)
        )
        session.flush()
    assert len(_entries(session)) == 1
    savepoint.rollback()
    assert _entries(session) == [] and session.get(Region, "659996") is None


def test_what_nobody_decided_is_not_put_on_the_person_whose_request_came_by(session) -> None:
    with acting_as(OPERATOR):
        session.add(
            Region(code="659995", name_zh="有人县", name_en="Someone", level="county", parent_code=None)
        )
        session.flush()
        with unattributed():
            session.add(Region(code="659994", name_zh="无主县", name_en="Nobody's", level="county"))
            session.flush()
        [entry] = _entries(session)
    assert entry.target_id == "659995" and entry.actor == "ops-7"
