"""A restocker's pages (/restock), for a phone: route, pick list, recording a visit, what it changed."""

from kiosk_api.restock.views import restock

__all__ = ["restock"]
