"""The configured payment provider of the app, and the provider calls owed after a commit."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask, current_app

from core.clock import Clock
from core.db import Database
from kiosk_api.config import is_production
from kiosk_api.database import get_clock, get_db
from payments.providers import make_provider
from payments.providers.base import PaymentProvider
from payments.providers.simulated import SimulatedProvider
from payments.providers.simulated_db_store import DatabaseSimulatedStore
from sales.payment_flow import settle_order


def init_app(app: Flask) -> None:
    """Build the provider named by PAYMENT_PROVIDER (tests may pass PAYMENT_PROVIDER_OBJECT)."""
    provider = app.config.get("PAYMENT_PROVIDER_OBJECT")
    app.extensions["dongxi.payments"] = provider or build_provider(
        app.config, app.extensions["dongxi.clock"], app.extensions["dongxi.db"]
    )


def build_provider(config: Mapping[str, Any], clock: Clock, db: Database) -> PaymentProvider:
    """Build the configured provider, with pay links under PUBLIC_BASE_URL; the simulated one keeps
    its state in the database, so the server and the `dongxi` command see the same payments."""
    base = config["PUBLIC_BASE_URL"]
    return make_provider(
        config, lambda token: f"{base}/pay/{token}", clock=clock, simulated_store=DatabaseSimulatedStore(db)
    )


def get_provider() -> PaymentProvider:
    return current_app.extensions["dongxi.payments"]


def simulation_allowed() -> bool:
    """Whether anyone may pay from a pay link without money: the simulated provider is configured
    *and* the server is not in production mode (DONGXI_ENV=production refuses it outright)."""
    return isinstance(get_provider(), SimulatedProvider) and not is_production(current_app.config)


def settle_after_commit(order_id: str) -> None:
    """Make the provider calls an order's committed change left owing (refunds, capture, release)."""
    settle_order(get_db(), get_clock(), get_provider(), order_id)
