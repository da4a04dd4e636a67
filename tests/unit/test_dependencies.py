"""Dependencies point one way (kiosk_api → sales → inventory, payments → catalogue → core): domain
packages import no Flask and no kiosk_api, only payments imports stripe, wechatpayv3 and alipay, the
domain that books money names no provider, and the kiosk program imports nothing of the server."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
WEB = {"flask", "flask_limiter", "flask_smorest", "flask_wtf", "werkzeug"}
# What each package may import of the others (besides itself and third-party libraries).
ALLOWED = {
    "core": set(),
    "catalogue": {"core"},
    "audit": {"core"},
    "accounts": {"core", "catalogue"},
    "inventory": {"core", "catalogue", "audit"},
    "devices": {"core", "catalogue", "inventory"},
    "payments": {"core", "catalogue"},
    "sales": {"core", "catalogue", "accounts", "audit", "inventory", "payments"},
    "kiosk_client": set(),
}
SERVER = {*ALLOWED, "kiosk_api"} - {"kiosk_client"}
PROVIDER_LIBRARIES = {"stripe", "wechatpayv3", "alipay"}
# The domain that books money knows providers only through payments.providers.base (and the bank
# transfer, which is ours): orders, ledgers and statements hold no provider-specific code.
PROVIDER_NEUTRAL = ("sales", "inventory", "catalogue")
PROVIDER_MODULES = ("stripe", "wechatpay", "alipay", "simulated")


def imported_packages(package: str) -> dict[str, set[str]]:
    """Top-level package of every absolute import in a package, with the files that import it."""
    found: dict[str, set[str]] = {}
    for path in (ROOT / package).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                found.setdefault(name.split(".")[0], set()).add(str(path.relative_to(ROOT)))
    return found


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_package_imports_only_what_it_may_depend_on(package: str) -> None:
    imports = imported_packages(package)
    refused = (SERVER | WEB | PROVIDER_LIBRARIES) - ALLOWED[package] - {package}
    if package == "payments":
        refused -= PROVIDER_LIBRARIES
    if package == "kiosk_client":
        refused -= WEB  # its touch screen is a small local web server of its own
    assert {name: sorted(files) for name, files in imports.items() if name in refused} == {}


def _code_strings(path: Path) -> list[str]:
    """The string constants of a module that are not docstrings."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    return [
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings
    ]


@pytest.mark.parametrize("package", PROVIDER_NEUTRAL)
def test_orders_ledgers_and_statements_hold_no_provider_specific_code(package: str) -> None:
    imports, named = [], []
    for path in (ROOT / package).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("payments.providers."):
                module = node.module.rsplit(".", 1)[1]  # type: ignore[union-attr]
                if module.startswith(PROVIDER_MODULES):
                    imports.append(f"{path.relative_to(ROOT)}: {node.module}")
        for text in _code_strings(path):
            if any(name in text.lower() for name in ("wechat", "alipay", "stripe")):
                named.append(f"{path.relative_to(ROOT)}: {text!r}")
    assert imports == [] and named == []
