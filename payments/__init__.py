"""Payment and refund records, webhook events and the providers: stripe, simulated, bank transfer."""
