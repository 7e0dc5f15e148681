"""Engagement collection: reactions to published posts fetched on a schedule that backs off
with age, stored as a time series.

Bluesky is the real PDS on loopback (the ``pds`` fixture). It has no App View, so counts come
from its event stream: likes, reposts and quotes read by the listener, replies heard. Mastodon
answers are recordings (no Mastodon server can run here)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from cluetrain.insights import engagement
from cluetrain.insights.models import EngagementSample, EngagementTrack
from cluetrain.listening.models import Reaction, ReactionKind, Source, SourceKind
from cluetrain.listening.reactions import HeardReaction, do_record_reactions
from cluetrain.listening.streams.bluesky import BlueskyListener
from cluetrain.networks import PublishedRef
from cluetrain.publishing.models import Delivery, Post, PostStatus
from cluetrain.voices.models import Network, Voice, VoiceKind
from tests import test_bluesky as bsky
from tests.conftest import Cast
from tests.support.mastodon import BASE, TOKEN, FakeMastodon
from tests.support.mastodon import outgoing as toot


def published(
    cast: Cast, voice: Voice, ref: PublishedRef, *, age: timedelta = timedelta(0)
) -> Delivery:
    """A post of ``voice`` that went out ``age`` ago as ``ref``."""
    when = timezone.now() - age
    post = Post.objects.create(
        organization=cast.acme, author=cast.director, text="x", status=PostStatus.PUBLISHED
    )
    return Delivery.objects.create(
        post=post,
        voice=voice,
        organization=cast.acme,
        network=voice.network,
        status=PostStatus.PUBLISHED,
        published_at=when,
        refs=[{"id": ref.id, "url": ref.url, "cid": ref.cid}],
    )


class Account:
    """A test account writing records of its own on the PDS (likes, reposts, quotes).

    The SDK's ``Client.login`` asks an App View for the profile, which the test PDS has not,
    so records are written through the account's connector session."""

    def __init__(self, pds: str, member: bsky.Member) -> None:
        self.member = member
        self.connector = bsky.connect(member, pds)

    def _create(self, collection: str, record: dict[str, Any]) -> str:
        record = {"$type": collection, "createdAt": timezone.now().isoformat(), **record}
        made = self.connector._run(
            lambda client: client.com.atproto.repo.create_record(
                {"repo": self.member.did, "collection": collection, "record": record}
            )
        )
        return str(made.uri)

    def like(self, ref: PublishedRef) -> str:
        return self._create("app.bsky.feed.like", {"subject": {"uri": ref.id, "cid": ref.cid}})

    def repost(self, ref: PublishedRef) -> str:
        return self._create("app.bsky.feed.repost", {"subject": {"uri": ref.id, "cid": ref.cid}})

    def quote(self, ref: PublishedRef, text: str) -> str:
        embed = {"$type": "app.bsky.embed.record", "record": {"uri": ref.id, "cid": ref.cid}}
        return self._create("app.bsky.feed.post", {"text": text, "embed": embed})

    def unlike(self, uri: str) -> None:
        rkey = uri.rsplit("/", 1)[1]
        self.connector._run(
            lambda client: client.com.atproto.repo.delete_record(
                {"repo": self.member.did, "collection": "app.bsky.feed.like", "rkey": rkey}
            )
        )


def test_the_schedule_backs_off_as_a_post_ages() -> None:
    now = timezone.now()
    ages = [timedelta(minutes=5), timedelta(hours=5), timedelta(days=3), timedelta(days=20)]
    gaps = [engagement.next_fetch(now - age, now) - now for age in ages]  # type: ignore[operator]
    assert gaps == [
        timedelta(minutes=10),
        timedelta(hours=1),
        timedelta(hours=6),
        timedelta(days=1),
    ]
    assert engagement.next_fetch(now - timedelta(days=60), now) == now + timedelta(days=7)
    assert engagement.next_fetch(now - timedelta(days=91), now) is None


