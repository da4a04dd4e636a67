"""schemathesis against the live app: every operation of /api/v1/openapi.json, on SQLite and
PostgreSQL, answers no 5xx and nothing off its documented status codes, content types and schemas.

Each operation gets `--max-examples` examples (default 5, FUZZ_MAX_EXAMPLES) of positive and
negative input, in the test's rolled-back transaction over the demo data. Device operations are
signed with a provisioned demo kiosk's key exactly as a cabinet signs them; the others carry a
staff member's bearer token, so that they reach their handlers rather than stop at 401."""

from __future__ import annotations

import io
from typing import Any

import requests
import schemathesis
from hypothesis import HealthCheck, settings
from requests_http_signature import algorithms
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from kiosk_api import create_app
from tests.api.kiosk.conftest import SECRET_KEY, ClockedSignatureAuth, SignedKiosk
from tests.fuzz.conftest import BUDGET, SCHEMATHESIS_CONFIG

CHECKS = [
    schemathesis.checks.not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
BASE_URL = "http://localhost"
OPENAPI_PATH = "/api/v1/openapi.json"
DEVICE_PREFIX = "/api/v1/kiosk/"
# Operations an open-door cabinet calls; every other device operation is a vend cabinet's.
OPEN_DOOR_PATHS = ("/api/v1/kiosk/door-sessions", "/api/v1/kiosk/orders/{order_id}/door-closed")
# The role whose token a staff operation gets: an operator runs everything but the audit log.
ROLE_OF_PATH = {"/api/v1/audit": "admin"}


def _openapi_document() -> dict[str, Any]:
    """The app's OpenAPI document (the same for every configuration; test_fuzzed_document_is_the_apps)."""
    config = {"DATABASE_URL": "sqlite://", "TESTING": True, "SECRET_KEY": SECRET_KEY, "REQUEST_LOG": "off"}
    app = create_app(config)
    return app.test_client().get(OPENAPI_PATH).get_json()


# Loaded once, at import: schemathesis makes one test per operation of it, and pytest runs each on
# both databases (the `backend` fixture's parameters), in a transaction of its own, spread over the
# xdist workers. (schemathesis.pytest.from_fixture, which would load it from the `app` fixture, fails
# on pytest 9.2: it sets `request.node._nodeid`, which pytest 9.2 no longer has.)
schema = schemathesis.openapi.from_dict(
    _openapi_document(), config=schemathesis.Config.from_dict(SCHEMATHESIS_CONFIG)
)


def test_fuzzed_document_is_the_apps(client) -> None:  # type: ignore[no-untyped-def]
    """The document fuzzed is the one the live app (the tests' database, clock and limits) serves."""
    assert client.get(OPENAPI_PATH).get_json() == schema.raw_schema


def _prepared(case: Any) -> requests.PreparedRequest:
    """The case as the HTTP request schemathesis would send (method, URL, query, headers, body)."""
    return requests.Request(**case.as_transport_kwargs(base_url=BASE_URL)).prepare()


def _signed_by(case: Any, kiosks: dict[str, SignedKiosk]) -> SignedKiosk | None:
    if not case.path.startswith(DEVICE_PREFIX):
        return None
    return kiosks["open_door" if case.path in OPEN_DOOR_PATHS else "vend"]


@settings(
    max_examples=BUDGET["max_examples"],
    derandomize=BUDGET["derandomize"],
    deadline=None,  # two busy shared cores: timing says nothing here
    database=None,
    # The app and its transaction are the test's, shared by its examples (function_scoped_fixture);
    # generating a body from a large schema is slow on a busy machine, not a defect (too_slow);
    # a large schema's examples may be filtered often (filter_too_much, data_too_large).
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
        HealthCheck.data_too_large,
    ],
)
@schema.parametrize()
def test_operation_conforms_to_its_openapi_document(case, client, kiosks, auth) -> None:  # type: ignore[no-untyped-def]
    """No 5xx, and status, content type and body as the OpenAPI document says."""
    prepared = _prepared(case)
    kiosk = _signed_by(case, kiosks)
    if kiosk is not None:
        prepared = sign_as(kiosk, prepared)
    else:
        prepared.headers.update(auth(ROLE_OF_PATH.get(case.path, "operator")))
    body = prepared.body or b""
    response = client.open(
        prepared.url,
        method=prepared.method,
        # The bytes as prepared (and signed): given as `data`, werkzeug's test client would build a
        # multipart body of its own for a multipart Content-Type, which the signature does not cover.
        input_stream=io.BytesIO(body.encode() if isinstance(body, str) else body),
        headers=dict(prepared.headers),
    )
    case.validate_response(response, checks=CHECKS, headers=dict(prepared.headers))
    # Every request is correctly signed or carries a valid token: a 401 means the server refused a
    # caller it should accept (as it once did a signed path with é or %3A), or the run reaches no handler.
    assert response.status_code != 401, response.get_json()


def sign_as(kiosk: SignedKiosk, prepared: requests.PreparedRequest) -> requests.PreparedRequest:
    """Sign the request with the kiosk's key, exactly as SignedKiosk.signed() does."""
    auth = ClockedSignatureAuth(
        clock=kiosk.clock,
        signature_algorithm=algorithms.HMAC_SHA256,
        key=kiosk.secret,
        key_id=kiosk.key_id,
        use_nonce=True,
    )
    return auth(prepared)
