"""Limits every request meets before a view runs: body size, JSON depth, NUL bytes, path ids.

Schemas bound each field (kiosk_api/schemas/base.py); this module bounds what reaches no schema:
the body as a whole, the query strings and forms the pages read themselves, and URL path parts,
so that no input can reach the database as a value its column cannot hold."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from flask import Flask, abort, request
from werkzeug.exceptions import NotFound
from werkzeug.routing import IntegerConverter, UnicodeConverter

from kiosk_api.errors import error_response

INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1

# A whole request (a bulk sheet upload is the largest: 1 MB of file and its form around it).
MAX_CONTENT_LENGTH = 2 * 1024 * 1024
# A JSON body: the largest real one, a bulk order of 500 lines, is some 30 KB.
MAX_JSON_BYTES = 256 * 1024
# Nesting of a JSON body: the deepest real one (a bulk order's lines) is 3.
MAX_JSON_DEPTH = 32

_BAD_TEXT = re.compile("[\x00\ud800-\udfff]")
_STRING_OUT = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKETS = re.compile(rb"[\[\]{}]")
_INT_TEXT = re.compile(r"-?[0-9]{1,12}")


def bad_text(value: str) -> str | None:
    """Why a string cannot be stored as text (a NUL byte, a lone surrogate), or None."""
    found = _BAD_TEXT.search(value)
    if found is None:
        return None
    return (
        "must not contain NUL bytes"
        if found.group() == "\x00"
        else "must be valid Unicode (a lone surrogate)"
    )


def json_too_deep(data: bytes, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether a JSON text nests arrays and objects deeper than `limit`, found without recursion."""
    if data.count(b"[") + data.count(b"{") <= limit:
        return False  # the common case: too few brackets to be deep at all
    depth = 0
    for bracket in _BRACKETS.finditer(_STRING_OUT.sub(b'""', data)):
        if bracket.group() in (b"[", b"{"):
            depth += 1
            if depth > limit:
                return True
        else:
            depth -= 1
    return False


def int_within(low: int, high: int) -> Callable[[str], int]:
    """A `type=` for `request.args.get` / `request.form.get`: ASCII digits within [low, high], else
    ValueError (werkzeug then returns the default), so a page's own ints stay in their columns."""

    def parse(text: str) -> int:
        if not _INT_TEXT.fullmatch(text.strip()):
            raise ValueError("not a whole number")
        value = int(text)
        if not low <= value <= high:
            raise ValueError(f"not within {low}…{high}")
        return value

    return parse


row_id = int_within(1, INT32_MAX)
year_arg = int_within(2000, 2100)


class IdConverter(IntegerConverter):
    """`<int:…>` bounded to the 32-bit id columns: a larger number is no row (404), not a 500.

    Answered 404 from here rather than by not matching: a path that does not match its own rule
    would go on to another rule of the same path with other methods and answer 405."""

    def to_python(self, value: str) -> int:
        number = super().to_python(value)
        if number > INT32_MAX:
            raise NotFound("no such id")
        return number


class TextConverter(UnicodeConverter):
    """`<string:…>` (and the default) without NUL bytes, which no text column holds."""

    def __init__(
        self, map: Any, minlength: int = 1, maxlength: int | None = None, length: int | None = None
    ) -> None:
        super().__init__(map, minlength=minlength, maxlength=maxlength, length=length)
        self.regex = self.regex.replace("[^/]", "[^/\x00]")


def _check_request() -> Any:
    if request.is_json:
        request.max_content_length = min(request.max_content_length or MAX_JSON_BYTES, MAX_JSON_BYTES)
    limit = request.max_content_length
    if request.content_length is not None and limit is not None and request.content_length > limit:
        abort(413)  # at once; a body sent without a length is cut off at the limit as it is read
    fields: dict[str, str] = {}
    sources = [request.args]
    if request.method in ("POST", "PUT", "PATCH"):
        if request.mimetype == "application/x-www-form-urlencoded":
            # Keep the raw bytes for whoever verifies a signature over them (Alipay's notifications);
            # the form below is then parsed from that copy.
            request.get_data(cache=True)
        sources.append(request.form)  # parses only form bodies (a JSON one stays unread here)
    for source in sources:
        for key, values in source.lists():
            for value in (key, *values):
                why = bad_text(value)
                if why:
                    fields["_schema" if bad_text(key) else key] = why
    if fields:
        return error_response(422, "invalid_input", "invalid input", fields)
    if request.is_json and json_too_deep(request.get_data(cache=True)):
        # Refused before any parser recurses into it (the stdlib's would raise RecursionError).
        return error_response(400, "bad_request", f"the JSON body nests deeper than {MAX_JSON_DEPTH} levels")
    return None


def init_app(app: Flask) -> None:
    """Bound path ids and text, the body's size, and check each request before any other hook."""
    if app.config.get("MAX_CONTENT_LENGTH") is None:  # Flask's default is None: no limit at all
        app.config["MAX_CONTENT_LENGTH"] = MAX_CONTENT_LENGTH
    # Before any blueprint is registered: rules take their converters when they are added.
    app.url_map.converters["int"] = IdConverter
    app.url_map.converters["string"] = TextConverter
    app.url_map.converters["default"] = TextConverter
    app.before_request(_check_request)
