"""Collect reactions to published posts, on a schedule that backs off as each post ages.

A post draws most of its reactions in its first hours, so it is asked about often then and
seldom later: every 10 minutes in its first hour, hourly on its first day, every 6 hours in
its first week, daily in its first month, weekly to 90 days, then no more.

Counts come from the network's API (Bluesky's App View through ``getPosts``, a Mastodon
status). A Bluesky PDS without an App View has none to give: its event stream's likes,
reposts and quotes (``listening.Reaction``) and the replies heard are counted instead.

Every step is safe to run twice and from several workers at once: enrolling relies on the
one-track-per-delivery constraint, and a worker claims a track by moving its
``next_fetch_at`` with a conditional UPDATE before it calls the network.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from cluetrain.insights.models import EngagementSample, EngagementTrack
from cluetrain.listening.models import Direction, Message
from cluetrain.listening.reactions import counts_for
from cluetrain.networks.base import (
    ConnectorError,
    CredentialsRejected,
    Engagement,
    NetworkError,
    NotSupported,
    PublishedRef,
)
from cluetrain.publishing import connectors
from cluetrain.publishing.models import Delivery, PostStatus

log = logging.getLogger(__name__)

# Networks whose connectors report reactions (the practice space, feeds and webhooks do not).
COUNTED = ("bluesky", "mastodon")
# (age below which, ask every)
SCHEDULE = (
    (timedelta(hours=1), timedelta(minutes=10)),
    (timedelta(days=1), timedelta(hours=1)),
    (timedelta(days=7), timedelta(hours=6)),
    (timedelta(days=30), timedelta(days=1)),
    (timedelta(days=90), timedelta(days=7)),
)
FOLLOW_FOR = SCHEDULE[-1][0]
# How long a claimed track is held by the worker fetching it; a worker that dies mid-call
# leaves it to be fetched again after this.
LEASE = timedelta(minutes=5)
# After a network error, ask again soon, then less often; after this many, give up.
RETRY = (timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=3), timedelta(hours=12))
MAX_FAILURES = 8


def next_fetch(published_at: datetime, now: datetime) -> datetime | None:
    """When to ask next about a post published at ``published_at``; None when too old."""
    age = now - published_at
    for below, every in SCHEDULE:
        if age < below:
            return now + every
    return None


def enroll(now: datetime | None = None) -> int:
    """Start following every published delivery to a counting network that has no track yet
    (and is young enough). Returns how many were added."""
    now = now or timezone.now()
    fresh = list(
        Delivery.objects.filter(
            status=PostStatus.PUBLISHED,
            network__in=COUNTED,
            published_at__gte=now - FOLLOW_FOR,
            engagement_track__isnull=True,
        ).values_list("pk", "organization_id", "published_at")[:5000]
    )
    tracks = [
        EngagementTrack(
            delivery_id=pk,
            organization_id=organization_id,
            published_at=published_at or now,
            # A post just out is asked about at once: the first sample is its starting point.
            next_fetch_at=now,
        )
        for pk, organization_id, published_at in fresh
    ]
    EngagementTrack.objects.bulk_create(tracks, ignore_conflicts=True)
    return len(tracks)


def claim(limit: int, now: datetime | None = None) -> list[int]:
    """Claim up to ``limit`` due tracks for this worker; returns their ids."""
    now = now or timezone.now()
    due = list(
        EngagementTrack.objects.filter(next_fetch_at__lte=now)
        .order_by("next_fetch_at")
        .values_list("pk", "next_fetch_at")[:limit]
    )
    claimed = []
    for pk, seen in due:
        won = EngagementTrack.objects.filter(pk=pk, next_fetch_at=seen).update(
            next_fetch_at=now + LEASE
        )
        if won == 1:  # otherwise another worker got there first
            claimed.append(pk)
    return claimed


@dataclass(frozen=True)
class Counted:
    engagement: Engagement
    source: str  # "network" or "stream"


def _stream_counts(delivery: Delivery) -> Engagement:
    """Reactions the organisation's Bluesky stream carried, and the replies it heard."""
    parts = [str(ref.get("id", "")) for ref in delivery.refs or [] if ref.get("id")]
    heard = counts_for(delivery.organization_id, delivery.network, parts)
    replies = Message.objects.filter(
        organization_id=delivery.organization_id,
        network=delivery.network,
        direction=Direction.INBOUND,
        reply_to_external_id__in=parts,
    ).count()
    return Engagement(
        likes=heard.likes, reposts=heard.reposts, replies=replies, quotes=heard.quotes
    )


