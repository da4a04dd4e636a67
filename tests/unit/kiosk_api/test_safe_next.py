"""safe_next keeps paths on this site and answers anything else with the default."""

import pytest

from kiosk_api.redirects import safe_next


@pytest.mark.parametrize(
    "target",
    [
        None,
        "",
        "//evil.example",
        "/\t/evil.example",
        "/\\evil.example",
        "https://evil.example",
        "javascript:alert(1)",
        "data:text/html,x",
        "/\nSet-Cookie:x",
        "/a\u2028b",
        "/a b",
        "evil",
        "/" * 3000,
    ],
)
def test_anything_but_a_path_here_is_the_default(target: str | None) -> None:
    assert safe_next(target, "/home") == "/home"


@pytest.mark.parametrize("target", ["/", "/console/orders?page=2", "/shop/products/7#story", "/verify/ab:cd"])
def test_a_path_here_is_kept(target: str) -> None:
    assert safe_next(target, "/home") == target
