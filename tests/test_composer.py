"""The composer, its live check, link previews, and a post's page with its history."""

from __future__ import annotations

import io
import re
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from PIL import Image
from pytest_httpserver import HTTPServer

from cluetrain.publishing import previews
from cluetrain.publishing.dispatch import run_due
from cluetrain.publishing.models import Delivery, Post, PostMedia, PostStatus
from cluetrain.publishing.queues import do_set_queue
from cluetrain.publishing.scheduling import Schedule, When
from cluetrain.publishing.services import Draft, do_create_post, do_publish
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


# ---- Link previews ---------------------------------------------------------------------------


def page_at(httpserver: HTTPServer, path: str, html: str) -> str:
    httpserver.expect_request(path).respond_with_data(html, content_type="text/html; charset=utf-8")
    return f"http://127.0.0.1:{httpserver.port}{path}"


def test_a_link_preview_is_fetched_cached_and_stored_with_the_post(
    cast: Cast, httpserver: HTTPServer, settings: object
) -> None:
    settings.ALLOW_PRIVATE_URLS = True  # type: ignore[attr-defined]
    url = page_at(
        httpserver,
        "/news",
        '<html><head><title>Fallback</title><meta property="og:title" content="New trains">'
        '<meta property="og:description" content="Testing at the depot.">'
        '<meta property="og:image" content="/train.jpg"></head><body>…</body></html>',
    )
    client = cast.client(cast.member)
    card = client.get("/publish/link-preview/", {"url": url}).content.decode()
    assert "New trains" in card
    assert "Testing at the depot." in card
    assert f'src="http://127.0.0.1:{httpserver.port}/train.jpg"' in card
    # Cached: the check shows the card without asking again, and so does the submit.
    fragment = check(client, text=f"Read {url}", voice=[cast.member_voice.pk])
    assert "New trains" in fragment
    compose(client, text=f"Read {url}", voice=[cast.member_voice.pk])
    assert Post.objects.get().link_preview["title"] == "New trains"
    assert len(httpserver.log) == 1


def test_a_preview_follows_a_few_redirects_and_no_more(
    httpserver: HTTPServer, settings: object, db: None
) -> None:
    settings.ALLOW_PRIVATE_URLS = True  # type: ignore[attr-defined]
    base = f"http://127.0.0.1:{httpserver.port}"
    for n in range(4):
        httpserver.expect_request(f"/hop{n}").respond_with_data(
            "", status=302, headers={"Location": f"/hop{n + 1}"}
        )
    page_at(httpserver, "/hop4", "<title>Arrived</title>")
    page_at(httpserver, "/hop3-end", "<title>Arrived</title>")
    with pytest.raises(previews.PreviewRefused, match="more than 3"):
        previews.fetch(f"{base}/hop0")
    assert previews.fetch(f"{base}/hop1")["title"] == "Arrived"


def test_only_html_pages_get_a_preview_and_only_the_first_256_kb_is_read(
    httpserver: HTTPServer, settings: object, db: None
) -> None:
    settings.ALLOW_PRIVATE_URLS = True  # type: ignore[attr-defined]
    httpserver.expect_request("/file.pdf").respond_with_data(
        b"%PDF", content_type="application/pdf"
    )
    with pytest.raises(previews.PreviewRefused, match="not a web page"):
        previews.fetch(f"http://127.0.0.1:{httpserver.port}/file.pdf")
    late_title = page_at(httpserver, "/long", "<p>" + "x" * 300_000 + "<title>Too late</title>")
    assert previews.fetch(late_title)["title"] == ""


def test_a_private_address_is_refused_unless_allowed(
    cast: Cast, httpserver: HTTPServer, settings: object
) -> None:
    settings.ALLOW_PRIVATE_URLS = False  # type: ignore[attr-defined]
    url = page_at(httpserver, "/inside", "<title>Intranet</title>")
    with pytest.raises(previews.PreviewRefused, match="loopback address"):
        previews.fetch(url)
    card = cast.client(cast.member).get("/publish/link-preview/", {"url": url}).content.decode()
    assert "No link preview: 127.0.0.1 is a loopback address" in card
    assert "Intranet" not in card
    assert not httpserver.log  # nothing was asked of the server


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("169.254.169.254", "link-local"),  # a cloud's metadata service
        ("10.1.2.3", "private"),
        ("[::1]", "loopback"),
        ("[::ffff:127.0.0.1]", "loopback"),
        ("0.0.0.0", "unspecified"),  # noqa: S104 an address refused, not bound
    ],
)
def test_addresses_inside_the_network_are_refused(
    address: str, kind: str, settings: object
) -> None:
    settings.ALLOW_PRIVATE_URLS = False  # type: ignore[attr-defined]
    with pytest.raises(previews.PreviewRefused, match=f"{kind} address"):
        previews.fetch(f"http://{address}/latest/meta-data/")


@pytest.mark.parametrize(
    "url", ["ftp://example.com/x", "http://user:pw@example.com/", "file:///etc/passwd"]
)
def test_only_plain_web_addresses_are_fetched(url: str) -> None:
    with pytest.raises(previews.PreviewRefused):
        previews.fetch(url)


def test_hostile_html_in_a_fetched_title_is_escaped(
    cast: Cast, httpserver: HTTPServer, settings: object
) -> None:
    settings.ALLOW_PRIVATE_URLS = True  # type: ignore[attr-defined]
    url = page_at(
        httpserver,
        "/evil",
        '<title><img src=x onerror="alert(1)"> &lt;script&gt;alert(2)&lt;/script&gt;</title>'
        '<meta name="description" content="&quot;><script>alert(3)</script>">',
    )
    card = cast.client(cast.member).get("/publish/link-preview/", {"url": url}).content.decode()
    assert "<img src=x" not in card
    assert "<script>" not in card
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in card
    assert "&lt;script&gt;alert(2)&lt;/script&gt;" in card


# ---- A post's page ---------------------------------------------------------------------------


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