def test_bluesky_reactions_are_counted_from_the_stream_once_and_follow_unlikes(
    cast: Cast, pds: str, acme_on_bluesky: tuple[Voice, bsky.Member], private_allowed: None
) -> None:
    voice, acme = acme_on_bluesky
    fan, critic = bsky.create_account(pds), bsky.create_account(pds)
    [ref] = bsky.connect(acme, pds).publish(bsky.outgoing("New fares from Monday"))
    delivery = published(cast, voice, ref)
    fan_account, critic_account = Account(pds, fan), Account(pds, critic)
    fan_like = fan_account.like(ref)
    fan_account.repost(ref)
    critic_account.like(ref)
    critic_account.quote(ref, "Finally!")
    bsky.connect(critic, pds).publish(bsky.outgoing("Does it include Sundays?", reply_to=ref))
    # Reactions to someone else's post are not ours to keep.
    [elsewhere] = bsky.connect(fan, pds).publish(bsky.outgoing("My own news"))
    critic_account.like(elsewhere)

    source = Source.objects.create(
        organization=cast.acme, kind=SourceKind.BLUESKY, name="Bluesky", url=pds, cursor="0"
    )
    assert BlueskyListener(source).poll() >= 1
    kinds = sorted(Reaction.objects.filter(organization=cast.acme).values_list("kind", flat=True))
    assert kinds == ["like", "like", "quote", "repost"]

    assert engagement.collect_due() == {"sampled": 1}
    track = EngagementTrack.objects.get(delivery=delivery)
    assert (track.likes, track.reposts, track.replies, track.quotes) == (2, 1, 1, 1)
    assert track.counted_from == "stream"
    assert track.next_fetch_at is not None
    assert track.next_fetch_at - timezone.now() > timedelta(minutes=9)
    assert engagement.collect_due() == {}  # nothing due again yet

    # A replay of the whole stream (a listener restarted from an old cursor) adds nothing.
    Source.objects.filter(pk=source.pk).update(cursor="0")
    BlueskyListener(Source.objects.get(pk=source.pk)).poll()
    assert Reaction.objects.filter(organization=cast.acme).count() == 4

    fan_account.unlike(fan_like)
    BlueskyListener(Source.objects.get(pk=source.pk)).poll()
    later = timezone.now() + timedelta(minutes=11)
    assert engagement.collect_due(now=later) == {"sampled": 1}
    samples = list(
        EngagementSample.objects.filter(delivery=delivery).values_list("likes", flat=True)
    )
    assert samples == [2, 1]
    assert engagement.collect_due(now=later + timedelta(minutes=11)) == {"unchanged": 1}
    assert EngagementSample.objects.filter(delivery=delivery).count() == 2


def test_mastodon_counts_come_from_the_status(cast: Cast, server: FakeMastodon) -> None:
    voice = Voice(
        organization=cast.acme,
        kind=VoiceKind.OFFICIAL,
        network=Network.MASTODON,
        handle="@acme@example.org",
        name="Acme on Mastodon",
    )
    voice.set_credential({"api_base_url": BASE, "access_token": TOKEN})
    voice.save()
    from cluetrain.networks.mastodon import MastodonConnector

    (ref,) = MastodonConnector(BASE, TOKEN, media_poll_interval=0).publish(toot("Counting"))
    server.statuses[ref.id].update(favourites_count=7, reblogs_count=2, replies_count=3)
    delivery = published(cast, voice, ref, age=timedelta(days=2))
    assert engagement.collect_due() == {"sampled": 1}
    track = EngagementTrack.objects.get(delivery=delivery)
    assert (track.likes, track.reposts, track.replies, track.counted_from) == (7, 2, 3, "network")
    assert timedelta(hours=5) < track.next_fetch_at - timezone.now() <= timedelta(hours=6)  # type: ignore[operator]

    # The status was deleted: nothing more to ask, and the counts seen stay.
    del server.statuses[ref.id]
    assert engagement.collect_due(now=timezone.now() + timedelta(hours=7)) == {"stopped": 1}
    track.refresh_from_db()
    assert track.next_fetch_at is None
    assert track.likes == 7
    assert "no longer exists" in track.last_error


