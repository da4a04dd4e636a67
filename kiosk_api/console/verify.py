"""/verify/<hash>: the page a statement's QR code opens, for anyone holding the printout."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, redirect, render_template, url_for

from kiosk_api.database import get_session
from sales.certificates import CertificateNotFound, find_certificate
from sales.statements import issue as service
from sales.statements import labels

verify = Blueprint("verify", __name__, template_folder="templates")


@verify.get("/verify/<string:digest>")
def verify_statement(digest: str) -> Any:
    """Show the issued figures a hash belongs to, or say plainly that the document is not genuine."""
    session = get_session()
    statement = service.verify(session, digest.lower())
    if statement is None and _is_certificate(session, digest.lower()):
        # One /verify/<hash> for every printed document: certificates have their own page.
        return redirect(url_for("verify_certificate.certificate", digest=digest.lower()))
    status = 200 if statement is not None else 404
    return render_template("console/verify.html", statement=statement, digest=digest, labels=labels), status


def _is_certificate(session: Any, digest: str) -> bool:
    try:
        find_certificate(session, digest)
    except CertificateNotFound:
        return False
    return True
