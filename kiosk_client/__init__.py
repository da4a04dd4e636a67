"""The kiosk program: touch UI, agent with offline outbox, hardware drivers. Speaks HTTP only."""
