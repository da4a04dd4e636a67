"""The migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from core.db import Base
from kiosk_api.model_registry import import_all_models


def test_migrated_schema_matches_the_models(connection) -> None:
    import_all_models()
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    assert compare_metadata(context, Base.metadata) == []


def test_every_model_table_exists(connection) -> None:
    import_all_models()
    assert set(Base.metadata.tables) <= set(inspect(connection).get_table_names())
