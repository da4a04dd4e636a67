"""Import every model module so that Base.metadata knows all tables (for Alembic and tests)."""


def import_all_models() -> None:
    """Register every table on core.db.Base.metadata."""
    import catalogue.models  # noqa: F401
    import kiosk_api.auth.models  # noqa: F401
