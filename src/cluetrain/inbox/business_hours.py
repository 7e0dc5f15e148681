"""Business time: deadlines counted in the hours an organisation is at work.

A service level promises "an answer within 60 minutes" of *business* time: minutes inside the
working day, on working days that are not holidays, in the organisation's own time zone. Each
working day is one interval of real (elapsed) time, from the local start of the day to its
local end, converted to UTC through ``zoneinfo``; so a day of 09:00-17:00 lasts eight hours on
the day clocks change too, and all sums are over real minutes. A day that ends at or before it
starts runs overnight (22:00-06:00 belongs to the day it starts on).

A local time that does not exist (inside a spring-forward gap) is read with the offset before
the change, and an ambiguous one (repeated in the autumn) as its first occurrence: Python's
``fold=0``. A working interval that this turns inside out is treated as empty.
"""

from __future__ import annotations

import datetime as dt
import functools
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import holidays as holiday_calendars

if TYPE_CHECKING:
    from cluetrain.inbox.models import ServiceLevel

UTC = dt.UTC
_DAY = dt.timedelta(days=1)
# How far to look for the next working day before deciding there is none (every day a
# holiday, say): ten years of days.
_HORIZON_DAYS = 3660


class InvalidBusinessHours(ValueError):
    """Business hours that cannot be used, with a message written for the person setting
    them."""


def parse_time_zone(name: str) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, TypeError) as exc:
        raise InvalidBusinessHours(
            f"{name!r} is not a known time zone; use a name such as Europe/London."
        ) from exc


def parse_working_days(value: str) -> frozenset[int]:
    days = set()
    for char in value.replace(",", "").replace(" ", ""):
        if char not in "1234567":
            raise InvalidBusinessHours(
                f"Working days are ISO weekday numbers 1 (Monday) to 7 (Sunday), not {char!r}."
            )
        days.add(int(char))
    return frozenset(days)


def parse_holidays(text: str) -> frozenset[dt.date]:
    dates = set()
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        try:
            dates.add(dt.date.fromisoformat(line))
        except ValueError as exc:
            raise InvalidBusinessHours(
                f"Line {number} of the holidays, {line[:40]!r}, is not a date like 2025-12-25."
            ) from exc
    return frozenset(dates)


def country_calendar(code: str) -> Any:
    """The public holidays of a country ("GB") or one of its parts ("GB-SCT")."""
    country, _, subdivision = code.strip().upper().partition("-")
    try:
        return holiday_calendars.country_holidays(country, subdiv=subdivision or None)
    except NotImplementedError as exc:
        raise InvalidBusinessHours(
            f"{code!r} is not a country whose public holidays are known; use a code such as "
            "GB, DE, US or GB-SCT."
        ) from exc


