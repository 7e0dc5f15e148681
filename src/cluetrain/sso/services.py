"""Single sign-on: an organisation's administrators configure their provider; people sign in
through it and, when their verified e-mail is in the organisation's domains, become members.

Rules for just-in-time membership (the README's "Single sign-on" section says the same):

* the provider must say the e-mail address is verified, always: a linked account or a new one;
* the address's domain must be one of the organisation's allowed domains;
* a new member gets the configured default role, which can never be a lead's role;
* an existing person with the same address is linked to the provider account (first sign-in);
  instance operators (staff, superusers) are never linked: they sign in with their password;
* someone whose membership was ended is not let back in by the provider.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from cluetrain.core import audit
from cluetrain.core.crypto import decrypt_json, encrypt_json
from cluetrain.core.errors import NotAllowed, ServiceError
from cluetrain.organizations import policy
from cluetrain.organizations.models import Membership, Organization, Person
from cluetrain.organizations.roles import Role
from cluetrain.organizations.services import do_add_member
from cluetrain.sso import oidc
from cluetrain.sso.models import JIT_ROLES, SignOnIdentity, SignOnProvider

_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


def require_admin(person: Person, organization: Organization) -> None:
    """Only the organisation's administrators: sign-on decides who gets in at all."""
    if Role.ADMIN not in policy.roles_of(person, organization):
        raise NotAllowed("Only the organisation's administrators can change its sign-on.")


def redirect_uri(organization: Organization) -> str:
    """The address to register at the provider (one per organisation)."""
    return settings.BASE_URL + reverse("sso:callback", args=[organization.slug])


def provider_of(person: Person, organization: Organization) -> SignOnProvider | None:
    require_admin(person, organization)
    return SignOnProvider.objects.filter(organization=organization).first()


def parse_domains(text: str) -> list[str]:
    domains = []
    for raw in re.split(r"[\s,;]+", text.strip().lower()):
        domain = raw.lstrip("@")
        if not domain:
            continue
        if not _DOMAIN.match(domain):
            raise ServiceError(f"{raw[:80]!r} is not a domain name (like example.com).")
        if domain not in domains:
            domains.append(domain)
    return domains


@dataclass(frozen=True)
class ProviderSettings:
    name: str
    issuer: str
    client_id: str
    client_secret: str  # "" keeps the stored one
    allowed_domains: list[str]
    default_role: str
    is_enabled: bool


def do_save_provider(
    actor: Person, organization: Organization, wanted: ProviderSettings
) -> SignOnProvider:
    """Save the settings after reading the issuer's discovery document (refused if unreadable)."""
    require_admin(actor, organization)
    if wanted.default_role not in JIT_ROLES:
        raise ServiceError("New members from sign-on can only be members or trainees.")
    if not wanted.client_id.strip():
        raise ServiceError("Give the client id the provider gave you.")
    issuer = wanted.issuer.strip().rstrip("/")
    found = oidc.discover(issuer)
    existing = SignOnProvider.objects.filter(organization=organization).first()
    provider = existing or SignOnProvider(organization=organization)
    if wanted.client_secret:
        provider.client_secret_encrypted = encrypt_json({"secret": wanted.client_secret})
    elif not provider.client_secret_encrypted:
        raise ServiceError("Give the client secret the provider gave you.")
    if wanted.is_enabled and not wanted.allowed_domains:
        raise ServiceError("Name at least one e-mail domain whose people may sign in.")
    provider.name = wanted.name.strip() or "SSO"
    provider.issuer = issuer
    provider.client_id = wanted.client_id.strip()
    provider.allowed_domains = wanted.allowed_domains
    provider.default_role = wanted.default_role
    provider.is_enabled = wanted.is_enabled
    provider.authorization_endpoint = found.authorization_endpoint
    provider.token_endpoint = found.token_endpoint
    provider.jwks_uri = found.jwks_uri
    provider.discovered_at = timezone.now()
    with transaction.atomic():
        provider.save()
        audit.record(
            organization,
            actor,
            "sso.configured",
            provider.name,
            issuer=issuer,
            enabled=provider.is_enabled,
            domains=provider.allowed_domains,
            default_role=provider.default_role,
            secret_changed=bool(wanted.client_secret),
        )
    return provider


def enabled_provider(slug: str) -> SignOnProvider:
    provider = (
        SignOnProvider.objects.select_related("organization")
        .filter(organization__slug=slug)
        .first()
    )
    if provider is None or not provider.is_enabled:
        raise ServiceError("Single sign-on is not switched on for this organisation.")
    return provider


def provider_for_email(email: str) -> SignOnProvider | None:
    """The enabled provider whose domains include ``email``'s (None if none or several)."""
    domain = email.rpartition("@")[2].strip().lower()
    if not domain:
        return None
    matches = [
        provider
        for provider in SignOnProvider.objects.select_related("organization").filter(
            is_enabled=True
        )
        if domain in provider.allowed_domains
    ]
    return matches[0] if len(matches) == 1 else None


