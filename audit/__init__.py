"""The append-only audit log: who changed what, from what to what, and when."""
