"""An organisation's OpenID Connect provider, and which provider accounts are which people."""

from __future__ import annotations

from django.db import models

from cluetrain.organizations.models import Organization, Person
from cluetrain.organizations.roles import Role

# Roles a provider may hand out by itself. Leads (administrators, directors) and agency staff
# are always chosen by a person, so a misconfigured provider cannot make anyone powerful.
JIT_ROLES = (Role.MEMBER, Role.TRAINEE)


class SignOnProvider(models.Model):
    """One organisation's OpenID Connect provider (Keycloak, Entra ID, Google Workspace...)."""

    organization = models.OneToOneField(
        Organization, on_delete=models.CASCADE, related_name="sign_on_provider"
    )
    is_enabled = models.BooleanField(default=False)
    name = models.CharField(
        max_length=80, help_text="Shown on the button: Sign in with <name>.", default="SSO"
    )
    issuer = models.URLField(max_length=300)
    client_id = models.CharField(max_length=200)
    # Fernet token of {"secret": ...} (core.crypto): never stored in the clear.
    client_secret_encrypted = models.TextField(blank=True)
    allowed_domains = models.JSONField(default=list)
    default_role = models.CharField(
        max_length=20, choices=[(role.value, role.label) for role in JIT_ROLES], default=Role.MEMBER
    )
    # From the issuer's /.well-known/openid-configuration, read when the settings are saved.
    authorization_endpoint = models.URLField(max_length=500, blank=True)
    token_endpoint = models.URLField(max_length=500, blank=True)
    jwks_uri = models.URLField(max_length=500, blank=True)
    discovered_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(default_role__in=[role.value for role in JIT_ROLES]),
                name="sign_on_default_role_not_lead",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} for {self.organization}"


class SignOnIdentity(models.Model):
    """A provider account (issuer + subject) linked to a person, so later sign-ins find them
    even after their e-mail address changes."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="sign_on_identities")
    issuer = models.CharField(max_length=300)
    subject = models.CharField(max_length=255)
    linked_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["issuer", "subject"], name="sign_on_identity_unique")
        ]

    def __str__(self) -> str:
        return f"{self.subject} at {self.issuer}"
