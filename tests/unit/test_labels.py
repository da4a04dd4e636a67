"""Every code the models allow has a label in core.labels, in Chinese and in English."""

from __future__ import annotations

import pytest

from catalogue.models import REGION_LEVELS, STORAGE_CLASSES, SUPPLIER_KINDS
from core import labels
from inventory.models import (
    COUNT_REASONS,
    KIOSK_MODES,
    LOCATION_KINDS,
    MOVEMENT_KINDS,
    RESERVATION_STATUSES,
    WRITEOFF_REASONS,
)
from payments.models import PAYMENT_STATUSES
from payments.providers import PROVIDER_NAMES
from payments.providers.base import METHODS, REFUND_STATUSES
from payments.providers.base import PAYMENT_STATUSES as PROVIDER_PAYMENT_STATUSES
from sales.models import BUYER_KINDS, CHANNELS
from sales.org_models import ORG_KINDS, QUOTA_KINDS
from sales.statements.models import STATUSES as STATEMENT_STATUSES
from sales.status import TRANSITIONS

ORDER_STATUSES = {s for s in TRANSITIONS if s} | {t for targets in TRANSITIONS.values() for t in targets}
# Codes written as literals in the models' CHECK constraints or defaults, with no tuple to import.
REFUND_KINDS = ("order", "overpayment")  # payments.models.Refund.kind
PAYOUT_STATUSES = ("paid", "failed")  # payments.models.Payout CHECK; "pending" is a payout not yet made
REVENUE_KINDS = ("sale", "refund")  # sales.models.RevenueEntry CHECK
PROVIDERS = (*PROVIDER_NAMES, "bank_transfer")  # bank transfers are sales.bulk's provider

ALLOWED = [
    ("order_status", sorted(ORDER_STATUSES)),
    ("payment_status", PAYMENT_STATUSES),
    ("payment_status", PROVIDER_PAYMENT_STATUSES),
    ("refund_status", REFUND_STATUSES),
    ("refund_kind", REFUND_KINDS),
    ("payout_status", PAYOUT_STATUSES),
    ("provider", PROVIDERS),
    ("payment_method", METHODS),
    ("channel", CHANNELS),
    ("buyer_kind", BUYER_KINDS),
    ("buyer_kind", tuple(kind for kind, _zh, _en in ORG_KINDS.values())),
    ("movement_kind", MOVEMENT_KINDS),
    ("stock_reason", WRITEOFF_REASONS),
    ("stock_reason", COUNT_REASONS),
    ("reservation_status", RESERVATION_STATUSES),
    ("location_kind", LOCATION_KINDS),
    ("supplier_kind", SUPPLIER_KINDS),
    ("region_level", REGION_LEVELS),
    ("quota_kind", QUOTA_KINDS),
    ("statement_status", STATEMENT_STATUSES),
    ("revenue_kind", REVENUE_KINDS),
    ("kiosk_mode", KIOSK_MODES),
    ("storage_class", STORAGE_CLASSES),
]


@pytest.mark.parametrize(("table", "codes"), ALLOWED, ids=[f"{t}-{i}" for i, (t, _c) in enumerate(ALLOWED)])
def test_every_code_the_models_allow_has_a_label(table: str, codes: tuple[str, ...]) -> None:
    missing = [code for code in codes if code not in labels.TABLES[table]]
    assert not missing, f"core.labels table {table!r} has no label for {missing}"


@pytest.mark.parametrize("table", sorted(labels.TABLES))
def test_every_label_has_chinese_and_english_that_are_not_the_code(table: str) -> None:
    for code, (zh, en) in labels.TABLES[table].items():
        assert zh and en, (table, code)
        assert code not in (zh, en) or code == zh == en, f"{table}.{code} is labelled with its own code"


def test_a_label_reads_in_the_pages_language_and_both_side_by_side() -> None:
    assert labels.label("order_status", "partially_refunded") == "部分退款"
    assert labels.label("order_status", "partially_refunded", "en") == "Partly refunded"
    assert labels.both("channel", "kiosk") == "无人售货柜 · Kiosk"
    assert labels.both("provider", "stripe") == "Stripe"
    assert labels.label("order_status", None) == ""
