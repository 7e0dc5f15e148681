"""The composer: its form, its live check, and the posts it creates."""

from __future__ import annotations

import io
import re
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.test import Client
from PIL import Image

from cluetrain.publishing.dispatch import run_due
from cluetrain.publishing.drafts import Draft
from cluetrain.publishing.models import Delivery, Post, PostMedia, PostStatus
from cluetrain.publishing.queues import do_set_queue
from cluetrain.publishing.services import do_create_post, do_publish
from cluetrain.voices.models import Network, Voice, VoiceKind
from tests.conftest import Cast

FAMILY = "\U0001f468\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466"


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(out, "PNG")
    return out.getvalue()


def upload(data: bytes, name: str) -> io.BytesIO:
    handle = io.BytesIO(data)
    handle.name = name
    return handle


def bluesky_voice(cast: Cast) -> Voice:
    return Voice.objects.create(
        organization=cast.acme,
        kind=VoiceKind.PERSONAL,
        network=Network.BLUESKY,
        handle="milo.bsky.social",
        name="Milo on Bluesky",
        owner=cast.member,
    )


def compose(client: Client, **fields: object) -> object:
    data: dict[str, object] = {"when": "now", "category": "operational", **fields}
    return client.post("/publish/", data)


def tomorrow_in(zone: str) -> date:
    return datetime.now(ZoneInfo(zone)).date() + timedelta(days=1)


def next_spring_forward(zone: str = "Europe/Paris") -> date:
    """The next last Sunday of March (when Europe's clocks go forward), at least a day away."""
    today = datetime.now(ZoneInfo(zone)).date()
    for year in (today.year, today.year + 1):
        day = date(year, 3, 31)
        day -= timedelta(days=(day.weekday() + 1) % 7)
        if day > today:
            return day
    raise AssertionError("unreachable")


# ---- The composer page -----------------------------------------------------------------------


def test_the_composer_offers_only_the_voices_i_may_use(cast: Cast) -> None:
    mona_own = Voice.objects.create(
        organization=cast.acme,
        kind=VoiceKind.PERSONAL,
        network=Network.PRACTICE,
        handle="@mona",
        name="Mona's own",
        owner=cast.mentor,
    )
    page = cast.client(cast.member).get("/publish/").content.decode()
    assert f'name="voice" value="{cast.member_voice.pk}"' in page
    assert f'value="{mona_own.pk}"' not in page
    assert "Mona&#x27;s own" not in page
    assert f'value="{cast.care_voice.pk}"' not in page  # the member is not on its list
    page = cast.client(cast.mentor).get("/publish/").content.decode()
    assert f'name="voice" value="{cast.care_voice.pk}"' in page
    assert f'name="voice" value="{cast.member_voice.pk}"' not in page


def test_the_text_box_has_the_focus_and_asks_for_checks_as_i_type(cast: Cast) -> None:
    page = cast.client(cast.member).get("/publish/").content.decode()
    textarea = re.search(r"<textarea name=\"text\"[^>]*>", page, re.S)
    assert textarea is not None
    assert "autofocus" in textarea.group()
    assert 'hx-post="/publish/check/"' in textarea.group()
    assert 'hx-trigger="input changed delay:300ms' in textarea.group()
    assert "cluetrain/js/composer." in page


def test_a_forged_voice_gets_403_and_nothing_is_stored(cast: Cast) -> None:
    mona_own = Voice.objects.create(
        organization=cast.acme,
        kind=VoiceKind.PERSONAL,
        network=Network.PRACTICE,
        handle="@mona",
        name="Mona's own",
        owner=cast.mentor,
    )
    client = cast.client(cast.member)
    response = compose(client, text="Speaking as Mona", voice=[cast.member_voice.pk, mona_own.pk])
    assert response.status_code == 403  # type: ignore[attr-defined]
    response = compose(client, text="Speaking as the other org", voice=[cast.care_voice.pk])
    assert response.status_code == 403  # type: ignore[attr-defined]
    assert not Post.objects.exists()
    assert not Delivery.objects.exists()


