"""The error answers each API operation can give, documented in one place for every operation.

The views document what is theirs (a 409 of their own rule, the 429 of their rate limit); the
answers that come from the layers around every view are added here, for each operation that can
meet them: the request check (kiosk_api/input_limits.py), the caller check (auth/http.py,
auth/device_http.py), the URL map, the schemas and the unit of work (database.py, errors.py). All
carry the `{"error": {...}}` body (schemas/base.py ErrorSchema). Nothing is a catch-all `default`:
an answer not listed for an operation is a defect the fuzz run (tests/fuzz) reports."""

from __future__ import annotations

from typing import Any

from apispec import BasePlugin

ERROR_BODY = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
WRITE_METHODS = frozenset({"post", "put", "patch", "delete"})


def _answers(path: str, method: str, operation: dict[str, Any]) -> dict[int, str]:
    """Status → description of the answers around the view that this operation can give."""
    answers = {
        401: "bad_authorization / invalid_token: a bad bearer token is refused on any request",
        422: "invalid_input: a NUL byte or lone surrogate in the query string, or parameters refused",
        503: "database_unavailable or busy: the database cannot serve now; try again later",
    }
    schemes = {name for requirement in operation.get("security", ()) for name in requirement}
    if "bearerAuth" in schemes or "sessionCookie" in schemes:
        answers[401] = "Not signed in, an unknown token, or a write from a browser without X-CSRFToken"
        answers[403] = "The caller's role may not do this"
    if "httpMessageSignature" in schemes:
        answers[401] = "Missing, wrong, stale or replayed signature"
        answers[503] = (
            "database_unavailable, busy, or replay_check_unavailable (the nonce store is away): "
            "send again later with a fresh signature"
        )
    if "{" in path:
        answers[404] = "Not found, or not the caller's to see"
    if "requestBody" in operation:
        answers[400] = "bad_request: the body is not JSON, or nests too deep"
        answers[413] = "The body is larger than the server accepts"
        answers[422] = "invalid_input: the body or parameters fail their schema; fields name each problem"
    if method in WRITE_METHODS:
        answers[409] = "conflict: the change conflicts with data written meanwhile"
    return answers


class ErrorResponsesPlugin(BasePlugin):
    """apispec plugin: every operation lists the error answers it can give, each with the Error body."""

    def operation_helper(
        self, path: str | None = None, operations: dict[str, Any] | None = None, **kwargs: Any
    ) -> None:
        for method, operation in (operations or {}).items():
            responses: dict[Any, Any] = operation.setdefault("responses", {})
            documented = {str(code) for code in responses}
            for status, description in _answers(path or "", method, operation).items():
                if str(status) not in documented:
                    responses[status] = {"description": description, "content": ERROR_BODY}
            for code, response in responses.items():
                # An error the view documented with a description only still carries the Error body.
                if str(code)[0] in "45" and isinstance(response, dict) and "content" not in response:
                    response["content"] = ERROR_BODY
