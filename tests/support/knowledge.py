"""Facts for the knowledge tests, written through the services as a coordinator would."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from cluetrain.inbox.models import Availability
from cluetrain.knowledge import services
from cluetrain.knowledge.models import Fact
from cluetrain.organizations.models import Membership, Organization, Person


def fact(
    organization: Organization,
    by: Person,
    statement: str,
    *,
    verify: bool = True,
    **fields: Any,
) -> Fact:
    return services.do_create_fact(by, organization, statement, verify=verify, **fields)


def due(found: Fact, review_by: dt.date) -> Fact:
    """Move a fact's review date (as time passing would)."""
    Fact.objects.filter(pk=found.pk).update(review_by=review_by)
    found.refresh_from_db()
    return found


def online(organization: Organization, *people: Person) -> None:
    """Questions are asked now, whatever the clock says: keep these colleagues online."""
    for person in people:
        Availability.objects.update_or_create(
            membership=Membership.objects.get(organization=organization, person=person),
            defaults={"last_seen_at": timezone.now()},
        )
