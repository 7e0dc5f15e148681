"""Scheduling in people's time zones, across daylight-saving changes, and voices' queues."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cluetrain.core.errors import ServiceError
from cluetrain.publishing import scheduling
from cluetrain.publishing.drafts import Draft
from cluetrain.publishing.models import PostStatus
from cluetrain.publishing.queues import do_set_queue
from cluetrain.publishing.scheduling import Schedule, When, next_free_slot, slot_times, to_utc
from cluetrain.publishing.services import do_create_post
from tests.conftest import Cast


def test_an_ordinary_time_converts_with_the_zones_offset() -> None:
    resolved = to_utc(datetime(2026, 7, 1, 9, 30), "Europe/Paris")
    assert resolved.at == datetime(2026, 7, 1, 7, 30, tzinfo=UTC)
    assert resolved.note == ""


def test_a_time_in_the_spring_gap_moves_forward_and_says_so() -> None:
    # 29 March 2026: Paris clocks jump from 02:00 to 03:00.
    resolved = to_utc(datetime(2026, 3, 29, 2, 30), "Europe/Paris")
    assert resolved.at == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)  # 03:30 CEST
    assert "does not exist" in resolved.note
    assert "03:30" in resolved.note


def test_a_time_in_the_autumn_overlap_means_the_first_one() -> None:
    # 25 October 2026: London clocks go back from 02:00 BST to 01:00 GMT; 01:30 happens twice.
    resolved = to_utc(datetime(2026, 10, 25, 1, 30), "Europe/London")
    assert resolved.at == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # 01:30 BST
    assert "happens twice" in resolved.note


def test_us_transitions_are_handled_too() -> None:
    # 8 March 2026, New York: 02:30 does not exist; 1 November 2026: 01:30 happens twice.
    assert to_utc(datetime(2026, 3, 8, 2, 30), "America/New_York").at == datetime(
        2026, 3, 8, 7, 30, tzinfo=UTC
    )
    assert to_utc(datetime(2026, 11, 1, 1, 30), "America/New_York").at == datetime(
        2026, 11, 1, 5, 30, tzinfo=UTC
    )


def test_a_zone_without_dst_never_adds_a_note() -> None:
    assert to_utc(datetime(2026, 3, 29, 2, 30), "Asia/Kolkata").note == ""


@pytest.mark.parametrize("name", ["Nowhere/Special", "", "UTC\x00", "x" * 100, "../UTC"])
def test_an_invalid_time_zone_is_a_clear_error(name: str) -> None:
    with pytest.raises(ServiceError, match="not a time zone"):
        to_utc(datetime(2026, 1, 1, 9, 0), name)


@settings(max_examples=200, deadline=None)
@given(
    st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2037, 12, 31)),
    st.sampled_from(["Europe/Paris", "America/New_York", "Australia/Lord_Howe", "Asia/Tehran"]),
)
def test_every_wall_clock_time_maps_to_a_real_instant_at_or_after_it(
    local: datetime, zone: str
) -> None:
    resolved = to_utc(local, zone)
    shown = resolved.at.astimezone(scheduling.zone(zone)).replace(tzinfo=None)
    # Either the same wall-clock time, or (in a gap) a later one, never more than 2 hours on.
    assert local <= shown <= local + timedelta(hours=2)
    assert (shown == local) == (resolved.note == "" or "twice" in resolved.note)


def test_queue_slots_keep_their_wall_clock_time_across_the_change() -> None:
    # Mondays and Sundays at 09:00 in London, around the October 2026 change.
    slots = [(0, time(9, 0)), (6, time(9, 0))]
    after = datetime(2026, 10, 23, 12, 0, tzinfo=UTC)
    found = slot_times(slots, "Europe/London", after, weeks=2)[:3]
    assert found == [
        datetime(2026, 10, 25, 9, 0, tzinfo=UTC),  # Sunday, now GMT: 09:00 is 09:00 UTC
        datetime(2026, 10, 26, 9, 0, tzinfo=UTC),
        datetime(2026, 11, 1, 9, 0, tzinfo=UTC),
    ]
    before = slot_times(slots, "Europe/London", datetime(2026, 10, 17, tzinfo=UTC), weeks=1)
    assert before[0] == datetime(2026, 10, 18, 8, 0, tzinfo=UTC)  # still BST: 09:00 is 08:00 UTC


def test_a_slot_inside_the_spring_gap_moves_with_the_clocks() -> None:
    slots = [(6, time(2, 30))]  # Sundays 02:30 in Paris; 29 March 2026 has no 02:30
    found = slot_times(slots, "Europe/Paris", datetime(2026, 3, 28, tzinfo=UTC), weeks=1)
    assert found[0] == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)


def test_next_free_slot_skips_taken_ones_and_explains_an_empty_queue() -> None:
    slots = [(day, time(10, 0)) for day in range(7)]
    after = datetime(2026, 6, 1, 11, 0, tzinfo=UTC)
    first = next_free_slot(slots, "UTC", set(), after)
    assert first == datetime(2026, 6, 2, 10, 0, tzinfo=UTC)
    second = next_free_slot(slots, "UTC", {first}, after)
    assert second == datetime(2026, 6, 3, 10, 0, tzinfo=UTC)
    with pytest.raises(ServiceError, match="no posting times"):
        next_free_slot([], "UTC", set(), after)


def test_posting_to_the_queue_fills_slots_in_order_in_the_voices_time_zone(cast: Cast) -> None:
    cast.member.time_zone = "Asia/Tokyo"
    cast.member.save()
    do_set_queue(cast.member, cast.member_voice, [(day, time(8, 0)) for day in range(7)])
    first = do_create_post(
        cast.member, cast.acme, Draft(text="One", voices=[cast.member_voice]), Schedule(When.SLOT)
    )
    second = do_create_post(
        cast.member, cast.acme, Draft(text="Two", voices=[cast.member_voice]), Schedule(When.SLOT)
    )
    due = [p.deliveries.get().due_at for p in (first, second)]
    assert due[1] - due[0] == timedelta(days=1)
    tokyo = scheduling.zone("Asia/Tokyo")
    assert [d.astimezone(tokyo).time() for d in due] == [time(8, 0), time(8, 0)]
    assert first.status == PostStatus.SCHEDULED


def test_posting_at_a_gap_time_stores_the_note_in_the_history(cast: Cast) -> None:
    year = datetime.now().year + 1
    # The last Sunday of March of next year, 02:30 Paris time, does not exist.
    day = max(d for d in (datetime(year, 3, n) for n in range(25, 32)) if d.weekday() == 6)
    post = do_create_post(
        cast.member,
        cast.acme,
        Draft(text="Spring", voices=[cast.member_voice]),
        Schedule(When.AT, day.replace(hour=2, minute=30), "Europe/Paris"),
    )
    assert "does not exist" in post.events.get(verb="scheduled").message
    local = post.scheduled_at.astimezone(scheduling.zone("Europe/Paris"))
    assert (local.hour, local.minute) == (3, 30)
