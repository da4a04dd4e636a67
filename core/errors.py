"""Domain errors. Each carries a stable machine code; kiosk_api maps the class to an HTTP status."""

from __future__ import annotations


class DomainError(Exception):
    """Base of every error a service raises on purpose."""

    code = "domain_error"

    def __init__(self, message: str, *, code: str | None = None, fields: dict[str, str] | None = None):
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.fields = fields or {}


class InvalidInput(DomainError):
    """The request is well formed but breaks a rule of the domain (bad check digit, unknown county)."""

    code = "invalid_input"


class NotFound(DomainError):
    """The thing does not exist, or the caller may not see it."""

    code = "not_found"


class Conflict(DomainError):
    """The request conflicts with the current state (duplicate, illegal transition, no stock)."""

    code = "conflict"


class PermissionDenied(DomainError):
    """The caller is known but its role does not allow this."""

    code = "forbidden"


class Unauthenticated(DomainError):
    """The caller could not be identified."""

    code = "unauthenticated"
