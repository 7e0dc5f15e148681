"""The content calendar: posts on the viewer's wall clock, filters, moving, query counts."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cluetrain.publishing.drafts import Draft
from cluetrain.publishing.models import Category, Post, PostStatus
from cluetrain.publishing.scheduling import Schedule, When
from cluetrain.publishing.services import do_create_post
from cluetrain.voices.models import Network, Voice, VoiceAccess, VoiceKind
from tests.conftest import Cast

LONDON = ZoneInfo("Europe/London")


def in_london(cast: Cast) -> None:
    cast.member.time_zone = "Europe/London"
    cast.member.save(update_fields=["time_zone"])


def post_at(cast: Cast, text: str, at: datetime, status: str = PostStatus.PUBLISHED) -> Post:
    """A post placed at ``at`` directly: the calendar shows the past as well as the future."""
    post = do_create_post(cast.member, cast.acme, Draft(text=text, voices=[cast.member_voice]))
    changes = {"status": status, "scheduled_at": at}
    if status == PostStatus.PUBLISHED:
        changes["published_at"] = at
    Post.objects.filter(pk=post.pk).update(**changes)
    post.deliveries.update(status=status, due_at=at)
    return post


def scheduled(cast: Cast, text: str, day: date, at: time, zone: str = "Europe/London") -> Post:
    return do_create_post(
        cast.member,
        cast.acme,
        Draft(text=text, voices=[cast.member_voice]),
        Schedule(When.AT, datetime.combine(day, at), zone),
    )


def cell(page: str, cell_id: str) -> str:
    match = re.search(rf'id="{cell_id}">(.*?)</td>', page, re.S)
    assert match, f"no cell {cell_id}"
    return match.group(1)


def items(page: str, cell_id: str) -> list[int]:
    return [int(pk) for pk in re.findall(r'id="calendar-post-(\d+)"', cell(page, cell_id))]


def local_today() -> date:
    return datetime.now(LONDON).date()


# ---- Where posts appear ----------------------------------------------------------------------

# Around the end of summer time in London (2026-10-25, 02:00 BST becomes 01:00 GMT).
EVE_LATE = datetime(2026, 10, 24, 23, 30, tzinfo=UTC)  # 00:30 BST on the 25th
FIRST_0130 = datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # 01:30 BST
SECOND_0130 = datetime(2026, 10, 25, 1, 30, tzinfo=UTC)  # 01:30 GMT, an hour later
DAY_LATE = datetime(2026, 10, 25, 23, 30, tzinfo=UTC)  # 23:30 GMT on the 25th
NEXT_EARLY = datetime(2026, 10, 26, 0, 30, tzinfo=UTC)  # 00:30 GMT on the 26th


def test_the_month_places_posts_on_my_days_across_the_clock_change(cast: Cast) -> None:
    in_london(cast)
    posts = [
        post_at(cast, f"Post {n}", at)
        for n, at in enumerate([EVE_LATE, FIRST_0130, SECOND_0130, DAY_LATE, NEXT_EARLY])
    ]
    page = (
        cast.client(cast.member)
        .get("/publish/calendar/?view=month&date=2026-10-01")
        .content.decode()
    )
    assert "October 2026" in page
    assert items(page, "day-2026-10-24") == []
    assert items(page, "day-2026-10-25") == [p.pk for p in posts[:4]]
    assert items(page, "day-2026-10-26") == [posts[4].pk]
    assert "<time" in cell(page, "day-2026-10-25")
    assert ">00:30</time>" in cell(page, "day-2026-10-25")
    assert "Times in Europe/London" in page


def test_someone_in_utc_sees_the_same_posts_on_their_own_days(cast: Cast) -> None:
    early = post_at(cast, "Late on the 24th", EVE_LATE)
    page = cast.client(cast.member).get("/publish/calendar/?date=2026-10-01").content.decode()
    assert items(page, "day-2026-10-24") == [early.pk]
    assert ">23:30</time>" in cell(page, "day-2026-10-24")


def test_the_week_places_posts_in_my_hours_across_the_clock_change(cast: Cast) -> None:
    in_london(cast)
    eve, first, second, late = (
        post_at(cast, f"Post {n}", at)
        for n, at in enumerate([EVE_LATE, FIRST_0130, SECOND_0130, DAY_LATE])
    )
    page = (
        cast.client(cast.member)
        .get("/publish/calendar/?view=week&date=2026-10-22")
        .content.decode()
    )
    assert "Week of 19 October 2026" in page
    assert items(page, "slot-2026-10-25-0") == [eve.pk]
    assert items(page, "slot-2026-10-25-1") == [first.pk, second.pk]  # 01:30 happened twice
    assert items(page, "slot-2026-10-25-2") == []
    assert items(page, "slot-2026-10-25-23") == [late.pk]


def test_each_state_is_shown_and_paused_posts_are_struck_through(cast: Cast) -> None:
    in_london(cast)
    at = datetime(2026, 10, 10, 12, 0, tzinfo=UTC)
    shown = {
        status: post_at(cast, f"A {status} post", at, status)
        for status in [PostStatus.PUBLISHED, PostStatus.FAILED, PostStatus.PAUSED]
    }
    post_at(cast, "A cancelled post", at, PostStatus.CANCELLED)
    page = cast.client(cast.member).get("/publish/calendar/?date=2026-10-01").content.decode()
    day = cell(page, "day-2026-10-10")
    for status, post in shown.items():
        assert f'class="calendar-item status-{status}"' in day
        assert f"calendar-post-{post.pk}" in day
    assert "A cancelled post" not in page


def test_filters_by_voice_department_and_category(cast: Cast) -> None:
    at = datetime.combine(local_today() + timedelta(days=2), time(10))
    mine = do_create_post(
        cast.member,
        cast.acme,
        Draft(text="Mine, marketing", voices=[cast.member_voice], category=Category.MARKETING),
        Schedule(When.AT, at, "UTC"),
    )
    care = do_create_post(
        cast.mentor,
        cast.acme,
        Draft(text="Care update", voices=[cast.care_voice], category=Category.CUSTOMER_CARE),
        Schedule(When.AT, at, "UTC"),
    )
    client = cast.client(cast.member)
    base = f"/publish/calendar/?date={at.date().isoformat()}"
    page = client.get(base).content.decode()
    assert f"calendar-post-{mine.pk}" in page
    assert f"calendar-post-{care.pk}" in page  # official voices are visible to members
    page = client.get(f"{base}&voice={cast.member_voice.pk}").content.decode()
    assert f"calendar-post-{care.pk}" not in page
    assert f"calendar-post-{mine.pk}" in page
    page = client.get(f"{base}&department={cast.care.pk}").content.decode()
    assert f"calendar-post-{care.pk}" in page
    assert f"calendar-post-{mine.pk}" not in page
    page = client.get(f"{base}&category=marketing").content.decode()
    assert f"calendar-post-{mine.pk}" in page
    assert f"calendar-post-{care.pk}" not in page


def test_someone_elses_personal_posts_are_not_on_my_calendar(cast: Cast) -> None:
    at = datetime.combine(local_today() + timedelta(days=2), time(10))
    mine = do_create_post(
        cast.member,
        cast.acme,
        Draft(text="Milo's own", voices=[cast.member_voice]),
        Schedule(When.AT, at, "UTC"),
    )
    page = cast.client(cast.mentor).get(f"/publish/calendar/?date={at.date()}").content.decode()
    assert f"calendar-post-{mine.pk}" not in page
    assert "Milo&#x27;s own" not in page


def test_only_my_own_waiting_posts_can_be_dragged(cast: Cast) -> None:
    at = datetime.combine(local_today() + timedelta(days=2), time(10))
    care = do_create_post(
        cast.mentor,
        cast.acme,
        Draft(text="Care update", voices=[cast.care_voice]),
        Schedule(When.AT, at, "UTC"),
    )
    url = f"/publish/calendar/?date={at.date()}"
    assert 'draggable="true"' in cast.client(cast.mentor).get(url).content.decode()
    page = cast.client(cast.member).get(url).content.decode()
    assert f"calendar-post-{care.pk}" in page
    assert 'draggable="true"' not in page


# ---- Moving posts ----------------------------------------------------------------------------


def test_a_post_moved_to_another_day_keeps_its_time_of_day(cast: Cast) -> None:
    in_london(cast)
    day = local_today() + timedelta(days=3)
    post = scheduled(cast, "Move me", day, time(10, 45))
    target = day + timedelta(days=2)
    response = cast.client(cast.member).post(
        f"/publish/posts/{post.pk}/reschedule/?view=month&date={target}",
        json.dumps({"date": target.isoformat()}),
        content_type="application/json",
    )
    assert response.status_code == 200
    post.refresh_from_db()
    assert post.scheduled_at is not None
    assert post.scheduled_at.astimezone(LONDON) == datetime.combine(target, time(10, 45), LONDON)
    assert post.deliveries.get().due_at == post.scheduled_at
    fragment = response.content.decode()
    assert fragment.lstrip().startswith('<div class="calendar" id="calendar-grid"')
    assert items(fragment, f"day-{target}") == [post.pk]
    assert "Moved to" in fragment


def test_a_post_moved_to_an_hour_of_the_week_keeps_its_minutes(cast: Cast) -> None:
    in_london(cast)
    day = local_today() + timedelta(days=3)
    post = scheduled(cast, "Move me", day, time(10, 45))
    response = cast.client(cast.member).post(
        f"/publish/posts/{post.pk}/reschedule/?view=week&date={day}",
        {"date": day.isoformat(), "time": "15:45"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    post.refresh_from_db()
    assert post.scheduled_at is not None
    assert post.scheduled_at.astimezone(LONDON) == datetime.combine(day, time(15, 45), LONDON)
    assert items(response.content.decode(), f"slot-{day}-15") == [post.pk]


def test_a_move_across_the_clock_change_keeps_the_wall_clock_time(cast: Cast) -> None:
    in_london(cast)
    today = local_today()
    # The next last Sunday of March or October: London's clocks change that night.
    changes = []
    for year in (today.year, today.year + 1):
        for month in (3, 10):
            last = date(year, month, 31)
            changes.append(last - timedelta(days=(last.weekday() + 1) % 7))
    change = min(d for d in changes if d > today + timedelta(days=1))
    post = scheduled(cast, "Across the change", change - timedelta(days=1), time(9, 0))
    before = post.scheduled_at
    cast.client(cast.member).post(
        f"/publish/posts/{post.pk}/reschedule/", {"date": (change + timedelta(days=1)).isoformat()}
    )
    post.refresh_from_db()
    assert post.scheduled_at is not None
    assert before is not None
    assert post.scheduled_at.astimezone(LONDON).time() == time(9, 0)
    assert post.scheduled_at.astimezone(UTC).time() != before.astimezone(UTC).time()


def test_a_move_into_the_past_is_refused_with_the_reason(cast: Cast) -> None:
    in_london(cast)
    day = local_today() + timedelta(days=3)
    post = scheduled(cast, "Not backwards", day, time(10, 0))
    before = post.scheduled_at
    response = cast.client(cast.member).post(
        f"/publish/posts/{post.pk}/reschedule/",
        json.dumps({"date": (local_today() - timedelta(days=2)).isoformat()}),
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "That time is in the past" in response.content.decode()
    assert 'role="alert"' in response.content.decode()
    post.refresh_from_db()
    assert post.scheduled_at == before


def test_without_javascript_a_move_comes_back_to_the_calendar_with_a_message(cast: Cast) -> None:
    day = local_today() + timedelta(days=3)
    post = scheduled(cast, "Plain form", day, time(10, 0), "UTC")
    response = cast.client(cast.member).post(
        f"/publish/posts/{post.pk}/reschedule/?view=week&date={day}",
        {"date": (day + timedelta(days=1)).isoformat(), "time": "11:00"},
        follow=True,
    )
    page = response.content.decode()
    assert response.redirect_chain[-1][0].startswith("/publish/calendar/?view=week")
    assert "Moved to" in page


def test_only_the_author_may_move_a_post(cast: Cast) -> None:
    day = local_today() + timedelta(days=3)
    post = scheduled(cast, "Mine to move", day, time(10, 0), "UTC")
    response = cast.client(cast.mentor).post(
        f"/publish/posts/{post.pk}/reschedule/", {"date": (day + timedelta(days=1)).isoformat()}
    )
    assert response.status_code == 403
    assert Post.objects.get(pk=post.pk).scheduled_at == post.scheduled_at


# ---- Query counts ----------------------------------------------------------------------------


@pytest.mark.parametrize("view", ["month", "week"])
def test_the_calendar_costs_the_same_queries_for_5_or_50_posts(cast: Cast, view: str) -> None:
    extra = Voice.objects.create(
        organization=cast.acme,
        kind=VoiceKind.OFFICIAL,
        network=Network.PRACTICE,
        handle="@acme.news",
        name="Acme news",
        department=cast.care,
    )
    VoiceAccess.objects.create(voice=extra, person=cast.member)
    day = local_today() + timedelta(days=1)
    url = f"/publish/calendar/?view={view}&date={day}"

    def add(count: int) -> None:
        for n in range(count):
            do_create_post(
                cast.member,
                cast.acme,
                Draft(text=f"Post {n} {count} #iworkatacme", voices=[cast.member_voice, extra]),
                Schedule(When.AT, datetime.combine(day, time(8 + n % 12, n % 60)), "UTC"),
            )

    client = cast.client(cast.member)
    add(5)
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        page = client.get(url).content.decode()
    assert page.count('class="calendar-item ') == 5
    add(45)
    with CaptureQueriesContext(connection) as many:
        page = client.get(url).content.decode()
    assert page.count('class="calendar-item ') == 50
    assert len(many) == len(few)
