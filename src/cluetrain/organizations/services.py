"""State changes for organisations, departments, memberships and invitations."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify

from cluetrain.core import audit
from cluetrain.core.errors import NotAllowed, ServiceError
from cluetrain.organizations import policy
from cluetrain.organizations.models import (
    Department,
    Invitation,
    Membership,
    Organization,
    Person,
    RoleGrant,
    validate_time_zone,
)
from cluetrain.organizations.policy import Permission
from cluetrain.organizations.roles import Role


class InvitationInvalid(ServiceError):
    """The invitation link cannot be used: unknown, expired, used or revoked."""


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _parse_roles(roles: Iterable[str]) -> list[Role]:
    parsed: list[Role] = []
    for name in roles:
        try:
            parsed.append(Role(name))
        except ValueError as exc:
            raise ServiceError(f"{name!r} is not a role in Cluetrain.") from exc
    if not parsed:
        raise ServiceError("Give the person at least one role.")
    return sorted(set(parsed))


def do_create_organization(name: str, *, slug: str = "", time_zone: str = "UTC") -> Organization:
    name = name.strip()
    if not name:
        raise ServiceError("An organisation needs a name.")
    organization = Organization(name=name, slug=slug or slugify(name)[:60], time_zone=time_zone)
    try:
        organization.full_clean()
    except ValidationError as exc:
        raise ServiceError("; ".join(exc.messages)) from exc
    organization.save()
    return organization


def do_update_organization(actor: Person, organization: Organization, **fields: str) -> None:
    """Change the organisation's name, time zone or disclosure; audited with before and after."""
    policy.require(actor, organization, Permission.MANAGE_ORGANIZATION)
    allowed = {"name", "time_zone", "disclosure_text", "disclosure_keywords"}
    if unknown := set(fields) - allowed:
        raise ServiceError(f"These settings cannot be changed here: {', '.join(sorted(unknown))}.")
    before = {name: getattr(organization, name) for name in fields}
    for name, value in fields.items():
        setattr(organization, name, value.strip())
    try:
        organization.full_clean()
    except ValidationError as exc:
        organization.refresh_from_db()
        raise ServiceError("; ".join(exc.messages)) from exc
    with transaction.atomic():
        organization.save(update_fields=list(fields))
        audit.record(organization, actor, "organization.updated", organization, before=before)


def do_create_department(actor: Person, organization: Organization, name: str) -> Department:
    policy.require(actor, organization, Permission.MANAGE_DEPARTMENTS)
    name = name.strip()
    if not name:
        raise ServiceError("A department needs a name.")
    slug = slugify(name)[:60]
    if organization.departments.filter(slug=slug).exists():
        raise ServiceError(f"{organization.name} already has a department called {name}.")
    with transaction.atomic():
        department = Department.objects.create(organization=organization, name=name, slug=slug)
        audit.record(organization, actor, "department.created", department)
    return department


def do_add_member(
    organization: Organization,
    person: Person,
    roles: Iterable[str],
    *,
    departments: Iterable[Department] = (),
    title: str = "",
) -> Membership:
    """Make ``person`` a member with ``roles`` (adds to the roles they already hold)."""
    parsed = _parse_roles(roles)
    with transaction.atomic():
        membership, _ = Membership.objects.get_or_create(
            person=person, organization=organization, defaults={"title": title}
        )
        if not membership.is_active:
            membership.is_active = True
            membership.save(update_fields=["is_active"])
        for role in parsed:
            RoleGrant.objects.get_or_create(membership=membership, role=role)
        for department in departments:
            if department.organization_id != organization.pk:
                raise ServiceError(f"{department.name} is not part of {organization.name}.")
            membership.departments.add(department)
    policy.forget_roles(person)
    return membership


def do_set_roles(actor: Person, membership: Membership, roles: Iterable[str]) -> Membership:
    organization = membership.organization
    policy.require(actor, organization, Permission.MANAGE_ROLES)
    wanted = set(_parse_roles(roles))
    with transaction.atomic():
        current = {Role(r) for r in membership.role_grants.values_list("role", flat=True)}
        for role in wanted ^ current:
            if not policy.can_grant(actor, organization, role):
                raise NotAllowed(f"You may not give or take away the role {role.label}.")
        leads_left = (
            RoleGrant.objects.filter(
                membership__organization=organization,
                membership__is_active=True,
                role__in=[Role.ADMIN, Role.DIRECTOR],
            )
            .exclude(membership=membership)
            .exists()
        )
        if not leads_left and not wanted & {Role.ADMIN, Role.DIRECTOR}:
            raise ServiceError(
                f"{organization.name} must keep at least one administrator or director."
            )
        membership.role_grants.exclude(role__in=wanted).delete()
        for role in wanted - current:
            RoleGrant.objects.create(membership=membership, role=role)
        audit.record(
            organization,
            actor,
            "membership.roles_changed",
            membership.person,
            before=sorted(current),
            after=sorted(wanted),
        )
    policy.forget_roles(membership.person)
    return membership


