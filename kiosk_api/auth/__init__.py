"""Signing in: password login, bearer tokens and kiosk device signatures, over accounts."""
