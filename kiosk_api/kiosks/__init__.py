"""The kiosk registry: device keys, nonces and what heartbeats report."""
