from __future__ import annotations

import zoneinfo
from typing import Any, ClassVar

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from cluetrain.organizations.roles import Role


def validate_time_zone(value: str) -> None:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise ValidationError(f"{value!r} is not a known time zone, e.g. Europe/London") from exc


class PersonManager(BaseUserManager["Person"]):
    def create_user(self, email: str, password: str | None = None, **fields: Any) -> Person:
        if not email:
            raise ValueError("A person needs an e-mail address")
        person = self.model(email=self.normalize_email(email).lower(), **fields)
        person.set_password(password)
        person.save(using=self._db)
        return person

    def create_superuser(self, email: str, password: str | None = None, **fields: Any) -> Person:
        fields.update(is_staff=True, is_superuser=True)
        return self.create_user(email, password, **fields)


class Person(AbstractBaseUser, PermissionsMixin):
    """A real, identified human with a login.

    A person belongs to one or more organisations (agency staff often serve
    several) with roles in each, and may connect their own social accounts as
    personal voices that nobody else can post from.
    """

    email = models.EmailField(unique=True)
    full_name = models.CharField(max_length=150)
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(
        default=False, help_text="May open the Django admin (instance operators only)."
    )
    date_joined = models.DateTimeField(default=timezone.now)

    objects: ClassVar[PersonManager] = PersonManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = ["full_name"]

    class Meta:
        verbose_name = "person"
        verbose_name_plural = "people"
        constraints = [models.UniqueConstraint(Lower("email"), name="person_email_ci_unique")]

    def __str__(self) -> str:
        return self.full_name or self.email

    def get_full_name(self) -> str:
        return self.full_name

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[0] if self.full_name else self.email


class Organization(models.Model):
    """The company or public body that uses Cluetrain; one instance hosts several.

    Its disclosure text (for example ``#iworkatacme``) is what employees' posts
    about it must carry when they post from their own accounts.
    """

    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=60, unique=True)
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])
    disclosure_text = models.CharField(
        max_length=60,
        blank=True,
        help_text="Carried by personal voices' posts about the organisation, e.g. #iworkatacme.",
    )
    disclosure_keywords = models.TextField(
        blank=True,
        help_text="Comma-separated names that make a post 'about the organisation' "
        "(the organisation's name always counts).",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def disclosure_terms(self) -> list[str]:
        extra = [term.strip() for term in self.disclosure_keywords.split(",")]
        return [self.name, *[term for term in extra if term]]


class Department(models.Model):
    """A team, unit, brand or region inside an organisation.

    A department owns official feeds (voices named for it) and an inbox queue.
    """

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="departments"
    )
    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=60)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "slug"], name="department_slug_unique"),
            models.UniqueConstraint(fields=["organization", "name"], name="department_name_unique"),
        ]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    """A person's place in one organisation: departments, roles, whether still active."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="memberships")
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="memberships"
    )
    departments = models.ManyToManyField(Department, blank=True, related_name="memberships")
    title = models.CharField(max_length=120, blank=True, help_text="Job title, shown to peers.")
    is_active = models.BooleanField(default=True)
    joined_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["person", "organization"], name="membership_unique_per_org"
            )
        ]

    def __str__(self) -> str:
        return f"{self.person} in {self.organization}"

    @property
    def role_names(self) -> list[str]:
        return sorted(grant.role for grant in self.role_grants.all())


class RoleGrant(models.Model):
    """One role held by a member; a row per role so 'all operations responders' is one query."""

    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="role_grants")
    role = models.CharField(max_length=20, choices=Role.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["membership", "role"], name="role_grant_unique"),
            models.CheckConstraint(
                condition=models.Q(role__in=Role.values), name="role_grant_known_role"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.membership}: {self.get_role_display()}"


class Invitation(models.Model):
    """An e-mailed link that lets someone join an organisation with given roles.

    Only a hash of the token is stored: the link in the e-mail is the only copy.
    A link works once, until it expires or is revoked.
    """

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="invitations"
    )
    email = models.EmailField()
    roles = models.JSONField(default=list)
    departments = models.ManyToManyField(Department, blank=True, related_name="+")
    invited_by = models.ForeignKey(
        Person, null=True, on_delete=models.SET_NULL, related_name="invitations_sent"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Invitation for {self.email} to {self.organization}"

    @property
    def state(self) -> str:
        if self.accepted_at:
            return "accepted"
        if self.revoked_at:
            return "revoked"
        if self.expires_at <= timezone.now():
            return "expired"
        return "pending"
