"""Helpers for the listening tests: heard messages made to order, and what got stored."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from typing import Any

from cluetrain.listening.heard import Heard
from cluetrain.listening.models import Message, Source, SourceKind
from cluetrain.organizations.models import Organization

_numbers = itertools.count(1)


def heard(**fields: Any) -> Heard:
    """A Bluesky-like message with a fresh id unless one is given."""
    number = next(_numbers)
    values: dict[str, Any] = {
        "network": "bluesky",
        "external_id": f"at://did:plc:someone/app.bsky.feed.post/{number}",
        "author_id": "did:plc:someone",
        "author_handle": "someone.test",
        "text": f"message {number}",
        "created_at": datetime(2025, 1, 1, 12, 0, tzinfo=UTC),
    }
    values.update(fields)
    return Heard(**values)


def source(organization: Organization, kind: str = SourceKind.FEED, **fields: Any) -> Source:
    return Source.objects.create(
        organization=organization, kind=kind, name=fields.pop("name", f"{kind} source"), **fields
    )


def texts(organization: Organization) -> list[str]:
    return list(
        Message.objects.filter(organization=organization)
        .order_by("id")
        .values_list("text", flat=True)
    )
