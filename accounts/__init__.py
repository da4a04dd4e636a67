"""User accounts, their roles and API tokens (the rows; signing in and HTTP live in kiosk_api.auth)."""
