"""Conversations for inbox tests, made directly (author, messages, conversation rows).

The listening and triage pipeline threads real conversations; these factories make the same
rows in one call so the inbox's own tests do not depend on it.
"""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.utils import timezone

from cluetrain.inbox.models import Conversation
from cluetrain.listening.models import Author, Direction, Message
from cluetrain.organizations.models import Organization, Person
from cluetrain.organizations.roles import Role
from cluetrain.organizations.services import do_add_member

_numbers = itertools.count(1)


def make_author(
    organization: Organization,
    *,
    network: str = "practice",
    handle: str = "",
    name: str = "Casey Customer",
    external_id: str = "",
) -> Author:
    n = next(_numbers)
    now = timezone.now()
    return Author.objects.create(
        organization=organization,
        network=network,
        external_id=external_id or f"author-{n}",
        handle=handle or f"casey{n}.example",
        display_name=name,
        first_seen_at=now,
        last_seen_at=now,
    )


def add_message(
    conversation: Conversation,
    text: str,
    *,
    author: Author | None = None,
    at: datetime | None = None,
    external_id: str = "",
    url: str = "",
    direction: str = Direction.INBOUND,
    **triage: Any,
) -> Message:
    n = next(_numbers)
    at = at or timezone.now()
    external = external_id or f"msg-{n}"
    return Message.objects.create(
        organization_id=conversation.organization_id,
        network=conversation.network,
        external_id=external,
        url=url or f"https://{conversation.network}.example/post/{n}",
        author=author or conversation.author,
        text=text,
        created_at=at,
        received_at=at,
        root_external_id=conversation.root_external_id,
        direction=direction,
        conversation=conversation,
        triaged_at=at,
        **triage,
    )


def make_conversation(
    organization: Organization,
    text: str = "My train was cancelled and nobody told me",
    *,
    author: Author | None = None,
    network: str = "practice",
    external_id: str = "",
    url: str = "",
    at: datetime | None = None,
    intent: str = "complaint",
    sentiment_label: str = "negative",
    urgency: str = "high",
    **fields: Any,
) -> Conversation:
    """A conversation of one inbound message (more with ``add_message``)."""
    at = at or timezone.now() - timedelta(minutes=next(_numbers))
    author = author or make_author(organization, network=network)
    root = external_id or f"root-{next(_numbers)}"
    conversation = Conversation.objects.create(
        organization=organization,
        network=network,
        root_external_id=root,
        author=author,
        subject=" ".join(text.split())[:200],
        intent=intent,
        sentiment_label=sentiment_label,
        sentiment=-0.6 if sentiment_label == "negative" else 0.2,
        urgency=urgency,
        message_count=1,
        first_message_at=at,
        last_message_at=at,
        search_text=f"{author.display_name} {text}",
        **fields,
    )
    add_message(
        conversation,
        text,
        at=at,
        external_id=root,
        url=url,
        intent=intent,
        sentiment_label=sentiment_label,
        urgency=urgency,
    )
    return conversation


@pytest.fixture
def manager(cast: Any) -> Person:
    """A manager of Acme: may look at insights, may not work the inbox."""
    person = Person.objects.filter(email="manager@example.com").first()
    if person is None:
        person = Person.objects.create_user(
            "manager@example.com", "correct horse battery staple", full_name="Max Manager"
        )
    do_add_member(cast.acme, person, [Role.MANAGER])
    return person
