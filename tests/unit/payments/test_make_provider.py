"""Choosing the provider from the configuration, and the provider boundary itself."""

from __future__ import annotations

import ast
import os
import re
from pathlib import Path

import pytest

from payments.providers import make_provider

ROOT = Path(__file__).resolve().parents[3]


def pay_url(token: str) -> str:
    return f"http://127.0.0.1:5000/pay/{token}"


def test_simulated_is_the_default() -> None:
    provider = make_provider({}, pay_url)
    assert provider.name == "simulated"
    assert make_provider({"PAYMENT_PROVIDER": " Simulated "}, pay_url).name == "simulated"


def test_stripe_is_built_from_the_configured_keys() -> None:
    config = {
        "PAYMENT_PROVIDER": "stripe",
        "STRIPE_SECRET_KEY": "sk_test_from_env",
        "STRIPE_WEBHOOK_SECRET": "whsec_from_env",
        "STRIPE_API_BASE": "http://127.0.0.1:8420",
    }
    assert make_provider(config, pay_url).name == "stripe"


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"PAYMENT_PROVIDER": "stripe"}, "STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET"),
        ({"PAYMENT_PROVIDER": "stripe", "STRIPE_SECRET_KEY": "sk_test_x"}, "STRIPE_WEBHOOK_SECRET"),
        ({"PAYMENT_PROVIDER": "paypal"}, "must be one of simulated, stripe"),
        ({"PAYMENT_PROVIDER": "wechatpay"}, "WECHATPAY_MCHID is required"),
        ({"PAYMENT_PROVIDER": "wechatpay", "WECHATPAY_APIV3_KEY": "short"}, "APIv3 key is 5 bytes"),
    ],
)
def test_bad_configuration_is_refused_with_a_reason(config: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        make_provider(config, pay_url)


def _python_files(*, outside: tuple[str, ...]) -> list[Path]:
    """The project's own Python files, leaving out the named top-level folders."""
    files = []
    for folder, dirs, names in os.walk(ROOT):
        at_top = Path(folder) == ROOT
        dirs[:] = [d for d in dirs if not d.startswith(".") and not (at_top and d in {"var", *outside})]
        files += [Path(folder, name) for name in names if name.endswith(".py")]
    return files


def test_only_payments_imports_stripe() -> None:
    offenders = []
    for path in _python_files(outside=("payments", "tests")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            if any(name == "stripe" or name.startswith("stripe.") for name in names):
                offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


def test_no_provider_key_is_written_in_the_code() -> None:
    key = re.compile(r"""["'](sk|rk|pk)_(live|test)_[A-Za-z0-9]{8,}|["']whsec_[A-Za-z0-9]{8,}""")
    found = [str(p.relative_to(ROOT)) for p in _python_files(outside=("tests",)) if key.search(p.read_text())]
    assert found == []
