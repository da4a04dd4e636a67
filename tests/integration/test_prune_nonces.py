"""Device nonces are forgotten once too old to replay (issue 11, defect 15): the replay table stays
the size of a few minutes' traffic instead of growing with every request ever signed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from core.db import Database, make_engine
from devices.models import DeviceNonce
from kiosk_api import migrate
from kiosk_api.cli import main
from kiosk_api.kiosks import service as kiosks


def _nonces(session, at: datetime, count: int, prefix: str) -> None:  # type: ignore[no-untyped-def]
    session.add_all(DeviceNonce(key_id="k-1", nonce=f"{prefix}-{i}", seen_at=at) for i in range(count))


def test_pruning_forgets_old_nonces_in_batches_and_keeps_the_replay_window(session, clock) -> None:
    _nonces(session, clock.now() - timedelta(hours=2), 7, "old")
    _nonces(session, clock.now() - timedelta(seconds=30), 3, "recent")
    session.flush()
    assert kiosks.prune_nonces(session, clock, limit=5) == 5
    assert kiosks.prune_nonces(session, clock, limit=5) == 2
    assert kiosks.prune_nonces(session, clock, limit=5) == 0
    left = session.scalars(select(DeviceNonce.nonce).order_by(DeviceNonce.nonce)).all()
    assert left == ["recent-0", "recent-1", "recent-2"]
    # A nonce still inside the window is still refused as a replay.
    with pytest.raises(kiosks.DeviceAuthError) as refused:
        kiosks.use_nonce(session, clock, "k-1", "recent-0")
    assert refused.value.code == "replayed"


def test_the_command_prunes_every_old_nonce_and_says_how_many(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'nonces.db'}"
    migrate.upgrade(url)
    db = Database(make_engine(url))
    now = datetime.now(UTC)
    with db.unit_of_work() as session:
        _nonces(session, now - timedelta(hours=1), 25, "old")
        _nonces(session, now, 3, "recent")
    result = CliRunner().invoke(
        main,
        ["kiosks", "prune-nonces", "--batch", "10"],
        env={"DATABASE_URL": url, "DONGXI_VAR_DIR": str(tmp_path)},
    )
    assert result.exit_code == 0, result.output
    assert "pruned 20 so far" in result.output and "old nonces pruned: 25" in result.output
    with db.unit_of_work() as session:
        assert session.scalar(select(func.count()).select_from(DeviceNonce)) == 3
    db.engine.dispose()


def test_with_the_nonces_in_redis_the_command_says_there_is_nothing_to_prune_there(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'nonces.db'}"
    migrate.upgrade(url)
    db = Database(make_engine(url))
    with db.unit_of_work() as session:  # left from before REDIS_URL was set
        _nonces(session, datetime.now(UTC) - timedelta(hours=1), 2, "old")
    result = CliRunner().invoke(
        main,
        ["kiosks", "prune-nonces"],
        env={"DATABASE_URL": url, "DONGXI_VAR_DIR": str(tmp_path), "REDIS_URL": "redis://127.0.0.1:1/0"},
    )
    assert result.exit_code == 0, result.output
    assert "kept in Redis" in result.output and "old nonces pruned: 2" in result.output
    db.engine.dispose()
