"""Who counts as agency staff in an organisation, and who may see what they did.

Agency is judged per organisation: a person is agency staff in Acme when they hold the
``agency`` role in Acme, whatever they are elsewhere.

Who may see an agency person's activity in an organisation:

* its directors and coordinators (coordinators run the hand-over and pair the shadows);
* the agency person themselves (their own record);
* the in-house people paired to shadow them (for that agency person only);
* nobody else: not members, not administrators (instance operators, not editors), not other
  organisations.

Who may pair shadows and keep the hand-over plan: directors and coordinators.
"""

from __future__ import annotations

from typing import Any

from django.db.models import OuterRef, QuerySet, Subquery

from cluetrain.core.errors import NotAllowed
from cluetrain.organizations import policy
from cluetrain.organizations.models import Organization, Person, RoleGrant
from cluetrain.organizations.roles import Role

OVERSEERS = frozenset({Role.DIRECTOR, Role.COORDINATOR})


def agency_ids(organization: Organization) -> set[int]:
    """The people who hold the agency role in the organisation (one query).

    Inactive memberships count too: what a former agency person did was still agency work.
    """
    return set(
        RoleGrant.objects.filter(
            membership__organization=organization, role=Role.AGENCY
        ).values_list("membership__person_id", flat=True)
    )


def is_agency(person: Person | None, organization: Organization) -> bool:
    return Role.AGENCY in policy.roles_of(person, organization)


def oversees(person: Person | None, organization: Organization) -> bool:
    """Whether the person watches over agency work in the organisation."""
    return bool(policy.roles_of(person, organization) & OVERSEERS)


def require_oversight(person: Person | None, organization: Organization, doing: str) -> None:
    if not policy.is_member(person, organization):
        raise NotAllowed(f"You are not a member of {organization.name}.")
    if not oversees(person, organization):
        raise NotAllowed(f"Only a director or a coordinator may {doing}.")


def shadowed_ids(viewer: Person, organization: Organization) -> set[int]:
    """The agency people the viewer shadows in the organisation."""
    from cluetrain.agencies.models import Shadowing

    return set(
        Shadowing.objects.filter(organization=organization, shadow=viewer).values_list(
            "agency_person_id", flat=True
        )
    )


def can_see_agency_activity(
    viewer: Person | None, organization: Organization, agency_person: Person
) -> bool:
    """Whether ``viewer`` may see what ``agency_person`` did in ``organization``."""
    if viewer is None or not policy.is_member(viewer, organization):
        return False
    if not is_agency(agency_person, organization):
        return False
    if oversees(viewer, organization) or viewer.pk == agency_person.pk:
        return True
    return agency_person.pk in shadowed_ids(viewer, organization)


def visible_agency_people(viewer: Person, organization: Organization) -> QuerySet[Person]:
    """The agency people whose activity the viewer may see: ``can_see_agency_activity`` as a
    query."""
    ids = agency_ids(organization)
    if not policy.is_member(viewer, organization):
        ids = set()
    elif not oversees(viewer, organization):
        mine: set[int] = {viewer.pk} | shadowed_ids(viewer, organization)
        ids &= mine
    return Person.objects.filter(pk__in=ids).order_by("full_name")


def agency_names(organization: Organization) -> dict[int, str]:
    """person id -> the agency's name ("" when the person is agency staff with no agency named),
    for everyone with the agency role here: one query."""
    from cluetrain.agencies.models import AgencyMember

    named = AgencyMember.objects.filter(
        organization=organization, person=OuterRef("membership__person_id")
    ).values("agency__name")[:1]
    rows: Any = (
        RoleGrant.objects.filter(membership__organization=organization, role=Role.AGENCY)
        .annotate(agency_name=Subquery(named))
        .values_list("membership__person_id", "agency_name")
    )
    return {person_id: name or "" for person_id, name in rows}
