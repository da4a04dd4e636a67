"""Reading the bulk-order form of the org portal: typed quantities, a product added by its SKU or
GTIN, an uploaded sheet; and a service's refusal shown at the fields it is about, in the page's
language (the console's message table, kiosk_api.console.forms, puts the services' English into
Chinese)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from catalogue.models import Product
from core.errors import DomainError
from kiosk_api.console.forms import in_chinese
from kiosk_api.errors import flatten_messages, status_for
from kiosk_api.storefront.helpers import ERROR_TEXT, pick
from sales.bulk import MAX_QTY
from sales.bulk_stock import BulkOutOfStock
from sales.org_upload import QTY_TEXT, Codes, SheetLines, flag_shortages

# What the order and transfer forms call their fields, for the summary above a refused form.
FIELD_NAMES: dict[str, tuple[str, str]] = {
    "contact_name": ("收货联系人", "Contact"),
    "phone": ("联系电话", "Phone"),
    "address": ("收货地址", "Delivery address"),
    "invoice_title": ("发票抬头", "Invoice title"),
    "tax_id": ("税号", "Tax id"),
    "code": ("商品编码或条码", "SKU or barcode"),
    "file": ("表格文件", "Sheet file"),
    "bank_reference": ("银行流水号", "Bank reference"),
    "amount": ("到账金额", "Amount received"),
    "reason": ("驳回理由", "Reason for rejecting"),
}
DELIVERY_FIELDS = ("contact_name", "phone", "address", "invoice_title", "tax_id", "note")


@dataclass
class FormErrors:
    """A refused form's errors by the form's field (qty_<product id> for a product's quantity)."""

    fields: dict[str, str] = field(default_factory=dict)
    status: int = 422

    def __bool__(self) -> bool:
        return bool(self.fields)

    def add(self, name: str, zh: str, en: str) -> None:
        self.fields.setdefault(name, pick(zh, en))

    def summary(self, products: Mapping[int, Product]) -> list[str]:
        """One sentence per error, each naming its field or product, for the top of the page."""
        lines = []
        for name, message in self.fields.items():
            if name.startswith("qty_") or name == "_":
                lines.append(message)  # a product's error names the product already
                continue
            zh, en = FIELD_NAMES.get(name, (name, name))
            lines.append(f"{pick(zh, en)}{pick('：', ': ')}{message}")
        return lines

    def refused(self, error: DomainError, products: Iterable[Product] = ()) -> None:
        """A service's refusal: short products at their quantities, other fields by name."""
        self.status = status_for(error)
        if isinstance(error, BulkOutOfStock):
            for s in error.shortages:
                self.add(f"qty_{s.product_id}", s.text_zh(), s.text_en())
            return
        if not error.fields or error.code == "empty_order":
            zh, en = ERROR_TEXT.get(error.code, (error.message, error.message))
            self.add("_", zh, en)
            return
        by_sku = {p.sku: p for p in products}
        for name, message in flatten_messages(error.fields).items():
            # The console's table has the Chinese; this page shows one language, not both.
            zh = in_chinese(message, error.code, name.rsplit(".", 1)[-1]).split(" · ", 1)[0]
            # products.<SKU>.qty (a bad quantity) → that product's quantity field
            sku = name.removeprefix("products.").removesuffix(".qty")
            target = f"qty_{by_sku[sku].id}" if name.startswith("products.") and sku in by_sku else name
            self.add(target, zh, message)


def typed_lines(products: list[Product], qty: dict[int, str], errors: FormErrors) -> list[tuple[int, int]]:
    """The (product id, qty) lines typed in the form; an empty or 0 quantity is no line."""
    lines = []
    for product in products:
        text = qty.get(product.id, "")
        if not text or text == "0":
            continue
        if not QTY_TEXT.fullmatch(text) or int(text) > MAX_QTY:
            errors.add(
                f"qty_{product.id}",
                f"{product.name_zh}：数量应为 0–{MAX_QTY} 的整数（填了 {text[:16]}）",
                f"{product.name_en or product.name_zh}: a whole number 0–{MAX_QTY} (not {text[:16]})",
            )
            continue
        lines.append((product.id, int(text)))
    return lines


def add_by_code(
    products: list[Product], code: str, amount: str, qty: dict[int, str], errors: FormErrors
) -> None:
    """Put a quantity on the product of a SKU or GTIN-13 (check digit checked) typed in the form."""
    if not code.strip():
        errors.add("code", "请填写商品编码或 13 位条码", "type a SKU or a 13-digit barcode")
        return None
    product, (why_zh, why_en) = Codes.of(products).find(code)
    if product is None:
        errors.add("code", f"{why_zh}（{code[:32]}）", f"{why_en} ({code[:32]})")
        return None
    if not QTY_TEXT.fullmatch(amount) or not 1 <= int(amount) <= MAX_QTY:
        errors.add(
            "code_qty",
            f"{product.name_zh}：数量应为 1–{MAX_QTY} 的整数",
            f"{product.name_en or product.name_zh}: a whole number 1–{MAX_QTY}",
        )
        return None
    qty[product.id] = amount
    return product


def sheet_shortages(sheet: SheetLines, error: DomainError | None) -> None:
    """Put the stock a sheet's quantities lack among its row errors, by product."""
    if isinstance(error, BulkOutOfStock):
        flag_shortages(sheet, error.shortages)