def count(delivery: Delivery) -> Counted:
    """The reactions to a delivery's first part (the head of a thread), as the network
    reports them; for Bluesky without an App View, as the stream carried them."""
    first = (delivery.refs or [{}])[0]
    ref = PublishedRef(
        id=str(first.get("id", "")), url=str(first.get("url", "")), cid=str(first.get("cid", ""))
    )
    if not ref.id:
        raise ConnectorError("This delivery has no network id to ask about.")
    connector = connectors.for_voice(delivery.voice)
    try:
        return Counted(connector.engagement(ref), "network")
    except NotSupported:
        if delivery.network != "bluesky":
            raise
        return Counted(_stream_counts(delivery), "stream")


def collect(pk: int, now: datetime | None = None) -> str:
    """Fetch one claimed track's counts and schedule the next fetch; returns what happened:
    "sampled", "unchanged", "stopped" or "retry"."""
    now = now or timezone.now()
    track = EngagementTrack.objects.select_related("delivery__voice").get(pk=pk)
    try:
        counted = count(track.delivery)
    except (NetworkError, CredentialsRejected) as exc:
        return _retry(track, now, str(exc))
    except ConnectorError as exc:
        # Deleted, or a network that never counts: nothing more to ask.
        EngagementTrack.objects.filter(pk=pk).update(
            next_fetch_at=None, last_error=str(exc)[:300], last_fetched_at=now
        )
        return "stopped"
    return _store(track, counted, now)


def _retry(track: EngagementTrack, now: datetime, error: str) -> str:
    failures = track.failures + 1
    wait = RETRY[min(failures, len(RETRY)) - 1]
    regular = next_fetch(track.published_at, now)
    later = None if failures >= MAX_FAILURES or regular is None else now + wait
    EngagementTrack.objects.filter(pk=track.pk).update(
        failures=failures, next_fetch_at=later, last_error=error[:300]
    )
    log.info("Engagement of delivery %s not fetched (%s)", track.delivery_id, error)
    return "retry"


def _store(track: EngagementTrack, counted: Counted, now: datetime) -> str:
    got = counted.engagement
    values = {
        "likes": max(got.likes, 0),
        "reposts": max(got.reposts, 0),
        "replies": max(got.replies, 0),
        "quotes": max(got.quotes, 0),
    }
    changed = track.fetches == 0 or any(getattr(track, k) != v for k, v in values.items())
    with transaction.atomic():
        if changed:
            EngagementSample.objects.create(delivery_id=track.delivery_id, at=now, **values)
        EngagementTrack.objects.filter(pk=track.pk).update(
            **values,
            fetches=track.fetches + 1,
            failures=0,
            last_fetched_at=now,
            next_fetch_at=next_fetch(track.published_at, now),
            counted_from=counted.source,
            last_error="",
        )
    return "sampled" if changed else "unchanged"


def collect_due(limit: int = 200, now: datetime | None = None) -> dict[str, int]:
    """Enroll new deliveries, then fetch up to ``limit`` due tracks; a tally of outcomes."""
    enroll(now)
    tally: dict[str, int] = {}
    for pk in claim(limit, now):
        try:
            outcome = collect(pk, now)
        except Exception:
            # One post's trouble must not stop the others; it is asked about again after
            # its lease.
            log.exception("Engagement of track %s could not be collected", pk)
            outcome = "failed"
        tally[outcome] = tally.get(outcome, 0) + 1
    return tally
