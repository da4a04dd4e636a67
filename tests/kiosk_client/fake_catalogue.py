"""Data and pricing of the fake server: a Guyuan kiosk's planogram, and what reports cost."""

from __future__ import annotations

import socket
from typing import Any


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def product(
    pid: int, sku: str, zh: str, en: str, price: int, county: str, certified: bool = True
) -> dict[str, Any]:
    return {
        "id": pid,
        "sku": sku,
        "name": {"zh": zh, "en": en},
        "spec": "1袋",
        "price_fen": price,
        "certified": certified,
        "image_url": None,
        "county": {"code": "640422", "name": county},
        "supplier": "演示合作社",
    }


def demo_catalogue(mode: str = "vend") -> dict[str, Any]:
    """Three slots of Guyuan products."""
    return {
        "kiosk": {
            "code": "FZ-0001",
            "name": "福州地铁东街口站",
            "mode": mode,
            "partner": "福州市",
            "currency": "CNY",
        },
        "slots": [
            {
                "slot": "A1",
                "capacity": 8,
                "available": 4,
                "product": product(12, "GY-POTATO-5KG", "西吉马铃薯", "Xiji potatoes", 2990, "西吉县"),
            },
            {
                "slot": "B3",
                "capacity": 8,
                "available": 6,
                "product": product(13, "GY-VERMICELLI", "固原粉条", "Guyuan vermicelli", 2990, "原州区"),
            },
            {
                "slot": "C2",
                "capacity": 8,
                "available": 5,
                "product": product(14, "GY-HONEY", "六盘山蜂蜜", "Liupanshan honey", 4500, "泾源县", False),
            },
        ],
    }


def settle_vend(order: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
    prices = {line["slot"]: line["unit_price_fen"] for line in order["lines"]}
    refund = sum((r["requested"] - r["dispensed"]) * prices[r["slot"]] for r in body["results"])
    order["refunded_fen"] = refund
    order["status"] = (
        "completed" if refund == 0 else ("refunded" if refund == order["total_fen"] else "partially_refunded")
    )
    return {"order_id": order["order_id"], "status": order["status"], "refunded_fen": refund}


def settle_door(catalogue: dict[str, Any], order: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
    slots = {s["slot"]: s for s in catalogue["slots"]}
    lines = []
    for taken in body["taken"]:
        price = slots[taken["slot"]]["product"]["price_fen"]
        lines.append(
            {
                "slot": taken["slot"],
                "sku": slots[taken["slot"]]["product"]["sku"],
                "qty": taken["qty"],
                "unit_price_fen": price,
                "line_total_fen": price * taken["qty"],
            }
        )
    order.update(status="completed", lines=lines, total_fen=sum(line["line_total_fen"] for line in lines))
    return {
        "order_id": order["order_id"],
        "status": "completed",
        "total_fen": order["total_fen"],
        "lines": lines,
    }
