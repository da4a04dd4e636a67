"""What the pay page shows for a web-shop order paid by WeChat Pay or Alipay.

On a desktop, the provider's QR code (WeChat's code_url, Alipay's qr_code) as an SVG, with a
sentence saying which app scans it and for how much; on a phone, a button that opens the
provider's own phone page (WeChat H5, Alipay 手机网站支付). Inside WeChat's own browser WeChat H5
does not run: the QR is shown there, which WeChat recognises on a long press."""

from __future__ import annotations

import re
from dataclasses import dataclass

import qrcode
from markupsafe import Markup
from qrcode.image.svg import SvgPathImage

from core.money import format_fen
from sales.models import Order

# The providers whose pay page this is: (app name in Chinese, in English).
WALLETS = {"wechatpay": ("微信", "WeChat"), "alipay": ("支付宝", "Alipay")}
_PHONE = re.compile(r"Mobile|Android|iPhone|iPad|HarmonyOS", re.IGNORECASE)
_IN_WECHAT = re.compile(r"MicroMessenger", re.IGNORECASE)


@dataclass(frozen=True)
class WalletPay:
    """The wallet part of the pay page: a QR code to scan, or the button to the provider's page."""

    provider: str
    phone: bool  # show the button to the provider's phone page instead of the QR code
    qr: Markup | None  # the QR code's SVG (None on a phone, or while the provider has given none)
    sentence: str
    button: str
    hint: str


def qr_svg(payload: str) -> Markup:
    """A QR code of payload as an inline SVG (error correction M, 4-module quiet zone), sized by CSS."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=4)
    code.add_data(payload)
    svg = code.make_image(image_factory=SvgPathImage).to_string(encoding="unicode")
    svg = re.sub(r'^<svg width="[^"]*" height="[^"]*"', '<svg class="qr-code" role="img"', svg)
    return Markup(svg)  # our own drawing of the payload: no text of the payload is in it


def on_phone(user_agent: str) -> bool:
    """Whether the page is opened on a phone (or tablet) browser, by its User-Agent."""
    return bool(_PHONE.search(user_agent or ""))


def wallet_pay(
    order: Order | None, provider: str, payload: str | None, user_agent: str, lang: str
) -> WalletPay | None:
    """The wallet part for an order waiting for its WeChat Pay or Alipay payment, else None."""
    if order is None or provider not in WALLETS or order.channel != "storefront":
        return None
    if order.status != "awaiting_payment":
        return None
    app = WALLETS[provider][1 if lang == "en" else 0]
    total = format_fen(order.total_fen)
    in_wechat = provider == "wechatpay" and bool(_IN_WECHAT.search(user_agent or ""))
    phone = on_phone(user_agent) and not in_wechat
    if lang == "en":
        sentence = f"Scan with {app} to pay {total}"
        button = f"Pay {total} in {app}"
        hint = (
            f"Opens {app} to pay; you come back to this page afterwards."
            if phone
            else "Long-press the QR code to pay."
            if in_wechat
            else "This page changes by itself once you have paid."
        )
        waiting = f"The {app} QR code is not ready yet: reload this page in a moment."
    else:
        sentence = f"请用{app}扫码支付 {total}"
        button = f"打开{app}支付 {total}"
        hint = (
            f"将跳转到{app}完成支付，支付后会回到本页。"
            if phone
            else "长按二维码，识别后支付。"
            if in_wechat
            else "支付完成后，本页会自动更新。"
        )
        waiting = f"{app}二维码尚未生成，请稍后刷新本页。"
    qr = qr_svg(payload) if payload and not phone else None
    if not phone and qr is None:
        hint = waiting
    return WalletPay(provider, phone, qr, sentence, button, hint)
