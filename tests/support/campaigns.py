"""A small known history for the objectives, campaigns and cost tests: posts written, sent,
reviewed and published at chosen moments, and conversations heard, handed over and answered.

Plain functions that write rows directly (timestamps the services would set to "now" are set
to the moment a test names), so each expectation can be computed by hand.
"""

from __future__ import annotations

import itertools
from datetime import datetime

from cluetrain.inbox.models import Conversation, ConversationEvent
from cluetrain.insights.models import EngagementTrack
from cluetrain.listening.models import Author, Direction, Message
from cluetrain.organizations.models import Department, Organization, Person
from cluetrain.publishing.models import Delivery, Post, PostEvent, PostStatus
from cluetrain.reviews.models import Review, ReviewStatus
from cluetrain.voices.models import Voice
from tests.support.inbox import author as new_author

_serial = itertools.count(1)


def post(
    organization: Organization,
    author: Person,
    *,
    created: datetime,
    sent: datetime | None = None,
    published: datetime | None = None,
    voice: Voice | None = None,
    likes: int = 0,
    reposts: int = 0,
    replies: int = 0,
    quotes: int = 0,
    text: str = "",
) -> Post:
    """A post created at ``created``, sent (scheduled) at ``sent`` and published at
    ``published`` through ``voice``, with the reactions it drew."""
    n = next(_serial)
    made = Post.objects.create(
        organization=organization,
        author=author,
        text=text or f"Post number {n}",
        status=PostStatus.PUBLISHED if published else PostStatus.SCHEDULED,
        published_at=published,
    )
    Post.objects.filter(pk=made.pk).update(created_at=created)
    made.created_at = created
    _event(made, "created", created, author)
    if sent is not None:
        _event(made, "scheduled", sent, author)
    if published is not None:
        assert voice is not None, "a published post goes out through a voice"
        delivery = Delivery.objects.create(
            post=made,
            voice=voice,
            organization=organization,
            network=voice.network,
            status=PostStatus.PUBLISHED,
            published_at=published,
            refs=[{"id": f"at://acme/post/{n}", "url": f"https://example.test/{n}"}],
        )
        EngagementTrack.objects.create(
            delivery=delivery,
            organization=organization,
            published_at=published,
            likes=likes,
            reposts=reposts,
            replies=replies,
            quotes=quotes,
        )
    return made


def _event(post: Post, verb: str, at: datetime, actor: Person) -> None:
    event = PostEvent.objects.create(post=post, verb=verb, actor=actor)
    PostEvent.objects.filter(pk=event.pk).update(at=at)


def review(
    post: Post,
    reviewer: Person,
    *,
    requested: datetime,
    decided: datetime,
    status: str = ReviewStatus.APPROVED,
) -> Review:
    return Review.objects.create(
        post=post,
        organization=post.organization,
        requested_at=requested,
        due_at=requested,
        reason="Supervised author.",
        status=status,
        decided_by=reviewer,
        decided_at=decided,
    )


def conversation(
    organization: Organization,
    *,
    heard: datetime,
    replier: Person | None = None,
    replied: datetime | None = None,
    handed_over: datetime | None = None,
    resolved: datetime | None = None,
    complaint: bool = False,
    department: Department | None = None,
    in_reply_to: str = "",
    who: Author | None = None,
) -> Conversation:
    """A customer's message heard at ``heard`` (in reply to one of our posts' refs, with
    ``in_reply_to``), optionally handed to someone and answered by ``replier``."""
    n = next(_serial)
    who = who or new_author(organization)
    made = Conversation.objects.create(
        organization=organization,
        network="bluesky",
        root_external_id=f"at://customer/{n}",
        author=who,
        subject=f"Question {n}",
        first_message_at=heard,
        last_message_at=heard,
        first_response_at=replied,
        resolved_at=resolved,
        status="resolved" if resolved else ("pending" if replied else "new"),
        complaint=complaint,
        department=department,
        assignee=replier,
        message_count=2 if replied else 1,
    )
    Message.objects.create(
        organization=organization,
        network="bluesky",
        external_id=f"at://customer/{n}",
        author=who,
        text="Where is my train?",
        created_at=heard,
        received_at=heard,
        reply_to_external_id=in_reply_to,
        direction=Direction.INBOUND,
        conversation=made,
        complaint=complaint,
        # Triaged: the roll-ups wait for triage before counting what follows a message.
        triaged_at=heard,
    )
    if handed_over is not None:
        event = ConversationEvent.objects.create(
            conversation=made, actor=replier, kind="assigned", detail={}
        )
        ConversationEvent.objects.filter(pk=event.pk).update(created_at=handed_over)
    if replied is not None and replier is not None:
        Message.objects.create(
            organization=organization,
            network="bluesky",
            external_id=f"at://acme/reply/{n}",
            author=who,
            text="It is on its way.",
            created_at=replied,
            received_at=replied,
            reply_to_external_id=f"at://customer/{n}",
            direction=Direction.OUTBOUND,
            conversation=made,
            sent_by=replier,
        )
    return made
