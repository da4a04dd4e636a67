"""Background jobs (issue 12): expiry, refund retry, reconciliation, nonce pruning, kiosk alerts,
the nightly rollup check — each idempotent, committed batch by batch, and run by one server at a
time (locks.py). The schedule is registry.JOBS; scheduler.py runs it on APScheduler."""
