"""Shared ground: database base and sessions, money, clock, ids and domain errors."""
