"""The roles are named once: every permission group and the users table's CHECK use the same list."""

import re

import pytest

from accounts import roles
from accounts.models import User

GROUPS = {
    name: value
    for name, value in vars(roles).items()
    if name.isupper() and isinstance(value, tuple) and name != "ROLES"
}


@pytest.mark.parametrize("group", sorted(GROUPS))
def test_every_permission_group_names_only_known_roles(group: str) -> None:
    assert GROUPS[group] and set(GROUPS[group]) <= set(roles.ROLES)


def test_the_users_check_constraint_lists_exactly_the_roles() -> None:
    (check,) = [c for c in User.__table__.constraints if c.name == "ck_users_role"]
    assert re.findall(r"'(\w+)'", str(check.sqltext)) == list(roles.ROLES)
