"""Personal API tokens: how a script or another tool speaks to Cluetrain as one person."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class ApiToken(models.Model):
    """A secret a person gives a script so it can act as them, in one organisation only.

    The token carries no roles of its own: each request runs with the roles its person holds in
    its organisation at that moment, so a person removed from the organisation loses every
    token's access at once. A token may be narrowed (its scope): to reading only, and/or to
    some of those roles; it never has more than its person holds at the moment of a request.
    Only a SHA-256 hash of the secret is stored (the secret is shown once, at creation), with
    its first characters kept in clear so a person can recognise it.
    """

    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100, help_text="What the token is for, e.g. 'release bot'.")
    prefix = models.CharField(max_length=12)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    read_only = models.BooleanField(
        default=False, help_text="Only reads: every request that would change something is refused."
    )
    roles = models.JSONField(
        default=list,
        blank=True,
        help_text="The roles it acts with, of those its person holds; empty: all of them.",
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "API token"
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["person", "organization"])]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_usable(self) -> bool:
        if self.revoked_at is not None:
            return False
        return self.expires_at is None or self.expires_at > timezone.now()

    @property
    def scope(self) -> str:
        """The scope as ``token create --scope`` takes it: "all", "read", "read,member"."""
        parts = (["read"] if self.read_only else []) + sorted(self.roles)
        return ",".join(parts) or "all"

    @property
    def state(self) -> str:
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and self.expires_at <= timezone.now():
            return "expired"
        return "active"