@dataclass(frozen=True)
class BusinessHours:
    """The working time of one service level; ``add`` and ``between`` count in it."""

    zone: zoneinfo.ZoneInfo
    working_days: frozenset[int]
    day_starts: dt.time
    day_ends: dt.time
    holidays: frozenset[dt.date] = frozenset()
    country: Any = None
    around_the_clock: bool = False
    # The working interval found last and the quiet time before it: (quiet from, begin, end).
    # Messages arrive in time order, so most clocks start in the same window as the last one.
    _window: tuple[dt.datetime, dt.datetime, dt.datetime] | None = field(
        default=None, init=False, compare=False, repr=False
    )

    def __post_init__(self) -> None:
        if self.around_the_clock:
            return
        if not self.working_days:
            raise InvalidBusinessHours("Choose at least one working day, or count every hour.")
        if self.day_starts == self.day_ends:
            raise InvalidBusinessHours(
                "The working day starts and ends at the same time; to count every hour, "
                "choose around the clock."
            )

    @classmethod
    def of(cls, level: ServiceLevel) -> BusinessHours:
        """The business hours of a service level (raises ``InvalidBusinessHours``)."""
        return cls(
            zone=parse_time_zone(level.time_zone),
            working_days=parse_working_days(level.working_days),
            day_starts=level.day_starts,
            day_ends=level.day_ends,
            holidays=parse_holidays(level.holidays),
            country=country_calendar(level.holiday_country) if level.holiday_country else None,
            around_the_clock=level.around_the_clock,
        )

    @classmethod
    def always(cls) -> BusinessHours:
        return cls(
            zone=zoneinfo.ZoneInfo("UTC"),
            working_days=frozenset(range(1, 8)),
            day_starts=dt.time(0),
            day_ends=dt.time(0),
            around_the_clock=True,
        )

    # Dataclass equality would compare the holiday calendar object; identity is enough for the
    # per-day cache below.
    __hash__ = object.__hash__

    def is_day_off(self, day: dt.date) -> bool:
        if day.isoweekday() not in self.working_days or day in self.holidays:
            return True
        return self.country is not None and day in self.country

    @functools.lru_cache(maxsize=4096)  # noqa: B019 - instances live as long as their policy
    def interval(self, day: dt.date) -> tuple[dt.datetime, dt.datetime] | None:
        """The working interval (UTC) that starts on local ``day``, or None on a day off."""
        if self.is_day_off(day):
            return None
        start = dt.datetime.combine(day, self.day_starts, self.zone).astimezone(UTC)
        end_day = day if self.day_ends > self.day_starts else day + _DAY
        end = dt.datetime.combine(end_day, self.day_ends, self.zone).astimezone(UTC)
        return (start, end) if end > start else None

    def _intervals(self, moment: dt.datetime, backwards: bool = False) -> Iterable[tuple]:
        """Working intervals from the one around ``moment`` on, in time order (or reverse)."""
        local_day = moment.astimezone(self.zone).date()
        # An overnight interval that covers ``moment`` began on the day before.
        day = local_day + _DAY if backwards else local_day - _DAY
        step = -_DAY if backwards else _DAY
        for _ in range(_HORIZON_DAYS):
            found = self.interval(day)
            if found is not None:
                yield found
            day += step
        raise InvalidBusinessHours("These business hours have no working time in ten years.")

    def add(self, start: dt.datetime, minutes: float) -> dt.datetime:
        """The moment (in UTC) ``minutes`` of business time after ``start`` (before it, if
        negative).

        When the time runs out exactly at the end of a working day, that end is the answer,
        not the start of the next day.
        """
        start = _utc(start)
        if self.around_the_clock:
            return start + dt.timedelta(minutes=minutes)
        if minutes < 0:
            return self._subtract(start, -minutes)
        left = dt.timedelta(minutes=minutes)
        window = self._window
        if window is None or not window[0] <= start < window[2]:
            window = self._locate(start)
        _, begin, end = window
        cursor = max(begin, start)
        if cursor + left <= end:
            return cursor + left
        if start <= begin:
            # From anywhere in the quiet time before a working interval, the count starts
            # when the interval does: the same answer for every such start.
            return self._add_from(begin, minutes)
        return self._walk(start, left)

    def _locate(self, moment: dt.datetime) -> tuple[dt.datetime, dt.datetime, dt.datetime]:
        """The first working interval that ends after ``moment``, with the quiet time before
        it (from the end of the interval before, when that is at or before ``moment``)."""
        quiet_from = moment
        for begin, end in self._intervals(moment):
            if end <= moment:
                quiet_from = end
                continue
            window = (min(quiet_from, begin), begin, end)
            object.__setattr__(self, "_window", window)
            return window
        raise AssertionError("unreachable")  # pragma: no cover - _intervals raises first

    @functools.lru_cache(maxsize=4096)  # noqa: B019 - instances live as long as their policy
    def _add_from(self, begin: dt.datetime, minutes: float) -> dt.datetime:
        return self._walk(begin, dt.timedelta(minutes=minutes))

    def _walk(self, start: dt.datetime, left: dt.timedelta) -> dt.datetime:
        cursor = start
        for begin, end in self._intervals(start):
            if end <= cursor:
                continue
            begin = max(begin, cursor)
            if begin + left <= end:
                return begin + left
            left -= end - begin
            cursor = end
        raise AssertionError("unreachable")  # pragma: no cover - _intervals raises first

    def _subtract(self, end_at: dt.datetime, minutes: float) -> dt.datetime:
        left = dt.timedelta(minutes=minutes)
        if not left:
            return end_at
        cursor = end_at
        for begin, end in self._intervals(end_at, backwards=True):
            if begin >= cursor:
                continue
            end = min(end, cursor)
            if end - left >= begin:
                return end - left
            left -= end - begin
            cursor = begin
        raise AssertionError("unreachable")  # pragma: no cover

    def between(self, a: dt.datetime, b: dt.datetime) -> float:
        """Minutes of business time from ``a`` to ``b`` (negative when ``b`` is earlier)."""
        a, b = _utc(a), _utc(b)
        if b < a:
            return -self.between(b, a)
        if self.around_the_clock:
            return (b - a).total_seconds() / 60
        total = dt.timedelta()
        for begin, end in self._intervals(a):
            if begin >= b:
                break
            if end <= a:
                continue
            total += min(end, b) - max(begin, a)
        return total.total_seconds() / 60

    def is_open(self, moment: dt.datetime) -> bool:
        """Whether ``moment`` falls inside working time."""
        moment = _utc(moment)
        if self.around_the_clock:
            return True
        for begin, end in self._intervals(moment):
            if begin > moment:
                return False
            if begin <= moment < end:
                return True
        return False  # pragma: no cover


def _utc(moment: dt.datetime) -> dt.datetime:
    # In UTC, because Python subtracts two datetimes of the same zone as wall-clock times,
    # which is an hour off across a clock change.
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("Business hours count only timezone-aware datetimes.")
    return moment.astimezone(UTC)


def check(level: ServiceLevel) -> None:
    """Raise ``InvalidBusinessHours`` unless the service level's hours can be used."""
    BusinessHours.of(level)
