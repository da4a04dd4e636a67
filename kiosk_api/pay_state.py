"""What the phone's pay page says about an order: one sentence, the amount that matters, a tone.

Every order state the pay page can meet has a sentence in Chinese and English, with amounts from
the order's own figures (hold, captured, refunded, lines); a raw status code never reaches the page."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import Any

from core.labels import label
from core.money import format_fen
from sales.models import Order
from sales.payment_flow import is_deposit

WAITING = ("awaiting_payment", "awaiting_authorization")


@dataclass(frozen=True)
class PayState:
    """The pay page's status: headline, sentence, amount and what it is, tone, whether it can change."""

    status: str
    tone: str  # info | ok | warn | error
    title: str
    sentence: str
    amount_fen: int
    amount_label: str
    final: bool
    button: str | None = None
    lines: tuple[dict[str, Any], ...] = ()
    amount: str = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "amount", format_fen(self.amount_fen))

    def as_dict(self) -> dict[str, Any]:
        """The JSON the page's polling script reads."""
        return asdict(self)


def _pick(lang: str, zh: str, en: str) -> str:
    return en if lang == "en" else zh


def _refunded_items(order: Order, lang: str) -> str:
    """The products refunded, by name: 土豆粉 ×1、小米 ×2 (Potato vermicelli ×1, Millet ×2)."""
    parts = [
        f"{_pick(lang, line.name_zh, line.name_en or line.name_zh)} ×{line.refunded_qty}"
        for line in order.lines
        if line.refunded_qty
    ]
    return _pick(lang, "、", ", ").join(parts)


def _deposit_visit(order: Order, lang: str) -> PayState | None:
    """A visit paid by a deposit (WeChat Pay, Alipay hold no money): its own sentences, else None."""
    deposit, status = format_fen(order.hold_fen), order.status
    if status == "awaiting_authorization":
        return PayState(
            status,
            "info",
            _pick(lang, "开门购物：先付押金", "Open the cabinet: pay a deposit first"),
            _pick(
                lang,
                f"先支付押金 {deposit}，柜门随即打开。关门后只收所拿商品的钱，其余立即原路退回。",
                f"Pay a {deposit} deposit and the door opens. When it closes you pay only for what you "
                "took; the rest is refunded at once.",
            ),
            order.hold_fen,
            _pick(lang, "押金", "Deposit"),
            False,
        )
    if status == "authorized":
        return PayState(
            status,
            "ok",
            _pick(lang, "押金已付，柜门已打开", "Deposit paid — the door is open"),
            _pick(
                lang,
                f"已收押金 {deposit}。取好商品后关上柜门，关门后按所拿商品结算，其余原路退回。",
                f"{deposit} deposit received. Take your goods and close the door; you then pay for what "
                "you took and the rest goes back.",
            ),
            order.hold_fen,
            _pick(lang, "押金", "Deposit"),
            False,
        )
    if status == "completed":
        charged, back = format_fen(order.captured_fen), format_fen(order.hold_fen - order.captured_fen)
        return PayState(
            status,
            "ok",
            _pick(lang, f"已收 {charged}", f"Paid {charged}"),
            _pick(
                lang,
                f"押金 {deposit}：所拿商品 {charged}，其余 {back} 已原路退回。谢谢惠顾！",
                f"Of your {deposit} deposit, {charged} paid for what you took and {back} was refunded. "
                "Thank you!",
            ),
            order.captured_fen,
            _pick(lang, "实付", "Paid"),
            True,
        )
    return None


