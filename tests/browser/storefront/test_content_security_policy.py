"""The Content-Security-Policy breaks no page (issue 13): Chromium reports no violation on the
shop, the sign-in page or the operator's console pages, signed in as the operator."""

from __future__ import annotations

from typing import Any

from tests.browser.storefront.conftest import sign_in, url

# Chromium fires `securitypolicyviolation` for every blocked script, style, image, frame or form.
RECORD_VIOLATIONS = """
window.__violations = [];
document.addEventListener('securitypolicyviolation', (e) => {
  const where = `${e.sourceFile}:${e.lineNumber}`;
  window.__violations.push(`${e.violatedDirective} ${e.blockedURI || 'inline'} at ${where}`);
});
"""

PAGES = (
    "/",
    "/shop",
    "/shop/cart",
    "/operator/orgs",
    "/console/",
    "/console/orders",
    "/console/kiosks",
    "/console/inventory",
    "/console/ledger",
    "/console/statements",
    "/console/reconciliation",
    "/console/audit/money",
)


def test_no_page_breaks_the_content_security_policy(page: Any, live_server: Any) -> None:
    page.add_init_script(RECORD_VIOLATIONS)
    messages: list[str] = []
    page.on("console", lambda m: messages.append(m.text) if "Content Security Policy" in m.text else None)
    sign_in(page, live_server, "demo-operator", "operator", next_path="/console/")
    seen: dict[str, list[str]] = {}
    for path in PAGES:
        response = page.goto(url(live_server, path))
        assert response is not None and response.status == 200, path
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"], path
        page.wait_for_load_state("load")
        seen[path] = page.evaluate("window.__violations")
    assert {path: found for path, found in seen.items() if found} == {}
    assert messages == []
