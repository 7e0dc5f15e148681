"""Changing facts: writing, verifying, reviewing and retiring them. Each ``do_*`` checks
permissions itself (see ``rights``); views, the CLI and jobs call these."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from zoneinfo import ZoneInfo

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from cluetrain.core import audit
from cluetrain.core.errors import ServiceError
from cluetrain.knowledge import rights
from cluetrain.knowledge.models import (
    DEFAULT_REVIEW_DAYS,
    Fact,
    FactStatus,
    FactVersion,
)
from cluetrain.knowledge.text import clean_sources, clean_statement, clean_topics, search_text
from cluetrain.organizations.models import Department, Membership, Organization, Person

MAX_REVIEW_DAYS = 3 * 365


def today_in(organization: Organization, now: dt.datetime | None = None) -> dt.date:
    """The date it is now where the organisation is."""
    now = now or timezone.now()
    try:
        zone = ZoneInfo(organization.time_zone or "UTC")
    except (ValueError, KeyError):
        zone = ZoneInfo("UTC")
    return now.astimezone(zone).date()


def _interval(days: int | str | None) -> int:
    if days is None or days == "":
        return DEFAULT_REVIEW_DAYS
    try:
        value = int(days)
    except (TypeError, ValueError):
        raise ServiceError("The review interval is a number of days.") from None
    if not 1 <= value <= MAX_REVIEW_DAYS:
        raise ServiceError(f"Review a fact at least every {MAX_REVIEW_DAYS} days.")
    return value


def _owner(organization: Organization, owner: Person | None) -> Person | None:
    if owner is None:
        return None
    if not Membership.objects.filter(
        person=owner, organization=organization, is_active=True
    ).exists():
        raise ServiceError("A fact's owner is one of the organisation's people.")
    return owner


def _departments(organization: Organization, departments: Iterable[Department]) -> list[Department]:
    chosen = list(departments)
    if any(d.organization_id != organization.pk for d in chosen):
        raise ServiceError("Those departments belong to another organisation.")
    return chosen


def do_create_fact(
    person: Person,
    organization: Organization,
    statement: str,
    *,
    sources: Iterable[str] | str = (),
    topics: Iterable[str] | str = (),
    owner: Person | None = None,
    departments: Iterable[Department] = (),
    review_interval_days: int | str | None = None,
    review_by: dt.date | None = None,
    verify: bool = False,
    question_id: int | None = None,
) -> Fact:
    """Write a fact (a draft unless ``verify``); the owner is the writer unless given."""
    rights.require_curate(person, organization)
    return create_fact(
        person,
        organization,
        statement,
        sources=sources,
        topics=topics,
        owner=owner,
        departments=departments,
        review_interval_days=review_interval_days,
        review_by=review_by,
        verify=verify,
        question_id=question_id,
    )


def create_fact(
    person: Person,
    organization: Organization,
    statement: str,
    *,
    sources: Iterable[str] | str = (),
    topics: Iterable[str] | str = (),
    owner: Person | None = None,
    departments: Iterable[Department] = (),
    review_interval_days: int | str | None = None,
    review_by: dt.date | None = None,
    verify: bool = False,
    question_id: int | None = None,
) -> Fact:
    """Write a fact once the caller has checked the person may (``do_create_fact``,
    ``peer.do_make_fact``)."""
    statement = clean_statement(statement)
    cleaned_sources = clean_sources(sources)
    cleaned_topics = clean_topics(topics)
    chosen = _departments(organization, departments)
    interval = _interval(review_interval_days)
    now = timezone.now()
    with transaction.atomic():
        fact = Fact.objects.create(
            organization=organization,
            statement=statement,
            sources=cleaned_sources,
            topics=cleaned_topics,
            owner=_owner(organization, owner) if owner else person,
            review_interval_days=interval,
            review_by=review_by or today_in(organization, now) + dt.timedelta(days=interval),
            status=FactStatus.VERIFIED if verify else FactStatus.DRAFT,
            verified_by=person if verify else None,
            verified_at=now if verify else None,
            question_id=question_id,
            search_text=search_text(statement, cleaned_topics, cleaned_sources),
            created_by=person,
        )
        if chosen:
            fact.departments.set(chosen)
        FactVersion.objects.create(
            fact=fact, version=1, statement=statement, sources=cleaned_sources, changed_by=person
        )
        audit.record(organization, person, "fact.created", fact, fact=fact.pk, verified=verify)
    return fact


def do_edit_fact(
    person: Person,
    fact: Fact,
    *,
    statement: str | None = None,
    sources: Iterable[str] | str | None = None,
    topics: Iterable[str] | str | None = None,
    departments: Iterable[Department] | None = None,
    owner: Person | None = None,
    review_interval_days: int | str | None = None,
    note: str = "",
) -> Fact:
    """Change a fact. A new wording or new sources make a new version, so what was cited
    before can still be shown as it was; only curators may hand a fact to another owner."""
    rights.require_edit(person, fact)
    if fact.status == FactStatus.RETIRED:
        raise ServiceError("This fact is retired; write a new one instead.", code="retired")
    new_statement = clean_statement(statement) if statement is not None else fact.statement
    new_sources = clean_sources(sources) if sources is not None else list(fact.sources)
    new_topics = clean_topics(topics) if topics is not None else list(fact.topics)
    worded = new_statement != fact.statement or new_sources != list(fact.sources)
    with transaction.atomic():
        locked = Fact.objects.select_for_update().get(pk=fact.pk)
        if owner is not None and owner.pk != locked.owner_id:
            rights.require_curate(person, fact.organization)
            locked.owner = _owner(fact.organization, owner)
        if review_interval_days not in (None, ""):
            locked.review_interval_days = _interval(review_interval_days)
        if worded:
            locked.version += 1
            FactVersion.objects.create(
                fact=locked,
                version=locked.version,
                statement=new_statement,
                sources=new_sources,
                changed_by=person,
                note=note[:200],
            )
        locked.statement, locked.sources, locked.topics = new_statement, new_sources, new_topics
        locked.search_text = search_text(new_statement, new_topics, new_sources)
        locked.save()
        if departments is not None:
            locked.departments.set(_departments(fact.organization, departments))
        audit.record(
            fact.organization, person, "fact.edited", locked, fact=fact.pk, version=locked.version
        )
    return locked


def do_verify_fact(person: Person, fact: Fact) -> Fact:
    """A curator vouches for a draft: from now on anyone may cite it."""
    rights.require_curate(person, fact.organization)
    if fact.status == FactStatus.RETIRED:
        raise ServiceError("A retired fact cannot be verified again; write a new one.")
    now = timezone.now()
    with transaction.atomic():
        Fact.objects.filter(pk=fact.pk).update(
            status=FactStatus.VERIFIED, verified_by=person, verified_at=now
        )
        fact.refresh_from_db()
        audit.record(fact.organization, person, "fact.verified", fact, fact=fact.pk)
    return fact


def do_mark_reviewed(person: Person, fact: Fact) -> Fact:
    """The owner (or a curator) checked the fact is still true: the next review is one review
    interval from today, which starts a new review period (and new reminders)."""
    rights.require_edit(person, fact)
    if fact.status == FactStatus.RETIRED:
        raise ServiceError("This fact is retired.", code="retired")
    now = timezone.now()
    review_by = today_in(fact.organization, now) + dt.timedelta(days=fact.review_interval_days)
    with transaction.atomic():
        Fact.objects.filter(pk=fact.pk).update(review_by=review_by, updated_at=now)
        fact.refresh_from_db()
        audit.record(
            fact.organization, person, "fact.reviewed", fact, fact=fact.pk, review_by=str(review_by)
        )
    return fact


def scheduled_posts_citing(fact: Fact) -> list[int]:
    """Posts not yet out that cite this fact (retiring it should make someone look)."""
    from cluetrain.publishing.models import WAITING, PostStatus

    return list(
        fact.citations.filter(post__status__in=[*WAITING, PostStatus.DRAFT])
        .values_list("post_id", flat=True)
        .distinct()
    )


def _warn_authors(fact: Fact, post_ids: list[int]) -> None:
    from cluetrain.notifications.services import notify
    from cluetrain.publishing.models import Post

    for post in Post.objects.filter(pk__in=post_ids).select_related("author"):
        notify(
            post.author,
            "fact_retired",
            f"A fact your post cites was retired: {fact.statement[:100]}",
            "The post has not gone out yet: check its wording before it does.",
            organization=fact.organization,
            url=reverse("publishing:post", args=[post.pk]),
        )


def do_retire_fact(person: Person, fact: Fact) -> list[int]:
    """No longer true or no longer said: it is offered to nobody. The authors of posts not yet
    out that cite it are told; their ids are returned."""
    rights.require_curate(person, fact.organization)
    with transaction.atomic():
        Fact.objects.filter(pk=fact.pk).update(status=FactStatus.RETIRED)
        fact.refresh_from_db()
        waiting = scheduled_posts_citing(fact)
        _warn_authors(fact, waiting)
        audit.record(
            fact.organization, person, "fact.retired", fact, fact=fact.pk, waiting_posts=waiting
        )
    return waiting


def is_stale(fact: Fact, today: dt.date) -> bool:
    return fact.status == FactStatus.VERIFIED and fact.review_by <= today