def test_the_mastodon_options_are_offered_when_there_is_a_mastodon_voice(cast: Cast) -> None:
    client = cast.client(cast.member)
    assert 'data-needs-network="mastodon"' not in client.get("/publish/").content.decode()
    Voice.objects.create(
        organization=cast.acme,
        kind=VoiceKind.PERSONAL,
        network=Network.MASTODON,
        handle="@milo@example.social",
        name="Milo on Mastodon",
        owner=cast.member,
    )
    page = client.get("/publish/").content.decode()
    assert 'data-needs-network="mastodon"' in page
    assert 'name="content_warning"' in page
    assert 'name="visibility"' in page
    assert 'data-variant-for="mastodon"' in page


# ---- The live check --------------------------------------------------------------------------


def check(client: Client, **fields: object) -> str:
    response = client.post("/publish/check/", fields)
    assert response.status_code == 200
    return response.content.decode()


def test_an_emoji_family_counts_one_on_bluesky(cast: Cast) -> None:
    voice = bluesky_voice(cast)
    fragment = check(cast.client(cast.member), text=FAMILY, voice=[voice.pk])
    assert re.search(rf'data-voice="{voice.pk}" data-part="0">\s*1 / 300<', fragment)
    assert 'data-over="false"' in fragment
    assert 'hx-swap-oob="innerHTML"' in fragment  # the status line under the text box


def test_text_over_the_limit_is_marked_with_the_excess(cast: Cast) -> None:
    voice = bluesky_voice(cast)
    fragment = check(cast.client(cast.member), text="a" * 305, voice=[voice.pk])
    assert 'data-over="true"' in fragment
    assert "305 / 300" in fragment
    assert "(5 too many)" in fragment
    assert "Too long for Milo on Bluesky" in fragment


def test_each_part_of_a_thread_is_counted_and_previewed_apart(cast: Cast) -> None:
    voice = bluesky_voice(cast)
    fragment = check(
        cast.client(cast.member), text="First part\n---\nSecond #trains", voice=[voice.pk]
    )
    assert fragment.count('class="preview-card"') == 2
    assert re.search(r'data-part="1">\s*<span class="muted">2:</span> 14 / 300', fragment)
    assert '<span class="pv-tag">#trains</span>' in fragment
    assert "1/2" in fragment
    assert "2/2" in fragment


def test_the_same_text_posted_lately_is_pointed_out_with_a_link(cast: Cast) -> None:
    earlier = do_publish(cast.member, cast.member_voice, "The depot opens at nine")
    fragment = check(
        cast.client(cast.member), text="the depot  opens at nine", voice=[cast.member_voice.pk]
    )
    assert "You posted the same text from Milo Member" in fragment
    assert f'href="/publish/posts/{earlier.pk}/"' in fragment


def test_a_voice_i_may_not_use_is_left_out_of_the_check(cast: Cast) -> None:
    fragment = check(cast.client(cast.member), text="Hello", voice=[cast.care_voice.pk])
    assert "Acme Customer care" not in fragment
    assert "Choose a voice" in fragment


def test_mentions_are_listed_honestly(cast: Cast) -> None:
    voice = bluesky_voice(cast)
    fragment = check(
        cast.client(cast.member), text="Thanks @alice.bsky.social and @bob!", voice=[voice.pk]
    )
    assert (
        '<code>@alice.bsky.social</code> on Bluesky: <span class="mention-ok">'
        "will link if the account exists" in fragment
    )
    assert (
        '<code>@bob</code> on Bluesky: <span class="mention-bad">not a full Bluesky handle'
        in fragment
    )
    assert '<span class="pv-mention">@alice.bsky.social</span>' in fragment


def test_the_check_says_what_the_submit_would_refuse(cast: Cast) -> None:
    fragment = check(cast.client(cast.member), text="Acme is hiring", voice=[cast.member_voice.pk])
    assert "#iworkatacme" in fragment
    assert 'class="status-problem"' in fragment


