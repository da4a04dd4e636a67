"""What the screen says after a purchase or a visit, in both languages, with money from integer fen."""

from __future__ import annotations

from kiosk_client import messages


def test_yuan_formats_integer_fen() -> None:
    assert [messages.yuan(f) for f in (0, 5, 2990, 100000, -2990)] == [
        "¥0.00",
        "¥0.05",
        "¥29.90",
        "¥1000.00",
        "-¥29.90",
    ]


def test_refund_wording_follows_what_became_of_the_report() -> None:
    results = [{"slot": "A1", "requested": 2, "dispensed": 2}, {"slot": "B3", "requested": 1, "dispensed": 0}]
    said = {d: messages.vend_outcome(results, 2990, d)[1]["zh"] for d in ("delivered", "pending", "dead")}  # type: ignore[index]
    assert said == {
        "delivered": "B3 1 件未出货，¥29.90 已自动退款",
        "pending": "B3 1 件未出货，¥29.90 将自动退回原支付账户",
        "dead": "B3 1 件未出货，¥29.90 将由工作人员核实后退款",
    }


def test_a_jam_names_the_product_and_two_slots_of_one_product_are_told_as_one() -> None:
    millet = {"zh": "有机小米", "en": "Organic millet"}
    names = {"A1": millet, "A2": millet, "B3": {"zh": "枸杞", "en": "Goji"}}
    results = [
        {"slot": "A1", "requested": 1, "dispensed": 0},
        {"slot": "A2", "requested": 2, "dispensed": 1},
        {"slot": "B3", "requested": 1, "dispensed": 1},
    ]
    _headline, refund = messages.vend_outcome(results, 5980, "delivered", names)
    assert refund == {
        "zh": "有机小米 2 件未出货，¥59.80 已自动退款",
        "en": "2 × Organic millet not dispensed — ¥59.80 has been refunded automatically",
    }
    assert "A1" not in refund["zh"] and "A2" not in refund["zh"]


def test_a_short_dispense_and_a_total_failure_are_told_apart() -> None:
    short = [{"slot": "C2", "requested": 3, "dispensed": 1}]
    headline, refund = messages.vend_outcome(short, 9000, "delivered")
    assert headline["zh"] == "请取走已出货的商品" and refund == {
        "zh": "C2 2 件未出货，¥90.00 已自动退款",
        "en": "2 × C2 not dispensed — ¥90.00 has been refunded automatically",
    }
    nothing = [{"slot": "A1", "requested": 1, "dispensed": 0}, {"slot": "B3", "requested": 1, "dispensed": 0}]
    headline, refund = messages.vend_outcome(nothing, 5980, "delivered")
    assert (
        headline["zh"] == "抱歉，商品未能出货"
        and refund["zh"] == "A1 1 件未出货、B3 1 件未出货，¥59.80 已自动退款"
    )  # type: ignore[index]
    assert messages.vend_outcome([{"slot": "A1", "requested": 1, "dispensed": 1}], 0, "delivered")[1] is None


def test_door_receipts() -> None:
    assert messages.door_receipt(11990, 3, True)["zh"] == "本次消费 ¥119.90，已扣款"
    assert messages.door_receipt(0, 0, True)["zh"] == "未取商品，未扣款"
    assert messages.door_receipt(11990, 3, False)["zh"] == "已取 3 件商品，将按实际取货扣款（约 ¥119.90）"
    assert messages.door_receipt(0, 0, False)["en"] == "Nothing taken — you will not be charged"
    assert messages.door_receipt(11990, 3, True, 8010)["zh"] == "本次消费 ¥119.90，押金余额 ¥80.10 已原路退回"
    back = "Nothing taken — your ¥200.00 deposit is on its way back"
    assert messages.door_receipt(0, 0, True, 20000)["en"] == back
