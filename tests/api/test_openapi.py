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


def test_every_operation_lists_its_error_answers_and_no_catch_all(client) -> None:
    """kiosk_api/openapi_errors.py: the statuses around each view, each with the Error body."""
    spec = client.get("/api/v1/openapi.json").get_json()
    error = {"$ref": "#/components/schemas/Error"}
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method == "parameters":  # the path's own, not an operation
                continue
            responses = operation["responses"]
            assert "default" not in responses, f"{method} {path}"
            assert {"401", "422", "503"} <= set(responses), f"{method} {path}"
            if "{" in path:
                assert "404" in responses, f"{method} {path}"
            if "requestBody" in operation:
                assert {"400", "413"} <= set(responses), f"{method} {path}"
            for status, response in responses.items():
                if status[0] in "45" and "$ref" not in response:
                    assert response["content"]["application/json"]["schema"] == error, f"{method} {path}"
