"""The dispatcher: claims due deliveries, calls the networks, has where each post went recorded.

The outbox row (``Delivery``) is the job. Its life, and why nothing is lost or sent twice:

1. *Claim*: due rows are taken in small batches with ``SELECT … FOR UPDATE SKIP LOCKED``
   (PostgreSQL) or inside one ``BEGIN IMMEDIATE`` transaction (SQLite), and marked
   ``publishing`` with this worker's token and a lease.
2. *Last moment*: just before the network call, one conditional UPDATE stamps ``called_at`` and
   renews the lease, and only if the row is still this worker's and still ``publishing``. A
   pause (crisis mode) or a cancel committed before that instant wins: nothing is sent.
3. *Call*: the connector publishes under the delivery's idempotency key.
4. *Record*: the result is written only if the claim is still ours (``publishing.recording``).

A worker killed anywhere leaves the row ``publishing`` until its lease runs out; then
``publishing.recovery`` puts it back, and the next attempt (``attempts`` > 1) makes the
connector look for the post that may already be out before creating it again.
"""

from __future__ import annotations

import logging
import random
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from django.conf import settings
from django.db import close_old_connections, connection, transaction
from django.db.models import F
from django.utils import timezone

from cluetrain.networks.base import (
    ConnectorError,
    ContentRejected,
    CredentialsRejected,
    LinkCard,
    Media,
    NetworkError,
    NotSupported,
    Outgoing,
    PublishedRef,
)
from cluetrain.organizations import policy
from cluetrain.publishing import connectors, ratelimit, recording
from cluetrain.publishing.media import public_url
from cluetrain.publishing.models import Delivery, Post, PostStatus
from cluetrain.voices.models import Voice, VoiceStatus

logger = logging.getLogger(__name__)

BATCH = 20
BACKOFF_SECONDS = 15.0
BACKOFF_CAP = 3600.0


def claim(token: str, *, batch: int = BATCH, now: datetime | None = None) -> list[int]:
    """Take up to ``batch`` due deliveries for this worker; returns their ids."""
    now = now or timezone.now()
    lease = timedelta(seconds=settings.PUBLISH_LEASE_SECONDS)
    with transaction.atomic():
        ids = list(
            Delivery.objects.filter(status=PostStatus.SCHEDULED, due_at__lte=now)
            .order_by("due_at")
            .select_for_update(skip_locked=True)
            .values_list("pk", flat=True)[:batch]
        )
        if ids:
            Delivery.objects.filter(pk__in=ids, status=PostStatus.SCHEDULED).update(
                status=PostStatus.PUBLISHING,
                claim_token=token,
                claimed_until=now + lease,
                attempts=F("attempts") + 1,
            )
    return ids


def _load(pk: int) -> Delivery | None:
    return (
        Delivery.objects.select_related(
            "post", "post__author", "voice", "voice__owner", "voice__organization"
        )
        .filter(pk=pk)
        .first()
    )


# (author, voice) -> (allowed, checked at): the voice rule is re-checked at publishing time,
# cached briefly so that a burst of posts does not ask the database for each one.
_allowed: dict[tuple[int, int], tuple[bool, float]] = {}
_ALLOWED_TTL = 10.0


def _may_post(delivery: Delivery) -> bool:
    key = (delivery.post.author_id, delivery.voice_id)
    cached = _allowed.get(key)
    if cached is not None and time.monotonic() - cached[1] < _ALLOWED_TTL:
        return cached[0]
    allowed = policy.can_post_as(delivery.post.author, delivery.voice)
    _allowed[key] = (allowed, time.monotonic())
    return allowed


