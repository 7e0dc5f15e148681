"""Request types for views, so the type checker knows what the middleware sets."""

from __future__ import annotations

from django.http import HttpRequest

from cluetrain.organizations.models import Membership, Organization, Person


class SignedInRequest(HttpRequest):
    """A request from a signed-in person (``login_required`` views)."""

    user: Person
    organization: Organization | None
    membership: Membership | None
    memberships: list[Membership]


class MemberRequest(SignedInRequest):
    """A request from a member of the current organisation (``member_required`` views)."""

    organization: Organization
    membership: Membership
