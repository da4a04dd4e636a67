"""Run the real localstripe server on 127.0.0.1 for the Stripe provider tests.

`python localstripe_server.py --port N` serves localstripe's own aiohttp app and resources with
four adjustments, each because localstripe 1.15 differs from what the tests need or from Stripe's
documented API; everything else is localstripe as published:

1. It listens on 127.0.0.1 only; the `localstripe` command binds every interface through an IPv6
   socket, which fails where IPv6 is off and exposes a payment fake to the network.
2. Its store stays in memory: the command pickles it to the fixed path /tmp/localstripe.pickle after
   every write, which two test workers (or two users) would share and overwrite.
3. PaymentIntent accepts `description`, a documented create parameter it refuses as "Unexpected".
4. PaymentIntent reports `amount_capturable` and `amount_received`, and Charge `amount_captured`:
   documented fields it omits. They are computed from localstripe's own charge and capture state.
"""

from __future__ import annotations

import argparse
import logging
from typing import Any

from aiohttp import web
from localstripe.resources import Charge, PaymentIntent, store, try_convert_to_int
from localstripe.server import app


def _keep_store_in_memory() -> None:
    store.dump_to_disk = lambda: None  # the instance attribute shadows Store.dump_to_disk


def _accept_description() -> None:
    original = PaymentIntent.__init__

    def __init__(self: Any, description: str | None = None, **kwargs: Any) -> None:
        original(self, **kwargs)
        self.description = description

    PaymentIntent.__init__ = __init__  # type: ignore[method-assign]


def _report_documented_amounts() -> None:
    original_capture = Charge._capture

    def _capture(self: Any, amount: Any, on_success: Any = None) -> None:
        # Set before capturing: the capture emits payment_intent.succeeded, which exports the amounts.
        self._amount_captured = self.amount if amount is None else try_convert_to_int(amount)
        try:
            original_capture(self, amount, on_success)
        except Exception:
            del self._amount_captured
            raise

    def amount_captured(self: Any) -> int:
        return getattr(self, "_amount_captured", self.amount if self.captured else 0)

    def amount_capturable(self: Any) -> int:
        return self.latest_charge.amount if self.status == "requires_capture" else 0

    def amount_received(self: Any) -> int:
        return amount_captured(self.latest_charge) if self.status == "succeeded" else 0

    Charge._capture = _capture  # type: ignore[method-assign]
    Charge.amount_captured = property(amount_captured)  # type: ignore[attr-defined]
    PaymentIntent.amount_capturable = property(amount_capturable)  # type: ignore[attr-defined]
    PaymentIntent.amount_received = property(amount_received)  # type: ignore[attr-defined]


def main() -> None:
    """Serve localstripe on 127.0.0.1:PORT until terminated."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    _keep_store_in_memory()
    _accept_description()
    _report_documented_amounts()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    web.run_app(app, host="127.0.0.1", port=args.port, print=None)


if __name__ == "__main__":
    main()
