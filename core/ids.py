"""Identifiers and secrets."""

import hashlib
import secrets


def new_token(nbytes: int = 32) -> str:
    """Return an unguessable URL-safe token."""
    return secrets.token_urlsafe(nbytes)


def sha256_hex(value: str) -> str:
    """Return the hex SHA-256 of a string, for storing tokens without storing them."""
    return hashlib.sha256(value.encode()).hexdigest()
