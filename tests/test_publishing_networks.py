"""The whole publishing path (outbox, dispatcher, connector) against each network's real wire.

Bluesky: the local PDS behind the fault-injecting proxy. Mastodon: recorded answers (no server
can run here; see tests/test_mastodon.py). Webhooks: a real HTTP server on loopback.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
import responses
from atproto import Client
from django.utils import timezone
from pytest_httpserver import HTTPServer

from cluetrain.publishing import dispatch
from cluetrain.publishing.drafts import Draft
from cluetrain.publishing.models import Delivery, Post, PostStatus
from cluetrain.publishing.published import do_delete_published, do_edit_published
from cluetrain.publishing.scheduling import Schedule, When
from cluetrain.publishing.services import do_create_post
from cluetrain.publishing.tasks import propagate_delete, propagate_edit
from cluetrain.reviews.autonomy import do_set_level
from cluetrain.voices.models import Network, Voice
from cluetrain.voices.services import do_connect_personal_voice, do_create_official_voice
from tests.conftest import Cast
from tests.support.faults import FaultProxy
from tests.support.mastodon import BASE, TOKEN, FakeMastodon
from tests.test_bluesky import create_account


@pytest.fixture(autouse=True)
def _fresh(cast: Cast) -> None:
    dispatch._allowed.clear()
    # These tests are about the networks; the review policy has its own (tests/test_reviews.py).
    do_set_level(
        cast.coordinator, cast.member, cast.acme, "autonomous", reason="Publishes on her own."
    )


def publish(cast: Cast, voice: Voice, text: str) -> Post:
    post = do_create_post(
        cast.member, cast.acme, Draft(text=text, voices=[voice]), Schedule(When.NOW)
    )
    dispatch.run_due()
    return post


def due_again(post: Post) -> None:
    Delivery.objects.filter(post=post).update(due_at=timezone.now())


def bluesky_posts(pds: str, did: str) -> list[Any]:
    client = Client(base_url=f"{pds}/xrpc")
    return list(
        client.com.atproto.repo.list_records(
            {"repo": did, "collection": "app.bsky.feed.post"}
        ).records
    )


@pytest.fixture
def bluesky(
    cast: Cast, pds: str, fault_proxy: Callable[[str], FaultProxy], settings: Any
) -> tuple[Voice, FaultProxy, str]:
    settings.ALLOW_PRIVATE_URLS = True
    proxy = fault_proxy(pds)
    member = create_account(pds)
    voice = do_connect_personal_voice(
        cast.member,
        cast.acme,
        Network.BLUESKY,
        member.handle,
        credential={"handle": member.handle, "app_password": "app-pass-1234", "service": proxy.url},
    )
    return voice, proxy, member.did


def test_bluesky_an_answer_lost_after_the_server_acted_is_not_posted_twice(
    cast: Cast, pds: str, bluesky: tuple[Voice, FaultProxy, str]
) -> None:
    voice, proxy, did = bluesky
    publish(cast, voice, "Warm-up so the session exists")
    proxy.plan("createRecord", "drop")
    post = publish(cast, voice, "Trains are running again #acmerail")
    delivery = post.deliveries.get()
    assert delivery.status == PostStatus.PUBLISHED
    assert len(bluesky_posts(pds, did)) == 2
    assert delivery.url.startswith("https://bsky.app/profile/")


def test_bluesky_a_503_is_retried_by_the_dispatcher_and_posted_once(
    cast: Cast, pds: str, bluesky: tuple[Voice, FaultProxy, str]
) -> None:
    voice, proxy, did = bluesky
    proxy.plan("createRecord", "status", status=503)
    proxy.plan("getRecord", "status", status=503)
    post = publish(cast, voice, "Second try")
    delivery = post.deliveries.get()
    assert delivery.status == PostStatus.SCHEDULED
    assert delivery.error_code == "retrying"
    due_again(post)
    dispatch.run_due()
    delivery.refresh_from_db()
    assert delivery.status == PostStatus.PUBLISHED
    assert delivery.attempts == 2
    assert [p.value.text for p in bluesky_posts(pds, did)] == ["Second try"]


def test_bluesky_a_429_holds_the_voice_for_retry_after(
    cast: Cast, bluesky: tuple[Voice, FaultProxy, str]
) -> None:
    voice, proxy, _ = bluesky
    publish(cast, voice, "Warm-up")
    proxy.plan("createRecord", "rate_limit", retry_after=90)
    post = publish(cast, voice, "Slow down")
    delivery = post.deliveries.get()
    assert delivery.status == PostStatus.SCHEDULED
    assert 80 < (delivery.due_at - timezone.now()).total_seconds() <= 91
    voice.refresh_from_db()
    assert voice.held_until is not None


def test_bluesky_a_thread_with_an_image_then_deleted_from_the_network(
    cast: Cast, pds: str, bluesky: tuple[Voice, FaultProxy, str]
) -> None:
    from cluetrain.publishing.drafts import Upload
    from tests.test_publishing import png

    voice, _, did = bluesky
    post = do_create_post(
        cast.member,
        cast.acme,
        Draft(
            text="One #acmerail\n---\nTwo\n---\nThree",
            voices=[voice],
            media=[Upload(png(), "map.png", "Map of the replacement buses")],
        ),
        Schedule(When.NOW),
    )
    dispatch.run_due()
    delivery = post.deliveries.get()
    assert delivery.status == PostStatus.PUBLISHED
    records = {r.value.text: r.value for r in bluesky_posts(pds, did)}
    assert set(records) == {"One #acmerail", "Two", "Three"}
    assert records["One #acmerail"].embed.images[0].alt == "Map of the replacement buses"
    assert records["Three"].reply.root.uri == delivery.refs[0]["id"]
    do_delete_published(cast.member, post)
    propagate_delete.call(delivery.pk)
    assert bluesky_posts(pds, did) == []
    post.refresh_from_db()
    assert post.events.filter(verb="deleted").count() >= 1
    # Bluesky has no edits: the history says so instead of failing silently.
    assert propagate_edit.call(delivery.pk) == "nothing to edit"


@pytest.fixture
def mastodon_voice(cast: Cast) -> Voice:
    return do_connect_personal_voice(
        cast.member,
        cast.acme,
        Network.MASTODON,
        "@alice@mastodon.example",
        credential={"api_base_url": BASE, "access_token": TOKEN, "max_characters": 500},
    )


def test_mastodon_a_lost_answer_is_retried_under_the_same_idempotency_key(
    cast: Cast, mastodon_voice: Voice
) -> None:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        server = FakeMastodon(mock)
        server.lose_answer_to = {0}
        post = publish(cast, mastodon_voice, "Platform 4 is open again")
        assert post.deliveries.get().status == PostStatus.SCHEDULED
        due_again(post)
        dispatch.run_due()
        delivery = post.deliveries.get()
        assert delivery.status == PostStatus.PUBLISHED
        assert len(server.statuses) == 1  # the retry found the status it had made
        keys = [
            r.headers["Idempotency-Key"] for r in server.requests("POST", f"{BASE}/api/v1/statuses")
        ]
        assert len(keys) == 2
        assert keys[0] == keys[1]
        assert delivery.url.startswith(BASE)
        # Mastodon allows edits: the new wording goes to the network.
        do_edit_published(cast.member, post, "Platform 4 is open again (all day)")
        assert propagate_edit.call(delivery.pk) == "edited"
        [status] = server.statuses.values()
        assert "all day" in status["content"]


def test_webhook_an_edit_and_a_deletion_are_sent_signed(
    cast: Cast, httpserver: HTTPServer, settings: Any
) -> None:
    settings.ALLOW_PRIVATE_URLS = True  # the receiver listens on loopback
    httpserver.expect_request("/hook").respond_with_data("ok")
    voice = do_create_official_voice(
        cast.coordinator,
        cast.acme,
        Network.WEBHOOK,
        "intranet",
        name="Acme intranet",
        credential={"url": httpserver.url_for("/hook"), "secret": "s3cret-s3cret"},
    )
    from cluetrain.voices.services import do_grant_voice_access

    do_grant_voice_access(cast.coordinator, voice, cast.member)
    post = publish(cast, voice, "Canteen closed today")
    delivery = post.deliveries.get()
    do_edit_published(cast.member, post, "Canteen closed until 2 pm")
    propagate_edit.call(delivery.pk)
    do_delete_published(cast.member, post)
    propagate_delete.call(delivery.pk)
    events = [json.loads(request.get_data())["event"] for request, _ in httpserver.log]
    assert events == ["post.published", "post.updated", "post.deleted"]