def _open_door(order: Order, lang: str) -> PayState:
    hold = format_fen(order.hold_fen)
    status = order.status
    if is_deposit(order):
        deposit_state = _deposit_visit(order, lang)
        if deposit_state is not None:
            return deposit_state
    if status == "awaiting_authorization":
        return PayState(
            status,
            "info",
            _pick(lang, "开门购物：先预授权", "Open the cabinet: pre-authorise first"),
            _pick(
                lang,
                f"将预授权（冻结）{hold}，不是扣款。关门后只扣取所拿商品的金额，其余自动释放。",
                f"{hold} is held, not charged. When the door closes you pay only for what you took; "
                "the rest of the hold is released.",
            ),
            order.hold_fen,
            _pick(lang, "预授权金额", "Hold"),
            False,
            _pick(lang, f"预授权 {hold} 并开门", f"Pre-authorise {hold} and open"),
        )
    if status == "authorized":
        return PayState(
            status,
            "ok",
            _pick(lang, "已预授权，柜门已打开", "Pre-authorised — the door is open"),
            _pick(
                lang,
                f"已冻结 {hold}（尚未扣款）。取好商品后关上柜门，关门后按所拿商品扣款，其余释放。",
                f"{hold} is held (nothing charged yet). Take your goods and close the door; you are "
                "then charged for what you took and the rest is released.",
            ),
            order.hold_fen,
            _pick(lang, "预授权金额", "Hold"),
            False,
        )
    if status == "completed" and order.captured_fen == 0:
        return PayState(
            status,
            "ok",
            _pick(lang, "未扣款，预授权已释放", "Nothing charged, hold released"),
            _pick(
                lang,
                f"本次未拿取商品，未扣款；预授权的 {hold} 已释放。",
                f"You took nothing, so nothing was charged; the {hold} hold was released.",
            ),
            0,
            _pick(lang, "已扣款", "Charged"),
            True,
        )
    if status == "completed":
        charged = format_fen(order.captured_fen)
        rest = format_fen(max(order.hold_fen - order.captured_fen, 0))
        return PayState(
            status,
            "ok",
            _pick(lang, f"已扣款 {charged}", f"Charged {charged}"),
            _pick(
                lang,
                f"已按所拿商品扣款 {charged}；预授权其余 {rest} 已释放。谢谢惠顾！",
                f"You were charged {charged} for what you took; the remaining {rest} of the hold was "
                "released. Thank you!",
            ),
            order.captured_fen,
            _pick(lang, "已扣款", "Charged"),
            True,
        )
    if status in ("cancelled", "expired"):
        return PayState(
            status,
            "error",
            _pick(lang, "开门已取消", "The visit has ended"),
            _pick(
                lang,
                "未扣款，预授权已撤销。如需购物，请在柜机上重新扫码开门。",
                "Nothing was charged and the hold was cancelled. To shop, scan the code on the cabinet "
                "again.",
            ),
            0,
            _pick(lang, "已扣款", "Charged"),
            True,
        )
    return _common(order, lang)


def _common(order: Order, lang: str) -> PayState:
    """States shared by vend, web-shop and bulk orders."""
    status, kiosk = order.status, order.channel == "kiosk"
    total, captured = format_fen(order.total_fen), format_fen(order.captured_fen)
    if status == "awaiting_payment":
        return PayState(
            status,
            "info",
            _pick(lang, "确认支付", "Confirm payment"),
            _pick(lang, f"请核对商品，支付 {total}。", f"Check the items, then pay {total}."),
            order.total_fen,
            _pick(lang, "应付", "To pay"),
            False,
            _pick(lang, f"支付 {total}", f"Pay {total}"),
        )
    if status == "paid" and kiosk:
        return PayState(
            status,
            "ok",
            _pick(lang, "支付成功，正在出货", "Paid — dispensing"),
            _pick(
                lang,
                f"已支付 {captured}。柜机正在出货，请在取货口取走商品。",
                f"You paid {captured}. The kiosk is dispensing: collect your goods from the tray.",
            ),
            order.captured_fen,
            _pick(lang, "实付", "Paid"),
            False,
        )
    if status == "completed" and kiosk:
        return PayState(
            status,
            "ok",
            _pick(lang, "支付成功，请取货", "Paid — please take your goods"),
            _pick(
                lang,
                f"已支付 {captured}，商品已全部出货，请取走。谢谢惠顾！",
                f"You paid {captured} and every item was dispensed. Please take your goods. Thank you!",
            ),
            order.captured_fen,
            _pick(lang, "实付", "Paid"),
            True,
        )
    if status in ("paid", "fulfilled", "completed"):
        what_zh, what_en = {
            "paid": (
                "我们将尽快发货，可在订单页查看进度。",
                "We will ship it soon; follow it on the order page.",
            ),
            "fulfilled": ("订单已送达。", "The order has been delivered."),
            "completed": ("订单已完成。", "The order is complete."),
        }[status]
        if order.channel == "bulk" and status == "paid":
            what_zh, what_en = "单位采购订单已付清。", "The bulk order is paid in full."
        return PayState(
            status,
            "ok",
            _pick(lang, "支付成功", "Paid — thank you"),
            _pick(lang, f"已支付 {captured}。{what_zh}", f"You paid {captured}. {what_en}"),
            order.captured_fen,
            _pick(lang, "实付", "Paid"),
            status == "completed",
        )
    if status == "partially_refunded":
        refunded = format_fen(order.refunded_fen)
        net = format_fen(order.captured_fen - order.refunded_fen)
        items = _refunded_items(order, lang)
        why_zh = f"{items} 未出货" if kiosk else f"{items} 已退款"
        why_en = f"{items} could not be dispensed" if kiosk else f"{items} refunded"
        return PayState(
            status,
            "warn",
            _pick(lang, f"部分退款 {refunded}", f"Partly refunded: {refunded}"),
            _pick(
                lang,
                f"{why_zh}，已退款 {refunded}，原路退回您的付款账户。其余商品已出货，实付 {net}。"
                if kiosk
                else f"{why_zh}，共退款 {refunded}，原路退回。实付 {net}。",
                f"{why_en}; {refunded} is refunded to the account you paid from. The rest was "
                f"dispensed: you paid {net}."
                if kiosk
                else f"{why_en}: {refunded} back to the account you paid from. You paid {net}.",
            ),
            order.captured_fen - order.refunded_fen,
            _pick(lang, "实付", "Paid"),
            True,
        )
    if status == "refunded":
        refunded = format_fen(order.refunded_fen)
        if kiosk and order.report_id:  # the dispenser reported: nothing came out
            zh = f"商品未能出货，已全额退款 {refunded}，原路退回您的付款账户，实付 ¥0.00。"
            en = (
                f"The goods could not be dispensed, so all {refunded} is refunded to the account you "
                "paid from: you paid ¥0.00."
            )
        elif kiosk:  # paid after the order had lapsed or the kiosk had given up
            zh = f"您的付款到达时订单已结束，未出货；{refunded} 已全额退款，原路退回您的付款账户。"
            en = (
                f"The order had ended when your payment arrived and nothing was dispensed; all {refunded} "
                "is refunded to the account you paid from."
            )
        else:
            zh = f"已全额退款 {refunded}，原路退回您的付款账户。"
            en = f"All {refunded} is refunded to the account you paid from."
        return PayState(
            status,
            "warn",
            _pick(lang, f"已全额退款 {refunded}", f"Refunded in full: {refunded}"),
            _pick(lang, zh, en),
            0,
            _pick(lang, "实付", "Paid"),
            True,
        )
    if status in ("cancelled", "expired"):
        cancelled = status == "cancelled"
        where_zh, where_en = ("在柜机上", " at the kiosk") if kiosk else ("", "")
        how_zh = f"已{where_zh}取消" if cancelled else "已超时失效"
        how_en = f"was cancelled{where_en}" if cancelled else "timed out"
        again_zh, again_en = (
            ("请在柜机上重新选购。", "Start again at the kiosk.")
            if kiosk
            else ("如需购买，请重新下单。", "Place a new order to buy.")
        )
        return PayState(
            status,
            "error",
            _pick(
                lang,
                "订单已取消" if cancelled else "订单已失效",
                "Order cancelled" if cancelled else "Order expired",
            ),
            _pick(
                lang,
                f"此订单{how_zh}，未扣款。{again_zh}",
                f"This order {how_en}; nothing was charged. {again_en}",
            ),
            0,
            _pick(lang, "已扣款", "Charged"),
            True,
        )
    name = label("order_status", status, lang)
    return PayState(
        status,
        "info",
        name,
        _pick(lang, f"订单状态：{name}。", f"Order status: {name}."),
        order.total_fen,
        _pick(lang, "订单金额", "Order total"),
        status in ("rejected",),
    )


