"""Dependencies point one way (kiosk_api → sales → inventory, payments → catalogue → core): domain
packages import no Flask and no kiosk_api, only payments imports stripe and wechatpayv3, and the kiosk program
imports nothing of the server."""

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
PROVIDER_LIBRARIES = {"stripe", "wechatpayv3"}


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
