"""The people endpoints: the organisation's members, their roles, expertise and availability;
inviting people and changing roles.

Every change goes through ``cluetrain.organizations.services`` (roles, invitations) or
``cluetrain.inbox.availability`` (availability, topics), which check who may make it.
"""

from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404, HttpRequest
from django.utils import timezone
from ninja import Query, Router
from ninja.pagination import paginate
from ninja.responses import Status

from cluetrain.api.auth import Caller, caller
from cluetrain.api.errors import ERRORS, ErrorOut
from cluetrain.api.ids import id_in_path
from cluetrain.api.lazy import Mapped
from cluetrain.api.posts import Page
from cluetrain.api.schemas_work import (
    AvailabilityIn,
    AvailabilityOut,
    ExpertiseOut,
    InvitationIn,
    InvitationOut,
    PeopleFilters,
    PersonOut,
    RolesIn,
    TopicIn,
    department_ref,
)
from cluetrain.cohorts.shifts import on_shift_exists
from cluetrain.inbox import availability as availability_services
from cluetrain.inbox.models import Expertise
from cluetrain.inbox.routing import availability_for, availability_of
from cluetrain.organizations import policy, services
from cluetrain.organizations.models import Department, Membership
from cluetrain.organizations.policy import Permission
from cluetrain.organizations.roles import Role

router = Router(tags=["people"])

_INBOX_ROLES = {str(role) for role in policy.RULES[Permission.WORK_INBOX]}


def _members(who: Caller) -> QuerySet[Membership]:
    policy.require(who.person, who.organization, Permission.VIEW_ORGANIZATION)
    return (
        Membership.objects.filter(
            organization=who.organization, is_active=True, person__is_active=True
        )
        .select_related("person", "availability")
        .prefetch_related(
            "role_grants",
            Prefetch("departments", queryset=Department.objects.order_by("name")),
            Prefetch("expertise", queryset=Expertise.objects.order_by("-weight", "topic")),
        )
        .annotate(on_shift_now=on_shift_exists(timezone.now()))
        .order_by("person__full_name", "pk")
    )


def person_out(membership: Membership) -> PersonOut:
    person = membership.person
    roles = sorted(grant.role for grant in membership.role_grants.all())
    availability = availability_for(membership)
    return PersonOut(
        id=person.pk,
        name=person.full_name,
        email=person.email,
        title=membership.title,
        time_zone=person.time_zone,
        roles=roles,
        departments=[department_ref(d) for d in membership.departments.all()],  # type: ignore[misc]
        works_inbox=bool(_INBOX_ROLES & set(roles)),
        availability=AvailabilityOut(
            takes_conversations=availability.takes_conversations,
            capacity=availability.capacity,
            working_days=availability.working_days,
            day_starts=availability.day_starts,
            day_ends=availability.day_ends,
            out_of_office_until=availability.out_of_office_until,
            status=availability_of(
                availability,
                person.time_zone,
                timezone.now(),
                on_shift=getattr(membership, "on_shift_now", False),
            )
            or "available",
        ),
        expertise=[
            ExpertiseOut(topic=e.topic, declared=e.declared, weight=round(e.weight, 2))
            for e in membership.expertise.all()
        ],
    )


def load_member(who: Caller, person_id: int) -> Membership:
    membership = _members(who).filter(person_id=person_id).first()
    if membership is None:
        raise Http404(f"{person_id} is not a member of {who.organization.name}.")
    return membership


@router.get("/people", response={200: list[PersonOut], 400: ErrorOut, 401: ErrorOut})
@paginate(Page)
def list_people(request: HttpRequest, filters: Query[PeopleFilters]) -> list[PersonOut]:
    """The organisation's members, by name, with their roles, departments, expertise and
    availability."""
    members = _members(caller(request))
    if filters.role:
        members = members.filter(role_grants__role=filters.role)
    if filters.department is not None:
        members = members.filter(departments=filters.department)
    for word in (filters.q or "").split()[:5]:
        members = members.filter(
            Q(person__full_name__icontains=word) | Q(person__email__icontains=word)
        )
    return Mapped(members.distinct(), person_out)  # type: ignore[return-value]


@router.get("/people/{person_id}", response={200: PersonOut, **ERRORS})
def get_person(request: HttpRequest, person_id: int = id_in_path()) -> PersonOut:
    """One member of the organisation."""
    return person_out(load_member(caller(request), person_id))


@router.put("/people/{person_id}/roles", response={200: PersonOut, **ERRORS})
def set_roles(request: HttpRequest, payload: RolesIn, person_id: int = id_in_path()) -> PersonOut:
    """Replace a member's roles (administrators and directors; the organisation keeps at least
    one of them)."""
    who = caller(request)
    services.do_set_roles(who.person, load_member(who, person_id), payload.roles)
    return person_out(load_member(who, person_id))


@router.post("/invitations", response={201: InvitationOut, **ERRORS})
def invite(request: HttpRequest, payload: InvitationIn) -> Status:
    """Invite someone by e-mail with roles (and departments); the link goes to that address."""
    who = caller(request)
    departments = list(
        Department.objects.filter(organization=who.organization, pk__in=payload.department_ids)
    )
    if len(departments) != len(set(payload.department_ids)):
        raise Http404(f"Some of those departments are not departments of {who.organization.name}.")
    invitation, _link = services.do_invite(
        who.person,
        who.organization,
        payload.email,
        [Role(r) for r in payload.roles],
        departments=departments,
    )
    return Status(
        201,
        InvitationOut(
            id=invitation.pk,
            email=invitation.email,
            roles=list(invitation.roles),
            expires_at=invitation.expires_at,
        ),
    )


@router.patch("/people/{person_id}/availability", response={200: PersonOut, **ERRORS})
def set_availability(
    request: HttpRequest, payload: AvailabilityIn, person_id: int = id_in_path()
) -> PersonOut:
    """Change availability: one's own, or anyone's for people who manage the inbox."""
    who = caller(request)
    values = payload.dict(exclude_unset=True)
    if values.get("takes_conversations") is None:
        values.pop("takes_conversations", None)
    if values.get("capacity") is None:
        values.pop("capacity", None)
    if not values.get("working_days"):
        values.pop("working_days", None)
    availability_services.do_set_availability(who.person, load_member(who, person_id), values)
    return person_out(load_member(who, person_id))


@router.post("/people/{person_id}/topics", response={200: PersonOut, **ERRORS})
def declare_topic(
    request: HttpRequest, payload: TopicIn, person_id: int = id_in_path()
) -> PersonOut:
    """Declare that someone knows a topic (the routing sends them its conversations)."""
    who = caller(request)
    availability_services.do_declare_topic(who.person, load_member(who, person_id), payload.topic)
    return person_out(load_member(who, person_id))


@router.delete("/people/{person_id}/topics/{topic}", response={200: PersonOut, **ERRORS})
def withdraw_topic(request: HttpRequest, topic: str, person_id: int = id_in_path()) -> PersonOut:
    """No longer declare a topic; what was learned from resolved conversations stays."""
    who = caller(request)
    availability_services.do_withdraw_topic(who.person, load_member(who, person_id), topic[:60])
    return person_out(load_member(who, person_id))