def outgoing_for(delivery: Delivery) -> Outgoing:
    post = delivery.post
    media: tuple[Media, ...] = ()
    if post.media_count:
        media = tuple(
            Media(
                data=item.file.read(),
                content_type=item.content_type,
                alt_text=item.alt_text,
                filename=item.file.name.rsplit("/", 1)[-1],
                width=item.width,
                height=item.height,
                url=public_url(item.file.url),
            )
            for item in post.media.all()
        )
    link = None
    if post.link_preview.get("url"):
        link = LinkCard(
            url=post.link_preview["url"],
            title=post.link_preview.get("title", ""),
            description=post.link_preview.get("description", ""),
        )
    return Outgoing(
        parts=tuple(post.parts(delivery.network)),
        key=delivery.key,
        created_at=delivery.created_at,
        media=media,
        reply_to=_ref(post.reply_to_url),
        quote=_ref(post.quote_url),
        link=link,
        title=post.title,
        visibility=post.visibility,
        content_warning=post.content_warning,
        extra={
            "attempt": str(delivery.attempts),
            "category": post.category,
            "author": post.author.full_name,
            "voice": delivery.voice.name,
        },
    )


def _ref(value: str) -> PublishedRef | None:
    return PublishedRef(id=value, url=value) if value else None


def backoff(attempt: int) -> float:
    """Exponential back-off with jitter: about 15 s, 30 s, 1 min … capped at an hour."""
    return min(BACKOFF_CAP, BACKOFF_SECONDS * 2 ** max(0, attempt - 1)) * random.uniform(0.8, 1.2)


def publish_one(pk: int | Delivery, token: str, recorder: recording.Recorder | None = None) -> str:
    """Run one claimed delivery to its end (or back to the queue); returns its new status.

    With a ``recorder``, a success is recorded with the rest of the batch (one transaction for
    several posts) instead of at once; see ``recording.Recorder``.
    """
    delivery = _load(pk) if isinstance(pk, int) else pk
    if (
        delivery is None
        or delivery.claim_token != token
        or delivery.status != PostStatus.PUBLISHING
    ):
        return "skipped"
    voice = delivery.voice
    if voice.status != VoiceStatus.CONNECTED:
        # "credentials": sent again by itself once the owner reconnects the voice.
        code = "credentials" if voice.status == VoiceStatus.NEEDS_RECONNECT else "voice"
        recording.fail(delivery, token, code, f"{voice} {voice.get_status_display().lower()}.")
        return PostStatus.FAILED
    if not _may_post(delivery):
        recording.fail(
            delivery,
            token,
            "not_allowed",
            f"{delivery.post.author} may no longer post through {voice}.",
        )
        return PostStatus.FAILED
    wait = ratelimit.wait_for(voice)
    if wait > 0:
        recording.later(delivery, token, wait, f"Waiting for {voice}'s rate limit.", attempt=False)
        return PostStatus.SCHEDULED
    try:
        connector = connectors.for_voice(voice)
        outgoing = outgoing_for(delivery)
    except CredentialsRejected as exc:
        recording.needs_reconnect(delivery, token, str(exc))
        return PostStatus.FAILED
    except (ConnectorError, OSError, ValueError) as exc:
        recording.fail(delivery, token, "setup", f"Cannot publish through {voice}: {exc}")
        return PostStatus.FAILED
    now = timezone.now()
    lease = timedelta(seconds=settings.PUBLISH_LEASE_SECONDS)
    # The last moment: a pause or cancel committed before this UPDATE stops the call.
    if not _stamp_call(delivery, token, now, now + lease):
        return "skipped"
    on_part = recording.part_recorder(delivery, token) if len(outgoing.parts) > 1 else None
    try:
        refs = connector.publish(outgoing, done=recording.refs_of(delivery), on_part=on_part)
    except CredentialsRejected as exc:
        recording.needs_reconnect(delivery, token, str(exc))
        return PostStatus.FAILED
    except NetworkError as exc:
        if exc.retry_after:
            ratelimit.hold(voice, exc.retry_after)
        if delivery.attempts >= settings.PUBLISH_MAX_ATTEMPTS:
            recording.fail(
                delivery,
                token,
                "network",
                f"{exc} Gave up after {delivery.attempts} attempts; try again later.",
            )
            return PostStatus.FAILED
        delay = exc.retry_after or backoff(delivery.attempts)
        recording.later(
            delivery, token, delay, f"{exc} Trying again in {delay:.0f} s.", attempt=True
        )
        return PostStatus.SCHEDULED
    except (ContentRejected, NotSupported) as exc:
        recording.fail(delivery, token, "content", str(exc))
        return PostStatus.FAILED
    except ConnectorError as exc:
        recording.fail(delivery, token, "network_answer", str(exc))
        return PostStatus.FAILED
    except Exception:
        # A bug, not the network: keep the post, say so plainly, and let people retry it.
        logger.exception("publishing delivery %s failed unexpectedly", delivery.pk)
        recording.fail(delivery, token, "internal", "Cluetrain failed while publishing; retry it.")
        return PostStatus.FAILED
    if recorder is not None and delivery.network in recording.Recorder.DEFERRABLE:
        recorder.add(delivery, refs)
    else:
        recording.record(delivery, token, refs)
    return PostStatus.PUBLISHED


