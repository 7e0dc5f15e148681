"""Recording what became of a claimed delivery: published, failed, or back in the queue.

Each outcome is written only while the claim is still this worker's (``_mine``): a worker
slower than its lease may find its delivery taken over, and then records nothing. Successes of
a batch can be recorded together by a ``Recorder``; where that is safe is said on the class.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef
from django.utils import timezone

from cluetrain.hooks import events as hook_events
from cluetrain.networks.base import PublishedRef
from cluetrain.publishing import connectors, incidents
from cluetrain.publishing.models import Delivery, Post, PostEvent, PostStatus
from cluetrain.publishing.status import refresh_status
from cluetrain.voices.models import Voice, VoiceStatus

logger = logging.getLogger(__name__)


def refs_of(delivery: Delivery) -> list[PublishedRef]:
    """Where each part of a delivery went so far, as the connectors take them."""
    return [
        PublishedRef(id=r["id"], url=r.get("url", ""), cid=r.get("cid", "")) for r in delivery.refs
    ]


def _as_json(refs: list[PublishedRef]) -> list[dict[str, str]]:
    return [{"id": r.id, "url": r.url, "cid": r.cid} for r in refs]


def _mine(delivery: Delivery, token: str) -> Any:
    return Delivery.objects.filter(pk=delivery.pk, claim_token=token, status=PostStatus.PUBLISHING)


def delivery_event(delivery: Delivery, verb: str, message: str = "") -> None:
    PostEvent.objects.create(
        post_id=delivery.post_id, delivery=delivery, verb=verb, message=message[:2000]
    )


def fail(delivery: Delivery, token: str, code: str, message: str) -> None:
    with transaction.atomic():
        if _mine(delivery, token).update(
            status=PostStatus.FAILED, error_code=code, error=message, claim_token=""
        ):
            delivery_event(delivery, "failed", message)
            refresh_status(delivery.post_id)


def later(delivery: Delivery, token: str, seconds: float, message: str, *, attempt: bool) -> None:
    """Put the delivery back to be tried again in ``seconds`` (not counted if not ``attempt``)."""
    changes: dict[str, Any] = {
        "status": PostStatus.SCHEDULED,
        "due_at": timezone.now() + timedelta(seconds=seconds),
        "claim_token": "",
        "claimed_until": None,
        "error": message,
        "error_code": "retrying" if attempt else "waiting",
    }
    if not attempt:
        changes["attempts"] = F("attempts") - 1
    with transaction.atomic():
        incidents.guard(delivery.organization_id)
        if _mine(delivery, token).update(**changes):
            if attempt:
                delivery_event(delivery, "retrying", message)
            # A retry during an incident that covers it waits for people to decide.
            incidents.hold(delivery.organization_id, [delivery.pk])


def needs_reconnect(delivery: Delivery, token: str, message: str) -> None:
    from cluetrain.notifications.services import notify

    voice = delivery.voice
    text = (
        f"{voice.get_network_display()} refused the credentials of {voice}: {message} "
        "Reconnect the account; its posts will then go out."
    )
    with transaction.atomic():
        if not _mine(delivery, token).update(
            status=PostStatus.FAILED, error_code="credentials", error=text, claim_token=""
        ):
            return
        delivery_event(delivery, "failed", text)
        refresh_status(delivery.post_id)
        changed = Voice.objects.filter(pk=voice.pk, status=VoiceStatus.CONNECTED).update(
            status=VoiceStatus.NEEDS_RECONNECT
        )
        voice.status = VoiceStatus.NEEDS_RECONNECT
        if changed:  # tell once, when the voice changes state, not for every post
            people = [voice.owner] if voice.owner else [delivery.post.author]
            for person in people:
                if person is not None:
                    notify(
                        person,
                        "voice.needs_reconnect",
                        f"{voice} needs reconnecting",
                        text,
                        organization=voice.organization,
                        url="/voices/",
                    )
    connectors.forget(voice.pk)


def part_recorder(delivery: Delivery, token: str) -> Callable[[int, PublishedRef], None]:
    done = refs_of(delivery)

    def record(index: int, ref: PublishedRef) -> None:
        done[index:] = [ref]
        _mine(delivery, token).update(refs=_as_json(done))

    return record


def record(delivery: Delivery, token: str, refs: list[PublishedRef]) -> None:
    url = refs[0].url if refs else ""
    with transaction.atomic():
        if not _mine(delivery, token).update(
            status=PostStatus.PUBLISHED,
            refs=_as_json(refs),
            url=url[:500],
            published_at=timezone.now(),
            claim_token="",
            claimed_until=None,
            error="",
            error_code="",
        ):
            # Our claim was taken over (we were slower than the lease). The other attempt
            # finds this post through its key; nothing to record here.
            logger.warning("delivery %s: claim lost after publishing", delivery.pk)
            return
        delivery_event(delivery, "published", url)
        # One statement in the common case (every delivery of the post is out); the general
        # summary only when some are not.
        others = Delivery.objects.filter(post_id=delivery.post_id).exclude(
            status=PostStatus.PUBLISHED
        )
        done = (
            Post.objects.filter(pk=delivery.post_id)
            .exclude(Exists(others))
            .update(status=PostStatus.PUBLISHED, published_at=timezone.now())
        )
        if not done:
            refresh_status(delivery.post_id)
        hook_events.posts_published([(delivery.organization_id, delivery.post_id)])


def _write_where_each_went(deliveries: list[Delivery]) -> None:
    """Each delivery's own refs and URL, in one round trip (executemany)."""
    refs = Delivery._meta.get_field("refs")
    with connection.cursor() as cursor:
        cursor.executemany(
            f"UPDATE {Delivery._meta.db_table} SET refs = %s, url = %s WHERE id = %s",  # noqa: S608
            [(refs.get_db_prep_value(d.refs, connection), d.url, d.pk) for d in deliveries],
        )


