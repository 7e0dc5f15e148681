"""Keeping facts true: reminding owners before a fact's review date and when it has passed,
and telling coordinators about facts whose owner has left.

Each reminder is claimed by a ``ReviewReminder`` row, unique per fact, kind and ``review_by``
date: running the job twice sends nothing twice, and marking a fact reviewed (a new
``review_by``) starts a new period with its own reminders.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from cluetrain.knowledge.models import Fact, FactStatus, ReminderKind, ReviewReminder
from cluetrain.knowledge.services import today_in
from cluetrain.notifications.services import notify
from cluetrain.organizations.models import Membership, Organization, Person
from cluetrain.organizations.roles import Role

# How long before its review date the owner hears that a fact is due.
REMIND_BEFORE = dt.timedelta(days=7)


@dataclass
class Run:
    """What one run of the review job sent."""

    soon: int = 0
    overdue: int = 0
    orphaned: int = 0


def _claim(fact: Fact, kind: str, person: Person | None) -> bool:
    try:
        with transaction.atomic():
            ReviewReminder.objects.create(
                fact=fact, kind=kind, review_by=fact.review_by, sent_to=person
            )
    except IntegrityError:
        # Sent already in this review period (by an earlier run, or one running beside us).
        return False
    return True


def _coordinators(organization: Organization) -> list[Person]:
    people = list(
        Person.objects.filter(
            is_active=True,
            memberships__organization=organization,
            memberships__is_active=True,
            memberships__role_grants__role=Role.COORDINATOR,
        ).distinct()
    )
    if people:
        return people
    return list(
        Person.objects.filter(
            is_active=True,
            memberships__organization=organization,
            memberships__is_active=True,
            memberships__role_grants__role=Role.DIRECTOR,
        ).distinct()
    )


def remind_organization(organization: Organization, now: dt.datetime | None = None) -> Run:
    """Send this organisation's due reminders (idempotent)."""
    now = now or timezone.now()
    today = today_in(organization, now)
    run = Run()
    active = set(
        Membership.objects.filter(
            organization=organization, is_active=True, person__is_active=True
        ).values_list("person_id", flat=True)
    )
    facts = list(
        Fact.objects.filter(organization=organization, status=FactStatus.VERIFIED)
        .filter(
            Q(review_by__lte=today + REMIND_BEFORE)
            | Q(owner__isnull=True)
            | ~Q(owner_id__in=active)
        )
        .select_related("owner")
        .order_by("pk")
    )
    coordinators: list[Person] | None = None
    for fact in facts:
        url = reverse("knowledge:fact", args=[fact.pk])
        owner = fact.owner if fact.owner_id in active else None
        if owner is None:
            if not _claim(fact, ReminderKind.ORPHANED, None):
                continue
            if coordinators is None:
                coordinators = _coordinators(organization)
            for person in coordinators:
                notify(
                    person,
                    "fact_orphaned",
                    f"A fact needs a new owner: {fact.statement[:100]}",
                    "Its owner has left the organisation. Give it to someone who knows, "
                    "or retire it.",
                    organization=organization,
                    url=url,
                )
            run.orphaned += 1
            continue
        kind = ReminderKind.OVERDUE if fact.review_by <= today else ReminderKind.SOON
        if not _claim(fact, kind, owner):
            continue
        if kind == ReminderKind.OVERDUE:
            title = f"Is this still true? {fact.statement[:100]}"
            body = f"Its review was due on {fact.review_by:%d %B %Y}; it shows as overdue."
            run.overdue += 1
        else:
            title = f"Review soon: {fact.statement[:100]}"
            body = f"Please check it by {fact.review_by:%d %B %Y}."
            run.soon += 1
        notify(owner, "fact_review", title, body, organization=organization, url=url)
    return run


def remind_all(now: dt.datetime | None = None) -> Run:
    total = Run()
    ids = (
        Fact.objects.filter(status=FactStatus.VERIFIED)
        .values_list("organization_id", flat=True)
        .distinct()
    )
    for organization in Organization.objects.filter(pk__in=list(ids)).order_by("pk"):
        run = remind_organization(organization, now)
        total.soon += run.soon
        total.overdue += run.overdue
        total.orphaned += run.orphaned
    return total
