"""The bare-SQL baseline of a kiosk purchase: psycopg 3, no ORM, no HTTP, the fewest transactions
the design needs, on the same schema, the same demo data and the same kiosks as dongxi.

1. session: the device's nonce, the slots' prices, a conditional hold per line
   (`UPDATE … WHERE on_hand - reserved >= qty RETURNING`), the order, its lines, its holds, its payment;
2. payment captured: payment and order, sale movements out of the held balances, holds fulfilled,
   revenue entries and the monthly rollup, the order's event;
3. vend results: the device's nonce, the order completed and its event.
The kiosk's poll in between is one read. What is left out is everything dongxi does beyond the
purchase itself: signatures, HTTP, JSON, the provider, the catalogue version, the audit trail of
every status.
"""

from __future__ import annotations

import secrets
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import psycopg
from psycopg.types.json import Jsonb

SHANGHAI = ZoneInfo("Asia/Shanghai")


class BarePurchases:
    """One worker's connection, buying at one kiosk."""

    def __init__(self, dsn: str, kiosk_code: str, key_id: str) -> None:
        self.conn = psycopg.connect(dsn)
        self.key_id = key_id
        self.location_id, self.partner = self.conn.execute(
            "SELECT id, partner_code FROM locations WHERE code = %s", (kiosk_code,)
        ).fetchone()
        self.conn.commit()

    def close(self) -> None:
        self.conn.close()

    def purchase(self, lines: list[dict[str, Any]]) -> None:
        order_id, holds, lines_out, total = self._session(lines)
        self._poll(order_id)
        self._pay(order_id, holds, lines_out, total)
        self._poll(order_id)
        self._vend(order_id)

    def _nonce(self, cur: psycopg.Cursor[Any], now: datetime) -> None:
        cur.execute(
            "INSERT INTO device_nonces (key_id, nonce, seen_at) VALUES (%s, %s, %s)",
            (self.key_id, secrets.token_urlsafe(16), now),
        )

    def _session(self, lines: list[dict[str, Any]]) -> tuple[str, list[tuple[Any, ...]], list[Any], int]:
        now = datetime.now(UTC)
        order_id = str(uuid.uuid4())
        with self.conn.transaction(), self.conn.cursor() as cur:
            self._nonce(cur, now)
            codes = [line["slot"] for line in lines]
            cur.execute(
                "SELECT s.code, s.id, p.id, p.sku, p.name_zh, p.name_en, p.county_code, p.supplier_id, p.price_fen"
                " FROM slots s JOIN products p ON p.id = s.product_id"
                " WHERE s.location_id = %s AND s.code = ANY(%s) AND s.active",
                (self.location_id, codes),
            )
            slots = {row[0]: row for row in cur.fetchall()}
            holds = []
            for line in lines:
                slot = slots[line["slot"]]
                cur.execute(
                    "UPDATE stock_balances SET reserved = reserved + %s"
                    " WHERE id = (SELECT id FROM stock_balances WHERE slot_id = %s AND on_hand - reserved >= %s"
                    "             ORDER BY id LIMIT 1) AND on_hand - reserved >= %s"
                    " RETURNING id, lot_id",
                    (line["qty"], slot[1], line["qty"], line["qty"]),
                )
                balance_id, lot_id = cur.fetchone()
                holds.append((balance_id, lot_id, slot, line["qty"]))
            total = sum(slot[8] * qty for _b, _l, slot, qty in holds)
            cur.execute(
                "INSERT INTO orders (id, channel, mode, status, buyer_kind, location_id, partner_code, currency,"
                " total_fen, hold_fen, captured_fen, refunded_fen, pay_token, details, expires_at, created_at,"
                " updated_at) VALUES (%s, 'kiosk', 'vend', 'awaiting_payment', 'individual', %s, %s, 'CNY',"
                " %s, 0, 0, 0, %s, %s, %s, %s, %s)",
                (
                    order_id,
                    self.location_id,
                    self.partner,
                    total,
                    secrets.token_urlsafe(18),
                    Jsonb({}),
                    now + timedelta(minutes=3),
                    now,
                    now,
                ),
            )
            lines_out = []
            for i, (_balance, _lot, slot, qty) in enumerate(holds, 1):
                cur.execute(
                    "INSERT INTO order_lines (order_id, line_no, product_id, sku, name_zh, name_en, county_code,"
                    " supplier_id, certified, slot_code, qty, unit_price_fen, line_total_fen, refunded_qty,"
                    " refunded_fen) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, true, %s, %s, %s, %s, 0, 0)"
                    " RETURNING id",
                    (
                        order_id,
                        i,
                        slot[2],
                        slot[3],
                        slot[4],
                        slot[5],
                        slot[6],
                        slot[7],
                        slot[0],
                        qty,
                        slot[8],
                        slot[8] * qty,
                    ),
                )
                lines_out.append((cur.fetchone()[0], slot, qty))
            cur.executemany(
                "INSERT INTO reservations (order_ref, line_no, balance_id, location_id, slot_id, product_id,"
                " lot_id, qty, status, expires_at, created_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, 'active',"
                " %s, %s)",
                [
                    (
                        order_id,
                        i,
                        b,
                        self.location_id,
                        slot[1],
                        slot[2],
                        lot,
                        qty,
                        now + timedelta(minutes=3),
                        now,
                    )
                    for i, (b, lot, slot, qty) in enumerate(holds)
                ],
            )
            cur.execute(
                "INSERT INTO payments (order_id, provider, method, capture_mode, status, amount_fen, captured_fen,"
                " refunded_fen, idempotency_key, created_at, updated_at) VALUES (%s, 'simulated', 'any',"
                " 'automatic', 'requires_payment', %s, 0, 0, %s, %s, %s)",
                (order_id, total, f"pay-{order_id}", now, now),
            )
        return order_id, holds, lines_out, total

    def _poll(self, order_id: str) -> None:
        with self.conn.transaction():
            self.conn.execute("SELECT status FROM orders WHERE id = %s", (order_id,)).fetchone()

    def _pay(self, order_id: str, holds: list[tuple[Any, ...]], lines: list[Any], total: int) -> None:
        now = datetime.now(UTC)
        period = now.astimezone(SHANGHAI).strftime("%Y-%m")
        with self.conn.transaction(), self.conn.cursor() as cur:
            cur.execute(
                "UPDATE payments SET status = 'succeeded', captured_fen = %s, updated_at = %s WHERE order_id = %s",
                (total, now, order_id),
            )
            cur.execute(
                "UPDATE orders SET status = 'paid', captured_fen = %s, updated_at = %s WHERE id = %s",
                (total, now, order_id),
            )
            for balance_id, _lot, _slot, qty in holds:
                cur.execute(
                    "UPDATE stock_balances SET on_hand = on_hand - %s, reserved = reserved - %s"
                    " WHERE id = %s AND reserved >= %s",
                    (qty, qty, balance_id, qty),
                )
            cur.executemany(
                "INSERT INTO stock_movements (kind, product_id, lot_id, qty, from_location_id, from_slot_id,"
                " reference, actor, note, at) VALUES ('sale', %s, %s, %s, %s, %s, %s, 'bare', '', %s)",
                [
                    (slot[2], lot, qty, self.location_id, slot[1], order_id, now)
                    for _b, lot, slot, qty in holds
                ],
            )
            cur.execute(
                "UPDATE reservations SET status = 'fulfilled', fulfilled_at = %s WHERE order_ref = %s",
                (now, order_id),
            )
            cur.executemany(
                "INSERT INTO revenue_entries (kind, order_id, order_line_id, product_id, county_code, supplier_id,"
                " channel, buyer_kind, partner_code, location_id, certified, qty, amount_fen, commission_fen,"
                " period, at) VALUES ('sale', %s, %s, %s, %s, %s, 'kiosk', 'individual', %s, %s, true, %s, %s, 0,"
                " %s, %s)",
                [
                    (
                        order_id,
                        line_id,
                        slot[2],
                        slot[6],
                        slot[7],
                        self.partner,
                        self.location_id,
                        qty,
                        slot[8] * qty,
                        period,
                        now,
                    )
                    for line_id, slot, qty in lines
                ],
            )
            cur.executemany(
                "INSERT INTO revenue_rollups (period, sale_period, county_code, supplier_id, product_id, channel,"
                " buyer_kind, certified, partner_code, location_id, sale_fen, refund_fen, sale_qty, refund_qty,"
                " commission_fen, entry_count) VALUES (%s, %s, %s, %s, %s, 'kiosk', 'individual', true, %s, %s,"
                " %s, 0, %s, 0, 0, 1) ON CONFLICT (period, sale_period, county_code, supplier_id, product_id,"
                " channel, buyer_kind, certified, partner_code, location_id) DO UPDATE SET"
                " sale_fen = revenue_rollups.sale_fen + excluded.sale_fen,"
                " sale_qty = revenue_rollups.sale_qty + excluded.sale_qty,"
                " entry_count = revenue_rollups.entry_count + 1",
                sorted(
                    (
                        period,
                        period,
                        slot[6],
                        slot[7],
                        slot[2],
                        self.partner,
                        self.location_id,
                        slot[8] * qty,
                        qty,
                    )
                    for _line, slot, qty in lines
                ),
            )
            cur.execute(
                "INSERT INTO order_events (order_id, from_status, to_status, actor, reason, at)"
                " VALUES (%s, 'awaiting_payment', 'paid', 'bare', '', %s)",
                (order_id, now),
            )

    def _vend(self, order_id: str) -> None:
        now = datetime.now(UTC)
        with self.conn.transaction(), self.conn.cursor() as cur:
            self._nonce(cur, now)
            cur.execute(
                "UPDATE orders SET status = 'completed', report_id = %s, updated_at = %s"
                " WHERE id = %s AND status = 'paid'",
                (str(uuid.uuid4()), now, order_id),
            )
            cur.execute(
                "INSERT INTO order_events (order_id, from_status, to_status, actor, reason, at)"
                " VALUES (%s, 'paid', 'completed', 'bare', '', %s)",
                (order_id, now),
            )