def do_invite(
    actor: Person,
    organization: Organization,
    email: str,
    roles: Iterable[str],
    *,
    departments: Iterable[Department] = (),
) -> tuple[Invitation, str]:
    """Invite ``email`` to join with ``roles``; send the link and return it with the invitation."""
    policy.require(actor, organization, Permission.INVITE_PEOPLE)
    email = email.strip().lower()
    try:
        if len(email) > 254:  # RFC 5321's limit; the column's too
            raise ValidationError("too long")
        validate_email(email)
    except ValidationError as exc:
        raise ServiceError(f"{email or 'An empty address'} is not a valid e-mail address.") from exc
    parsed = _parse_roles(roles)
    for role in parsed:
        if not policy.can_grant(actor, organization, role):
            raise NotAllowed(f"You may not invite someone as {role.label}.")
    if Membership.objects.filter(
        organization=organization, person__email__iexact=email, is_active=True
    ).exists():
        raise ServiceError(f"{email} is already a member of {organization.name}.")
    departments = list(departments)
    for department in departments:
        if department.organization_id != organization.pk:
            raise ServiceError(f"{department.name} is not part of {organization.name}.")
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        invitation = Invitation.objects.create(
            organization=organization,
            email=email,
            roles=[str(role) for role in parsed],
            invited_by=actor,
            token_hash=_hash(token),
            expires_at=timezone.now() + timedelta(days=settings.INVITATION_VALID_DAYS),
        )
        invitation.departments.set(departments)
        audit.record(organization, actor, "invitation.sent", email, roles=invitation.roles)
    link = settings.BASE_URL + reverse("organizations:accept_invitation", args=[token])
    send_mail(
        subject=f"{actor.full_name} invites you to {organization.name} on Cluetrain",
        message=(
            f"{actor.full_name} invites you to join {organization.name} on Cluetrain as "
            f"{', '.join(Role(r).label for r in invitation.roles)}.\n\n"
            f"Accept within {settings.INVITATION_VALID_DAYS} days: {link}\n\n"
            "If you did not expect this, ignore this message."
        ),
        from_email=None,
        recipient_list=[email],
    )
    return invitation, link


def check_invitation(token: str) -> Invitation:
    """The invitation behind ``token``, or ``InvitationInvalid`` saying plainly why not."""
    if not token or len(token) > 200:
        raise InvitationInvalid("This invitation link is not valid.", code="unknown")
    try:
        invitation = Invitation.objects.select_related("organization").get(token_hash=_hash(token))
    except Invitation.DoesNotExist as exc:
        raise InvitationInvalid(
            "This invitation link is not valid. Check that you copied the whole link.",
            code="unknown",
        ) from exc
    state = invitation.state
    if state == "accepted":
        raise InvitationInvalid(
            "This invitation has already been used. Sign in, or ask for a new invitation.",
            code="used",
        )
    if state == "revoked":
        raise InvitationInvalid("This invitation was withdrawn.", code="revoked")
    if state == "expired":
        raise InvitationInvalid(
            "This invitation has expired. Ask the person who invited you for a new one.",
            code="expired",
        )
    return invitation


def do_accept_invitation(
    token: str,
    *,
    person: Person | None = None,
    full_name: str = "",
    password: str = "",
) -> Membership:
    """Accept an invitation as a signed-in ``person``, or create the person from the form.

    The invitation row is locked so a link clicked twice at once joins once.
    """
    with transaction.atomic():
        invitation = check_invitation(token)
        invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
        if invitation.accepted_at is not None:
            raise InvitationInvalid("This invitation has already been used.", code="used")
        if person is None:
            if Person.objects.filter(email__iexact=invitation.email).exists():
                raise InvitationInvalid(
                    f"{invitation.email} already has an account: sign in first, then open the "
                    "link again.",
                    code="sign_in",
                )
            if not full_name.strip():
                raise ServiceError("Tell us your name as colleagues know it.")
            candidate = Person(email=invitation.email, full_name=full_name.strip())
            try:
                validate_password(password, candidate)
            except ValidationError as exc:
                raise ServiceError(" ".join(exc.messages)) from exc
            person = Person.objects.create_user(
                invitation.email, password, full_name=full_name.strip()
            )
        elif person.email.lower() != invitation.email.lower():
            raise InvitationInvalid(
                f"This invitation is for {invitation.email}; you are signed in as {person.email}.",
                code="wrong_person",
            )
        membership = do_add_member(
            invitation.organization,
            person,
            invitation.roles,
            departments=invitation.departments.all(),
        )
        invitation.accepted_at = timezone.now()
        invitation.accepted_by = person
        invitation.save(update_fields=["accepted_at", "accepted_by"])
        audit.record(invitation.organization, person, "invitation.accepted", invitation.email)
    return membership


def do_revoke_invitation(actor: Person, invitation: Invitation) -> None:
    policy.require(actor, invitation.organization, Permission.INVITE_PEOPLE)
    updated = Invitation.objects.filter(
        pk=invitation.pk, accepted_at__isnull=True, revoked_at__isnull=True
    ).update(revoked_at=timezone.now())
    if updated != 1:
        raise ServiceError("This invitation was already used or withdrawn.")
    audit.record(invitation.organization, actor, "invitation.revoked", invitation.email)


def check_switch_organization(person: Person, organization_id: str | int) -> Organization:
    """The organisation to switch to; ``NotAllowed`` when the person is not a member."""
    try:
        organization = Organization.objects.get(pk=int(organization_id))
    except (Organization.DoesNotExist, ValueError, TypeError) as exc:
        raise NotAllowed("You are not a member of that organisation.") from exc
    if not policy.is_member(person, organization):
        raise NotAllowed(f"You are not a member of {organization.name}.")
    return organization


def do_update_profile(person: Person, *, full_name: str, time_zone: str) -> Person:
    """Change a person's own name and time zone (nobody else changes them)."""
    full_name = " ".join(full_name.split())
    if not full_name or len(full_name) > 150:
        raise ServiceError("Your name must be between 1 and 150 characters.")
    try:
        validate_time_zone(time_zone)
    except ValidationError as exc:
        raise ServiceError(f"{time_zone!r} is not a time zone Cluetrain knows.") from exc
    person.full_name, person.time_zone = full_name, time_zone
    person.save(update_fields=["full_name", "time_zone"])
    return person
