"""The append-only audit log: who changed what, from what to what, and when.

Importing the package installs the recorder (audit/recorder.py) on every SQLAlchemy session."""

from audit import recorder  # noqa: F401  (installs the listeners)
