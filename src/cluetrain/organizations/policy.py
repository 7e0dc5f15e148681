"""Who may do what: the one place Cluetrain decides permissions.

Views, the API, the CLI and services all ask here; templates only show what a
service would allow. Two kinds of rule live here:

* role rules: a permission is granted to a set of roles within one organisation;
* the voice rule: a personal voice is its owner's alone (no role, no staff flag
  and no superuser status changes that); an official voice may be used by the
  people on its list.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

from django.db.models import Q, QuerySet

from cluetrain.core.errors import NotAllowed
from cluetrain.organizations.models import Membership, Organization, Person
from cluetrain.organizations.roles import Role

if TYPE_CHECKING:
    from cluetrain.voices.models import Voice


class Permission(StrEnum):
    VIEW_ORGANIZATION = "view organization"
    MANAGE_ORGANIZATION = "manage organization settings"
    MANAGE_DEPARTMENTS = "manage departments"
    INVITE_PEOPLE = "invite people"
    MANAGE_ROLES = "change people's roles"
    MANAGE_OFFICIAL_VOICES = "manage official voices"
    CONNECT_PERSONAL_VOICE = "connect a personal voice"
    EDIT_GUIDELINES = "edit guidelines"
    OVERRIDE_BLOCK = "override a blocking finding"
    REVIEW_POSTS = "review posts"
    DECLARE_INCIDENT = "declare an incident"
    WORK_INBOX = "work the inbox"
    MANAGE_INBOX = "set the inbox's service levels, topics and routing"
    MANAGE_ACADEMY = "manage the academy"
    VIEW_INSIGHTS = "view insights"
    MANAGE_CAMPAIGNS = "define objectives and campaigns"


_EVERY_ROLE = frozenset(Role)
_LEADS = frozenset({Role.ADMIN, Role.DIRECTOR})

RULES: dict[Permission, frozenset[Role]] = {
    Permission.VIEW_ORGANIZATION: _EVERY_ROLE,
    Permission.MANAGE_ORGANIZATION: _LEADS,
    Permission.MANAGE_DEPARTMENTS: _LEADS,
    Permission.INVITE_PEOPLE: _LEADS | {Role.COORDINATOR},
    Permission.MANAGE_ROLES: _LEADS,
    Permission.MANAGE_OFFICIAL_VOICES: _LEADS | {Role.COORDINATOR},
    Permission.CONNECT_PERSONAL_VOICE: _EVERY_ROLE,
    Permission.EDIT_GUIDELINES: frozenset({Role.DIRECTOR, Role.COORDINATOR}),
    Permission.OVERRIDE_BLOCK: frozenset({Role.DIRECTOR}),
    Permission.REVIEW_POSTS: frozenset({Role.DIRECTOR, Role.COORDINATOR, Role.MENTOR}),
    Permission.DECLARE_INCIDENT: frozenset({Role.DIRECTOR, Role.COORDINATOR, Role.OPERATIONS}),
    Permission.WORK_INBOX: _EVERY_ROLE - {Role.MANAGER},
    Permission.MANAGE_INBOX: _LEADS | {Role.COORDINATOR},
    Permission.MANAGE_ACADEMY: frozenset({Role.DIRECTOR, Role.COORDINATOR, Role.MENTOR}),
    Permission.MANAGE_CAMPAIGNS: _LEADS | {Role.COORDINATOR},
    Permission.VIEW_INSIGHTS: frozenset(
        {Role.ADMIN, Role.DIRECTOR, Role.COORDINATOR, Role.MANAGER, Role.MENTOR}
    ),
}

# Roles only these roles may hand out, so a coordinator cannot make a director.
GRANTABLE_BY: dict[Role, frozenset[Role]] = {
    Role.ADMIN: _LEADS,
    Role.DIRECTOR: _LEADS,
}


def roles_of(person: Person | None, organization: Organization | None) -> frozenset[Role]:
    """The person's roles in the organisation; empty for outsiders and inactive people.

    Cached on the person object, so a request asks the database once per organisation.
    """
    if person is None or organization is None or not person.is_authenticated:
        return frozenset()
    if not person.is_active:
        return frozenset()
    cache: dict[int, frozenset[Role]] = person.__dict__.setdefault("_cluetrain_roles", {})
    if organization.pk not in cache:
        names = Membership.objects.filter(
            person=person, organization=organization, is_active=True
        ).values_list("role_grants__role", flat=True)
        cache[organization.pk] = frozenset(Role(name) for name in names if name)
    limit = person.__dict__.get("_cluetrain_role_limit", {}).get(organization.pk)
    return cache[organization.pk] if limit is None else cache[organization.pk] & limit


def limit_roles(person: Person, organization: Organization, roles: frozenset[Role]) -> None:
    """Let this person object act with at most ``roles`` in the organisation (an API token's
    scope). It outlives ``forget_roles``: the limit belongs to the request, not to the cache."""
    person.__dict__.setdefault("_cluetrain_role_limit", {})[organization.pk] = roles


def forget_roles(person: Person) -> None:
    """Drop the cached roles after they change."""
    person.__dict__.pop("_cluetrain_roles", None)


def is_member(person: Person | None, organization: Organization) -> bool:
    # Every active membership holds at least one role (services refuse an empty set),
    # so the cached roles answer this without another query.
    return bool(roles_of(person, organization))


def can(person: Person | None, organization: Organization | None, permission: Permission) -> bool:
    return bool(roles_of(person, organization) & RULES[permission])


def require(person: Person | None, organization: Organization, permission: Permission) -> None:
    """Raise ``NotAllowed`` with a plain reason unless the person holds the permission."""
    if not is_member(person, organization):
        raise NotAllowed(f"You are not a member of {organization.name}.")
    if not can(person, organization, permission):
        allowed = ", ".join(sorted(Role(role).label.lower() for role in RULES[permission]))
        raise NotAllowed(f"Only people with one of these roles may {permission}: {allowed}.")


def can_grant(person: Person, organization: Organization, role: Role) -> bool:
    granted_by = GRANTABLE_BY.get(role, RULES[Permission.INVITE_PEOPLE])
    return bool(roles_of(person, organization) & granted_by)


def can_post_as(person: Person | None, voice: Voice) -> bool:
    """Whether ``person`` may publish through ``voice``.

    A personal voice answers only to its owner: administrators, directors,
    staff and superusers included, nobody else posts as a real person.
    """
    from cluetrain.voices.models import VoiceKind

    if person is None or not person.is_authenticated or not person.is_active:
        return False
    if voice.kind == VoiceKind.PERSONAL:
        return voice.owner_id == person.pk and is_member(person, voice.organization)
    if not is_member(person, voice.organization):
        return False
    if voice.access.filter(person=person).exists():
        return True
    # During an incident the runbook's responders may also speak through its official voices.
    from cluetrain.crisis.rights import may_use

    return may_use(person, voice)


def postable_voices(person: Person, organization: Organization) -> QuerySet[Voice]:
    """The voices ``person`` may post through in ``organization``: ``can_post_as`` as a query."""
    from cluetrain.crisis.rights import incident_voices
    from cluetrain.voices.models import Voice, VoiceKind

    if not is_member(person, organization):
        return Voice.objects.none()
    return (
        Voice.objects.filter(organization=organization)
        .filter(
            Q(kind=VoiceKind.PERSONAL, owner=person)
            | Q(kind=VoiceKind.OFFICIAL, access__person=person)
            | Q(pk__in=incident_voices(person, organization).values("pk"))
        )
        .distinct()
        .order_by("kind", "name")
    )


def require_post_as(person: Person | None, voice: Voice) -> None:
    from cluetrain.voices.models import VoiceKind

    if can_post_as(person, voice):
        return
    if voice.kind == VoiceKind.PERSONAL:
        owner = voice.owner.full_name if voice.owner else "its owner"
        raise NotAllowed(
            f"Only {owner} can post from their personal voice {voice.handle}: "
            "nobody else may speak as a real person, administrators included."
        )
    raise NotAllowed(f"You are not on the list of people who may post as {voice.name}.")
