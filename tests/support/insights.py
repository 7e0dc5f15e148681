"""A small known history for the insights measures: conversations with given response and
resolution times, our replies, and published posts with reactions."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from typing import Any

from cluetrain.inbox.models import Conversation, ConversationEvent
from cluetrain.insights.models import EngagementTrack
from cluetrain.listening.models import Direction, Message
from cluetrain.organizations.models import Organization, Person
from cluetrain.publishing.models import Delivery, Post, PostStatus
from cluetrain.voices.models import Voice
from tests.support.inbox import author

_serial = itertools.count(1)


def talk(
    organization: Organization,
    at: datetime,
    *,
    responded_after: float | None = None,
    resolved_after: float | None = None,
    replier: Person | None = None,
    **fields: Any,
) -> Conversation:
    """A conversation first heard ``at``, answered and resolved that many minutes later, with
    its inbound message (triaged) and our reply (by ``replier``) as messages."""
    n = next(_serial)
    responded = at + timedelta(minutes=responded_after) if responded_after is not None else None
    resolved = at + timedelta(minutes=resolved_after) if resolved_after is not None else None
    who = author(organization)
    made = Conversation.objects.create(
        organization=organization,
        network="bluesky",
        root_external_id=f"at://insights/{n}",
        author=who,
        subject=f"Question {n}",
        first_message_at=at,
        last_message_at=at,
        first_response_at=responded,
        last_reply_at=responded,
        resolved_at=resolved,
        status="resolved" if resolved else "open",
        message_count=2 if responded else 1,
        **fields,
    )
    Message.objects.create(
        organization=organization,
        network="bluesky",
        external_id=f"in-{n}",
        author=who,
        text="Where is my train?",
        created_at=at,
        received_at=at,
        conversation=made,
        triaged_at=at,
    )
    if responded is not None:
        Message.objects.create(
            organization=organization,
            network="bluesky",
            external_id=f"out-{n}",
            author=who,
            text="On its way.",
            created_at=responded,
            received_at=responded,
            direction=Direction.OUTBOUND,
            conversation=made,
            sent_by=replier,
            triaged_at=responded,
        )
    return made


def change(conversation: Conversation, **fields: Any) -> None:
    """Change a conversation the way the inbox does: the row and an event line."""
    Conversation.objects.filter(pk=conversation.pk).update(**fields)
    ConversationEvent.objects.create(conversation=conversation, kind="status", detail={})


def publish(
    voice: Voice,
    author_person: Person,
    at: datetime,
    likes: int = 0,
    reposts: int = 0,
    replies: int = 0,
    quotes: int = 0,
) -> Delivery:
    """A post of ``author_person`` published through ``voice`` at ``at`` with those reactions."""
    post = Post.objects.create(
        organization=voice.organization,
        author=author_person,
        text="Trains run on time today.",
        status=PostStatus.PUBLISHED,
        published_at=at,
    )
    delivery = Delivery.objects.create(
        post=post,
        voice=voice,
        organization=voice.organization,
        network=voice.network,
        status=PostStatus.PUBLISHED,
        published_at=at,
    )
    EngagementTrack.objects.create(
        delivery=delivery,
        organization=voice.organization,
        published_at=at,
        likes=likes,
        reposts=reposts,
        replies=replies,
        quotes=quotes,
    )
    return delivery


def react(delivery: Delivery, **counts: int) -> None:
    """New reactions counted (as a fetch does: the track's latest and a sample)."""
    from django.utils import timezone

    from cluetrain.insights.models import EngagementSample

    EngagementTrack.objects.filter(delivery=delivery).update(**counts)
    EngagementSample.objects.create(delivery=delivery, at=timezone.now(), **counts)
