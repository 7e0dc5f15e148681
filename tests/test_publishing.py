"""Writing posts: bad input refused with clear words and nothing stored, good input kept whole."""

from __future__ import annotations

import io
import unicodedata
from datetime import datetime, timedelta

import pytest
from django.utils import timezone
from PIL import Image

from cluetrain.core.errors import NotAllowed, ServiceError
from cluetrain.networks.practice import MAX_LENGTH as PRACTICE_LIMIT
from cluetrain.publishing import drafts, services, status
from cluetrain.publishing.drafts import Draft, Upload
from cluetrain.publishing.models import Delivery, Post, PostEvent, PostMedia, PostStatus
from cluetrain.publishing.scheduling import Schedule, When
from cluetrain.publishing.services import do_create_post, do_publish
from cluetrain.voices.models import Network
from cluetrain.voices.services import do_connect_personal_voice
from tests.conftest import Cast


def png(size: tuple[int, int] = (64, 48), colour: str = "red") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "PNG")
    return out.getvalue()


def nothing_stored() -> bool:
    return not (Post.objects.exists() or Delivery.objects.exists() or PostMedia.objects.exists())


@pytest.mark.parametrize("text", ["", "   ", "\n\t "])
def test_an_empty_post_is_refused(cast: Cast, text: str) -> None:
    with pytest.raises(ServiceError, match="empty"):
        do_publish(cast.member, cast.member_voice, text)
    assert nothing_stored()


def test_an_oversized_post_is_refused_with_its_length(cast: Cast) -> None:
    with pytest.raises(ServiceError, match=f"{PRACTICE_LIMIT + 1} of {PRACTICE_LIMIT}"):
        do_publish(cast.member, cast.member_voice, "a" * (PRACTICE_LIMIT + 1))
    assert nothing_stored()


def test_a_huge_post_is_refused_before_counting(cast: Cast) -> None:
    with pytest.raises(ServiceError, match="at most 40,000"):
        do_publish(cast.member, cast.member_voice, "a" * 1_000_000)
    assert nothing_stored()


def test_bluesky_counts_graphemes_not_code_points(cast: Cast) -> None:
    voice = do_connect_personal_voice(cast.member, cast.acme, Network.BLUESKY, "milo.test")
    family = "👨‍👩‍👧‍👦"  # 7 code points, one grapheme
    drafts.check_draft(cast.member, cast.acme, Draft(text=family * 300, voices=[voice]))
    with pytest.raises(ServiceError, match="301 of 300"):
        drafts.check_draft(cast.member, cast.acme, Draft(text=family * 301, voices=[voice]))


def test_a_thread_is_checked_part_by_part(cast: Cast) -> None:
    voice = do_connect_personal_voice(cast.member, cast.acme, Network.BLUESKY, "milo.test")
    text = "a" * 300 + "\n---\n" + "b" * 300
    post = do_create_post(cast.member, cast.acme, Draft(text=text, voices=[voice]))
    assert post.parts() == ["a" * 300, "b" * 300]
    with pytest.raises(ServiceError, match=r"post 2 of the thread\): 301 of 300"):
        drafts.check_draft(
            cast.member, cast.acme, Draft(text="a\n---\n" + "b" * 301, voices=[voice])
        )


def test_a_network_variant_replaces_the_text_for_that_network_only(cast: Cast) -> None:
    voice = do_connect_personal_voice(cast.member, cast.acme, Network.BLUESKY, "milo.test")
    long_text = "x" * 400
    post = do_create_post(
        cast.member,
        cast.acme,
        Draft(
            text=long_text,
            voices=[voice, cast.member_voice],
            variants={"bluesky": "short for Bluesky"},
        ),
    )
    assert post.parts("bluesky") == ["short for Bluesky"]
    assert post.parts("practice") == [long_text]


def test_control_characters_are_refused(cast: Cast) -> None:
    with pytest.raises(ServiceError, match="control characters"):
        do_publish(cast.member, cast.member_voice, "bell\x07 and null\x00")
    assert nothing_stored()


@pytest.mark.parametrize(
    "text",
    [
        "Family trip 👨‍👩‍👧‍👦 on the coast line",
        "مرحبا بكم في القطار",
        "Zero\u200bwidth and e\u0301 combining",
        "日本語のテキスト",
        "\u202eevil right-to-left override",
    ],
)
def test_odd_unicode_is_kept_normalised(cast: Cast, text: str) -> None:
    post = do_publish(cast.member, cast.member_voice, text)
    assert Post.objects.get(pk=post.pk).text == unicodedata.normalize("NFC", text)


