"""Whose dashboard a visitor asks for, and whether they may see it.

The organisation's, a department's and a voice's dashboards need ``VIEW_INSIGHTS``; a person
may always see their own dashboard, and others' only with ``VIEW_INSIGHTS``. Ids from another
organisation are not found (404), so a visitor learns nothing about what exists elsewhere.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.shortcuts import get_object_or_404
from django.urls import reverse

from cluetrain.insights.export import Snapshot
from cluetrain.organizations import policy
from cluetrain.organizations.models import Department, Membership, Organization, Person
from cluetrain.organizations.policy import Permission
from cluetrain.organizations.requests import MemberRequest
from cluetrain.voices.models import Voice


@dataclass
class Target:
    """The scope of one dashboard: what it is called, where it lives, how to measure it."""

    organization: Organization
    kind: str  # organization, department, voice, person
    title: str
    url_name: str
    args: list[int] = field(default_factory=list)
    department: Department | None = None
    voice_id: int | None = None
    person_id: int | None = None
    # For the organisation's page: the departments and voices to go deeper into.
    departments: list[Department] = field(default_factory=list)
    voices: list[Voice] = field(default_factory=list)
    people: list[Person] = field(default_factory=list)

    def snapshot(self, start: date, end: date) -> Snapshot:
        return Snapshot(
            self.organization,
            start,
            end,
            department=self.department,
            voice_id=self.voice_id,
            person_id=self.person_id,
        )

    @property
    def url(self) -> str:
        return reverse(f"insights:{self.url_name}", args=self.args)

    def csv_url(self, table: str) -> str:
        return reverse(f"insights:{self.url_name}_csv", args=[*self.args, table])


def organization_target(request: MemberRequest) -> Target:
    organization = request.organization
    policy.require(request.user, organization, Permission.VIEW_INSIGHTS)
    return Target(
        organization,
        "organization",
        organization.name,
        "index",
        departments=list(Department.objects.filter(organization=organization)),
        voices=list(Voice.objects.filter(organization=organization).order_by("name")),
        people=_people(organization),
    )


def department_target(request: MemberRequest, department_id: int) -> Target:
    organization = request.organization
    item = get_object_or_404(Department, pk=department_id, organization=organization)
    policy.require(request.user, organization, Permission.VIEW_INSIGHTS)
    return Target(
        organization,
        "department",
        item.name,
        "department",
        [item.pk],
        department=item,
        voices=list(Voice.objects.filter(organization=organization, department=item)),
        people=_people(organization, item),
    )


def voice_target(request: MemberRequest, voice_id: int) -> Target:
    organization = request.organization
    item = get_object_or_404(Voice, pk=voice_id, organization=organization)
    # A personal voice is its owner's own work: they may read its numbers like their own page.
    if item.owner_id != request.user.pk:
        policy.require(request.user, organization, Permission.VIEW_INSIGHTS)
    return Target(organization, "voice", item.name, "voice", [item.pk], voice_id=item.pk)


def person_target(request: MemberRequest, person_id: int) -> Target:
    organization = request.organization
    membership = get_object_or_404(
        Membership.objects.select_related("person"),
        person_id=person_id,
        organization=organization,
    )
    if person_id != request.user.pk:
        policy.require(request.user, organization, Permission.VIEW_INSIGHTS)
    who = membership.person
    return Target(
        organization,
        "person",
        who.full_name or who.email,
        "person",
        [who.pk],
        person_id=who.pk,
        voices=list(Voice.objects.filter(organization=organization, owner=who)),
    )


def _people(organization: Organization, department: Department | None = None) -> list[Person]:
    """The active members to go deeper into, by name (one query)."""
    people = Person.objects.filter(
        memberships__organization=organization, memberships__is_active=True, is_active=True
    )
    if department is not None:
        people = people.filter(memberships__departments=department)
    return list(people.distinct().order_by("full_name", "email"))
