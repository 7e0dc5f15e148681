"""A small factory of inbox conversations for the list and search tests.

Plain functions, no fixtures: ``conversation(org, text=..., status=...)`` for one row through
``save()`` (as threading creates them), ``conversations(org, count)`` for many through
``bulk_create`` (the search index's triggers fire either way).
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

from cluetrain.inbox.models import Conversation, Tag
from cluetrain.listening.models import Author
from cluetrain.organizations.models import Organization

_serial = itertools.count(1)
BASE = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def author(organization: Organization, handle: str = "") -> Author:
    n = next(_serial)
    return Author.objects.create(
        organization=organization,
        network="bluesky",
        external_id=f"did:plc:test{n}",
        handle=handle or f"customer{n}.bsky.social",
        display_name=f"Customer {n}",
        first_seen_at=BASE,
        last_seen_at=BASE,
    )


def _fields(organization: Organization, who: Author | None, **fields: Any) -> dict[str, Any]:
    n = next(_serial)
    text = fields.pop("text", f"message number {n}")
    at = fields.pop("at", None) or BASE + timedelta(minutes=n)
    tags = fields.pop("tags", ())
    assert not tags, "pass tags to conversation(), not to conversations()"
    values: dict[str, Any] = {
        "organization": organization,
        "network": "bluesky",
        "root_external_id": f"at://test/{n}",
        "author": who or author(organization),
        "subject": text[:200],
        "first_message_at": at,
        "last_message_at": at,
        "search_text": text,
        "message_count": 1,
    }
    values.update(fields)
    return values


def conversation(
    organization: Organization,
    *,
    tags: tuple[str, ...] = (),
    who: Author | None = None,
    **fields: Any,
) -> Conversation:
    """One conversation; ``text`` fills subject and search text, ``at`` its last message."""
    made = Conversation.objects.create(**_fields(organization, who, **fields))
    for name in tags:
        tag, _ = Tag.objects.get_or_create(organization=organization, name=name)
        made.tags.add(tag)
    return made


def conversations(organization: Organization, count: int, **fields: Any) -> list[Conversation]:
    """``count`` conversations by one author, one minute apart, in one insert."""
    who = fields.pop("who", None) or author(organization)
    return Conversation.objects.bulk_create(
        [Conversation(**_fields(organization, who, **fields)) for _ in range(count)]
    )
