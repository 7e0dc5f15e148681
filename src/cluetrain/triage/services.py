"""People correcting the triage: each change is stored as a labelled example, shown on the
message and its conversation at once, and learned from by the next retraining
(``cluetrain.triage.learning``, run in the background at most every few minutes).

Labels are stored as the engine reads them: choices as their names, flags as "true"/"false",
topics as their slugs, departments as their slugs (the pipeline maps a slug back to the
department, so renaming a department keeps its examples).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from cluetrain.core.errors import ServiceError
from cluetrain.inbox.models import Conversation, ConversationEvent, Status
from cluetrain.listening.models import Direction, Message
from cluetrain.organizations import policy
from cluetrain.organizations.models import Department, Organization, Person
from cluetrain.organizations.policy import Permission
from cluetrain.triage import learning
from cluetrain.triage.engine.decision import INTENTS, SENTIMENT_LABELS, URGENCIES
from cluetrain.triage.models import Correction, Field, Topic

CHOICES = {
    Field.INTENT: INTENTS,
    Field.URGENCY: URGENCIES,
    Field.SENTIMENT_LABEL: SENTIMENT_LABELS,
}
FLAGS = (Field.COMPLAINT, Field.INCIDENT)
_LANGUAGE = re.compile(r"^[a-z]{2,3}(?:-[a-z0-9]{2,8})?$")
# The triage chips the conversation carries from its latest inbound message.
_CHIPS = {"intent", "sentiment_label", "urgency", "topic", "complaint", "incident"}
_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off"}


def _field(field: str) -> Field:
    try:
        return Field(str(field).strip())
    except ValueError:
        known = ", ".join(f.value for f in Field)
        raise ServiceError(
            f"{str(field)[:40]!r} is not part of a triage decision ({known})."
        ) from None


def parse_value(organization: Organization, field: Field, value: Any) -> tuple[Any, str]:
    """The value to set on the message and the label the model learns, or ``ServiceError``."""
    text = " ".join(str(value if value is not None else "").split())
    if field in CHOICES:
        if text.lower() not in CHOICES[field]:
            allowed = ", ".join(CHOICES[field])
            raise ServiceError(f"{field.label} must be one of: {allowed}.")
        return text.lower(), text.lower()
    if field in FLAGS:
        if isinstance(value, bool):
            flag = value
        elif text.lower() in _TRUE | _FALSE:
            flag = text.lower() in _TRUE
        else:
            raise ServiceError(f"{field.label} is yes or no.")
        return flag, "true" if flag else "false"
    if field == Field.LANGUAGE:
        if not _LANGUAGE.match(text.lower()):
            raise ServiceError("A language is a code such as en, fr or pt-br.")
        return text.lower(), text.lower()
    if field == Field.TOPIC:
        slug = slugify(text)[:60]
        if text and not slug:
            raise ServiceError("A topic needs letters or digits.")
        known = Topic.objects.filter(organization=organization, slug=slug).exists()
        if slug and not known and len(slug) < 2:
            raise ServiceError("That topic name is too short.")
        return slug, slug
    department = department_of(organization, value)
    return department, department.slug if department else ""


def department_of(organization: Organization, value: Any) -> Department | None:
    """A department of the organisation from its id, slug or itself; None for "no
    department"; ``ServiceError`` for one of another organisation or none at all."""
    if value in (None, ""):
        return None
    if isinstance(value, Department):
        found = value if value.organization_id == organization.pk else None
    else:
        text = str(value).strip()
        query = Department.objects.filter(organization=organization)
        found = (
            query.filter(pk=int(text)).first()
            if text.isdigit()
            else query.filter(slug=text).first()
        )
    if found is None:
        raise ServiceError(f"There is no such department in {organization.name}.")
    return found


def _current(message: Message, field: Field) -> str:
    if field == Field.DEPARTMENT:
        return message.department.slug if message.department else ""
    value = getattr(message, field.value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value or "")


def _is_latest_inbound(message: Message) -> bool:
    if message.conversation_id is None:
        return False
    latest = (
        Message.objects.filter(conversation_id=message.conversation_id, direction=Direction.INBOUND)
        .order_by("-created_at", "-id")
        .values_list("id", flat=True)
        .first()
    )
    return latest == message.pk


def do_correct(person: Person, message: Message, field: str, new_value: Any) -> Correction | None:
    """Change one part of a message's triage; returns the stored example (None when the
    value was already that).

    The conversation's chips follow when this is its latest message from outside. A new
    department also moves the conversation: out of whoever held it (unless they replied or
    opened it) and routed again within that department.
    """
    organization = message.organization
    policy.require(person, organization, Permission.WORK_INBOX)
    if message.direction != Direction.INBOUND:
        raise ServiceError("Only messages we heard have a triage to correct, not our replies.")
    which = _field(field)
    value, label = parse_value(organization, which, new_value)
    old = _current(message, which)
    if old == label:
        return None
    attribute = "department" if which == Field.DEPARTMENT else which.value
    with transaction.atomic():
        setattr(message, attribute, value)
        message.save(update_fields=[attribute])
        correction = Correction.objects.create(
            organization=organization,
            message=message,
            text=message.text,
            field=which,
            old_value=old[:120],
            new_value=label[:120],
            made_by=person,
        )
        conversation = message.conversation
        if conversation is not None:
            _follow(person, conversation, message, which, value, old, label)
        transaction.on_commit(lambda: learning.schedule(organization.pk))
    return correction


