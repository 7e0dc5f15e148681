"""Working the inbox: status, assignment, notes and mentions, tags, snooze, bulk actions and
saved views. The page, the API, the CLI and jobs all come through here.

Every action checks ``Permission.WORK_INBOX`` here (not only in views) and leaves a
``ConversationEvent`` per conversation it changed. Actions that make sense on many
conversations take a list and run in a fixed number of queries, so a bulk action on 500
conversations costs what one costs.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone

from cluetrain.core.errors import NotAllowed, ServiceError
from cluetrain.hooks import events as hook_events
from cluetrain.inbox.models import (
    Conversation,
    ConversationEvent,
    Note,
    Status,
    Tag,
)
from cluetrain.inbox.saved import (  # saved views and replies, re-exported
    BLANKS,
    can_delete_view,
    do_delete_reply,
    do_delete_view,
    do_save_reply,
    do_save_view,
    fill_blanks,
    require_inbox,
    visible_views,
)
from cluetrain.listening.models import Message
from cluetrain.notifications.services import notify
from cluetrain.organizations import policy
from cluetrain.organizations.models import Department, Membership, Organization, Person
from cluetrain.organizations.policy import Permission

MAX_BULK = 500
MAX_NOTE = 5000
MAX_TAG = 40
MAX_MENTIONS = 20
MAX_SNOOZE = timedelta(days=365)
HISTORY_LIMIT = 10

Targets = Conversation | Sequence[Conversation]


# ---- Who may, and on what ------------------------------------------------------------------


def conversations_of(person: Person, organization: Organization) -> QuerySet[Conversation]:
    """The conversations ``person`` may work in ``organization`` (all of them, or none)."""
    if not policy.can(person, organization, Permission.WORK_INBOX):
        return Conversation.objects.none()
    return Conversation.objects.filter(organization=organization)


def _targets(person: Person, conversations: Targets) -> tuple[Organization, list[Conversation]]:
    items = [conversations] if isinstance(conversations, Conversation) else list(conversations)
    if not items:
        raise ServiceError("Choose at least one conversation.", code="none_chosen")
    if len(items) > MAX_BULK:
        raise ServiceError(f"At most {MAX_BULK} conversations at once.", code="too_many")
    organization = items[0].organization
    if any(c.organization_id != organization.pk for c in items):
        raise NotAllowed("These conversations belong to different organisations.")
    require_inbox(person, organization)
    return organization, items


def _events(
    actor: Person | None, conversations: Iterable[Conversation], kind: str, **detail: Any
) -> None:
    ConversationEvent.objects.bulk_create(
        ConversationEvent(conversation=c, actor=actor, kind=kind, detail=detail)
        for c in conversations
    )


def _ids(conversations: Iterable[Conversation]) -> list[int]:
    return [c.pk for c in conversations]


# ---- Status ----------------------------------------------------------------------------------


def do_set_status(person: Person, conversations: Targets, status: str) -> int:
    """Move conversations to ``status``; resolving stamps ``resolved_at`` and tells the
    service-level clocks and the routing (expertise learned, capacity freed)."""
    if status not in Status.values:
        raise ServiceError(f"{status!r} is not a conversation status.", code="status")
    organization, items = _targets(person, conversations)
    now = timezone.now()
    changed = [c for c in items if c.status != status]
    if not changed:
        return 0
    previous = {c.pk: c.status for c in changed}
    resolved_at = now if status == Status.RESOLVED else None
    with transaction.atomic():
        Conversation.objects.filter(pk__in=_ids(changed)).update(
            status=status, resolved_at=resolved_at, updated_at=now
        )
        ConversationEvent.objects.bulk_create(
            ConversationEvent(
                conversation=c,
                actor=person,
                kind="status",
                detail={"from": previous[c.pk], "to": status},
            )
            for c in changed
        )
        for c in changed:
            c.status, c.resolved_at = status, resolved_at
        if status == Status.RESOLVED:
            _resolved_hooks(person, organization, changed)
    return len(changed)


def _resolved_hooks(
    person: Person, organization: Organization, resolved: list[Conversation]
) -> None:
    from cluetrain.inbox import pickup, sla

    holders = {
        p.pk: p for p in Person.objects.filter(pk__in={c.assignee_id for c in resolved} - {None})
    }
    for conversation in resolved:
        sla.on_resolved(conversation)
        # Whoever held it did the work and learns the topic; else the person resolving it.
        pickup.learn_from_resolution(
            conversation, holders.get(conversation.assignee_id or 0, person)
        )
    _free_capacity(organization, {c.assignee_id for c in resolved} - {None})


def _free_capacity(organization: Organization, person_ids: set[int | None]) -> None:
    """People who hold fewer conversations now may take the next waiting ones (never those
    just moved off them: ``pickup.moved_off``)."""
    from cluetrain.inbox import pickup

    ids = [pk for pk in person_ids if pk is not None]
    if not ids:
        return
    memberships = Membership.objects.filter(
        organization=organization, person_id__in=ids, is_active=True
    ).select_related("person", "organization")
    for membership in memberships:
        pickup.pick_up(membership)


# ---- Assignment ------------------------------------------------------------------------------


def check_assignee(organization: Organization, assignee: Person) -> None:
    if not policy.can(assignee, organization, Permission.WORK_INBOX):
        raise ServiceError(
            f"{assignee.full_name or assignee.email} cannot work the inbox of {organization.name}.",
            code="assignee",
        )


def do_assign(
    person: Person,
    conversations: Targets,
    assignee: Person | None,
    *,
    department: Department | None = None,
) -> int:
    """Give conversations to ``assignee``, or put them in ``department``'s queue (no assignee).

    The people who held them before have room for more, so the routing may hand them the
    next waiting conversation, though not these: each ``assigned`` event names whom it took
    the conversation from (``from_id``, a person id), and no pick-up gives a conversation back
    to that person until it is handed over again (``pickup.moved_off``).
    """
    organization, items = _targets(person, conversations)
    if assignee is None and department is None:
        raise ServiceError("Choose a person or a department queue.", code="assignee")
    if assignee is not None:
        check_assignee(organization, assignee)
    if department is not None and department.organization_id != organization.pk:
        raise NotAllowed(f"{department.name} is not a department of {organization.name}.")
    now = timezone.now()
    new_assignee = assignee.pk if assignee else None
    changes: dict[str, Any] = {"assignee_id": new_assignee, "updated_at": now}
    if department is not None:
        changes["department_id"] = department.pk
    changed = [
        c
        for c in items
        if c.assignee_id != new_assignee
        or (department is not None and c.department_id != department.pk)
    ]
    if not changed:
        return 0
    freed = {c.assignee_id for c in changed} - {new_assignee, None}
    changes["assigned_at"] = now if assignee is not None else None
    with transaction.atomic():
        Conversation.objects.filter(pk__in=_ids(changed)).update(**changes)
        # A new conversation someone takes is being worked on.
        if assignee is not None:
            Conversation.objects.filter(pk__in=_ids(changed), status=Status.NEW).update(
                status=Status.OPEN
            )
        detail: dict[str, Any] = {
            "to": assignee.full_name if assignee else "",
            "to_id": new_assignee,
        }
        if department is not None:
            detail["department"] = department.name
        ConversationEvent.objects.bulk_create(
            ConversationEvent(
                conversation=c,
                actor=person,
                kind="assigned",
                detail={**detail, "from_id": _taken_from(c, new_assignee)},
            )
            for c in changed
        )
        for c in changed:
            c.assignee, c.assigned_at = assignee, changes["assigned_at"]
            if department is not None:
                c.department = department
            if assignee is not None and c.status == Status.NEW:
                c.status = Status.OPEN
        _free_capacity(organization, freed)
        if assignee is not None:
            hook_events.conversations_assigned(organization.pk, _ids(changed), now)
    if assignee is not None and assignee.pk != person.pk:
        _tell_assignee(person, organization, assignee, changed)
    return len(changed)


def _taken_from(conversation: Conversation, new_assignee: int | None) -> int | None:
    """Whom an assignment takes the conversation from: None when nobody held it or the holder
    keeps it (only its department changes)."""
    held = conversation.assignee_id
    return held if held != new_assignee else None


def _tell_assignee(
    person: Person, organization: Organization, assignee: Person, changed: list[Conversation]
) -> None:
    first = changed[0]
    title = (
        f"{person.full_name} gave you a conversation"
        if len(changed) == 1
        else f"{person.full_name} gave you {len(changed)} conversations"
    )
    notify(
        assignee,
        "inbox.assigned",
        title,
        first.subject[:200],
        organization=organization,
        url=conversation_url(first),
        email=False,
    )


def do_claim(person: Person, conversations: Targets) -> int:
    """Take conversations for oneself."""
    return do_assign(person, conversations, person)


def conversation_url(conversation: Conversation) -> str:
    return f"{reverse('inbox:index')}?c={conversation.pk}"


# ---- Notes and mentions ----------------------------------------------------------------------

# "@milo", "@milo.member", "@MiloMember": an e-mail's local part, or a full name without spaces.
_MENTION = re.compile(r"(?<![\w@.])@([A-Za-z0-9][\w.+-]{0,63})")


def mention_handle(person: Person) -> str:
    """How colleagues mention ``person`` in a note: their e-mail address before the @."""
    return person.email.split("@", 1)[0].lower()


def _squashed(name: str) -> str:
    return re.sub(r"[\s.'-]+", "", name).lower()


def colleagues(organization: Organization) -> QuerySet[Person]:
    """The active people of the organisation, for mentions and the assignee picker."""
    return (
        Person.objects.filter(
            is_active=True, memberships__organization=organization, memberships__is_active=True
        )
        .distinct()
        .order_by("full_name")
    )


def mentioned_people(organization: Organization, body: str) -> list[Person]:
    """The colleagues a note mentions, by handle (``@milo``) or squashed name (``@MiloMember``)."""
    tokens = {t.rstrip(".").lower() for t in _MENTION.findall(body)}
    tokens.discard("")
    if not tokens:
        return []
    found: dict[int, Person] = {}
    for candidate in colleagues(organization).only("id", "email", "full_name"):
        if mention_handle(candidate) in tokens or _squashed(candidate.full_name) in tokens:
            found[candidate.pk] = candidate
        if len(found) >= MAX_MENTIONS:
            break
    return list(found.values())


def do_add_note(person: Person, conversation: Conversation, body: str) -> Note:
    """Add an internal note; each colleague it @mentions is told (in the app and by e-mail)."""
    organization, _ = _targets(person, conversation)
    body = body.strip()
    if not body:
        raise ServiceError("A note cannot be empty.", code="empty")
    if len(body) > MAX_NOTE:
        raise ServiceError(f"A note can be at most {MAX_NOTE} characters.", code="too_long")
    mentioned = [p for p in mentioned_people(organization, body) if p.pk != person.pk]
    with transaction.atomic():
        note = Note.objects.create(conversation=conversation, author=person, body=body)
        if mentioned:
            note.mentions.set(mentioned)
        _events(person, [conversation], "note", mentions=[p.pk for p in mentioned])
        for colleague in mentioned:
            notify(
                colleague,
                "inbox.mention",
                f"{person.full_name} mentioned you on a conversation",
                body[:500],
                organization=organization,
                url=conversation_url(conversation),
            )
    return note


# ---- Tags ------------------------------------------------------------------------------------


def clean_tag(name: str) -> str:
    """Tags are short lowercase words joined by dashes: " Refund  claim " → "refund-claim"."""
    cleaned = "-".join(name.strip().lstrip("#").lower().split())
    cleaned = re.sub(r"[^\w-]", "", cleaned)
    if not cleaned:
        raise ServiceError("A tag needs at least one letter or digit.", code="tag")
    if len(cleaned) > MAX_TAG:
        raise ServiceError(f"A tag can be at most {MAX_TAG} characters.", code="tag")
    return cleaned


def do_tag(person: Person, conversations: Targets, name: str) -> Tag:
    """Put a tag on conversations, creating it the first time it is used."""
    organization, items = _targets(person, conversations)
    cleaned = clean_tag(name)
    with transaction.atomic():
        tag, _ = Tag.objects.get_or_create(organization=organization, name=cleaned)
        through = Conversation.tags.through
        already = set(
            through.objects.filter(tag=tag, conversation_id__in=_ids(items)).values_list(
                "conversation_id", flat=True
            )
        )
        fresh = [c for c in items if c.pk not in already]
        through.objects.bulk_create(
            [through(conversation_id=c.pk, tag_id=tag.pk) for c in fresh], ignore_conflicts=True
        )
        _events(person, fresh, "tagged", tag=cleaned)
    return tag


def do_untag(person: Person, conversations: Targets, name: str) -> int:
    organization, items = _targets(person, conversations)
    tag = Tag.objects.filter(organization=organization, name=clean_tag(name)).first()
    if tag is None:
        return 0
    with transaction.atomic():
        through = Conversation.tags.through
        had = list(
            through.objects.filter(tag=tag, conversation_id__in=_ids(items)).values_list(
                "conversation_id", flat=True
            )
        )
        through.objects.filter(tag=tag, conversation_id__in=had).delete()
        _events(person, [c for c in items if c.pk in set(had)], "untagged", tag=tag.name)
    return len(had)


# ---- Snooze ----------------------------------------------------------------------------------


def do_snooze(person: Person, conversations: Targets, until: datetime) -> int:
    """Hide conversations from the queues until ``until``.

    Nothing wakes them: the queues show a conversation whose ``snoozed_until`` has passed as
    awake (``inbox.queues``), so no job has to run on time for it to come back.
    """
    _, items = _targets(person, conversations)
    if timezone.is_naive(until):
        raise ServiceError("A snooze time must carry its time zone.", code="when")
    now = timezone.now()
    if until <= now:
        raise ServiceError("Snooze until a moment in the future.", code="when")
    if until - now > MAX_SNOOZE:
        raise ServiceError("A conversation can be snoozed for a year at most.", code="when")
    with transaction.atomic():
        Conversation.objects.filter(pk__in=_ids(items)).update(snoozed_until=until, updated_at=now)
        _events(person, items, "snoozed", until=until.isoformat())
    for c in items:
        c.snoozed_until = until
    return len(items)


def do_unsnooze(person: Person, conversations: Targets) -> int:
    _, items = _targets(person, conversations)
    sleeping = [c for c in items if c.snoozed_until is not None]
    with transaction.atomic():
        Conversation.objects.filter(pk__in=_ids(sleeping)).update(snoozed_until=None)
        _events(person, sleeping, "unsnoozed")
    for c in sleeping:
        c.snoozed_until = None
    return len(sleeping)


def snooze_choices(now: datetime, zone: Any) -> dict[str, datetime]:
    """The usual snooze times, in the person's time zone."""
    local = now.astimezone(zone)
    tomorrow = (local + timedelta(days=1)).replace(hour=9, minute=0, second=0, microsecond=0)
    monday = tomorrow + timedelta(days=(7 - tomorrow.weekday()) % 7)
    return {
        "1h": now + timedelta(hours=1),
        "4h": now + timedelta(hours=4),
        "tomorrow": tomorrow,
        "monday": monday,
        "week": now + timedelta(days=7),
    }


