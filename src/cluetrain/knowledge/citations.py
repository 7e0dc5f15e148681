"""Citing a fact from the composer or the inbox reply box, and knowing where it was used.

Pressing "Cite" records a ``Citation`` (with the fact's version and the exact text inserted).
When a post or a reply is then created by the same person holding that text, the citation is
tied to it (``link_post``, on ``Post`` creation): neither the composer nor the reply view has
to know about facts.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone

from cluetrain.core.errors import ServiceError
from cluetrain.inbox.models import Conversation
from cluetrain.knowledge import rights
from cluetrain.knowledge.models import Citation, CitedIn, Fact, FactStatus
from cluetrain.knowledge.text import is_link
from cluetrain.organizations.models import Person

# A citation inserted but not sent within this long is not tied to a later post.
LINK_WITHIN = dt.timedelta(hours=12)


def citation_text(fact: Fact) -> str:
    """What "Cite" puts in the text box: the statement, and its first web source if any."""
    link = next((source for source in fact.sources if is_link(source)), "")
    return f"{fact.statement} ({link})" if link else fact.statement


def do_cite(
    person: Person,
    fact: Fact,
    cited_in: str,
    *,
    conversation: Conversation | None = None,
) -> Citation:
    """Record that the person put this fact into a post or a reply they are writing."""
    rights.require_member(person, fact.organization)
    if fact.status != FactStatus.VERIFIED:
        raise ServiceError("Only verified facts can be cited.", code="not_verified")
    if cited_in not in CitedIn.values:
        raise ServiceError("Cite a fact from the composer or a reply.")
    if conversation is not None and conversation.organization_id != fact.organization_id:
        raise ServiceError("That conversation belongs to another organisation.")
    return Citation.objects.create(
        organization=fact.organization,
        fact=fact,
        version=fact.version,
        inserted_text=citation_text(fact),
        person=person,
        cited_in=cited_in,
        conversation=conversation,
    )


def link_post(post: Any) -> int:
    """Tie the author's recent, unsent citations whose text the new post holds to it."""
    since = timezone.now() - LINK_WITHIN
    pending = list(
        Citation.objects.filter(
            person_id=post.author_id,
            organization_id=post.organization_id,
            post__isnull=True,
            created_at__gte=since,
        ).only("pk", "inserted_text")
    )
    texts = [post.text or "", *(str(v) for v in (post.variants or {}).values())]
    used = [c.pk for c in pending if any(c.inserted_text in text for text in texts)]
    if used:
        Citation.objects.filter(pk__in=used, post__isnull=True).update(post=post)
    return len(used)


def on_post_saved(sender: Any, instance: Any, created: bool, raw: bool = False, **_: Any) -> None:
    if created and not raw:
        transaction.on_commit(lambda: link_post(instance))