def test_hostile_text_is_escaped_in_the_preview(cast: Cast) -> None:
    fragment = check(
        cast.client(cast.member),
        text='<script>alert(1)</script> <img src=x onerror="alert(2)">',
        voice=[cast.member_voice.pk],
        alt_1="<b>bold</b>",
    )
    assert "<script>alert(1)" not in fragment
    assert "<img src=x" not in fragment
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in fragment
    assert "&lt;b&gt;bold&lt;/b&gt;" in fragment


# ---- Creating posts from the form ------------------------------------------------------------


def test_publish_now_from_the_form_then_the_worker_publishes_it(cast: Cast) -> None:
    client = cast.client(cast.member)
    response = compose(client, text="Depot open day on Saturday", voice=[cast.member_voice.pk])
    post = Post.objects.get()
    assert response.status_code == 302  # type: ignore[attr-defined]
    assert response["Location"] == f"/publish/posts/{post.pk}/"  # type: ignore[index]
    assert post.deliveries.get().status == PostStatus.SCHEDULED
    assert run_due() == 1
    page = client.get(f"/publish/posts/{post.pk}/").content.decode()
    assert "On its way to be published." in page
    assert "status-published" in page
    assert "See it on Practice space" in page


def test_schedule_at_a_time_in_my_time_zone(cast: Cast) -> None:
    day = tomorrow_in("America/New_York")
    compose(
        cast.client(cast.member),
        text="Tomorrow morning",
        voice=[cast.member_voice.pk],
        when="at",
        date=day.isoformat(),
        time="09:30",
        time_zone="America/New_York",
    )
    post = Post.objects.get()
    expected = datetime.combine(day, time(9, 30), tzinfo=ZoneInfo("America/New_York"))
    assert post.scheduled_at == expected
    assert post.time_zone == "America/New_York"
    assert post.status == PostStatus.SCHEDULED


def test_the_time_zone_defaults_to_mine(cast: Cast) -> None:
    cast.member.time_zone = "Asia/Tokyo"
    cast.member.save(update_fields=["time_zone"])
    page = cast.client(cast.member).get("/publish/").content.decode()
    assert '<option value="Asia/Tokyo" selected>' in page


def test_a_time_in_the_spring_gap_is_moved_and_said(cast: Cast) -> None:
    day = next_spring_forward()
    response = cast.client(cast.member).post(
        "/publish/",
        {
            "text": "At half past two",
            "voice": [cast.member_voice.pk],
            "when": "at",
            "date": day.isoformat(),
            "time": "02:30",
            "time_zone": "Europe/Paris",
            "category": "operational",
        },
        follow=True,
    )
    page = response.content.decode()
    assert "02:30 does not exist" in page
    assert "it will go out at 03:30" in page


def test_the_next_free_queue_slot(cast: Cast) -> None:
    do_set_queue(cast.member, cast.member_voice, [(day, time(7, 15)) for day in range(7)])
    compose(cast.client(cast.member), text="Whenever", voice=[cast.member_voice.pk], when="slot")
    post = Post.objects.get()
    assert post.scheduled_at is not None
    assert post.scheduled_at.astimezone(ZoneInfo("UTC")).time() == time(7, 15)
    assert post.scheduled_at - datetime.now(ZoneInfo("UTC")) <= timedelta(days=1)


def test_save_as_draft_and_edit_it_back_in_the_composer(cast: Cast) -> None:
    client = cast.client(cast.member)
    response = compose(client, text="First thought", voice=[cast.member_voice.pk], when="draft")
    draft = Post.objects.get()
    assert draft.status == PostStatus.DRAFT
    assert "Saved as a draft." in client.get(response["Location"]).content.decode()  # type: ignore[index]
    page = client.get(f"/publish/compose/?post={draft.pk}").content.decode()
    assert "First thought</textarea>" in page
    assert f'value="{cast.member_voice.pk}" data-network="practice" checked' in page
    client.post(
        f"/publish/compose/?post={draft.pk}",
        {
            "text": "Second thought",
            "voice": [cast.member_voice.pk],
            "when": "now",
            "category": "operational",
            "editing": draft.pk,
        },
    )
    # The same post, changed in place, with its history.
    edited = Post.objects.get()
    assert edited.pk == draft.pk
    assert edited.text == "Second thought"
    assert edited.status == PostStatus.SCHEDULED
    assert list(edited.events.values_list("verb", flat=True)) == ["created", "edited", "scheduled"]


