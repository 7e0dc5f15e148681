"""Business time: deadlines counted in working hours, across weekends, holidays and clock
changes."""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import zoneinfo

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given, settings
from hypothesis import strategies as st

from cluetrain.inbox.business_hours import BusinessHours, InvalidBusinessHours
from cluetrain.inbox.models import ServiceLevel
from tests.conftest import Cast

LONDON = zoneinfo.ZoneInfo("Europe/London")
NEW_YORK = zoneinfo.ZoneInfo("America/New_York")


def _hours(**fields: object) -> BusinessHours:
    level = ServiceLevel(**{"time_zone": "Europe/London", **fields})
    return BusinessHours.of(level)


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0, zone=LONDON) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=zone)


OFFICE = _hours()
NIGHTS = _hours(day_starts=dt.time(22), day_ends=dt.time(6), working_days="1234567")
SHOP = _hours(working_days="123456", holidays="2025-12-24\n", holiday_country="GB")
NEW_YORK_OFFICE = _hours(time_zone="America/New_York", day_starts=dt.time(8, 30))


def test_friday_afternoon_plus_an_hour_is_monday_morning() -> None:
    # 2025-01-10 is a Friday.
    assert OFFICE.add(at(2025, 1, 10, 16, 30), 60) == at(2025, 1, 13, 9, 30)


def test_time_before_opening_starts_counting_at_opening() -> None:
    assert OFFICE.add(at(2025, 1, 13, 6, 0), 15) == at(2025, 1, 13, 9, 15)


def test_time_running_out_at_closing_is_closing_not_next_morning() -> None:
    assert OFFICE.add(at(2025, 1, 13, 16, 0), 60) == at(2025, 1, 13, 17, 0)


def test_a_working_day_is_eight_hours_on_the_spring_forward_day() -> None:
    # Clocks in London go forward at 01:00 on Sunday 2025-03-30; make Sunday a working day.
    every_day = _hours(working_days="1234567")
    start = at(2025, 3, 30, 9, 0)
    assert every_day.add(start, 8 * 60) == at(2025, 3, 30, 17, 0)
    assert every_day.between(at(2025, 3, 29, 12, 0), at(2025, 3, 30, 12, 0)) == 8 * 60


def test_overnight_shift_crosses_midnight_and_the_autumn_clock_change() -> None:
    # 22:00-06:00 every night; on the night of 2025-10-25/26 London gains an hour at 02:00.
    start = at(2025, 10, 25, 22, 0)
    assert NIGHTS.between(start, at(2025, 10, 26, 6, 0)) == 9 * 60
    assert NIGHTS.add(at(2025, 10, 26, 5, 0), 90) == at(2025, 10, 26, 22, 30)


def test_holidays_listed_and_of_the_country_are_skipped() -> None:
    # 2025-12-24 (listed), 25 and 26 (GB public holidays) are off; Saturday 27 works.
    assert SHOP.add(at(2025, 12, 23, 16, 0), 120) == at(2025, 12, 27, 10, 0)
    assert SHOP.between(at(2025, 12, 23, 17, 0), at(2025, 12, 27, 9, 0)) == 0


def test_around_the_clock_counts_every_minute() -> None:
    always = _hours(around_the_clock=True)
    start = at(2025, 1, 11, 23, 50)  # Saturday night
    assert always.add(start, 20) == at(2025, 1, 12, 0, 10)
    assert always.between(start, at(2025, 1, 12, 0, 10)) == 20


def test_hours_are_local_to_the_service_levels_time_zone() -> None:
    # 08:30 in New York is 13:30 UTC in January.
    start = dt.datetime(2025, 1, 13, 12, 0, tzinfo=dt.UTC)
    assert NEW_YORK_OFFICE.add(start, 30) == dt.datetime(2025, 1, 13, 14, 0, tzinfo=dt.UTC)


def test_negative_minutes_count_backwards() -> None:
    assert OFFICE.add(at(2025, 1, 13, 9, 30), -60) == at(2025, 1, 10, 16, 30)


def test_between_is_negative_when_the_end_comes_first() -> None:
    assert OFFICE.between(at(2025, 1, 13, 10), at(2025, 1, 13, 9)) == -60


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        OFFICE.add(dt.datetime(2025, 1, 13, 9), 10)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"time_zone": "Mars/Olympus_Mons"}, "not a known time zone"),
        ({"time_zone": "../../etc/passwd"}, "not a known time zone"),
        ({"working_days": "18"}, "ISO weekday"),
        ({"working_days": ""}, "at least one working day"),
        ({"holidays": "2025-02-30"}, "Line 1"),
        ({"holidays": "<script>alert(1)</script>"}, "not a date"),
        ({"holiday_country": "XX"}, "not a country"),
        ({"day_starts": dt.time(9), "day_ends": dt.time(9)}, "same time"),
    ],
)
def test_unusable_hours_are_refused_with_a_clear_reason(fields: dict, message: str) -> None:
    with pytest.raises(InvalidBusinessHours, match=message):
        _hours(**fields)


