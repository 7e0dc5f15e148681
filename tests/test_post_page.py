"""A post's page with its history, the publish page's lists, and a voice's queue."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from cluetrain.publishing.dispatch import run_due
from cluetrain.publishing.drafts import Draft
from cluetrain.publishing.models import PostStatus
from cluetrain.publishing.scheduling import Schedule, When
from cluetrain.publishing.services import do_create_post, do_publish
from tests.conftest import Cast


def tomorrow_in(zone: str) -> date:
    return datetime.now(ZoneInfo(zone)).date() + timedelta(days=1)


def test_the_post_page_shows_each_voice_and_the_history(cast: Cast) -> None:
    cast.member.time_zone = "Europe/London"
    cast.member.save(update_fields=["time_zone"])
    post = do_publish(cast.member, cast.member_voice, "Platform 2 is open again")
    run_due()
    page = cast.client(cast.member).get(f"/publish/posts/{post.pk}/").content.decode()
    assert "Platform 2 is open again" in page
    assert "When (Europe/London)" in page
    history = page.split('id="history-heading"', 1)[1]
    assert re.search(r"<strong>Milo Member</strong>\s*wrote it", history)
    assert re.search(r"<strong>Milo Member</strong>\s*scheduled it", history)
    assert re.search(r"<strong>Cluetrain</strong>\s*published it", history)


def test_a_failed_delivery_shows_its_error_and_can_be_retried(cast: Cast) -> None:
    post = do_publish(cast.member, cast.member_voice, "Going out")
    post.deliveries.update(status=PostStatus.FAILED, error="The network refused the post: spam.")
    post.status = PostStatus.FAILED
    post.save(update_fields=["status"])
    client = cast.client(cast.member)
    page = client.get(f"/publish/posts/{post.pk}/").content.decode()
    assert "The network refused the post: spam." in page
    assert f'action="/publish/posts/{post.pk}/retry/"' in page
    client.post(f"/publish/posts/{post.pk}/retry/")
    assert post.deliveries.get().status == PostStatus.SCHEDULED


def test_another_member_cannot_see_or_cancel_my_personal_post(cast: Cast) -> None:
    post = do_create_post(
        cast.member,
        cast.acme,
        Draft(text="Mine alone", voices=[cast.member_voice]),
        Schedule(When.AT, datetime.combine(tomorrow_in("UTC"), time(9)), "UTC"),
    )
    other = cast.client(cast.mentor)
    assert other.get(f"/publish/posts/{post.pk}/").status_code == 404
    assert other.post(f"/publish/posts/{post.pk}/cancel/").status_code == 403
    assert (
        cast.client(cast.coordinator).post(f"/publish/posts/{post.pk}/cancel/").status_code == 403
    )
    assert post.deliveries.get().status == PostStatus.SCHEDULED


def test_the_author_cancels_what_has_not_gone_out(cast: Cast) -> None:
    post = do_create_post(
        cast.member,
        cast.acme,
        Draft(text="Changed my mind", voices=[cast.member_voice]),
        Schedule(When.AT, datetime.combine(tomorrow_in("UTC"), time(9)), "UTC"),
    )
    client = cast.client(cast.member)
    page = client.get(f"/publish/posts/{post.pk}/").content.decode()
    assert f'action="/publish/posts/{post.pk}/cancel/"' in page
    assert f'href="/publish/compose/?post={post.pk}"' in page
    client.post(f"/publish/posts/{post.pk}/cancel/", {"reason": "Wrong day"})
    post.refresh_from_db()
    assert post.status == PostStatus.CANCELLED
    page = client.get(f"/publish/posts/{post.pk}/").content.decode()
    assert "cancelled it: Wrong day" in page
    assert f'action="/publish/posts/{post.pk}/cancel/"' not in page


def test_a_published_post_is_edited_and_deleted_from_its_page(cast: Cast) -> None:
    post = do_publish(cast.member, cast.member_voice, "Typo in this psot")
    run_due()
    client = cast.client(cast.member)
    page = client.get(f"/publish/posts/{post.pk}/").content.decode()
    assert f'href="/publish/posts/{post.pk}/edit/"' in page
    assert "Delete from networks" in page
    client.post(f"/publish/posts/{post.pk}/edit/", {"text": "No typo in this post"})
    post.refresh_from_db()
    assert post.text == "No typo in this post"
    response = client.post(f"/publish/posts/{post.pk}/delete/", follow=True)
    assert "Taking it down from 1 network account." in response.content.decode()
    assert post.events.filter(verb="deleted").exists()


def test_the_publish_page_lists_my_waiting_and_recent_posts(cast: Cast) -> None:
    do_create_post(
        cast.member, cast.acme, Draft(text="A draft of mine", voices=[cast.member_voice])
    )
    do_publish(cast.member, cast.member_voice, "Out already")
    run_due()
    do_create_post(cast.mentor, cast.acme, Draft(text="Mona's draft", voices=[cast.care_voice]))
    page = cast.client(cast.member).get("/publish/").content.decode()
    waiting, recent = page.split('id="recent-heading"', 1)
    assert "A draft of mine" in waiting
    assert "Out already" in recent
    assert "Mona" not in page.split('id="waiting-heading"', 1)[1]


# ---- A voice's queue -------------------------------------------------------------------------


def test_posting_times_are_set_per_weekday_and_the_next_free_slots_shown(cast: Cast) -> None:
    client = cast.client(cast.member)
    url = f"/publish/voices/{cast.member_voice.pk}/queue/"
    response = client.post(url, {f"day_{day}": "09:30, 17:00" for day in range(7)}, follow=True)
    page = response.content.decode()
    assert "Posting times saved." in page
    assert cast.member_voice.slots.count() == 14
    free = page.split('id="free-heading"', 1)[1]
    assert free.count("<li>") == 5
    assert free.count(", 09:30 <small") + free.count(", 17:00 <small") == 5
    assert 'value="09:30, 17:00"' in page


def test_a_bad_posting_time_is_explained(cast: Cast) -> None:
    url = f"/publish/voices/{cast.member_voice.pk}/queue/"
    page = cast.client(cast.member).post(url, {"day_0": "9h"}).content.decode()
    assert "“9h” is not a time; write times like 09:30 or 17:00." in page
    assert not cast.member_voice.slots.exists()


def test_a_queue_is_changed_only_by_those_who_may(cast: Cast) -> None:
    assert (
        cast.client(cast.mentor).get(f"/publish/voices/{cast.member_voice.pk}/queue/").status_code
        == 404
    )
    url = f"/publish/voices/{cast.care_voice.pk}/queue/"
    assert cast.client(cast.member).post(url, {"day_0": "10:00"}).status_code == 403
    assert cast.client(cast.mentor).post(url, {"day_0": "10:00"}).status_code == 302
    assert cast.care_voice.slots.count() == 1
