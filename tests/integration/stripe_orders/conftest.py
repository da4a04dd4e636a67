"""Fixtures for order-level Stripe tests: the app configured for Stripe against a real localstripe.

localstripe and its webhook receiver are the fixtures of tests/integration/payments, imported
here so that this folder registers them too (a worker running both folders starts two
localstripes, one per folder). The `app` fixture is the shared one, but with
PAYMENT_PROVIDER=stripe and the keys and base URL that point the real `stripe` library at it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any

import pytest
import stripe
from argon2 import PasswordHasher
from flask import Flask
from sqlalchemy import select

import kiosk_api.auth.service
from catalogue.models import Product
from core.clock import FixedClock
from core.db import Database, make_engine
from kiosk_api import create_app, migrate
from kiosk_api.demo import load_demo
from payments.providers.base import PaymentProvider
from tests.conftest import TEST_NOW
from tests.integration.payments.conftest import (  # noqa: F401  (fixtures, registered for this folder too)
    SECRET_KEY,
    WEBHOOK_SECRET,
    localstripe_url,
    localstripe_webhooks,
)

# Two products of two counties, both stocked at the first demo warehouse (FZ-WH-01).
POTATO_SKU = "GY-POTATO-5KG"  # 西吉县 640422
HONEY_SKU = "GY-HONEY-500G"  # 隆德县 640424


def stripe_config(api_base: str) -> dict[str, Any]:
    """The settings that make the app use Stripe, pointed at localstripe with fake test keys."""
    return {
        "PAYMENT_PROVIDER": "stripe",
        "STRIPE_SECRET_KEY": SECRET_KEY,
        "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "STRIPE_API_BASE": api_base,
    }


@pytest.fixture
def app(db: Database, clock: FixedClock, localstripe_url: str) -> Flask:  # noqa: F811
    """The app on the test's rolled-back database, with Stripe (localstripe) as its provider."""
    return create_app(
        {"DATABASE": db, "CLOCK": clock, "TESTING": True, "SECRET_KEY": "test-secret"}
        | stripe_config(localstripe_url)
    )


@pytest.fixture
def provider(app: Flask) -> PaymentProvider:
    """The StripeProvider the app built from its configuration."""
    return app.extensions["dongxi.payments"]


@pytest.fixture
def stripe_api(localstripe_url: str) -> stripe.StripeClient:  # noqa: F811
    """The stripe library talking to localstripe directly: the shopper's card and the dashboard."""
    return stripe.StripeClient(SECRET_KEY, base_addresses={"api": localstripe_url}, max_network_retries=0)


def cart_of(db: Database) -> list[dict[str, int]]:
    """Three bags of potatoes and a jar of honey: two lines, two counties."""
    with db.unit_of_work() as session:
        rows = session.execute(
            select(Product.sku, Product.id).where(Product.sku.in_([POTATO_SKU, HONEY_SKU]))
        )
        ids = {sku: product_id for sku, product_id in rows}
    return [{"product": ids[POTATO_SKU], "qty": 3}, {"product": ids[HONEY_SKU], "qty": 1}]


@pytest.fixture
def cart(db: Database) -> list[dict[str, int]]:
    """cart_of the test's database."""
    return cart_of(db)


@contextmanager
def cheap_password_hashing() -> Iterator[None]:
    """argon2 with minimal cost while demo accounts are created: these databases never check a login."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(
            kiosk_api.auth.service, "_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
        )
        yield


def migrate_with_demo(url: str) -> None:
    """Migrate an empty database and load the demo data into it, committed."""
    migrate.upgrade(url)
    engine = make_engine(url)
    try:
        with cheap_password_hashing(), Database(engine).unit_of_work() as session:
            load_demo(session, FixedClock(TEST_NOW))
    finally:
        engine.dispose()


@pytest.fixture(scope="session")
def demo_sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file with the demo data, built once per worker and copied by tests that commit."""
    path = tmp_path_factory.mktemp("demo-template") / "dongxi.db"
    migrate_with_demo(f"sqlite:///{path}")
    return path


@pytest.fixture
def committed_sqlite(demo_sqlite_template: Path, tmp_path: Path) -> str:
    """The URL of a private copy of the demo SQLite database: changes are really committed there."""
    path = tmp_path / "dongxi.db"
    with closing(sqlite3.connect(demo_sqlite_template)) as source, closing(sqlite3.connect(path)) as copy:
        source.backup(copy)
    return f"sqlite:///{path}"
