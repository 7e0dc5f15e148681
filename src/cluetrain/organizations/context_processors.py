from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse

# (key, label, url name, keyboard shortcut after "g")
NAVIGATION = [
    ("home", "Home", "home", "h"),
    ("publish", "Publish", "publishing:index", "p"),
    ("reviews", "Reviews", "reviews:queue", "r"),
    ("inbox", "Inbox", "inbox:index", "i"),
    ("academy", "Academy", "academy:index", "a"),
    ("knowledge", "Facts", "knowledge:index", "k"),
    ("crisis", "Crisis", "crisis:index", "c"),
    ("insights", "Insights", "insights:index", "n"),
    ("people", "People", "organizations:people", "e"),
    ("settings", "Settings", "organizations:settings", "s"),
]
# Pages that belong to an area without living under its address.
ALSO_UNDER = {"people": ("/voices/",)}


def current_organization(request: HttpRequest) -> dict[str, Any]:
    organization = getattr(request, "organization", None)
    membership = getattr(request, "membership", None)
    memberships = getattr(request, "memberships", [])
    path = request.path
    nav = []
    for key, label, url_name, shortcut in NAVIGATION:
        url = reverse(url_name)
        active = path == url if url == "/" else path.startswith((url, *ALSO_UNDER.get(key, ())))
        nav.append({"key": key, "label": label, "url": url, "active": active, "shortcut": shortcut})
    roles: list[str] = []
    if membership is not None:
        from cluetrain.organizations.roles import Role

        roles = [Role(grant.role).label for grant in membership.role_grants.all()]
    return {
        "current_organization": organization,
        "current_roles": sorted(roles),
        "user_organizations": [m.organization for m in memberships],
        "nav": nav,
    }