def test_someone_elses_draft_is_not_found(cast: Cast) -> None:
    draft = do_create_post(cast.member, cast.acme, Draft(text="Mine", voices=[cast.member_voice]))
    assert cast.client(cast.mentor).get(f"/publish/compose/?post={draft.pk}").status_code == 404


def test_an_image_with_its_description_is_stored(cast: Cast) -> None:
    compose(
        cast.client(cast.member),
        text="Look at the new train",
        voice=[cast.member_voice.pk],
        image_1=upload(png(), "train.png"),
        alt_1="A red train at the platform",
    )
    media = PostMedia.objects.get()
    assert media.alt_text == "A red train at the platform"
    assert media.post.media_count == 1


def test_an_image_without_a_description_is_refused_and_nothing_stored(cast: Cast) -> None:
    response = compose(
        cast.client(cast.member),
        text="Look at this",
        voice=[cast.member_voice.pk],
        image_1=upload(png(), "train.png"),
        alt_1="   ",
    )
    page = response.content.decode()  # type: ignore[attr-defined]
    assert response.status_code == 200  # type: ignore[attr-defined]
    assert "Every image needs a description (alt text)" in page
    assert not Post.objects.exists()
    assert not PostMedia.objects.exists()


def test_a_text_file_named_png_is_refused(cast: Cast) -> None:
    response = compose(
        cast.client(cast.member),
        text="Look at this",
        voice=[cast.member_voice.pk],
        image_1=upload(b"just some words, not pixels", "photo.png"),
        alt_1="A photo",
    )
    assert "photo.png is not an image Cluetrain can publish" in response.content.decode()  # type: ignore[attr-defined]
    assert not Post.objects.exists()


def test_an_unknown_time_zone_is_refused_and_everything_typed_is_kept(cast: Cast) -> None:
    response = compose(
        cast.client(cast.member),
        text="Kept as typed",
        voice=[cast.member_voice.pk],
        when="at",
        date=tomorrow_in("UTC").isoformat(),
        time="10:00",
        time_zone="Mars/Olympus",
        alt_2="Still here",
        quote_url="https://example.com/post/1",
        category="marketing",
    )
    page = response.content.decode()  # type: ignore[attr-defined]
    assert "is not a time zone Cluetrain knows" in page
    assert "Kept as typed</textarea>" in page
    assert "Still here</textarea>" in page
    assert 'value="https://example.com/post/1"' in page
    assert '<option value="marketing" selected>' in page
    assert f'value="{cast.member_voice.pk}" data-network="practice" checked' in page
    assert not Post.objects.exists()


def test_a_time_in_the_past_is_refused(cast: Cast) -> None:
    response = compose(
        cast.client(cast.member),
        text="Yesterday",
        voice=[cast.member_voice.pk],
        when="at",
        date=(datetime.now(ZoneInfo("UTC")).date() - timedelta(days=1)).isoformat(),
        time="10:00",
        time_zone="UTC",
    )
    assert "That time is in the past" in response.content.decode()  # type: ignore[attr-defined]
    assert not Post.objects.exists()


def test_a_time_is_needed_to_publish_at_a_time(cast: Cast) -> None:
    response = compose(
        cast.client(cast.member), text="When?", voice=[cast.member_voice.pk], when="at"
    )
    assert "Give the date and the time to publish at." in response.content.decode()  # type: ignore[attr-defined]
    assert not Post.objects.exists()


def test_no_voice_chosen_is_said(cast: Cast) -> None:
    response = compose(cast.client(cast.member), text="To nobody")
    assert "Choose at least one voice" in response.content.decode()  # type: ignore[attr-defined]
