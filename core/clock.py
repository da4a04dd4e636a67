"""An injectable clock, so that expiry, validity and periods can be tested at any moment."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")


class Clock(Protocol):
    def now(self) -> datetime:
        """Return the current time, timezone-aware (UTC)."""
        ...


class SystemClock:
    """The real time."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    """A clock that stands still until moved; for tests."""

    def __init__(self, at: datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("FixedClock needs a timezone-aware datetime")
        self._at = at.astimezone(UTC)

    def now(self) -> datetime:
        return self._at

    def advance(self, **kwargs: float) -> None:
        self._at += timedelta(**kwargs)

    def set(self, at: datetime) -> None:
        self._at = at.astimezone(UTC)


def local_minute(at: datetime) -> str:
    """A moment as China reads it, to the minute: 2026-11-26 15:00 (Asia/Shanghai; label it)."""
    return at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")


def local_date(at: datetime) -> date:
    """Return the calendar date in Asia/Shanghai of an aware datetime: business days are China's."""
    return at.astimezone(SHANGHAI).date()