def test_publishing_now_schedules_one_delivery_per_voice(cast: Cast) -> None:
    post = do_create_post(
        cast.mentor,
        cast.acme,
        Draft(text="Trains run normally", voices=[cast.care_voice]),
        Schedule(When.NOW),
    )
    delivery = post.deliveries.get()
    assert post.status == PostStatus.SCHEDULED
    assert delivery.status == PostStatus.SCHEDULED
    assert abs((delivery.due_at - timezone.now()).total_seconds()) < 5
    assert len(delivery.key) == 32
    assert list(post.events.values_list("verb", flat=True)) == ["created", "scheduled"]


def test_a_draft_is_kept_without_a_time(cast: Cast) -> None:
    post = do_create_post(cast.member, cast.acme, Draft(text="Later", voices=[cast.member_voice]))
    assert post.status == PostStatus.DRAFT
    assert post.deliveries.get().due_at is None


def test_a_time_in_the_past_is_refused(cast: Cast) -> None:
    with pytest.raises(ServiceError, match="in the past"):
        do_create_post(
            cast.member,
            cast.acme,
            Draft(text="Yesterday", voices=[cast.member_voice]),
            Schedule(When.AT, datetime(2020, 1, 1, 9, 0), "Europe/Paris"),
        )
    assert nothing_stored()


@pytest.mark.parametrize("zone", ["Mars/Olympus", "", "../../etc/passwd", "Europe/Paris\x00"])
def test_an_invalid_time_zone_is_refused(cast: Cast, zone: str) -> None:
    with pytest.raises(ServiceError, match="not a time zone"):
        do_create_post(
            cast.member,
            cast.acme,
            Draft(text="When?", voices=[cast.member_voice]),
            Schedule(When.AT, datetime.now() + timedelta(days=1), zone),
        )
    assert nothing_stored()


def test_a_voice_the_person_may_not_use_is_refused_even_among_others(cast: Cast) -> None:
    with pytest.raises(NotAllowed):
        do_create_post(
            cast.mentor,
            cast.acme,
            Draft(text="Both", voices=[cast.care_voice, cast.member_voice]),
            Schedule(When.NOW),
        )
    assert nothing_stored()


def test_a_voice_of_another_organisation_is_refused(cast: Cast) -> None:
    with pytest.raises(NotAllowed):
        do_create_post(cast.member, cast.globex, Draft(text="Hi", voices=[cast.member_voice]))
    assert nothing_stored()


def test_images_need_alt_text(cast: Cast) -> None:
    with pytest.raises(ServiceError, match="alt text"):
        do_create_post(
            cast.member,
            cast.acme,
            Draft(text="Look", voices=[cast.member_voice], media=[Upload(png(), "a.png", "  ")]),
        )
    assert nothing_stored()


def test_a_file_that_is_not_an_image_is_refused_whatever_its_name(cast: Cast) -> None:
    with pytest.raises(ServiceError, match="not an image"):
        do_create_post(
            cast.member,
            cast.acme,
            Draft(
                text="Look",
                voices=[cast.member_voice],
                media=[Upload(b"%PDF-1.4 not an image", "photo.png", "A photo")],
            ),
        )
    assert nothing_stored()


def test_an_image_is_re_encoded_small_enough_for_bluesky(cast: Cast) -> None:
    noisy = Image.effect_noise((2400, 1800), 100).convert("RGB")
    out = io.BytesIO()
    noisy.save(out, "PNG")
    assert len(out.getvalue()) > 1_000_000
    post = do_create_post(
        cast.member,
        cast.acme,
        Draft(
            text="Noise",
            voices=[cast.member_voice],
            media=[Upload(out.getvalue(), "n.png", "Grey noise")],
        ),
    )
    media = post.media.get()
    assert media.size <= 1_000_000
    assert max(media.width or 0, media.height or 0) <= 2000
    assert media.alt_text == "Grey noise"
    assert post.media_count == 1


def test_at_most_four_images(cast: Cast) -> None:
    with pytest.raises(ServiceError, match="at most 4 images"):
        do_create_post(
            cast.member,
            cast.acme,
            Draft(
                text="Many",
                voices=[cast.member_voice],
                media=[Upload(png(), f"{n}.png", f"Image {n}") for n in range(5)],
            ),
        )
    assert nothing_stored()


