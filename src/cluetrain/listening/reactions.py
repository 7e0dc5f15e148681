"""Reactions to the organisation's posts heard on a stream: likes, reposts and quotes.

A stream is at-least-once, so storing is idempotent (a record already stored is ignored) and
so is removing (an unlike of a like we never stored removes nothing). Insights count these
where a network's API gives no counts of its own.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Count

from cluetrain.listening.models import Reaction, ReactionKind

MAX_ID = 300
# Removals are matched by record alone (a deleted record carries no subject): a flush asks
# in chunks so one IN list stays small whatever the stream brought.
CHUNK = 500


@dataclass(frozen=True)
class HeardReaction:
    network: str
    kind: ReactionKind
    record: str
    subject: str
    actor: str
    created_at: dt.datetime


@dataclass(frozen=True)
class Counts:
    likes: int = 0
    reposts: int = 0
    quotes: int = 0


def _fits(reaction: HeardReaction) -> bool:
    return all(0 < len(v) <= MAX_ID for v in (reaction.record, reaction.subject, reaction.actor))


def do_record_reactions(
    organization_id: int, added: Sequence[HeardReaction], removed: Iterable[str] = ()
) -> int:
    """Store new reactions and drop the ones whose records were deleted; returns how many
    were new. Addresses longer than a network id can be are not ours to keep: skipped."""
    rows = [
        Reaction(
            organization_id=organization_id,
            network=r.network,
            kind=r.kind,
            record=r.record,
            subject=r.subject,
            actor=r.actor,
            created_at=r.created_at,
        )
        # A replay may bring the same record twice in one batch: keep it once.
        for r in {r.record: r for r in added if _fits(r)}.values()
    ]
    gone = sorted({record for record in removed if 0 < len(record) <= MAX_ID})
    with transaction.atomic():
        known = set(
            Reaction.objects.filter(
                organization_id=organization_id, record__in=[r.record for r in rows]
            ).values_list("record", flat=True)
        )
        fresh = [r for r in rows if r.record not in known]
        # Another listener of the same stream may store the same record meanwhile.
        Reaction.objects.bulk_create(fresh, ignore_conflicts=True)
        for start in range(0, len(gone), CHUNK):
            Reaction.objects.filter(
                organization_id=organization_id, record__in=gone[start : start + CHUNK]
            ).delete()
    return len(fresh)


def counts_for(organization_id: int, network: str, subjects: Iterable[str]) -> Counts:
    """Likes, reposts and quotes heard for the given parts of one post, summed."""
    wanted = [s for s in subjects if s]
    if not wanted:
        return Counts()
    found = {
        row["kind"]: row["n"]
        for row in Reaction.objects.filter(
            organization_id=organization_id, network=network, subject__in=wanted
        )
        .values("kind")
        .annotate(n=Count("id"))
    }
    return Counts(
        likes=found.get(ReactionKind.LIKE, 0),
        reposts=found.get(ReactionKind.REPOST, 0),
        quotes=found.get(ReactionKind.QUOTE, 0),
    )
