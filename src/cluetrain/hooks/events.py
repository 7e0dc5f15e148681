"""The events other apps emit, one call each, and what each one's payload says.

Each function is called inside the service's transaction; the event is recorded once it
commits (``services.emit``) and its payload is read then, only if some endpoint wants it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

from django.db import transaction

from cluetrain.hooks.models import Event
from cluetrain.hooks.services import emit, listeners, record


def _at(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat() if value else None


def _person(person: Any) -> dict[str, Any] | None:
    return {"id": person.pk, "name": person.full_name} if person is not None else None


def posts_published(pairs: Iterable[tuple[int, int]]) -> None:
    """Posts ((organisation id, post id) pairs) whose deliveries were recorded as published.

    One look-up for the lot when it commits, since the publisher records thousands at once;
    a post is sent once it is out through every voice it was meant for, and once only.
    """
    chosen = list(pairs)

    def recorded() -> None:
        listening = listeners(Event.POST_PUBLISHED, {org for org, _ in chosen})
        for organization_id, post_id in chosen:
            if organization_id in listening:
                record(Event.POST_PUBLISHED, organization_id, str(post_id), _post_data(post_id))

    transaction.on_commit(recorded, robust=True)


def _post_data(post_id: int) -> Callable[[], dict[str, Any] | None]:
    def data() -> dict[str, Any] | None:
        from cluetrain.publishing.models import Post, PostStatus

        post = (
            Post.objects.select_related("author")
            .prefetch_related("deliveries__voice")
            .filter(pk=post_id, status=PostStatus.PUBLISHED)
            .first()
        )
        if post is None:
            return None  # some delivery is still out, or failed
        return {
            "post": {
                "id": post.pk,
                "title": post.title,
                "text": post.text,
                "category": post.category,
                "author": _person(post.author),
                "published_at": _at(post.published_at),
                "deliveries": [
                    {
                        "voice": {
                            "id": d.voice.pk,
                            "name": d.voice.name,
                            "network": d.voice.network,
                            "handle": d.voice.handle,
                        },
                        "url": d.url,
                    }
                    for d in post.deliveries.all()
                ],
            }
        }

    return data


def _conversation(c: Any) -> dict[str, Any]:
    return {
        "id": c.pk,
        "subject": c.subject,
        "network": c.network,
        "status": c.status,
        "department_id": c.department_id,
        "assignee": _person(c.assignee) if c.assignee_id else None,
        "assigned_at": _at(c.assigned_at),
        "due_at": _at(c.due_at),
    }


def conversations_assigned(organization_id: int, ids: list[int], at: datetime) -> None:
    """Conversations were given to a person (one event per conversation and assignment)."""
    for pk in ids:
        emit(
            Event.CONVERSATION_ASSIGNED,
            organization_id,
            f"{pk}:{at.timestamp():.6f}",
            lambda pk=pk: _conversation_data(pk),  # type: ignore[misc]
        )


def _conversation_data(pk: int, **extra: Any) -> dict[str, Any] | None:
    from cluetrain.inbox.models import Conversation

    found = Conversation.objects.select_related("assignee").filter(pk=pk).first()
    return {"conversation": _conversation(found), **extra} if found else None


def sla_breached(
    organization_id: int, conversation_id: int, due: datetime | None, target: str
) -> None:
    """A conversation's deadline passed unanswered (once per deadline)."""
    emit(
        Event.SLA_BREACHED,
        organization_id,
        f"{conversation_id}:{_at(due)}",
        lambda: _conversation_data(conversation_id, target=target, due_at=_at(due)),
    )


def incident_declared(organization_id: int, incident_id: int) -> None:
    def data() -> dict[str, Any] | None:
        from cluetrain.crisis.models import Incident

        incident = Incident.objects.select_related("declared_by").filter(pk=incident_id).first()
        if incident is None:
            return None
        return {
            "incident": {
                "id": incident.pk,
                "title": incident.title,
                "severity": incident.severity,
                "status": incident.status,
                "public_summary": incident.public_summary,
                "whole_organization": incident.whole_organization,
                "declared_by": _person(incident.declared_by),
                "declared_at": _at(incident.declared_at),
            }
        }

    emit(Event.INCIDENT_DECLARED, organization_id, str(incident_id), data)