def _stamp_call(delivery: Delivery, token: str, now: datetime, until: datetime) -> bool:
    """Mark the delivery in flight, if it is still ours and still to be sent.

    One statement, written by hand: it runs before every network call, and the ORM's query
    building cost as much as the database's work.
    """
    table = Delivery._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET called_at = %s, claimed_until = %s"  # noqa: S608 - our table name
            " WHERE id = %s AND claim_token = %s AND status = %s",
            [
                connection.ops.adapt_datetimefield_value(now),
                connection.ops.adapt_datetimefield_value(until),
                delivery.pk,
                token,
                PostStatus.PUBLISHING.value,
            ],
        )
        return cursor.rowcount == 1


def run_due(token: str | None = None, *, limit: int | None = None) -> int:
    """Publish everything due now, in this thread; returns how many deliveries were handled."""
    token = token or uuid.uuid4().hex
    with _no_flush_wait():
        return _run_due(token, limit)


@contextmanager
def _no_flush_wait() -> Iterator[None]:
    """On PostgreSQL, do not wait for the disk at each commit while publishing.

    Each post commits twice (the in-flight stamp and, with its batch, the result), and waiting
    for the write-ahead log to reach the disk each time would double what a post costs. Should
    the database server itself crash, the last fraction of a second of those commits may be
    lost, never corrupted: a post stamped or recorded in that instant is attempted again and
    found on the network by its key (a webhook receiver sees it again with the same delivery
    id). Nothing outside publishing is affected: the setting is put back afterwards.
    """
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit TO OFF")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET synchronous_commit")


def _run_due(token: str, limit: int | None) -> int:
    handled = 0
    recorder = recording.Recorder(token)
    while limit is None or handled < limit:
        ids = claim(token)
        if not ids:
            break
        _mark_posts_publishing(ids)
        loaded = _load_many(ids)
        try:
            for pk in ids:
                delivery = loaded.get(pk)
                if delivery is not None:
                    publish_one(delivery, token, recorder)
                handled += 1
        finally:
            recorder.flush()
    return handled


def _load_many(ids: list[int]) -> dict[int, Delivery]:
    loaded = {
        delivery.pk: delivery
        for delivery in Delivery.objects.select_related(
            "post", "post__author", "voice", "voice__owner", "voice__organization"
        ).filter(pk__in=ids)
    }
    # One object per voice, so what one post learns (a hold, refused credentials) the next
    # post of the same voice in the batch sees.
    voices: dict[int, Voice] = {}
    for delivery in loaded.values():
        delivery.voice = voices.setdefault(delivery.voice_id, delivery.voice)
    return loaded


def _mark_posts_publishing(ids: list[int]) -> None:
    Post.objects.filter(deliveries__pk__in=ids, status=PostStatus.SCHEDULED).update(
        status=PostStatus.PUBLISHING
    )


def dispatcher(stop: threading.Event, *, idle: float = 0.2) -> None:
    """One publishing thread: claim, publish, repeat until ``stop``; sleeps when idle."""
    token = uuid.uuid4().hex
    try:
        while not stop.is_set():
            try:
                close_old_connections()
                if run_due(token, limit=BATCH * 10) == 0:
                    stop.wait(idle * random.uniform(0.75, 1.25))
            except Exception:  # the database went away for a moment: keep the thread alive
                logger.exception("publishing dispatcher failed; retrying")
                connection.close()
                stop.wait(1.0)
    finally:
        # A thread's connection is its own: close it or it leaks.
        connection.close()
