from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from cluetrain.organizations.models import Membership
from cluetrain.organizations.roles import Role

SESSION_KEY = "cluetrain_organization_id"


class CurrentOrganizationMiddleware:
    """Set ``request.organization`` and ``request.membership`` for a signed-in person.

    The organisation chosen in the switcher is kept in the session; a person
    removed from it falls back to another of their organisations.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.organization = None  # type: ignore[attr-defined]
        request.membership = None  # type: ignore[attr-defined]
        request.memberships = []  # type: ignore[attr-defined]
        person = request.user
        if person.is_authenticated and person.is_active:
            memberships = list(
                Membership.objects.filter(person=person, is_active=True)
                .select_related("organization")
                .prefetch_related("role_grants")
                .order_by("organization__name")
            )
            chosen = request.session.get(SESSION_KEY)
            current = next((m for m in memberships if m.organization_id == chosen), None)
            current = current or (memberships[0] if memberships else None)
            request.memberships = memberships  # type: ignore[attr-defined]
            if current is not None:
                request.organization = current.organization  # type: ignore[attr-defined]
                request.membership = current  # type: ignore[attr-defined]
                # Warm the policy's cache so permission checks cost no query.
                roles = person.__dict__.setdefault("_cluetrain_roles", {})
                roles[current.organization_id] = frozenset(
                    Role(grant.role) for grant in current.role_grants.all()
                )
        return self.get_response(request)
