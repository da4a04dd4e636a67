"""Locations, lots with expiry, the append-only stock ledger, reservations, pick lists and alerts."""
