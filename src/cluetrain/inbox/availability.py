"""Each person's availability and expertise: working hours, out of office, capacity, and the
topics they declare (those learned from resolved conversations grow by themselves).

A person sets their own; people who manage the inbox (``MANAGE_INBOX``) may set anyone's,
for instance to mark a colleague out of office who could not.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.utils import timezone
from django.utils.text import slugify

from cluetrain.core.errors import ServiceError
from cluetrain.inbox.models import Availability, Expertise
from cluetrain.inbox.routing import availability_of
from cluetrain.organizations import policy
from cluetrain.organizations.models import Membership, Person
from cluetrain.organizations.policy import Permission

AVAILABILITY_FIELDS = (
    "takes_conversations",
    "capacity",
    "working_days",
    "day_starts",
    "day_ends",
    "out_of_office_until",
)
MAX_CAPACITY = 500
MAX_TOPICS = 50


def check_may_edit(person: Person, membership: Membership) -> None:
    organization = membership.organization
    policy.require(person, organization, Permission.WORK_INBOX)
    if membership.person_id != person.pk:
        policy.require(person, organization, Permission.MANAGE_INBOX)


def availability_for(membership: Membership) -> Availability:
    found, _ = Availability.objects.get_or_create(membership=membership)
    return found


def do_set_availability(
    person: Person, membership: Membership, values: dict[str, Any]
) -> Availability:
    """Change someone's availability (their own, or anyone's for inbox managers)."""
    check_may_edit(person, membership)
    availability = availability_for(membership)
    for name in AVAILABILITY_FIELDS:
        if name in values:
            setattr(availability, name, values[name])
    days = "".join(sorted(set(availability.working_days)))
    if not days or any(d not in "1234567" for d in days):
        raise ServiceError("Working days are weekday numbers 1 (Monday) to 7 (Sunday).")
    availability.working_days = days
    if not 0 <= int(availability.capacity) <= MAX_CAPACITY:
        raise ServiceError(f"Capacity is between 0 and {MAX_CAPACITY} conversations.")
    if (availability.day_starts is None) != (availability.day_ends is None):
        raise ServiceError("Give both the start and the end of the working day, or neither.")
    until = availability.out_of_office_until
    if until is not None and timezone.is_naive(until):
        raise ServiceError("Out of office needs a time with its time zone.")
    availability.save()
    return availability


def do_declare_topic(person: Person, membership: Membership, topic: str) -> Expertise:
    """Declare that someone knows a topic (kept with what they learned of it)."""
    check_may_edit(person, membership)
    slug = slugify(topic or "")[:60]
    if not slug:
        raise ServiceError("A topic needs letters or digits.")
    declared = Expertise.objects.filter(membership=membership, declared=True).count()
    if declared >= MAX_TOPICS:
        raise ServiceError(f"Declare at most {MAX_TOPICS} topics.")
    expertise, _ = Expertise.objects.get_or_create(membership=membership, topic=slug)
    if not expertise.declared:
        expertise.declared = True
        expertise.save(update_fields=["declared"])
    return expertise


def do_withdraw_topic(person: Person, membership: Membership, topic: str) -> None:
    """No longer declare a topic; what was learned from resolved conversations stays."""
    check_may_edit(person, membership)
    Expertise.objects.filter(membership=membership, topic=topic, weight__gt=0).update(
        declared=False
    )
    Expertise.objects.filter(membership=membership, topic=topic, weight__lte=0).delete()


@dataclass(frozen=True)
class Entry:
    """One line of the availability directory."""

    membership: Membership
    availability: Availability
    status: str
    open: int
    declared: list[str]
    learned: list[tuple[str, float]]


def directory(organization_id: int, now: dt.datetime | None = None) -> list[Entry]:
    """Everyone who works the inbox with their state right now (five queries)."""
    from cluetrain.cohorts.shifts import on_shift
    from cluetrain.inbox.routing import availability_for, inbox_memberships, open_counts

    now = now or timezone.now()
    memberships = list(inbox_memberships(organization_id).order_by("person__full_name", "pk"))
    expertise: dict[int, list[Expertise]] = {}
    for e in Expertise.objects.filter(membership__in=memberships).order_by("-weight", "topic"):
        expertise.setdefault(e.membership_id, []).append(e)
    load = open_counts(organization_id, [m.person_id for m in memberships])
    # The same rule as routing: on an engagement-centre shift is working, whatever the hours.
    shifts = on_shift(organization_id, now, [m.pk for m in memberships])
    entries = []
    for m in memberships:
        availability = availability_for(m)
        why_not = availability_of(availability, m.person.time_zone, now, on_shift=m.pk in shifts)
        open_count = load.get(m.person_id, 0)
        if not why_not and open_count >= availability.capacity:
            why_not = "full"
        known = expertise.get(m.pk, [])
        entries.append(
            Entry(
                membership=m,
                availability=availability,
                status=why_not or "available",
                open=open_count,
                declared=[e.topic for e in known if e.declared],
                learned=[(e.topic, round(e.weight, 1)) for e in known if e.weight > 0],
            )
        )
    return entries