class Recorder:
    """Records a batch's successes together: one transaction for up to a batch of posts.

    Deferring is safe only where a repeated attempt finds its earlier self on the network: a
    worker killed before the flush leaves those posts ``publishing``, and their next attempt
    finds each post by its key instead of sending it again (Bluesky record keys, Mastodon's
    Idempotency-Key, Cluetrain's own practice space and feeds). Webhooks cannot be asked, so
    they are recorded one by one, at once.
    """

    DEFERRABLE = frozenset({"practice", "feed", "bluesky", "mastodon"})

    def __init__(self, token: str) -> None:
        self.token = token
        self.pending: list[tuple[Delivery, list[PublishedRef]]] = []

    def add(self, delivery: Delivery, refs: list[PublishedRef]) -> None:
        self.pending.append((delivery, refs))

    def flush(self) -> None:
        if not self.pending:
            return
        items, self.pending = self.pending, []
        now = timezone.now()
        with transaction.atomic():
            ids = [delivery.pk for delivery, _ in items]
            mine = set(
                Delivery.objects.filter(
                    pk__in=ids, claim_token=self.token, status=PostStatus.PUBLISHING
                )
                .select_for_update()
                .values_list("pk", flat=True)
            )
            kept = []
            for delivery, refs in items:
                if delivery.pk not in mine:
                    logger.warning("delivery %s: claim lost after publishing", delivery.pk)
                    continue
                delivery.refs = _as_json(refs)
                delivery.url = (refs[0].url if refs else "")[:500]
                kept.append(delivery)
            if not kept:
                return
            # What every row shares in one statement; what differs (where each post went)
            # in a second.
            Delivery.objects.filter(pk__in=[d.pk for d in kept]).update(
                status=PostStatus.PUBLISHED,
                published_at=now,
                claim_token="",
                claimed_until=None,
                error="",
                error_code="",
            )
            _write_where_each_went(kept)
            PostEvent.objects.bulk_create(
                PostEvent(post_id=d.post_id, delivery=d, verb="published", message=d.url)
                for d in kept
            )
            post_ids = {d.post_id for d in kept}
            hook_events.posts_published({(d.organization_id, d.post_id) for d in kept})
            unfinished = Delivery.objects.filter(post_id=OuterRef("pk")).exclude(
                status=PostStatus.PUBLISHED
            )
            Post.objects.filter(pk__in=post_ids).exclude(Exists(unfinished)).update(
                status=PostStatus.PUBLISHED, published_at=now
            )
            for post_id in (
                Post.objects.filter(pk__in=post_ids)
                .exclude(status=PostStatus.PUBLISHED)
                .values_list("pk", flat=True)
            ):
                refresh_status(post_id)
