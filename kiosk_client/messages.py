"""Sentences the screen shows, Chinese first with English beside; money as ¥12.50 from integer fen."""

from __future__ import annotations

from typing import Any

Text = dict[str, str]


def yuan(fen: int) -> str:
    """Format integer fen as ¥29.90.

    The server's core.money.format_fen does the same, but the kiosk program imports nothing from
    the server packages (it speaks HTTP only), so it keeps this copy of its own."""
    sign = "-" if fen < 0 else ""
    whole, part = divmod(abs(fen), 100)
    return f"{sign}¥{whole}.{part:02d}"


def text(zh: str, en: str) -> Text:
    """A sentence in both languages."""
    return {"zh": zh, "en": en}


def vend_outcome(
    results: list[dict[str, Any]],
    refund_fen: int,
    delivery: str,
    names: dict[str, Text] | None = None,
) -> tuple[Text, Text | None]:
    """Headline and refund sentence after dispensing, e.g. "有机小米 1 件未出货，¥29.90 已自动退款".

    names: {slot: {"zh", "en"}} of the products (the slot code stands in for a product without one);
    units missing from two slots of one product are told as one. delivery is what became of the
    report: "delivered" (the server refunded), "pending" (it will, once the report gets through) or
    "dead" (the server refused the report: staff must step in).
    """
    short = [r for r in results if r["dispensed"] < r["requested"]]
    if not short:
        return text("支付成功，请取走商品", "Payment received — please take your goods"), None
    missing: dict[tuple[str, str], int] = {}
    for r in short:
        name = (names or {}).get(r["slot"]) or {}
        key = (name.get("zh") or r["slot"], name.get("en") or name.get("zh") or r["slot"])
        missing[key] = missing.get(key, 0) + r["requested"] - r["dispensed"]
    zh_parts = [f"{zh} {qty} 件未出货" for (zh, _en), qty in missing.items()]
    en_parts = [f"{qty} × {en} not dispensed" for (_zh, en), qty in missing.items()]
    if delivery == "delivered":
        refund = text(
            f"{'、'.join(zh_parts)}，{yuan(refund_fen)} 已自动退款",
            f"{'; '.join(en_parts)} — {yuan(refund_fen)} has been refunded automatically",
        )
    elif delivery == "dead":
        refund = text(
            f"{'、'.join(zh_parts)}，{yuan(refund_fen)} 将由工作人员核实后退款",
            f"{'; '.join(en_parts)} — staff will check and refund {yuan(refund_fen)}",
        )
    else:
        refund = text(
            f"{'、'.join(zh_parts)}，{yuan(refund_fen)} 将自动退回原支付账户",
            f"{'; '.join(en_parts)} — {yuan(refund_fen)} will be refunded automatically",
        )
    if len(short) == len(results) and all(r["dispensed"] == 0 for r in short):
        return text("抱歉，商品未能出货", "Sorry, your goods could not be dispensed"), refund
    return text("请取走已出货的商品", "Please take the goods that came out"), refund


def checkout_refused(code: str, slot: str | None, name: Text | None) -> Text:
    """Why a session could not be started (slot: the slot or product code the server named)."""
    if code == "out_of_stock" and slot:
        label = name["zh"] if name else slot
        label_en = name["en"] if name else slot
        return text(f"{label} 库存不足，请重新选择", f"{label_en} is out of stock — please choose again")
    return text("暂时无法下单，请重新选择", "The order could not be started — please choose again")


OFFLINE = text("网络连接中断，暂时无法下单，请稍后再试", "No network connection — please try again later")
CANCELLED = text("订单已取消，未扣款", "Order cancelled — you were not charged")
EXPIRED = text("支付超时，订单已取消，未扣款", "Payment timed out — order cancelled, you were not charged")
DOOR_REMINDER = text(
    "请关好柜门，关门后自动结算", "Please close the door — you will be charged when it closes"
)


def door_receipt(total_fen: int, units: int, confirmed: bool, returned_fen: int = 0) -> Text:
    """The receipt headline of an open-door visit (an estimate until the server confirmed); a deposit
    visit also says what of the deposit goes back."""
    if confirmed and returned_fen:
        back = yuan(returned_fen)
        if total_fen == 0:
            return text(
                f"未取商品，押金 {back} 已原路退回", f"Nothing taken — your {back} deposit is on its way back"
            )
        return text(
            f"本次消费 {yuan(total_fen)}，押金余额 {back} 已原路退回",
            f"You paid {yuan(total_fen)}; the other {back} of your deposit is on its way back",
        )
    if confirmed:
        if total_fen == 0:
            return text("未取商品，未扣款", "Nothing taken — you were not charged")
        return text(f"本次消费 {yuan(total_fen)}，已扣款", f"You were charged {yuan(total_fen)}")
    if units == 0:
        return text("未取商品，未扣款", "Nothing taken — you will not be charged")
    about_zh = f"（约 {yuan(total_fen)}）" if total_fen else ""
    about_en = f" (about {yuan(total_fen)})" if total_fen else ""
    return text(
        f"已取 {units} 件商品，将按实际取货扣款{about_zh}",
        f"{units} item(s) taken — you will be charged for exactly these{about_en}",
    )
