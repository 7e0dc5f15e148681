"""Month arithmetic and an organisation's today, at the edges where hand-written versions slip."""

from datetime import UTC, date, datetime

from cluetrain.core.dates import (
    local_today,
    month_end,
    months_between,
    next_month,
    quarter_start,
    shift_months,
)


def test_month_end_knows_leap_years_and_december() -> None:
    assert month_end(date(2028, 2, 10)) == date(2028, 2, 29)
    assert month_end(date(2027, 2, 1)) == date(2027, 2, 28)
    assert month_end(date(2026, 12, 31)) == date(2026, 12, 31)


def test_shifting_months_crosses_years_both_ways() -> None:
    assert shift_months(date(2026, 11, 30), 3) == date(2027, 2, 1)
    assert shift_months(date(2026, 1, 31), -1) == date(2025, 12, 1)
    assert shift_months(date(2026, 5, 15), -17) == date(2024, 12, 1)
    assert next_month(date(2026, 12, 5)) == date(2027, 1, 1)


def test_quarters_and_months_between() -> None:
    assert quarter_start(date(2026, 12, 2)) == date(2026, 10, 1)
    assert quarter_start(date(2026, 3, 31)) == date(2026, 1, 1)
    assert months_between(date(2025, 11, 30), date(2026, 2, 1)) == 3
    assert months_between(date(2026, 2, 1), date(2026, 2, 28)) == 0


def test_today_is_the_organisations_own_day() -> None:
    # 23:30 in London on 31 December is already New Year's Day in Auckland.
    moment = datetime(2026, 12, 31, 23, 30, tzinfo=UTC)
    assert local_today("Europe/London", moment) == date(2026, 12, 31)
    assert local_today("Pacific/Auckland", moment) == date(2027, 1, 1)
    assert local_today("America/Los_Angeles", moment) == date(2026, 12, 31)
