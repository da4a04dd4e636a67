"""Orders, organizations, the revenue ledger and statements."""
