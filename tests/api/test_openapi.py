"""The OpenAPI document is valid OpenAPI 3 and lists every API endpoint."""

import re

from openapi_spec_validator import validate


def test_openapi_document_is_valid(client) -> None:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    validate(response.get_json())


def test_every_api_route_is_documented(app, client) -> None:
    spec = client.get("/api/v1/openapi.json").get_json()
    documented = {(path, method.upper()) for path, item in spec["paths"].items() for method in item}
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/") or rule.rule == "/api/v1/openapi.json":
            continue
        path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert (path, method) in documented, f"{method} {path} is not in the OpenAPI document"


def test_write_operations_declare_security_and_errors(client) -> None:
    spec = client.get("/api/v1/openapi.json").get_json()
    post = spec["paths"]["/api/v1/products"]["post"]
    assert {"bearerAuth": []} in post["security"]
    assert {"401", "403", "422"} <= set(post["responses"])
    assert spec["components"]["schemas"]["Error"]["properties"]["error"]
