"""Finding facts: what anyone in the organisation types into the cite panel or the facts page.

A few thousand facts per organisation do not need a full-text index: each fact keeps its words
folded (``Fact.search_text``) and every word typed must be there (``LIKE`` on one column, the
last word also as the start of a longer one). The words come from ``inbox.search.parse_terms``,
which reads only letters, digits and marks, so quotes, ``*``, ``NEAR``, ``-`` and the rest of
any query language are just separators. Matches are then ranked in memory: words in the
statement count most, then topics, then sources; verified before drafts, fresher first.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import QuerySet

from cluetrain.inbox.search import parse_terms
from cluetrain.knowledge.models import Fact, FactStatus
from cluetrain.knowledge.text import fold, folded_words
from cluetrain.organizations.models import Organization

MAX_QUERY = 200
# Candidates ranked per search; a query matching more than this is too vague to rank well.
CANDIDATES = 300
LIMIT = 20


@dataclass(frozen=True)
class Hit:
    """A fact found, how well it matched, and whether its review is overdue."""

    fact: Fact
    score: float
    stale: bool


def _needles(q: str) -> list[tuple[str, bool]]:
    """(folded text to look for, is a prefix) per term typed."""
    needles = []
    for term in parse_terms(fold(q[:MAX_QUERY])):
        needles.append((" ".join(term.words), term.prefix))
    return needles


def _contains(haystack: str, needle: str, prefix: bool) -> bool:
    return f" {needle}{'' if prefix else ' '}" in haystack


def _words_of(text: str) -> str:
    found = folded_words(text)
    return f" {' '.join(found)} " if found else ""


def facts_matching(
    organization: Organization, q: str, *, statuses: tuple[str, ...]
) -> QuerySet[Fact]:
    facts = Fact.objects.filter(organization=organization, status__in=statuses)
    for needle, prefix in _needles(q):
        facts = facts.filter(search_text__contains=f" {needle}{'' if prefix else ' '}")
    return facts


def search(
    organization: Organization,
    q: str,
    *,
    today: dt.date,
    include_drafts: bool = False,
    limit: int = LIMIT,
) -> list[Hit]:
    """Facts that hold every word typed, best first; an empty query lists the newest.
    Retired facts are never offered; drafts only when ``include_drafts`` (curators)."""
    statuses = (FactStatus.VERIFIED, FactStatus.DRAFT) if include_drafts else (FactStatus.VERIFIED,)
    needles = _needles(q)
    facts = facts_matching(organization, q, statuses=statuses).select_related("owner")
    rows = list(facts.order_by("-updated_at", "-pk")[:CANDIDATES])
    hits = []
    for fact in rows:
        statement = _words_of(fact.statement)
        topics = _words_of(" ".join(fact.topics))
        sources = _words_of(" ".join(fact.sources))
        score = 0.0
        for needle, prefix in needles:
            if _contains(statement, needle, prefix):
                score += 3.0 if _contains(statement, needle, False) else 2.0
            if _contains(topics, needle, prefix):
                score += 2.0
            if _contains(sources, needle, prefix):
                score += 0.5
        if fact.status == FactStatus.VERIFIED:
            score += 0.25
        stale = fact.status == FactStatus.VERIFIED and fact.review_by <= today
        hits.append(Hit(fact=fact, score=score, stale=stale))
    # Stable sort: equal scores keep the newest-first order of the query.
    hits.sort(key=lambda hit: -hit.score)
    return hits[:limit]
