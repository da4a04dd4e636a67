"""Import every model module so that Base.metadata knows all tables (for Alembic and tests)."""


def import_all_models() -> None:
    """Register every table on core.db.Base.metadata."""
    import accounts.models  # noqa: F401
    import audit.models  # noqa: F401
    import catalogue.models  # noqa: F401
    import devices.models  # noqa: F401
    import inventory.models  # noqa: F401
    import kiosk_api.jobs.runs  # noqa: F401  (job_runs)
    import payments.bills
    import payments.models  # noqa: F401
    import sales.models
    import sales.org_models
    import sales.shipping_models
    import sales.statements.models  # noqa: F401
