"""Kiosk devices: a cabinet's signing key, its reported state and the nonces it has used."""