def test_an_unknown_time_zone_is_refused_on_save(cast: Cast) -> None:
    level = ServiceLevel(organization=cast.acme, time_zone="Europe/Atlantis")
    with pytest.raises(ValidationError, match="not a known time zone"):
        level.save()
    assert not ServiceLevel.objects.filter(organization=cast.acme).exists()


def test_a_weekend_without_working_days_never_ends() -> None:
    with pytest.raises(InvalidBusinessHours, match="no working time"):
        _hours(
            working_days="1",
            holidays="\n".join(
                (dt.date(2025, 1, 6) + dt.timedelta(weeks=w)).isoformat() for w in range(600)
            ),
        ).add(at(2025, 1, 6), 10)


# Moments in 2024-2026 with second precision, in London or New York.
moments = st.builds(
    lambda base, seconds, zone: (base + dt.timedelta(seconds=seconds)).astimezone(zone),
    st.just(dt.datetime(2024, 1, 1, tzinfo=dt.UTC)),
    st.integers(min_value=0, max_value=3 * 365 * 86400),
    st.sampled_from([LONDON, NEW_YORK, dt.UTC]),
)
calendars = st.sampled_from([OFFICE, NIGHTS, SHOP, NEW_YORK_OFFICE, _hours(around_the_clock=True)])


@settings(max_examples=300, deadline=None)
@given(calendars, moments, st.integers(min_value=0, max_value=20_000))
def test_between_a_start_and_its_deadline_is_the_minutes_added(
    hours: BusinessHours, start: dt.datetime, minutes: int
) -> None:
    due = hours.add(start, minutes)
    assert math.isclose(hours.between(start, due), minutes, abs_tol=1e-6)
    assert due >= start


@settings(max_examples=300, deadline=None)
@given(calendars, moments, st.integers(0, 5000), st.integers(0, 5000))
def test_adding_more_minutes_never_gives_an_earlier_deadline(
    hours: BusinessHours, start: dt.datetime, a: int, b: int
) -> None:
    small, large = sorted((a, b))
    assert hours.add(start, small) <= hours.add(start, large)


@settings(max_examples=200, deadline=None)
@given(calendars, moments, moments, moments)
def test_business_time_adds_up_over_consecutive_spans(
    hours: BusinessHours, a: dt.datetime, b: dt.datetime, c: dt.datetime
) -> None:
    a, b, c = sorted(moment.astimezone(dt.UTC) for moment in (a, b, c))
    whole = hours.between(a, c)
    assert math.isclose(whole, hours.between(a, b) + hours.between(b, c), abs_tol=1e-6)
    assert 0 <= whole <= (c - a).total_seconds() / 60 + 1e-6


@settings(max_examples=200, deadline=None)
@given(calendars, moments, st.integers(min_value=1, max_value=20_000))
def test_counting_back_undoes_counting_forward_from_working_time(
    hours: BusinessHours, start: dt.datetime, minutes: int
) -> None:
    due = hours.add(start, minutes)
    back = hours.add(due, -minutes)
    # Back lands on the same business instant: no business time lies between them.
    assert math.isclose(hours.between(min(back, start), max(back, start)), 0, abs_tol=1e-6)


@settings(max_examples=200, deadline=None)
@given(
    calendars,
    moments,
    st.lists(st.integers(min_value=-3 * 86400, max_value=3 * 86400), min_size=1, max_size=12),
    st.integers(min_value=0, max_value=5000),
)
def test_deadlines_of_many_nearby_starts_match_a_fresh_calendars(
    hours: BusinessHours, start: dt.datetime, steps: list[int], minutes: int
) -> None:
    # The calendar remembers the working interval it found last (messages come in time
    # order); whatever it remembers, each answer is the one a calendar that never counted
    # before gives.
    for seconds in steps:
        moment = start + dt.timedelta(seconds=seconds)
        fresh = dataclasses.replace(hours)
        assert hours.add(moment, minutes) == fresh.add(moment, minutes)
        if not hours.around_the_clock:
            # The plain walk over the working intervals, which remembers nothing.
            walked = hours._walk(moment.astimezone(dt.UTC), dt.timedelta(minutes=minutes))
            assert hours.add(moment, minutes) == walked


def test_a_start_in_the_quiet_time_counts_from_the_next_opening_however_late_in_it() -> None:
    # Friday 17:00 to Monday 09:00 is quiet time in the office: every start in it gives
    # Monday 09:00 plus the minutes.
    for start in (at(2025, 3, 7, 17, 30), at(2025, 3, 8, 12), at(2025, 3, 10, 8, 59)):
        assert OFFICE.add(start, 90) == at(2025, 3, 10, 10, 30)
    assert OFFICE.add(at(2025, 3, 10, 9, 30), 90) == at(2025, 3, 10, 11)
