"""Checking a printed certificate of consumption assistance: its QR code opens this page.

Registered at /verify/certificate/<hash> so as not to clash with the monthly statements' /verify/<hash>.
"""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, render_template

from core.errors import NotFound
from kiosk_api.database import get_session
from kiosk_api.storefront.helpers import resolve_page_user
from sales.certificates import find_certificate, still_matches_ledger
from sales.org_models import ORG_KINDS

verify = Blueprint("verify_certificate", __name__, template_folder="templates")
verify.before_request(resolve_page_user)
_HASH = re.compile(r"^[0-9a-fA-F]{64}$")


@verify.get("/verify/certificate/<string:digest>")
def certificate(digest: str) -> Any:
    """Show the figures of the certificate with this hash, as the server holds them."""
    session = get_session()
    try:
        if not _HASH.match(digest):
            raise NotFound("malformed code")
        found = find_certificate(session, digest)
    except NotFound:
        return render_template("storefront/verify_certificate.html", certificate=None, digest=digest), 404
    return render_template(
        "storefront/verify_certificate.html",
        certificate=found,
        figures=found.figures,
        kind=ORG_KINDS[found.figures["organization"]["kind"]],
        current=still_matches_ledger(session, found),
        digest=digest,
    )