def test_the_same_text_from_the_same_voice_is_found_as_a_duplicate(cast: Cast) -> None:
    first = do_publish(cast.member, cast.member_voice, "Delays on the coast line today")
    found = drafts.duplicates([cast.member_voice], "  delays on the COAST line   today ")
    assert [d.post_id for d in found] == [first.pk]
    assert drafts.duplicates([cast.member_voice], "Something else") == []


def test_cancel_stops_what_has_not_gone_out_and_is_recorded(cast: Cast) -> None:
    post = do_create_post(
        cast.member,
        cast.acme,
        Draft(text="Tomorrow", voices=[cast.member_voice]),
        Schedule(When.AT, datetime.now() + timedelta(days=1), "UTC"),
    )
    with pytest.raises(NotAllowed):
        services.do_cancel(cast.coordinator, post)  # a personal voice's post: its author only
    assert services.do_cancel(cast.member, post, "changed my mind") == 1
    post.refresh_from_db()
    assert post.status == PostStatus.CANCELLED
    assert PostEvent.objects.filter(post=post, verb="cancelled", actor=cast.member).exists()


def test_reschedule_needs_an_aware_future_time(cast: Cast) -> None:
    post = do_create_post(
        cast.member,
        cast.acme,
        Draft(text="Move me", voices=[cast.member_voice]),
        Schedule(When.AT, datetime.now() + timedelta(days=1), "UTC"),
    )
    with pytest.raises(ServiceError, match="time zone"):
        services.do_reschedule(cast.member, post, datetime.now() + timedelta(days=2))
    with pytest.raises(ServiceError, match="past"):
        services.do_reschedule(cast.member, post, timezone.now() - timedelta(days=2))
    later = timezone.now() + timedelta(days=3)
    services.do_reschedule(cast.member, post, later)
    assert post.deliveries.get().due_at == later
    with pytest.raises(NotAllowed):
        services.do_reschedule(cast.mentor, post, later)


def test_the_status_summary_of_mixed_deliveries() -> None:
    s = PostStatus
    assert status.summarise({s.PUBLISHED}) == s.PUBLISHED
    assert status.summarise({s.PUBLISHED, s.SCHEDULED}) == s.PUBLISHING
    assert status.summarise({s.SCHEDULED, s.DRAFT}) == s.SCHEDULED
    assert status.summarise({s.PUBLISHED, s.FAILED}) == s.FAILED
    assert status.summarise({s.PUBLISHED, s.CANCELLED}) == s.PUBLISHED
    assert status.summarise({s.PAUSED, s.PUBLISHED}) == s.PAUSED
    assert status.summarise(set()) == s.DRAFT


def test_a_waiting_post_is_changed_in_place_keeping_its_keys(cast: Cast) -> None:
    from cluetrain.publishing.services import do_update_post

    post = do_create_post(
        cast.mentor,
        cast.acme,
        Draft(text="First wording", voices=[cast.care_voice]),
        Schedule(When.AT, datetime.now() + timedelta(days=1), "UTC"),
    )
    key = post.deliveries.get().key
    practice = cast.mentor.personal_voices.first()
    voices = [cast.care_voice, *([practice] if practice else [])]
    do_update_post(
        cast.mentor,
        post,
        Draft(text="Second wording", voices=voices, category="announcement"),
        Schedule(When.AT, datetime.now() + timedelta(days=2), "UTC"),
    )
    post.refresh_from_db()
    assert post.text == "Second wording"
    assert post.category == "announcement"
    assert post.deliveries.get(voice=cast.care_voice).key == key
    assert post.deliveries.count() == len(voices)
    assert {d.status for d in post.deliveries.all()} == {PostStatus.SCHEDULED}
    assert "edited" in list(post.events.values_list("verb", flat=True))
    # Once it is going out, it can no longer be changed this way.
    Delivery.objects.filter(post=post).update(status=PostStatus.PUBLISHING)
    with pytest.raises(ServiceError, match="already going out"):
        do_update_post(cast.mentor, post, Draft(text="Third", voices=voices), Schedule(When.NOW))
    assert Post.objects.get(pk=post.pk).text == "Second wording"
    # And only its author changes it.
    with pytest.raises(NotAllowed):
        do_update_post(cast.member, post, Draft(text="x", voices=voices), Schedule(When.NOW))