def lines_of(order: Order, lang: str) -> tuple[dict[str, Any], ...]:
    """The order's lines as the page lists them: name, quantity, total, and any refund of the line."""
    return tuple(
        {
            "name": _pick(lang, line.name_zh, line.name_en or line.name_zh),
            "qty": line.qty,
            "total": format_fen(line.line_total_fen),
            "refunded": _pick(lang, f"已退 {line.refunded_qty} · ", f"refunded {line.refunded_qty} · ")
            + format_fen(line.refunded_fen)
            if line.refunded_qty
            else "",
        }
        for line in order.lines
    )


def present(order: Order, lang: str = "zh") -> PayState:
    """The pay page's status for an order, in the page's language, with its lines."""
    state = _open_door(order, lang) if order.mode == "open_door" else _common(order, lang)
    return replace(state, lines=lines_of(order, lang))


def refused(order: Order, lang: str = "zh") -> PayState:
    """A pay the provider refused: the order was cancelled, expired or paid meanwhile, or the
    provider said no; the sentence says what happened to the shopper's money."""
    state = present(order, lang)
    title = _pick(lang, "本次支付未完成", "This payment did not go through")
    if state.status in WAITING:
        sentence = _pick(
            lang,
            "支付未能完成，未扣款。请稍后重试，或在柜机上重新下单。",
            "The payment could not be made and nothing was charged. Try again shortly, or start again "
            "at the kiosk.",
        )
        return replace(state, tone="error", title=title, sentence=sentence, button=None)
    if state.tone in ("ok", "warn"):
        sentence = _pick(
            lang, "此订单已支付过，未重复扣款。", "This order was already paid; you were not charged again. "
        )
        return replace(state, tone="warn", title=title, sentence=sentence + state.sentence)
    return replace(state, tone="error", title=title)


def unknown_link(lang: str = "zh") -> PayState:
    """A pay link that names no order (mistyped, or not ours)."""
    return PayState(
        "unknown",
        "error",
        _pick(lang, "支付链接无效", "This payment link is not valid"),
        _pick(
            lang,
            "找不到此链接对应的订单，未扣款。请重新扫描柜机或订单页上的二维码。",
            "No order has this link, and nothing was charged. Scan the QR code on the kiosk or the "
            "order page again.",
        ),
        0,
        _pick(lang, "已扣款", "Charged"),
        True,
    )
