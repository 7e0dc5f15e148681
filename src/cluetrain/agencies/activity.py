"""Everything agency staff did in an organisation, in one list, newest first.

Five histories are merged: the posts' own (drafted, edited, scheduled, approved, changes
asked…), posts published, the inbox's (replied, assigned, status changed…), internal notes on
conversations, and the audit log.
Each page reads at most ``page * PAGE_SIZE`` rows from each, so the cost is bounded and the
page count is capped; narrowing by person and dates reaches further back.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime

from django.urls import reverse

from cluetrain.core.models import AuditEvent
from cluetrain.inbox.models import ConversationEvent, Note
from cluetrain.organizations.models import Organization, Person
from cluetrain.publishing.models import Post, PostEvent

PAGE_SIZE = 50
MAX_PAGES = 20

POST_VERBS = {
    "created": "drafted a post",
    "edited": "edited a post",
    "scheduled": "scheduled a post",
    "rescheduled": "rescheduled a post",
    "approved": "approved a post",
    "changes_requested": "asked for changes to a post",
    "cancelled": "cancelled a post",
}
INBOX_KINDS = {
    "replied": "replied to a conversation",
    "assigned": "assigned a conversation",
    "status": "changed a conversation's status",
    "picked_up": "picked up a conversation",
    "rerouted": "re-routed a conversation",
    "question_asked": "asked a colleague about a conversation",
    "question_answered": "answered a colleague's question",
}


@dataclass(frozen=True)
class Activity:
    """One thing an agency person did."""

    at: datetime
    person_id: int
    what: str
    detail: str
    url: str
    source: str


@dataclass
class Page:
    items: list[Activity]
    number: int
    has_next: bool


def activity(
    organization: Organization,
    people: Iterable[Person],
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    page: int = 1,
) -> Page:
    """A page of what ``people`` (agency staff the viewer may see) did, newest first.

    The caller decides who may be listed (``access.visible_agency_people``).
    """
    ids = [person.pk for person in people]
    page = max(1, min(page, MAX_PAGES))
    limit = page * PAGE_SIZE + 1
    if not ids:
        return Page([], page, False)
    streams = [
        _post_events(organization, ids, since, until, limit),
        _published(organization, ids, since, until, limit),
        _inbox(organization, ids, since, until, limit),
        _notes(organization, ids, since, until, limit),
        _audit(organization, ids, since, until, limit),
    ]
    merged = list(heapq.merge(*streams, key=lambda a: a.at, reverse=True))
    start = (page - 1) * PAGE_SIZE
    items = merged[start : start + PAGE_SIZE]
    return Page(items, page, len(merged) > start + PAGE_SIZE and page < MAX_PAGES)


def _window(queryset, field: str, since: datetime | None, until: datetime | None):  # type: ignore[no-untyped-def]
    if since is not None:
        queryset = queryset.filter(**{f"{field}__gte": since})
    if until is not None:
        queryset = queryset.filter(**{f"{field}__lt": until})
    return queryset


def _post_events(
    organization: Organization,
    ids: list[int],
    since: datetime | None,
    until: datetime | None,
    limit: int,
) -> Iterator[Activity]:
    events = _window(
        PostEvent.objects.filter(post__organization=organization, actor_id__in=ids),
        "at",
        since,
        until,
    ).select_related("post")
    for event in events.order_by("-at", "-pk")[:limit]:
        yield Activity(
            event.at,
            event.actor_id or 0,
            POST_VERBS.get(event.verb, f"{event.verb.replace('_', ' ')} a post"),
            event.post.text[:120],
            reverse("publishing:post", args=[event.post_id]),
            "post",
        )


def _published(
    organization: Organization,
    ids: list[int],
    since: datetime | None,
    until: datetime | None,
    limit: int,
) -> Iterator[Activity]:
    posts = _window(
        Post.objects.filter(
            organization=organization, author_id__in=ids, published_at__isnull=False
        ),
        "published_at",
        since,
        until,
    ).only("pk", "author_id", "text", "published_at")
    for post in posts.order_by("-published_at", "-pk")[:limit]:
        assert post.published_at is not None
        yield Activity(
            post.published_at,
            post.author_id,
            "published a post",
            post.text[:120],
            reverse("publishing:post", args=[post.pk]),
            "published",
        )


def _inbox(
    organization: Organization,
    ids: list[int],
    since: datetime | None,
    until: datetime | None,
    limit: int,
) -> Iterator[Activity]:
    events = _window(
        ConversationEvent.objects.filter(conversation__organization=organization, actor_id__in=ids),
        "created_at",
        since,
        until,
    ).select_related("conversation")
    for event in events.order_by("-created_at", "-pk")[:limit]:
        yield Activity(
            event.created_at,
            event.actor_id or 0,
            INBOX_KINDS.get(event.kind, f"{event.kind.replace('_', ' ')} (inbox)"),
            event.conversation.subject[:120],
            reverse("inbox:conversation", args=[event.conversation_id]),
            "inbox",
        )


def _notes(
    organization: Organization,
    ids: list[int],
    since: datetime | None,
    until: datetime | None,
    limit: int,
) -> Iterator[Activity]:
    notes = _window(
        Note.objects.filter(conversation__organization=organization, author_id__in=ids),
        "created_at",
        since,
        until,
    ).only("pk", "author_id", "conversation_id", "body", "created_at")
    for note in notes.order_by("-created_at", "-pk")[:limit]:
        yield Activity(
            note.created_at,
            note.author_id,
            "wrote an internal note",
            note.body[:120],
            reverse("inbox:conversation", args=[note.conversation_id]),
            "note",
        )


def _audit(
    organization: Organization,
    ids: list[int],
    since: datetime | None,
    until: datetime | None,
    limit: int,
) -> Iterator[Activity]:
    events = _window(
        AuditEvent.objects.filter(organization=organization, actor_id__in=ids),
        "created_at",
        since,
        until,
    )
    for event in events.order_by("-created_at", "-pk")[:limit]:
        yield Activity(
            event.created_at,
            event.actor_id or 0,
            event.verb.replace("_", " ").replace(".", ": "),
            event.target[:120],
            "",
            "audit",
        )