def start(provider: SignOnProvider, login_hint: str = "") -> tuple[str, oidc.Pending]:
    """The provider's address to send the browser to, and what it must come back with."""
    pending = oidc.new_pending()
    url = oidc.authorization_url(
        provider.authorization_endpoint,
        provider.client_id,
        redirect_uri(provider.organization),
        pending,
        login_hint,
    )
    return url, pending


def do_finish(provider: SignOnProvider, code: str, pending: oidc.Pending) -> Person:
    """Trade the code for an ID token, check it, and find or make the member it names."""
    secret = decrypt_json(provider.client_secret_encrypted)["secret"]
    id_token = oidc.exchange_code(
        provider.token_endpoint,
        provider.client_id,
        secret,
        redirect_uri(provider.organization),
        code,
        pending.verifier,
    )
    claims = oidc.verify_id_token(
        id_token,
        jwks_uri=provider.jwks_uri,
        issuer=provider.issuer,
        client_id=provider.client_id,
        nonce=pending.nonce,
    )
    return do_sign_in_with_claims(provider, claims)


class _Refused(ServiceError):
    def __init__(self, message: str, why: str, email: str) -> None:
        super().__init__(message)
        self.why, self.email = why, email


def _refuse(provider: SignOnProvider, message: str, why: str, email: str) -> _Refused:
    return _Refused(message, why, email)


def do_sign_in_with_claims(provider: SignOnProvider, claims: dict[str, Any]) -> Person:
    """The person the checked ID token names, made a member by the rules at the top."""
    try:
        return _sign_in(provider, claims)
    except _Refused as refused:
        # Recorded after the sign-in's transaction is rolled back, so the refusal stays.
        audit.record(provider.organization, None, "sso.refused", refused.email, reason=refused.why)
        raise ServiceError(refused.message) from None


def _sign_in(provider: SignOnProvider, claims: dict[str, Any]) -> Person:
    organization = provider.organization
    subject = str(claims["sub"])
    email = str(claims.get("email") or "").strip().lower()
    if not email or "@" not in email:
        raise _refuse(
            provider,
            "Your provider did not tell Cluetrain your e-mail address: ask your administrator "
            "to release the 'email' claim.",
            "no e-mail",
            subject,
        )
    # Some providers send "true" as a string; anything else is not a confirmation.
    if claims.get("email_verified") not in (True, "true"):
        raise _refuse(
            provider,
            f"Your provider has not verified {email}, so Cluetrain cannot sign you in with it. "
            "Verify the address with your provider, or sign in with your password.",
            "e-mail not verified",
            email,
        )
    domain = email.rpartition("@")[2]
    if domain not in provider.allowed_domains:
        raise _refuse(
            provider,
            f"{organization.name} lets only addresses at "
            f"{', '.join(provider.allowed_domains)} sign in through {provider.name}; "
            f"{email} is not one of them.",
            "domain not allowed",
            email,
        )
    with transaction.atomic():
        identity = (
            SignOnIdentity.objects.select_related("person")
            .filter(issuer=provider.issuer, subject=subject)
            .first()
        )
        person = identity.person if identity else _person_for(provider, email, claims)
        if not person.is_active:
            raise _refuse(provider, "This account is switched off.", "person inactive", email)
        if identity is None:
            SignOnIdentity.objects.create(
                person=person, issuer=provider.issuer, subject=subject, last_used_at=timezone.now()
            )
        else:
            identity.last_used_at = timezone.now()
            identity.save(update_fields=["last_used_at"])
        _ensure_member(provider, person, email)
    return person


def _person_for(provider: SignOnProvider, email: str, claims: dict[str, Any]) -> Person:
    person = Person.objects.filter(email__iexact=email).first()
    if person is None:
        person = Person.objects.create_user(
            email, None, full_name=str(claims.get("name") or "")[:150] or email
        )
        audit.record(provider.organization, None, "sso.person created", email)
        return person
    if person.is_staff or person.is_superuser:
        raise _refuse(
            provider,
            "Instance operators sign in with their password, not through an organisation's "
            "provider.",
            "operator account",
            email,
        )
    audit.record(provider.organization, person, "sso.linked", email, issuer=provider.issuer)
    return person


def _ensure_member(provider: SignOnProvider, person: Person, email: str) -> None:
    organization = provider.organization
    membership = Membership.objects.filter(person=person, organization=organization).first()
    if membership is not None and membership.is_active:
        return
    if membership is not None:
        raise _refuse(
            provider,
            f"Your membership of {organization.name} has ended; ask its administrators.",
            "membership ended",
            email,
        )
    do_add_member(organization, person, [provider.default_role])
    audit.record(organization, person, "sso.member joined", email, role=provider.default_role)
