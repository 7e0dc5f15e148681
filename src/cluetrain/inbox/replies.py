"""Replying to a conversation through a voice: the voice rules, the guidelines, the customer's
personal data, then the publishing outbox, threaded under the customer's message.

Choices made here:

* **Which voices.** A reply goes out through a voice the person may post from
  (``policy.require_post_as``: nobody speaks from another person's personal voice,
  administrators included) on the conversation's own network: a Bluesky thread is answered on
  Bluesky, a Mastodon one on Mastodon. Feeds and webhooks cannot carry a threaded reply, so
  they are never offered. Conversations heard in the practice space are answered there (how
  trainees practise the inbox).
* **Guidelines and review.** The reply is a post (category customer care) made by
  ``publishing.services.do_create_post``, so it passes the same gate as anything else: a
  blocking finding stops it unless a director overrides it in writing, and a person whose
  autonomy level asks for review sends the reply to a reviewer, who sees it as a post. The
  conversation records the reply at once either way, marked with its post's state.
* **Personal data.** Repeating the customer's e-mail, phone, card, address or order number is
  a warning the person confirms (``confirm_personal_data``), not a refusal.
* **The outbound message.** Its ``external_id`` is ``post:<id>`` until the delivery is
  published; ``sync_reply_ids`` then gives it the network's id and address, so when the stream
  hears our own reply it is recognised as the message already stored (listening stores a
  message once per network id).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone

from cluetrain.core.errors import NotAllowed, ServiceError
from cluetrain.inbox import personal_data
from cluetrain.inbox.models import Conversation, ConversationEvent, Status
from cluetrain.inbox.services import require_inbox
from cluetrain.listening.models import Author, Direction, Message
from cluetrain.organizations import policy
from cluetrain.organizations.models import Person
from cluetrain.publishing.drafts import Draft
from cluetrain.publishing.models import Category, Delivery, Post, PostStatus
from cluetrain.publishing.scheduling import Schedule, When
from cluetrain.publishing.services import do_create_post
from cluetrain.voices.models import Network, Voice, VoiceStatus

# Networks on which a reply can be threaded under the message it answers.
REPLYABLE = (Network.BLUESKY, Network.MASTODON, Network.PRACTICE)
# How many of the customer's latest messages are searched for personal data.
CUSTOMER_MESSAGES = 50
PLACEHOLDER = "post:"


class PersonalDataRepeated(ServiceError):
    """The reply repeats the customer's personal data; send again confirmed to go ahead."""

    def __init__(self, found: list[personal_data.Repeated]) -> None:
        listed = ", ".join(str(f) for f in found)
        super().__init__(
            f"This reply repeats the customer's personal data in public ({listed}). "
            "Take it out, or confirm that they asked you to.",
            code="personal_data",
        )
        self.found = found


@dataclass
class Sent:
    """What a reply became: its post (scheduled, or waiting for a review) and its message."""

    post: Post
    message: Message
    in_review: bool
    warnings: list[personal_data.Repeated] = field(default_factory=list)


def reply_voices(person: Person, conversation: Conversation) -> QuerySet[Voice]:
    """The connected voices ``person`` may answer this conversation from."""
    if conversation.network not in REPLYABLE:
        return Voice.objects.none()
    return policy.postable_voices(person, conversation.organization).filter(
        network=conversation.network, status=VoiceStatus.CONNECTED
    )


def check_voice(person: Person, conversation: Conversation, voice: Voice) -> None:
    if voice.organization_id != conversation.organization_id:
        raise NotAllowed(f"{voice} does not belong to {conversation.organization.name}.")
    policy.require_post_as(person, voice)
    if conversation.network not in REPLYABLE:
        raise ServiceError(
            f"A conversation from {conversation.network} cannot be answered with a threaded "
            "reply; answer it where it was written.",
            code="network",
        )
    if voice.network != conversation.network:
        raise ServiceError(
            f"This conversation is on {Network(conversation.network).label}; "
            f"{voice.name} is on {voice.get_network_display()}. Reply from a "
            f"{Network(conversation.network).label} voice so the reply is threaded.",
            code="network",
        )


def customer_texts(conversation: Conversation) -> list[str]:
    return list(
        Message.objects.filter(conversation=conversation, direction=Direction.INBOUND)
        .order_by("-created_at")
        .values_list("text", flat=True)[:CUSTOMER_MESSAGES]
    )


def personal_data_warnings(conversation: Conversation, text: str) -> list[personal_data.Repeated]:
    return personal_data.repeated(text, customer_texts(conversation))


def answered_message(conversation: Conversation, reply_to: Message | None) -> Message:
    """The message a reply goes under: the one chosen, or the customer's latest."""
    if reply_to is not None:
        if reply_to.conversation_id != conversation.pk:
            raise ServiceError("That message is not part of this conversation.", code="reply_to")
        return reply_to
    latest = (
        Message.objects.filter(conversation=conversation, direction=Direction.INBOUND)
        .order_by("-created_at", "-id")
        .first()
    )
    if latest is None:
        raise ServiceError("This conversation has no message to reply to.", code="reply_to")
    return latest


def reply_target(message: Message) -> str:
    """What the network's connector needs to thread a reply under ``message``.

    Bluesky threads by the at:// URI (the connector reads the parent's record for the root);
    Mastodon by the status's URI, the same on every instance (the listener stores it as the
    message's id); the practice space by the message's address.
    """
    if message.external_id.startswith(("at://", "https://", "http://")):
        return message.external_id
    if message.url.startswith(("https://", "http://", "at://")):
        return message.url
    return ""