# ---- Bulk ------------------------------------------------------------------------------------

BULK_ACTIONS = ("status", "resolve", "assign", "claim", "department", "tag", "untag", "snooze")


def chosen(
    person: Person, organization: Organization, ids: Iterable[int | str]
) -> list[Conversation]:
    """The conversations of ``ids``; every one must be the organisation's."""
    require_inbox(person, organization)
    wanted: set[int] = set()
    for value in ids:
        try:
            wanted.add(int(value))
        except (TypeError, ValueError) as exc:
            raise ServiceError(f"{value!r} is not a conversation.", code="ids") from exc
    if len(wanted) > MAX_BULK:
        raise ServiceError(f"At most {MAX_BULK} conversations at once.", code="too_many")
    found = list(
        Conversation.objects.filter(organization=organization, pk__in=wanted).select_related(
            "organization"
        )
    )
    if len(found) != len(wanted):
        raise NotAllowed("Some of these conversations are not in this organisation's inbox.")
    return found


def do_bulk(
    person: Person, organization: Organization, ids: Iterable[int | str], action: str, value: str
) -> int:
    """Apply one action to many conversations; returns how many changed."""
    items = chosen(person, organization, ids)
    if not items:
        raise ServiceError("Choose at least one conversation.", code="none_chosen")
    if action == "status":
        return do_set_status(person, items, value)
    if action == "resolve":
        return do_set_status(person, items, Status.RESOLVED)
    if action == "claim":
        return do_claim(person, items)
    if action == "assign":
        return do_assign(person, items, _member(organization, value))
    if action == "department":
        return do_assign(person, items, None, department=_department(organization, value))
    if action == "tag":
        do_tag(person, items, value)
        return len(items)
    if action == "untag":
        return do_untag(person, items, value)
    if action == "snooze":
        return do_snooze(person, items, parse_moment(value))
    raise ServiceError(f"{action!r} is not something to do to conversations.", code="action")


