"""Provider-neutral lines of a daily bill (WeChat Pay `tradebill`, Alipay 账单), for reconciliation.

Each provider's bill module downloads and parses its own format into these lines; reconciliation
compares them with our payments and refunds without knowing which provider wrote them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

BillKind = Literal["payment", "refund"]


@dataclass(frozen=True)
class BillLine:
    """One money movement in a provider's bill, in integer fen of CNY (a refund's amount is positive).

    our_ref is the reference we sent the provider (WeChat: out_trade_no, or out_refund_no for a
    refund); provider_ref is the provider's own id (WeChat: transaction_id, or refund_id).
    occurred_at is timezone-aware.
    """

    provider: str
    kind: BillKind
    our_ref: str
    provider_ref: str
    amount_fen: int
    occurred_at: datetime
