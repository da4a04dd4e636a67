"""Migration 0002 builds the inventory tables as the models describe them, with the ledger's triggers."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

from core.db import Base
from kiosk_api.model_registry import import_all_models

INVENTORY_TABLES = {"locations", "slots", "lots", "stock_balances", "stock_movements", "reservations"}


def _tables_of(diff) -> set[str]:
    if isinstance(diff, list):
        return set().union(*(_tables_of(d) for d in diff))
    names = set()
    for part in diff[1:]:
        table = getattr(part, "table", None)
        names.add(getattr(table, "name", None) or getattr(part, "name", None))
        if isinstance(part, str):
            names.add(part)
    return names


def test_the_inventory_tables_match_the_models(connection) -> None:
    import_all_models()
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    diffs = [d for d in compare_metadata(context, Base.metadata) if _tables_of(d) & INVENTORY_TABLES]
    assert diffs == []


def test_the_append_only_triggers_exist(connection) -> None:
    if connection.dialect.name == "postgresql":
        names = connection.execute(
            text(
                "SELECT tgname FROM pg_trigger"
                " WHERE tgrelid = 'stock_movements'::regclass AND NOT tgisinternal"
            )
        ).scalars()
        assert set(names) == {"stock_movements_no_update_or_delete", "stock_movements_no_truncate"}
    else:
        names = connection.execute(
            text("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'stock_movements'")
        ).scalars()
        assert set(names) == {"stock_movements_no_update", "stock_movements_no_delete"}
