"""Changes to what has already gone out: new wording, taking it down, sending after a reconnect."""

from __future__ import annotations

import functools

from django.db import transaction
from django.utils import timezone

from cluetrain.core import audit
from cluetrain.core.errors import NotAllowed, ServiceError
from cluetrain.organizations.models import Person
from cluetrain.publishing.drafts import check_voices, lengths
from cluetrain.publishing.models import Delivery, Post, PostEvent, PostStatus
from cluetrain.publishing.services import can_cancel, record_event, require_author
from cluetrain.publishing.status import refresh_status
from cluetrain.publishing.text import clean_text
from cluetrain.voices.models import Voice
from cluetrain.voices.services import check_disclosure


def requeue_after_reconnect(voice: Voice) -> int:
    """Send again, now, what failed only because the voice's credentials were refused."""
    failed = list(
        Delivery.objects.filter(
            voice=voice, status=PostStatus.FAILED, error_code="credentials"
        ).values_list("pk", "post_id")
    )
    count = Delivery.objects.filter(pk__in=[pk for pk, _ in failed]).update(
        status=PostStatus.SCHEDULED, due_at=timezone.now(), error="", error_code=""
    )
    for pk, post_id in failed:
        PostEvent.objects.create(
            post_id=post_id, delivery_id=pk, verb="retried", message=f"{voice} reconnected."
        )
        refresh_status(post_id)
    return count


def do_edit_published(person: Person, post: Post, text: str) -> Post:
    """Change a published post's text and carry the change to the networks that allow it."""
    from cluetrain.publishing.tasks import propagate_edit

    require_author(person, post)
    text = clean_text(text)
    with transaction.atomic():
        deliveries = list(
            post.deliveries.filter(status=PostStatus.PUBLISHED).select_related("voice")
        )
        if not deliveries:
            raise ServiceError("Only a published post can be edited this way.")
        voices = check_voices(person, post.organization, [d.voice for d in deliveries])
        for length in lengths(text, {}, voices):
            if length.over:
                raise ServiceError(f"Too long for {length.voice}: {length.used} of {length.limit}.")
        for voice in voices:
            check_disclosure(voice, text)
        post.text, post.variants = text, {}
        post.save(update_fields=["text", "variants", "updated_at"])
        record_event(post, "edited", actor=person)
        for delivery in deliveries:
            transaction.on_commit(functools.partial(propagate_edit.enqueue, delivery.pk))
    return post


def do_delete_published(person: Person, post: Post) -> int:
    """Take a published post down from every network, and cancel what has not gone out."""
    from cluetrain.publishing.tasks import propagate_delete

    if not can_cancel(person, post):
        raise NotAllowed("You cannot delete this post.")
    with transaction.atomic():
        Delivery.objects.filter(
            post=post, status__in=[PostStatus.DRAFT, PostStatus.SCHEDULED, PostStatus.PAUSED]
        ).update(status=PostStatus.CANCELLED)
        published = list(
            post.deliveries.filter(status=PostStatus.PUBLISHED).values_list("pk", flat=True)
        )
        record_event(post, "deleted", "Taken down from the networks.", actor=person)
        audit.record(post.organization, person, "post.deleted", post)
        for pk in published:
            transaction.on_commit(functools.partial(propagate_delete.enqueue, pk))
    return len(published)
