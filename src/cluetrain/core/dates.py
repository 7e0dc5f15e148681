"""Calendar arithmetic shared by every app that reads in months: an organisation's "today",
month ends, and shifting by whole months (the standard library has no month arithmetic)."""

from __future__ import annotations

import zoneinfo
from datetime import date, datetime, timedelta

from django.utils import timezone


def local_today(time_zone: str, now: datetime | None = None) -> date:
    """Today's date in ``time_zone`` (an organisation's day ends at its own midnight)."""
    return (now or timezone.now()).astimezone(zoneinfo.ZoneInfo(time_zone)).date()


def shift_months(day: date, months: int) -> date:
    """The first day of the month ``months`` away from ``day``'s month (negative: earlier)."""
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def next_month(day: date) -> date:
    """The first day of the month after ``day``'s."""
    return shift_months(day, 1)


def month_end(day: date) -> date:
    """The last day of ``day``'s month."""
    return next_month(day) - timedelta(days=1)


def quarter_start(day: date) -> date:
    """The first day of ``day``'s calendar quarter."""
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def months_between(earlier: date, later: date) -> int:
    """Whole calendar months from ``earlier``'s month to ``later``'s (same month: 0)."""
    return (later.year - earlier.year) * 12 + later.month - earlier.month
