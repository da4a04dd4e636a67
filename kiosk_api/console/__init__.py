"""The operator console (server-rendered, Chinese first) and the public /verify page."""

from __future__ import annotations

from flask import Blueprint


def console_blueprints() -> tuple[Blueprint, ...]:
    """The console's blueprints, for create_app to register."""
    from kiosk_api.console import (  # noqa: F401  (routes)
        audit_page,
        bill_page,
        catalogue_pages,
        dashboard,
        fulfilment_pages,
        kiosk_pages,
        money_audit_page,
        operations,
        order_pages,
        org_pages,
        origin_pages,
        records,
        statement_pages,
        stock_pages,
        user_pages,
    )
    from kiosk_api.console.access import console
    from kiosk_api.console.verify import verify

    return (console, verify)
