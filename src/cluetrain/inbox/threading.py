"""Threading: join triaged messages into conversations by their reply chains.

A message joins the conversation of the message it replies to, or of its thread's root, when
Cluetrain holds either; otherwise it starts a conversation of its own. Our own replies (and a
company's replies in an imported archive) join the conversation they answer and start its
response clocks; they never start one.

Everything here works on a whole batch with a fixed number of queries, because the triage
pipeline threads thousands of messages a second.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.db import connection

from cluetrain.inbox.models import Conversation, Status
from cluetrain.inbox.models.conversations import SEARCH_TEXT_LIMIT
from cluetrain.listening.models import Direction, Message

# SQLite allows 32,766 parameters a statement; stay well below in IN (...) lists.
_CHUNK = 5000


@dataclass(slots=True)
class Item:
    """One message to thread, with its triage decision already made."""

    id: int
    network: str
    external_id: str
    reply_to: str
    root: str
    author_id: int
    author_label: str
    created_at: dt.datetime
    direction: str
    text: str
    decision: dict[str, object] = field(default_factory=dict)
    conversation_id: int | None = None


@dataclass(slots=True)
class Threaded:
    """What threading changed: new conversations, and existing ones that heard more."""

    created: list[Conversation]
    reopened: list[int]
    answered: dict[int, dt.datetime]
    touched: set[int]


def _chunks(values: Sequence[str]) -> Iterable[Sequence[str]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start : start + _CHUNK]


def _known(organization_id: int, refs: set[tuple[str, str]]) -> tuple[dict, dict]:
    """Conversations of messages and thread roots already stored, by (network, external id)."""
    ids = sorted({ext for _, ext in refs})
    by_message: dict[tuple[str, str], int] = {}
    by_root: dict[tuple[str, str], int] = {}
    for chunk in _chunks(ids):
        for network, ext, conversation_id in Message.objects.filter(
            organization_id=organization_id,
            external_id__in=chunk,
            conversation__isnull=False,
        ).values_list("network", "external_id", "conversation_id"):
            by_message[(network, ext)] = conversation_id
        for network, ext, conversation_id in Conversation.objects.filter(
            organization_id=organization_id, root_external_id__in=chunk
        ).values_list("network", "root_external_id", "id"):
            by_root[(network, ext)] = conversation_id
    return by_message, by_root


def _search_text(item: Item) -> str:
    return f"{item.author_label} {item.text}"[:SEARCH_TEXT_LIMIT]


def _new_conversation(organization_id: int, item: Item) -> Conversation:
    d = item.decision
    return Conversation(
        organization_id=organization_id,
        network=item.network,
        root_external_id=item.external_id,
        author_id=item.author_id,
        subject=" ".join(item.text.split())[:200],
        status=Status.NEW,
        department_id=d.get("department_id"),
        intent=str(d.get("intent", "")),
        sentiment=d.get("sentiment"),
        sentiment_label=str(d.get("sentiment_label", "")),
        urgency=str(d.get("urgency", "")),
        topic=str(d.get("topic", "")),
        incident=bool(d.get("incident", False)),
        complaint=bool(d.get("complaint", False)),
        message_count=0,
        first_message_at=item.created_at,
        last_message_at=item.created_at,
        search_text=_search_text(item),
    )


def thread(organization_id: int, items: list[Item]) -> Threaded:
    """Give every item a conversation (outbound items only when they answer one).

    Must run inside the transaction that stores the items' decisions, so a crash leaves
    neither half. Items are threaded oldest first so a reply in the same batch as the message
    it answers finds it.
    """
    items.sort(key=lambda i: (i.created_at, i.id))
    refs = {(i.network, r) for i in items for r in (i.reply_to, i.root) if r}
    by_message, by_root = _known(organization_id, refs)
    in_batch: dict[tuple[str, str], int | Item] = {}
    starters: dict[tuple[str, str], Item] = {}

    for item in items:
        target: int | Item | None = None
        for ref in (item.reply_to, item.root):
            if not ref:
                continue
            key = (item.network, ref)
            target = in_batch.get(key) or by_message.get(key) or by_root.get(key)
            if target is not None:
                break
        if target is None and item.direction == Direction.INBOUND:
            starters[(item.network, item.external_id)] = item
            target = item
        if target is not None:
            in_batch[(item.network, item.external_id)] = target

    created = _create(organization_id, list(starters.values()))
    root_ids = {(c.network, c.root_external_id): c.pk for c in created}
    for item in items:
        target = in_batch.get((item.network, item.external_id))
        if isinstance(target, Item):
            item.conversation_id = root_ids.get((target.network, target.external_id))
        else:
            item.conversation_id = target
    return _fold(items, created)


def _create(organization_id: int, starters: list[Item]) -> list[Conversation]:
    """Insert the new conversations; one that another worker created first is reused."""
    if not starters:
        return []
    fresh = [_new_conversation(organization_id, item) for item in starters]
    Conversation.objects.bulk_create(fresh, batch_size=1000, ignore_conflicts=True)
    # ignore_conflicts gives no primary keys back: read them by their thread roots.
    wanted = {(c.network, c.root_external_id): c for c in fresh}
    roots = sorted({c.root_external_id for c in fresh})
    for chunk in _chunks(roots):
        for pk, network, root in Conversation.objects.filter(
            organization_id=organization_id, root_external_id__in=chunk
        ).values_list("id", "network", "root_external_id"):
            conversation = wanted.get((network, root))
            if conversation is not None:
                conversation.pk = pk
    return [c for c in fresh if c.pk is not None]


def _fold(items: list[Item], created: list[Conversation]) -> Threaded:
    """Carry the items into their conversations' counts, times, chips and search text."""
    new_ids = {c.pk for c in created}
    grouped: dict[int, list[Item]] = {}
    for item in items:
        if item.conversation_id is not None:
            grouped.setdefault(item.conversation_id, []).append(item)
    existing = {
        c.pk: c
        for c in Conversation.objects.filter(pk__in=[k for k in grouped if k not in new_ids])
    }
    for c in created:
        existing[c.pk] = c
    reopened: list[int] = []
    answered: dict[int, dt.datetime] = {}
    rows = []
    for conversation_id, group in grouped.items():
        conversation = existing.get(conversation_id)
        if conversation is None:
            continue
        status = conversation.status
        for item in group:
            if item.direction == Direction.OUTBOUND:
                answered[conversation_id] = item.created_at
                conversation.last_reply_at = max(
                    conversation.last_reply_at or item.created_at, item.created_at
                )
                if conversation.first_response_at is None:
                    conversation.first_response_at = item.created_at
                continue
            conversation.last_message_at = max(conversation.last_message_at, item.created_at)
            if conversation_id not in new_ids and status in (Status.WAITING, Status.RESOLVED):
                status = Status.OPEN
                reopened.append(conversation_id)
            _copy_chips(conversation, item)
            if conversation_id not in new_ids:
                extra = f" {_search_text(item)}"
                conversation.search_text = (conversation.search_text + extra)[-SEARCH_TEXT_LIMIT:]
        conversation.status = status
        conversation.message_count += len(group)
        rows.append(conversation)
    _save(rows)
    return Threaded(created=created, reopened=reopened, answered=answered, touched=set(grouped))


