"""Who sees whose progress in the academy.

A person sees their own progress; mentors, coordinators and directors (who manage the
academy) follow everyone's in their organisation. Nobody outside it sees anything.
"""

from __future__ import annotations

from django.db.models import QuerySet

from cluetrain.core.errors import NotAllowed
from cluetrain.organizations import policy
from cluetrain.organizations.models import Organization, Person
from cluetrain.organizations.policy import Permission


def may_follow(person: Person, organization: Organization) -> bool:
    return policy.can(person, organization, Permission.MANAGE_ACADEMY)


def require_follow(person: Person, organization: Organization) -> None:
    policy.require(person, organization, Permission.MANAGE_ACADEMY)


def require_view_progress(viewer: Person, organization: Organization, shown: Person) -> None:
    if viewer.pk == shown.pk and policy.is_member(viewer, organization):
        return
    if not may_follow(viewer, organization):
        raise NotAllowed("Only the person, their mentors and coordinators see this progress.")


def members(
    organization: Organization, *, department: str = "", role: str = ""
) -> QuerySet[Person]:
    """The organisation's active members, narrowed to a department (slug) or a role."""
    # One filter() call, so every condition is about the same membership (not one elsewhere).
    conditions: dict[str, object] = {
        "memberships__organization": organization,
        "memberships__is_active": True,
    }
    if department:
        conditions["memberships__departments__slug"] = department
    if role:
        conditions["memberships__role_grants__role"] = role
    return (
        Person.objects.filter(is_active=True, **conditions)
        .distinct()
        .order_by("full_name", "email")
    )
