"""Creating, checking and revoking personal API tokens. The API, the CLI and admin all use these."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from cluetrain.api.models import ApiToken
from cluetrain.core import audit
from cluetrain.core.errors import NotAllowed, ServiceError
from cluetrain.organizations import policy
from cluetrain.organizations.models import Organization, Person
from cluetrain.organizations.policy import Permission
from cluetrain.organizations.roles import Role

# "ct_" says what the secret is when it turns up in a log or a leaked file.
SECRET_PREFIX = "ct_"  # noqa: S105 (a label, not a secret)
SECRET_LENGTH = len(SECRET_PREFIX) + 43  # token_urlsafe(32) gives 43 characters
VISIBLE = 10  # "ct_" and 7 characters: enough to recognise, far too few to guess the rest
MAX_DAYS = 3660
# Writing last_used_at on every request would make each API call a database write.
USE_RECORDED_EVERY = timedelta(minutes=1)


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def parse_scope(text: str) -> tuple[bool, list[str]]:
    """``--scope`` as people write it: "all", "read", role names, or "read" with role names
    ("read,member"); returns (read only, roles)."""
    words = [word.strip().lower() for word in (text or "").replace(" ", ",").split(",")]
    words = [word for word in words if word]
    if not words or words == ["all"]:
        return False, []
    read_only = "read" in words or "read-only" in words
    roles = [word for word in words if word not in {"read", "read-only"}]
    unknown = [word for word in roles if word not in Role.values]
    if unknown:
        raise ServiceError(
            f"{', '.join(unknown)}: not a scope. A scope is 'all', 'read', or role names "
            f"({', '.join(Role.values)}), comma-separated.",
            code="scope",
        )
    return read_only, sorted(set(roles))


def do_create_token(
    person: Person,
    organization: Organization,
    name: str,
    days: int | None = None,
    *,
    read_only: bool = False,
    roles: list[str] | None = None,
) -> tuple[ApiToken, str]:
    """Make a token acting as ``person`` in ``organization``; returns it and its only copy.

    ``read_only`` and ``roles`` narrow it: a token limited to roles its person does not hold
    is refused (it could never act), and at each request it holds only those of its roles the
    person still holds.
    """
    policy.require(person, organization, Permission.VIEW_ORGANIZATION)
    wanted = sorted(set(roles or []))
    unknown = [role for role in wanted if role not in Role.values]
    if unknown:
        raise ServiceError(f"{', '.join(unknown)}: not a role.", code="scope")
    held = policy.roles_of(person, organization)
    missing = [role for role in wanted if Role(role) not in held]
    if missing:
        raise NotAllowed(
            f"A token can only be limited to roles you hold in {organization.name}; "
            f"you do not hold {', '.join(missing)}."
        )
    name = " ".join((name or "").split())
    if not name:
        raise ServiceError("Give the token a name that says what it is for.", code="name")
    if len(name) > 100:
        raise ServiceError("A token's name can be at most 100 characters.", code="name")
    if days is not None and not 1 <= days <= MAX_DAYS:
        raise ServiceError(f"A token lasts from 1 to {MAX_DAYS} days.", code="days")
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    expires_at = timezone.now() + timedelta(days=days) if days else None
    with transaction.atomic():
        token = ApiToken.objects.create(
            person=person,
            organization=organization,
            name=name,
            prefix=secret[:VISIBLE],
            token_hash=hash_secret(secret),
            expires_at=expires_at,
            read_only=read_only,
            roles=wanted,
        )
        audit.record(organization, person, "api_token.created", token, days=days, scope=token.scope)
    return token, secret


def tokens_of(person: Person) -> QuerySet[ApiToken]:
    """A person's own tokens in every organisation, newest first, revoked ones included.

    Tokens in an organisation the person has left are listed too: they cannot act while the
    person is out, but would again if the person came back, so their owner may revoke them.
    """
    return ApiToken.objects.filter(person=person).select_related("organization")


def can_manage_tokens(person: Person | None, organization: Organization) -> bool:
    """Whether ``person`` may see and revoke every token of ``organization``: its leads.

    Seeing a token is its name, owner, scope and dates; nobody, leads included, ever sees
    another person's secret (only its hash is stored) or acts with it.
    """
    return policy.can(person, organization, Permission.MANAGE_ORGANIZATION)


def check_can_manage_tokens(person: Person, organization: Organization) -> None:
    """``NotAllowed`` with the reason unless ``person`` may manage every token there."""
    if not policy.is_member(person, organization):
        raise NotAllowed(f"You are not a member of {organization.name}.")
    if not can_manage_tokens(person, organization):
        raise NotAllowed(
            f"Only {organization.name}'s directors and administrators may see and revoke "
            "everyone's API tokens; your own are at Settings → API tokens."
        )


def organization_tokens(person: Person, organization: Organization) -> QuerySet[ApiToken]:
    """Every token acting in ``organization``, whoever's, newest first, revoked ones included;
    for its leads only (``NotAllowed`` for anyone else).

    Tokens of people who have left are listed too: they could act again if the person came
    back, so a lead may want to revoke them.
    """
    check_can_manage_tokens(person, organization)
    return ApiToken.objects.filter(organization=organization).select_related("person")


def scope_roles(person: Person, organizations: list[Organization]) -> list[Role]:
    """The roles a person may limit a new token to: those held in any of ``organizations``.

    Only what a form offers; ``do_create_token`` still refuses a role the person does not hold
    in the token's own organisation.
    """
    held: set[Role] = set()
    for organization in organizations:
        held |= policy.roles_of(person, organization)
    return [role for role in Role if role in held]


def do_revoke_token(actor: Person | None, token: ApiToken) -> ApiToken:
    """Revoke ``token`` for good. ``actor`` None is the instance operator (the CLI).

    Its person may revoke it, and so may the organisation's leads: revoking speaks for nobody,
    it only stops a leaked or forgotten secret. Nobody is notified: the owner's scripts are
    answered 401, and the audit log says who revoked it.
    """
    if (
        actor is not None
        and actor.pk != token.person_id
        and not can_manage_tokens(actor, token.organization)
    ):
        raise NotAllowed("Only the token's owner or the organisation's leads can revoke it.")
    with transaction.atomic():
        # Conditional, so revoking twice keeps the first moment and records one event.
        if ApiToken.objects.filter(pk=token.pk, revoked_at=None).update(revoked_at=timezone.now()):
            # The owner is named: a lead's revocation stops someone else's scripts.
            owner = token.person.email
            audit.record(token.organization, actor, "api_token.revoked", token, owner=owner)
    token.refresh_from_db(fields=["revoked_at"])
    return token


def authenticate(secret: str) -> tuple[Person, Organization] | None:
    """The person and organisation a secret acts for, or None when it must be refused."""
    token = authenticate_token(secret)
    return None if token is None else (token.person, token.organization)


def authenticate_token(secret: str) -> ApiToken | None:
    """The usable token behind a secret, its person limited to its roles, or None.

    The lookup is by the secret's hash, so comparing it costs the same whatever the guess: no
    character-by-character comparison of secrets ever happens. Refused: unknown, revoked or
    expired tokens, inactive people and people no longer members of the organisation.
    """
    if not secret.startswith(SECRET_PREFIX) or len(secret) != SECRET_LENGTH:
        return None
    token = (
        ApiToken.objects.select_related("person", "organization")
        .filter(token_hash=hash_secret(secret))
        .first()
    )
    if token is None or not token.is_usable:
        return None
    person, organization = token.person, token.organization
    # The person was just loaded, so these are the roles of this moment; a token limited to
    # some roles acts with those of them the person still holds.
    if token.roles:
        policy.limit_roles(person, organization, frozenset(Role(r) for r in token.roles))
    if not person.is_active or not policy.is_member(person, organization):
        return None
    now = timezone.now()
    ApiToken.objects.filter(pk=token.pk).filter(
        Q(last_used_at=None) | Q(last_used_at__lt=now - USE_RECORDED_EVERY)
    ).update(last_used_at=now)
    return token