def _copy_chips(conversation: Conversation, item: Item) -> None:
    d = item.decision
    if not d:
        return
    conversation.intent = str(d.get("intent", ""))
    conversation.sentiment = d.get("sentiment")  # type: ignore[assignment]
    conversation.sentiment_label = str(d.get("sentiment_label", ""))
    conversation.urgency = str(d.get("urgency", ""))
    conversation.topic = str(d.get("topic", ""))
    conversation.incident = conversation.incident or bool(d.get("incident", False))
    conversation.complaint = conversation.complaint or bool(d.get("complaint", False))
    if conversation.department_id is None and d.get("department_id"):
        conversation.department_id = d["department_id"]  # type: ignore[assignment]


_FOLDED = (
    "status",
    "message_count",
    "last_message_at",
    "last_reply_at",
    "first_response_at",
    "intent",
    "sentiment",
    "sentiment_label",
    "urgency",
    "topic",
    "incident",
    "complaint",
    "department_id",
    "search_text",
)


def _save(conversations: list[Conversation]) -> None:
    """One executemany for all: Django's bulk_update builds a CASE per column, far slower."""
    if not conversations:
        return
    table = Conversation._meta.db_table
    columns = ", ".join(f"{connection.ops.quote_name(c)} = %s" for c in _FOLDED)
    sql = f"UPDATE {table} SET {columns} WHERE id = %s"  # noqa: S608 - names are ours
    fields = [Conversation._meta.get_field(c.removesuffix("_id")) for c in _FOLDED]
    params = []
    for c in conversations:
        row = []
        for name, model_field in zip(_FOLDED, fields, strict=True):
            value = getattr(c, name)
            row.append(model_field.get_db_prep_value(value, connection))
        row.append(c.pk)
        params.append(row)
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)