def _member(organization: Organization, value: str) -> Person:
    person = colleagues(organization).filter(pk=int(value) if value.isdigit() else -1).first()
    if person is None:
        raise ServiceError("Choose a colleague of this organisation.", code="assignee")
    return person


def _department(organization: Organization, value: str) -> Department:
    department = Department.objects.filter(
        organization=organization, pk=int(value) if value.isdigit() else -1
    ).first()
    if department is None:
        raise ServiceError("Choose a department of this organisation.", code="department")
    return department


def parse_moment(value: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise ServiceError(
            "Give the time as YYYY-MM-DDTHH:MM with its offset.", code="when"
        ) from exc
    if timezone.is_naive(moment):
        raise ServiceError("A time must carry its time zone.", code="when")
    return moment


# ---- The author's history --------------------------------------------------------------------


def author_history(conversation: Conversation, limit: int = HISTORY_LIMIT) -> dict[str, Any]:
    """The author's other conversations with the organisation and their latest messages
    elsewhere, newest first, bounded (two queries)."""
    others = list(
        Conversation.objects.filter(
            organization_id=conversation.organization_id, author_id=conversation.author_id
        )
        .exclude(pk=conversation.pk)
        .order_by("-last_message_at")
        .only("id", "subject", "status", "last_message_at", "intent", "sentiment_label")[:limit]
    )
    recent = list(
        Message.objects.filter(
            organization_id=conversation.organization_id, author_id=conversation.author_id
        )
        .exclude(conversation_id=conversation.pk)
        .order_by("-created_at")
        .only("id", "text", "created_at", "url", "conversation_id")[:limit]
    )
    return {"conversations": others, "messages": recent}


__all__ = [
    "BLANKS",
    "author_history",
    "can_delete_view",
    "do_add_note",
    "do_assign",
    "do_bulk",
    "do_claim",
    "do_delete_reply",
    "do_delete_view",
    "do_save_reply",
    "do_save_view",
    "do_set_status",
    "do_snooze",
    "do_tag",
    "do_unsnooze",
    "do_untag",
    "fill_blanks",
    "require_inbox",
    "visible_views",
]
