"""Password hashing costs a bounded amount of memory and nothing at import (issue 10: a worker's
peak memory). argon2id with OWASP's parameters (19 MiB, t=2, p=1); the unknown-user dummy hash is
a constant of the same parameters, so a failed login costs what a real one does."""

from __future__ import annotations

from argon2 import extract_parameters

from kiosk_api.auth import service


def test_hashes_use_owasps_argon2id_parameters() -> None:
    parameters = extract_parameters(service._hasher.hash("a password of ours"))
    assert (parameters.memory_cost, parameters.time_cost, parameters.parallelism) == (19456, 2, 1)


def test_the_dummy_hash_has_the_same_parameters_and_verifies() -> None:
    assert service._hasher.verify(service._DUMMY_HASH, "dongxi-timing-equaliser")
    assert not service._hasher.check_needs_rehash(service._DUMMY_HASH)  # same parameters
