"""Which database errors mean "lost a race, try again"."""

import sqlite3

import pytest
from sqlalchemy.exc import IntegrityError, OperationalError

from inventory.concurrency import is_contention


class FakePgError(Exception):
    def __init__(self, sqlstate: str) -> None:
        super().__init__(sqlstate)
        self.sqlstate = sqlstate


@pytest.mark.parametrize(
    ("error", "retry"),
    [
        (OperationalError("x", {}, sqlite3.OperationalError("database is locked")), True),
        (OperationalError("x", {}, sqlite3.OperationalError("database table is locked")), True),
        (OperationalError("x", {}, sqlite3.OperationalError("no such table: lots")), False),
        (OperationalError("x", {}, FakePgError("40P01")), True),  # deadlock_detected
        (OperationalError("x", {}, FakePgError("40001")), True),  # serialization_failure
        (IntegrityError("x", {}, FakePgError("23514")), False),  # check_violation: a bug, not a race
        (ValueError("not a database error"), False),
    ],
)
def test_only_lost_races_are_retried(error: Exception, retry: bool) -> None:
    assert is_contention(error) is retry
