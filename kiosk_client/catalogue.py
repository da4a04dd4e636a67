"""The kiosk's planogram, synced from the server with ETag and kept on disk for a cold start offline."""

from __future__ import annotations

import json
import logging
import os
import threading
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

from kiosk_client.api import KioskApi

log = logging.getLogger(__name__)


class CatalogueCache:
    """The last catalogue and its ETag; sync() asks the server only for a change."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self.etag: str | None = None
        self.data: dict[str, Any] | None = None
        self.version = 0
        if path.exists():
            try:
                saved = json.loads(path.read_text("utf-8"))
                self.etag, self.data = saved["etag"], saved["catalogue"]
                self.version = 1
            except (ValueError, KeyError) as exc:
                log.warning("ignoring unreadable catalogue cache %s: %s", path, exc)

    def sync(self, api: KioskApi) -> bool:
        """GET /catalogue with If-None-Match; return True if the catalogue changed."""
        data, etag = api.get_catalogue(self.etag if self.data is not None else None)
        if data is None:
            return False
        with self._lock:
            self.data, self.etag = data, etag
            self.version += 1
        self._save(data, etag)
        return True

    def _save(self, data: dict[str, Any], etag: str | None) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"etag": etag, "catalogue": data}, ensure_ascii=False), "utf-8")
        os.replace(tmp, self.path)

    @property
    def kiosk(self) -> dict[str, Any]:
        """The kiosk block (code, name, mode, partner, currency), or {} before the first sync."""
        return dict((self.data or {}).get("kiosk") or {})

    @property
    def slots(self) -> list[dict[str, Any]]:
        """The slots, as the server sent them."""
        return list((self.data or {}).get("slots") or [])

    def slot(self, code: str) -> dict[str, Any] | None:
        """One slot by code, or None."""
        return next((s for s in self.slots if s.get("slot") == code), None)

    def product_name(self, code: str) -> dict[str, str]:
        """{"zh": …, "en": …} of the product in a slot (the slot code if unknown)."""
        product = (self.slot(code) or {}).get("product") or {}
        name = product.get("name") or {}
        return {"zh": name.get("zh") or code, "en": name.get("en") or name.get("zh") or code}

    def slots_of(self, sku: str) -> list[dict[str, Any]]:
        """The slots holding a product, in slot order."""
        return [s for s in self.slots if (s.get("product") or {}).get("sku") == sku]

    def sku_name(self, sku: str) -> dict[str, str]:
        """{"zh": …, "en": …} of a product by sku (the sku if no slot holds it)."""
        held = self.slots_of(sku)
        return self.product_name(held[0]["slot"]) if held else {"zh": sku, "en": sku}

    def named(self, lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Order lines with {"zh", "en"} product names: the server's if it sent them, else the catalogue's."""
        named = []
        for line in lines:
            name = line.get("name")
            if not (isinstance(name, dict) and name.get("zh")):
                name = self.product_name(str(line.get("slot") or line.get("sku") or "?"))
            named.append({**line, "name": name})
        return named

    def for_screen(self, server: str) -> dict[str, Any]:
        """The catalogue for the touch screen: image URLs made absolute, empty slots kept (sold out)."""
        slots = []
        for slot in self.slots:
            product = dict(slot.get("product") or {})
            if not product:
                continue
            if product.get("image_url"):
                product["image_url"] = urljoin(server.rstrip("/") + "/", product["image_url"])
            slots.append({**slot, "product": product})
        return {"kiosk": self.kiosk, "slots": slots, "version": self.version}
