"""`dongxi holds release-expired` releases lapsed holds and commits."""

from datetime import UTC, datetime, timedelta

from click.testing import CliRunner
from sqlalchemy import select

from catalogue.demo import load_demo_catalogue
from core.clock import FixedClock
from core.db import Database, make_engine
from inventory import service
from inventory.models import Reservation
from kiosk_api import migrate
from kiosk_api.cli import main
from tests.integration.inventory.factories import NOODLES, make_world


def test_the_command_releases_lapsed_holds_and_leaves_live_ones(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    migrate.upgrade(url)
    db = Database(make_engine(url))
    ten_minutes_ago = FixedClock(datetime.now(UTC) - timedelta(minutes=10))
    with db.unit_of_work() as session:
        load_demo_catalogue(session, ten_minutes_ago)
        world = make_world(session, ten_minutes_ago)
        world.receive(NOODLES, "L1", 5)
        for ref, minutes in (("LAPSED", 3), ("LIVE", 60)):
            service.reserve(
                session,
                ten_minutes_ago,
                order_ref=ref,
                location_id=world.warehouse.id,
                lines=[(world.pid(NOODLES), 2)],
                expires_at=ten_minutes_ago.now() + timedelta(minutes=minutes),
            )
    result = CliRunner().invoke(
        main, ["holds", "release-expired"], env={"DATABASE_URL": url, "DONGXI_VAR_DIR": str(tmp_path)}
    )
    assert result.exit_code == 0, result.output
    assert "expired holds released: 1" in result.output
    with db.unit_of_work() as session:
        statuses = dict(session.execute(select(Reservation.order_ref, Reservation.status)).all())
    assert statuses == {"LAPSED": "expired", "LIVE": "active"}
    db.engine.dispose()
