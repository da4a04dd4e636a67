"""Write routes with no audit example, and why: nobody is signed in when they are called (their writes
are in the order, payment and stock ledgers, with the device or provider event that caused them),
or they write no row at all."""

from __future__ import annotations

DEVICE = (
    "a kiosk calls it, signed with its device key (RFC 9421), with nobody signed in: the sale, "
    "reservation and stock movements it writes name the kiosk in their own ledgers"
)
WEBHOOK = (
    "the payment provider calls it, signed with the webhook secret: each event is kept once in "
    "webhook_events and its effect is in the payment and order ledgers"
)
PAY_LINK = (
    "the anonymous shopper's pay link (simulated provider): the payment it makes is in the payment "
    "ledger, the order's events and the provider's own store"
)
EXEMPT: dict[str, str] = {
    "POST /api/v1/kiosk/heartbeat": DEVICE,
    "POST /api/v1/kiosk/sessions": DEVICE,
    "POST /api/v1/kiosk/door-sessions": DEVICE,
    "POST /api/v1/kiosk/orders/<string:order_id>/cancel": DEVICE,
    "POST /api/v1/kiosk/orders/<string:order_id>/vend-results": DEVICE,
    "POST /api/v1/kiosk/orders/<string:order_id>/door-closed": DEVICE,
    "POST /api/v1/payments/stripe/webhook": WEBHOOK,
    "POST /api/v1/payments/wechatpay/webhook": WEBHOOK,
    "POST /api/v1/payments/alipay/notify": WEBHOOK,
    "POST /api/v1/pay/<string:token>/simulate": PAY_LINK,
    "POST /pay/<string:token>": PAY_LINK,
    "POST /login": (
        "nobody is signed in until it answers; its only write is re-hashing the password when the "
        "hashing parameters changed (the same secret, stored redacted in any entry anyway). Signing "
        "out, which moves the user's session epoch, has an example"
    ),
    "POST /shop/cart": "writes no row: the cart lives in the browser's signed session cookie",
    "POST /shop/cart/update": "writes no row: the cart lives in the browser's signed session cookie",
}