def _follow(
    person: Person,
    conversation: Conversation,
    message: Message,
    field: Field,
    value: Any,
    old: str,
    label: str,
) -> None:
    ConversationEvent.objects.create(
        conversation=conversation,
        actor=person,
        kind="corrected",
        detail={"field": field.value, "from": old, "to": label, "message": message.pk},
    )
    if field.value in _CHIPS and _is_latest_inbound(message):
        setattr(conversation, field.value, value)
        Conversation.objects.filter(pk=conversation.pk).update(
            **{field.value: value, "updated_at": timezone.now()}
        )
    if field == Field.DEPARTMENT and conversation.department_id != (value.pk if value else None):
        _move(person, conversation, value)


def _move(person: Person, conversation: Conversation, department: Department | None) -> None:
    """Put the conversation in another department and route it there; someone who already
    works on it (replied, or opened it) keeps it."""
    from cluetrain.inbox import routing

    worked_on = conversation.status != Status.NEW or conversation.first_response_at is not None
    changes: dict[str, Any] = {"department": department}
    if not worked_on:
        changes.update(assignee=None, assigned_at=None)
    Conversation.objects.filter(pk=conversation.pk).update(**changes)
    for name, change in changes.items():
        setattr(conversation, name, change)
    if not worked_on and conversation.status != Status.RESOLVED:
        routing.do_route([conversation], actor=person, kind="rerouted")


def do_correct_routing(
    person: Person,
    conversation: Conversation,
    *,
    department: Department | None = None,
    assignee: Person | None = None,
) -> int:
    """Send a conversation where it belongs, by hand: to a department's queue (then its
    expert) and/or to a person. Stored as labelled examples: the department as a correction
    of the latest inbound message, the person as learned expertise in the topic.
    Returns how many conversations changed (0 or 1)."""
    from cluetrain.inbox import pickup, services

    organization = conversation.organization
    policy.require(person, organization, Permission.WORK_INBOX)
    if department is None and assignee is None:
        raise ServiceError("Choose a department or a person.")
    department = department_of(organization, department)
    changed = 0
    with transaction.atomic():
        if department is not None and department.pk != conversation.department_id:
            latest = (
                Message.objects.filter(conversation=conversation, direction=Direction.INBOUND)
                .select_related("department")
                .order_by("-created_at", "-id")
                .first()
            )
            if latest is not None:
                do_correct(person, latest, Field.DEPARTMENT, department)
                conversation.refresh_from_db()
            if conversation.department_id != department.pk:
                changed = services.do_assign(person, [conversation], None, department=department)
            else:
                changed = 1
        if assignee is not None:
            changed = max(changed, services.do_assign(person, [conversation], assignee))
            pickup.learn_from_resolution(conversation, assignee)
    return changed


def corrections_of(organization: Organization, limit: int = 50) -> Iterable[Correction]:
    return (
        Correction.objects.filter(organization=organization)
        .select_related("made_by")
        .order_by("-made_at", "-id")[:limit]
    )


# -- Topics and the model ---------------------------------------------------------------------

MAX_KEYWORDS = 200


def do_save_topic(
    person: Person,
    organization: Organization,
    *,
    name: str,
    keywords: str = "",
    department: Department | None = None,
    topic: Topic | None = None,
) -> Topic:
    """Add a topic (or change ``topic``): its name, the words that signal it, and the
    department that answers it. The slug stays once made: examples and expertise use it."""
    policy.require(person, organization, Permission.MANAGE_INBOX)
    name = " ".join((name or "").split())[:120]
    slug = topic.slug if topic is not None else slugify(name)[:60]
    if not slug:
        raise ServiceError("A topic's name needs letters or digits.")
    if topic is not None and topic.organization_id != organization.pk:
        raise ServiceError("That topic belongs to another organisation.")
    words = [" ".join(w.split()) for w in (keywords or "").splitlines()]
    words = list(dict.fromkeys(w[:80] for w in words if w))
    if len(words) > MAX_KEYWORDS:
        raise ServiceError(f"Keep a topic to {MAX_KEYWORDS} keywords.")
    department = department_of(organization, department)
    clash = Topic.objects.filter(organization=organization, slug=slug)
    if topic is not None:
        clash = clash.exclude(pk=topic.pk)
    if clash.exists():
        raise ServiceError(f"There is already a topic “{slug}”.")
    topic = topic or Topic(organization=organization, slug=slug)
    topic.name, topic.keywords, topic.department = name, "\n".join(words), department
    topic.save()
    return topic


def do_delete_topic(person: Person, topic: Topic) -> None:
    policy.require(person, topic.organization, Permission.MANAGE_INBOX)
    topic.delete()


def do_request_retrain(person: Person, organization: Organization) -> None:
    """Retrain now (in the background), even without new corrections."""
    from cluetrain.triage.tasks import retrain_organization

    policy.require(person, organization, Permission.MANAGE_INBOX)
    transaction.on_commit(lambda: retrain_organization.enqueue(organization.pk, True))