def _our_author(voice: Voice) -> Author:
    """The voice as an author of messages, so our replies sit in the thread like any other."""
    now = timezone.now()
    author, _ = Author.objects.get_or_create(
        organization_id=voice.organization_id,
        network=voice.network,
        external_id=voice.handle,
        defaults={
            "handle": voice.handle,
            "display_name": voice.name,
            "first_seen_at": now,
            "last_seen_at": now,
        },
    )
    return author


def do_reply(
    person: Person,
    conversation: Conversation,
    voice: Voice,
    text: str,
    *,
    reply_to_message: Message | None = None,
    override_reason: str = "",
    confirm_personal_data: bool = False,
    status_after: str = Status.WAITING,
) -> Sent:
    """Answer the conversation through ``voice``; the reply is threaded on the network.

    Raises ``PersonalDataRepeated`` (a ``ServiceError``) when the reply repeats the customer's
    personal data and it was not confirmed; ``ServiceError`` for a blocking guideline finding
    (unless a director overrides it), ``NotAllowed`` for a voice the person may not use.
    """
    require_inbox(person, conversation.organization)
    check_voice(person, conversation, voice)
    if status_after not in Status.values:
        raise ServiceError(f"{status_after!r} is not a conversation status.", code="status")
    if not text.strip():
        raise ServiceError("Write a reply first.", code="empty")
    parent = answered_message(conversation, reply_to_message)
    target = reply_target(parent)
    if not target and conversation.network != Network.PRACTICE:
        raise ServiceError(
            "Cluetrain does not know where this message is on the network, so a reply "
            "could not be threaded under it.",
            code="reply_to",
        )
    warnings = personal_data_warnings(conversation, text)
    if warnings and not confirm_personal_data:
        raise PersonalDataRepeated(warnings)
    with transaction.atomic():
        post = do_create_post(
            person,
            conversation.organization,
            Draft(
                text=text,
                voices=[voice],
                category=Category.CUSTOMER_CARE,
                reply_to_url=target,
                override_reason=override_reason,
            ),
            Schedule(When.NOW),
        )
        now = timezone.now()
        message = Message.objects.create(
            organization_id=conversation.organization_id,
            network=conversation.network,
            external_id=f"{PLACEHOLDER}{post.pk}",
            author=_our_author(voice),
            text=post.text,
            created_at=now,
            received_at=now,
            reply_to_external_id=parent.external_id,
            root_external_id=parent.root_external_id or conversation.root_external_id,
            direction=Direction.OUTBOUND,
            conversation=conversation,
            post=post,
            sent_by=person,
        )
        _answered(person, conversation, post, status_after, now, warnings)
    return Sent(post, message, post.status == PostStatus.REVIEW, warnings)


def _answered(
    person: Person,
    conversation: Conversation,
    post: Post,
    status_after: str,
    now: datetime,
    warnings: list[personal_data.Repeated],
) -> None:
    from cluetrain.inbox import sla

    conversation.message_count += 1
    conversation.last_reply_at = now
    if conversation.first_response_at is None:
        conversation.first_response_at = now
    previous = conversation.status
    # A reply answers for now: wait for the customer (unless the person chose otherwise).
    if conversation.status != Status.RESOLVED:
        conversation.status = status_after
    if conversation.status == Status.RESOLVED and conversation.resolved_at is None:
        conversation.resolved_at = now
    conversation.save(
        update_fields=[
            "message_count",
            "last_reply_at",
            "first_response_at",
            "status",
            "resolved_at",
            "updated_at",
        ]
    )
    sla.on_reply(conversation, now)
    ConversationEvent.objects.create(
        conversation=conversation,
        actor=person,
        kind="replied",
        detail={
            "post": post.pk,
            "status": post.status,
            "from": previous,
            "to": conversation.status,
            "personal_data_confirmed": [str(w) for w in warnings],
        },
    )


def sync_reply_ids(messages: list[Message]) -> int:
    """Give our replies that went out their network id and address (one query to look, one
    update per reply that changed). Safe to run any number of times."""
    waiting = {
        m.post_id: m
        for m in messages
        if m.direction == Direction.OUTBOUND and m.post_id and m.external_id.startswith(PLACEHOLDER)
    }
    if not waiting:
        return 0
    changed = 0
    published = Delivery.objects.filter(
        post_id__in=list(waiting), status=PostStatus.PUBLISHED
    ).values_list("post_id", "refs", "url")
    for post_id, refs, url in published:
        message = waiting[post_id]
        network_id = (refs[0].get("id") if refs else "") or ""
        if not network_id:
            continue
        heard = (
            Message.objects.filter(
                organization_id=message.organization_id,
                network=message.network,
                external_id=network_id,
            )
            .values("pk", "conversation_id", "triaged_at")
            .first()
        )
        if heard is not None:
            # The stream heard our reply first: one message, not two. Its row stays (it is
            # the network's), gains what only we know, and ours goes; once it is threaded.
            if heard["triaged_at"] is not None:
                _merge_into_heard(message, heard["pk"], heard["conversation_id"])
                changed += 1
            continue
        Message.objects.filter(pk=message.pk).update(external_id=network_id, url=url[:500])
        message.external_id, message.url = network_id, url[:500]
        changed += 1
    return changed


def _merge_into_heard(ours: Message, heard_pk: int, heard_conversation: int | None) -> None:
    with transaction.atomic():
        Message.objects.filter(pk=heard_pk).update(
            post_id=ours.post_id,
            sent_by_id=ours.sent_by_id,
            conversation_id=heard_conversation or ours.conversation_id,
        )
        Message.objects.filter(pk=ours.pk).delete()
        if ours.conversation_id is not None and heard_conversation == ours.conversation_id:
            Conversation.objects.filter(pk=ours.conversation_id).update(
                message_count=F("message_count") - 1
            )
