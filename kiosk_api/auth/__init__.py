"""Users, roles, password login and bearer tokens."""
