"""Saved views of the inbox and saved replies: what people keep to find and say again.

Re-exported by ``cluetrain.inbox.services`` with the other inbox actions.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from cluetrain.core.errors import NotAllowed, ServiceError
from cluetrain.inbox.models import Conversation, SavedReply, SavedView
from cluetrain.organizations import policy
from cluetrain.organizations.models import Department, Organization, Person
from cluetrain.organizations.policy import Permission


def require_inbox(person: Person | None, organization: Organization) -> None:
    policy.require(person, organization, Permission.WORK_INBOX)


# ---- Saved views -----------------------------------------------------------------------------

MAX_VIEWS = 100


def visible_views(person: Person, organization: Organization) -> QuerySet[SavedView]:
    return SavedView.objects.filter(organization=organization).filter(
        Q(owner=person) | Q(shared=True)
    )


def do_save_view(
    person: Person,
    organization: Organization,
    name: str,
    filters: dict[str, Any],
    *,
    shared: bool = False,
) -> SavedView:
    """Save the filters under a name (the same name again replaces the person's own view)."""
    require_inbox(person, organization)
    name = " ".join(name.split())
    if not name:
        raise ServiceError("A saved view needs a name.", code="name")
    if len(name) > 80:
        raise ServiceError("A saved view's name can be at most 80 characters.", code="name")
    clean = {
        str(k)[:40]: (v if isinstance(v, list) else str(v))
        for k, v in filters.items()
        if v not in ("", None, [])
    }
    if len(str(clean)) > 4000:
        raise ServiceError("These filters are too long to save.", code="filters")
    view = SavedView.objects.filter(organization=organization, owner=person, name=name).first()
    if view is None:
        if SavedView.objects.filter(organization=organization, owner=person).count() >= MAX_VIEWS:
            raise ServiceError(f"You can keep at most {MAX_VIEWS} saved views.", code="too_many")
        view = SavedView(organization=organization, owner=person, name=name)
    view.filters, view.shared = clean, shared
    view.save()
    return view


def can_delete_view(person: Person, view: SavedView) -> bool:
    if view.owner_id == person.pk:
        return True
    # A shared view belongs to the team: its leads may tidy it away.
    return view.shared and policy.can(person, view.organization, Permission.MANAGE_DEPARTMENTS)


def do_delete_view(person: Person, view: SavedView) -> None:
    require_inbox(person, view.organization)
    if not can_delete_view(person, view):
        raise NotAllowed("Only its owner (or, for a shared view, a director) can delete a view.")
    view.delete()


# ---- Saved replies ---------------------------------------------------------------------------

BLANKS = ("{author_name}", "{handle}", "{my_name}")


def do_save_reply(
    person: Person,
    organization: Organization,
    name: str,
    text: str,
    *,
    department: Department | None = None,
) -> SavedReply:
    require_inbox(person, organization)
    name, text = " ".join(name.split()), text.strip()
    if not name or not text:
        raise ServiceError("A saved reply needs a name and a text.", code="empty")
    if len(name) > 80 or len(text) > 5000:
        raise ServiceError("That saved reply is too long.", code="too_long")
    if department is not None and department.organization_id != organization.pk:
        raise NotAllowed(f"{department.name} is not a department of {organization.name}.")
    return SavedReply.objects.create(
        organization=organization, department=department, name=name, text=text, created_by=person
    )


def do_delete_reply(person: Person, saved: SavedReply) -> None:
    require_inbox(person, saved.organization)
    if saved.created_by_id != person.pk and not policy.can(
        person, saved.organization, Permission.MANAGE_DEPARTMENTS
    ):
        raise NotAllowed("Only the person who saved this reply, or a director, can delete it.")
    saved.delete()


def fill_blanks(text: str, conversation: Conversation, person: Person) -> str:
    """A saved reply's blanks filled for this conversation; other braces are left as written."""
    author = conversation.author
    handle = author.handle or author.display_name
    if handle and not handle.startswith("@") and conversation.network != "feed":
        handle = f"@{handle}"
    values = {
        "{author_name}": author.display_name or author.handle or "there",
        "{handle}": handle,
        "{my_name}": person.full_name,
    }
    for blank, value in values.items():
        text = text.replace(blank, value)
    return text