def test_only_published_posts_to_counting_networks_young_enough_are_followed(cast: Cast) -> None:
    practice = Voice.objects.create(
        organization=cast.acme,
        kind=VoiceKind.PERSONAL,
        network=Network.PRACTICE,
        handle="@dee",
        name="Dee",
        owner=cast.director,
    )
    bluesky = Voice.objects.create(
        organization=cast.acme,
        kind=VoiceKind.OFFICIAL,
        network=Network.BLUESKY,
        handle="acme.test",
        name="Acme",
    )
    ref = PublishedRef(id="at://did:plc:x/app.bsky.feed.post/1", url="", cid="c")
    young = published(cast, bluesky, ref)
    published(cast, bluesky, ref, age=timedelta(days=120))
    published(cast, practice, ref)
    unpublished = published(cast, bluesky, ref)
    Delivery.objects.filter(pk=unpublished.pk).update(status=PostStatus.SCHEDULED)
    assert engagement.enroll() == 1
    assert engagement.enroll() == 0  # twice is safe
    assert list(EngagementTrack.objects.values_list("delivery", flat=True)) == [young.pk]


def test_two_workers_never_claim_the_same_track(cast: Cast) -> None:
    bluesky = Voice.objects.create(
        organization=cast.acme,
        kind=VoiceKind.OFFICIAL,
        network=Network.BLUESKY,
        handle="acme.test",
        name="Acme",
    )
    for n in range(5):
        published(cast, bluesky, PublishedRef(id=f"at://did:plc:x/app.bsky.feed.post/{n}", url=""))
    engagement.enroll()
    first, second = engagement.claim(3), engagement.claim(3)
    assert len(first) == 3
    assert len(second) == 2
    assert not set(first) & set(second)
    # A claim that was never finished (a worker killed mid-call) comes back after its lease.
    assert engagement.claim(5, timezone.now() + engagement.LEASE + timedelta(seconds=1)) != []


def test_hostile_reactions_are_bounded_and_idempotent(cast: Cast) -> None:
    now = timezone.now()

    def heard(record: str, **fields: Any) -> HeardReaction:
        values: dict[str, Any] = {
            "network": "bluesky",
            "kind": ReactionKind.LIKE,
            "record": record,
            "subject": "at://did:plc:acme/app.bsky.feed.post/1",
            "actor": "did:plc:fan",
            "created_at": now,
        }
        values.update(fields)
        return HeardReaction(**values)

    batch = [
        heard("at://did:plc:fan/app.bsky.feed.like/1"),
        heard("at://did:plc:fan/app.bsky.feed.like/1"),
        heard("at://" + "x" * 400),
        heard("at://did:plc:fan/app.bsky.feed.like/2", actor=""),
    ]
    assert do_record_reactions(cast.acme.pk, batch) == 1
    assert do_record_reactions(cast.acme.pk, batch) == 0
    do_record_reactions(cast.acme.pk, [], ["at://did:plc:fan/app.bsky.feed.like/9", ""])
    assert Reaction.objects.count() == 1
    do_record_reactions(cast.acme.pk, [], ["at://did:plc:fan/app.bsky.feed.like/1"])
    assert Reaction.objects.count() == 0


def test_followers_are_counted_where_the_network_tells(
    cast: Cast, server: FakeMastodon, pds: str, acme_on_bluesky: tuple[Voice, bsky.Member]
) -> None:
    from cluetrain.insights import audience
    from cluetrain.insights.models import Audience

    mastodon = Voice(
        organization=cast.acme,
        kind=VoiceKind.OFFICIAL,
        network=Network.MASTODON,
        handle="@acme@example.org",
        name="Acme on Mastodon",
    )
    mastodon.set_credential({"api_base_url": BASE, "access_token": TOKEN})
    mastodon.save()
    bluesky, _ = acme_on_bluesky
    # The recorded CredentialAccount has its followers_count; the test PDS has no App View.
    assert audience.measure_all() == 1
    [row] = Audience.objects.all()
    assert row.voice == mastodon
    assert row.followers > 0
    assert audience.latest([mastodon.pk, bluesky.pk]) == {mastodon.pk: row.followers}
    # Unchanged and asked again soon: no new row; a day later: one, so the series goes on.
    audience.measure_all()
    assert Audience.objects.count() == 1
    audience.measure_all(now=timezone.now() + timedelta(days=1, minutes=1))
    assert Audience.objects.count() == 2
