"""Alembic migrations; `dongxi db upgrade` applies them (see kiosk_api/migrate.py)."""
