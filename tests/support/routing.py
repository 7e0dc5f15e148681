"""Conversations, experts and service levels for the routing, SLA and question tests."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from cluetrain.inbox.models import Availability, Conversation, Expertise, ServiceLevel, Status
from cluetrain.listening.models import Author, Message
from cluetrain.organizations.models import Department, Membership, Organization, Person

# Wednesday 2025-01-15, 10:00 UTC: inside everyone's default working day.
WEDNESDAY = dt.datetime(2025, 1, 15, 10, 0, tzinfo=dt.UTC)
_numbers = itertools.count(1)


def author(organization: Organization, handle: str = "customer") -> Author:
    found, _ = Author.objects.get_or_create(
        organization=organization,
        network="bluesky",
        external_id=f"did:plc:{handle}",
        defaults={"handle": handle, "first_seen_at": WEDNESDAY, "last_seen_at": WEDNESDAY},
    )
    return found


def conversation(
    organization: Organization,
    *,
    topic: str = "",
    department: Department | None = None,
    at: dt.datetime = WEDNESDAY,
    status: str = Status.NEW,
    assignee: Person | None = None,
    subject: str = "Where is my refund?",
    **fields: Any,
) -> Conversation:
    n = next(_numbers)
    return Conversation.objects.create(
        organization=organization,
        network="bluesky",
        root_external_id=f"at://did:plc:customer/app.bsky.feed.post/{n}",
        author=author(organization),
        subject=subject,
        status=status,
        assignee=assignee,
        department=department,
        topic=topic,
        first_message_at=at,
        last_message_at=at,
        message_count=1,
        **fields,
    )


def message(
    conversation: Conversation, text: str = "Where is my refund?", **fields: Any
) -> Message:
    n = next(_numbers)
    return Message.objects.create(
        organization=conversation.organization,
        network="bluesky",
        external_id=f"at://did:plc:customer/app.bsky.feed.post/m{n}",
        author=conversation.author,
        text=text,
        created_at=conversation.last_message_at,
        received_at=conversation.last_message_at,
        conversation=conversation,
        triaged_at=conversation.last_message_at,
        **fields,
    )


def membership(organization: Organization, person: Person) -> Membership:
    return Membership.objects.get(organization=organization, person=person)


def expert(
    organization: Organization,
    person: Person,
    topic: str,
    *,
    declared: bool = True,
    weight: float = 0.0,
) -> Expertise:
    found, _ = Expertise.objects.update_or_create(
        membership=membership(organization, person),
        topic=topic,
        defaults={"declared": declared, "weight": weight},
    )
    return found


def availability(organization: Organization, person: Person, **fields: Any) -> Availability:
    found, _ = Availability.objects.update_or_create(
        membership=membership(organization, person), defaults=fields
    )
    return found


def service_level(
    organization: Organization, department: Department | None = None, **fields: Any
) -> ServiceLevel:
    defaults = {
        "first_response_minutes": 60,
        "next_response_minutes": 120,
        "resolution_minutes": 8 * 60,
        "warn_before_minutes": 15,
        "reroute_after_minutes": 30,
        "time_zone": "UTC",
        **fields,
    }
    found, _ = ServiceLevel.objects.update_or_create(
        organization=organization, department=department, defaults=defaults
    )
    return found
