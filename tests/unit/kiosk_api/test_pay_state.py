"""Every order status the models allow, at every channel and cabinet kind, gets a pay-page sentence
in Chinese and English with no raw code in it; a refused pay always says what happened to the money."""

from __future__ import annotations

import pytest

from core.labels import ORDER_STATUSES
from kiosk_api.pay_state import present, refused
from sales.models import Order

KINDS = [("kiosk", "vend"), ("kiosk", "open_door"), ("storefront", "standard"), ("bulk", "standard")]
DEPOSIT = ("kiosk", "open_door_deposit")


def order(status: str, channel: str, mode: str, *, deposit: bool = False) -> Order:
    captured = 0 if status in ("awaiting_payment", "awaiting_authorization", "cancelled", "expired") else 5980
    refunded = {"refunded": captured, "partially_refunded": 2990}.get(status, 0)
    return Order(
        status=status,
        channel=channel,
        mode=mode,
        total_fen=5980,
        hold_fen=20000 if mode == "open_door" else 0,
        captured_fen=captured,
        refunded_fen=refunded,
        lines=[],
        details={"deposit": True} if deposit else {},
    )


@pytest.mark.parametrize(("channel", "mode"), [*KINDS, DEPOSIT])
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_status_reads_as_a_sentence_with_an_amount(channel: str, mode: str, lang: str) -> None:
    deposit = mode == DEPOSIT[1]
    mode = "open_door" if deposit else mode
    for status in ORDER_STATUSES:
        for state in (
            present(order(status, channel, mode, deposit=deposit), lang),
            refused(order(status, channel, mode, deposit=deposit), lang),
        ):
            text = f"{state.title} {state.sentence} {state.amount_label} {state.button or ''}"
            assert state.title and state.sentence and state.amount.startswith("¥"), (status, state)
            assert lang == "en" or status not in text, (status, text)  # English words may be codes
            assert "_" not in text and "{" not in text, (status, text)
            assert state.tone in ("info", "ok", "warn", "error")


def test_an_open_door_hold_is_a_pre_authorisation_never_a_payment() -> None:
    for lang, word in (("zh", "预授权"), ("en", "Pre-authorise")):
        state = present(order("awaiting_authorization", "kiosk", "open_door"), lang)
        assert word in state.button and state.amount == "¥200.00"
        assert "支付" not in state.button


def test_a_deposit_visit_says_deposit_and_what_went_back() -> None:
    waiting = present(order("awaiting_authorization", "kiosk", "open_door", deposit=True))
    assert "押金 ¥200.00" in waiting.sentence and "预授权" not in waiting.sentence
    done = present(order("completed", "kiosk", "open_door", deposit=True), "en")
    assert done.amount == "¥59.80" and "¥140.20 was refunded" in done.sentence


def test_a_refused_pay_is_never_a_success() -> None:
    for status in ORDER_STATUSES:
        state = refused(order(status, "kiosk", "vend"))
        assert state.tone in ("warn", "error") and state.title == "本次支付未完成" and state.button is None
