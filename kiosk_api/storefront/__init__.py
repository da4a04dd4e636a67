"""Server-rendered pages: the storefront (browse, product, cart, checkout, order status), the
organization portal (bulk orders, quota, certificate), the operator's pages and certificate checks."""

from __future__ import annotations

from flask import Blueprint


def page_blueprints() -> list[Blueprint]:
    """The page blueprints, for create_app to register."""
    from kiosk_api.storefront.operator_pages import operator
    from kiosk_api.storefront.org_pages import orgportal
    from kiosk_api.storefront.shop import shop
    from kiosk_api.storefront.verify import verify

    return [shop, orgportal, operator, verify]
