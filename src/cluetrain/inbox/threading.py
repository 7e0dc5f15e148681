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
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.utils import timezone

from cluetrain.core import bulk
from cluetrain.inbox import sla
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
    """What threading changed: the conversations it created, and those a customer reopened."""

    created: list[Draft]
    reopened: list[int]


def _known(organization_id: int, refs: set[tuple[str, str]]) -> tuple[dict, dict]:
    """Conversations of messages and thread roots already stored, by (network, external id)."""
    ids = sorted({ext for _, ext in refs})
    by_message: dict[tuple[str, str], int] = {}
    by_root: dict[tuple[str, str], int] = {}
    for chunk in bulk.chunks(ids, _CHUNK):
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


@dataclass(slots=True, eq=False)  # compared by identity: threading keys dicts by drafts
class Draft:
    """A new conversation before it is stored: the attributes of ``Conversation`` that the
    service-level clocks and routing read and set, without a model instance's cost per row."""

    organization_id: int
    network: str
    root_external_id: str
    author_id: int
    subject: str
    department_id: int | None
    intent: str
    sentiment: float | None
    sentiment_label: str
    urgency: str
    topic: str
    incident: bool
    complaint: bool
    first_message_at: dt.datetime
    last_message_at: dt.datetime
    search_text: str
    status: str = Status.NEW
    message_count: int = 0
    assignee_id: int | None = None
    assigned_at: dt.datetime | None = None
    last_reply_at: dt.datetime | None = None
    first_response_at: dt.datetime | None = None
    resolved_at: dt.datetime | None = None
    snoozed_until: dt.datetime | None = None
    first_response_due: dt.datetime | None = None
    next_response_due: dt.datetime | None = None
    resolution_due: dt.datetime | None = None
    due_at: dt.datetime | None = None
    sla_warned_at: dt.datetime | None = None
    sla_breached_at: dt.datetime | None = None
    pk: int | None = None


def _new_conversation(organization_id: int, item: Item) -> Draft:
    d = item.decision
    sentiment = d.get("sentiment")
    return Draft(
        organization_id=organization_id,
        network=item.network,
        root_external_id=item.external_id,
        author_id=item.author_id,
        subject=" ".join(item.text[:400].split())[:200],
        department_id=d.get("department_id"),  # type: ignore[arg-type]
        intent=str(d.get("intent", "")),
        sentiment=float(sentiment) if isinstance(sentiment, int | float) else None,
        sentiment_label=str(d.get("sentiment_label", "")),
        urgency=str(d.get("urgency", "")),
        topic=str(d.get("topic", "")),
        incident=bool(d.get("incident", False)),
        complaint=bool(d.get("complaint", False)),
        first_message_at=item.created_at,
        last_message_at=item.created_at,
        search_text=_search_text(item),
    )


@dataclass(slots=True)
class Plan:
    """How a batch will be threaded, worked out before taking the database's write lock: the
    new conversations (folded, clocks started, ready to insert) and the items that join
    conversations already stored."""

    organization_id: int
    items: list[Item]
    drafts: list[Draft]
    groups: dict[int | Draft, list[Item]]
    # The drafts' insert rows, built once their clocks run (``start_clocks``), so building
    # them is not part of the time the write lock is held.
    rows: list[list[object]] | None = None


def plan(organization_id: int, items: list[Item]) -> Plan:
    """Work out the threading of ``items`` with reads only (so it may run while another
    process writes). Items are threaded oldest first, so a reply in the same batch as the
    message it answers finds it."""
    items.sort(key=lambda i: (i.created_at, i.id))
    refs = {(i.network, r) for i in items for r in (i.reply_to, i.root) if r}
    by_message, by_root = _known(organization_id, refs)
    in_batch: dict[tuple[str, str], int | Draft] = {}
    groups: dict[int | Draft, list[Item]] = {}
    drafts: list[Draft] = []
    for item in items:
        target: int | Draft | None = None
        for ref in (item.reply_to, item.root):
            if not ref:
                continue
            key = (item.network, ref)
            target = in_batch.get(key) or by_message.get(key) or by_root.get(key)
            if target is not None:
                break
        if target is None and item.direction == Direction.INBOUND:
            target = _new_conversation(organization_id, item)
            drafts.append(target)
        if target is not None:
            in_batch[(item.network, item.external_id)] = target
            groups.setdefault(target, []).append(item)
    for draft in drafts:
        _fold(draft, groups[draft], False)
    return Plan(organization_id, items, drafts, groups)


def start_clocks(threading_plan: Plan) -> None:
    """Start the new conversations' clocks: after routing, which may put a conversation in a
    department with a service level of its own."""
    _clocks(threading_plan.drafts)  # type: ignore[arg-type]
    threading_plan.rows = _rows(threading_plan.drafts)


def use_authors(threading_plan: Plan, stored: dict[int, int]) -> None:
    """Give the new conversations their authors' stored ids in place of the stand-in ids
    they were planned with (authors new to us are stored under the write lock)."""
    rows = threading_plan.rows
    for n, draft in enumerate(threading_plan.drafts):
        draft.author_id = stored.get(draft.author_id, draft.author_id)
        if rows is not None:
            rows[n][_AUTHOR] = draft.author_id


def apply(threading_plan: Plan) -> Threaded:
    """Store a plan: must run inside the transaction that stores the items' decisions (so a
    crash leaves neither half), holding the write lock. Conversations already stored are read
    and changed here, under the lock, so a concurrent batch's changes are never lost."""
    p = threading_plan
    rows = p.rows if p.rows is not None else _rows(p.drafts)
    created = _create(p.organization_id, p.drafts, rows)
    made = {id(d) for d in created}
    groups: dict[int, list[Item]] = {}
    for target, group in p.groups.items():
        pk = target if isinstance(target, int) else target.pk
        if pk is None:
            continue
        for item in group:
            item.conversation_id = pk
        if isinstance(target, int) or id(target) not in made:
            # Joins a stored conversation (or one another worker created first).
            groups.setdefault(pk, []).extend(group)
    existing = {c.pk: c for c in Conversation.objects.filter(pk__in=list(groups))}
    reopened = [
        pk for pk, group in groups.items() if pk in existing and _fold(existing[pk], group, True)
    ]
    _clocks(list(existing.values()))
    _save(list(existing.values()))
    return Threaded(created=created, reopened=reopened)


def thread(organization_id: int, items: list[Item]) -> Threaded:
    """Plan, start the clocks and store in one go (inside the caller's transaction)."""
    planned = plan(organization_id, items)
    start_clocks(planned)
    return apply(planned)


def _clocks(conversations: list[Draft | Conversation]) -> None:
    """Start or move the service-level clocks (one query for the service levels)."""
    if not conversations:
        return
    policies = sla.Policies({c.organization_id for c in conversations})
    for conversation in conversations:
        sla.refresh(conversation, policies.level(conversation))  # type: ignore[arg-type]


# Every column of a new conversation, in the order of ``_row``.
_COLUMNS = (
    "organization",
    "network",
    "root_external_id",
    "author",
    "subject",
    "status",
    "assignee",
    "department",
    "intent",
    "sentiment",
    "sentiment_label",
    "urgency",
    "topic",
    "incident",
    "complaint",
    "message_count",
    "first_message_at",
    "last_message_at",
    "last_reply_at",
    "first_response_at",
    "resolved_at",
    "assigned_at",
    "snoozed_until",
    "first_response_due",
    "next_response_due",
    "resolution_due",
    "due_at",
    "sla_warned_at",
    "sla_breached_at",
    "search_text",
    "created_at",
    "updated_at",
)


_AUTHOR = _COLUMNS.index("author")


def _rows(drafts: list[Draft]) -> list[list[object]]:
    now = timezone.now()
    return [list(_row(d, now)) for d in drafts]


def _row(c: Draft, now: dt.datetime) -> tuple[object, ...]:
    return (
        c.organization_id,
        c.network,
        c.root_external_id,
        c.author_id,
        c.subject,
        c.status,
        c.assignee_id,
        c.department_id,
        c.intent,
        c.sentiment,
        c.sentiment_label,
        c.urgency,
        c.topic,
        c.incident,
        c.complaint,
        c.message_count,
        c.first_message_at,
        c.last_message_at,
        c.last_reply_at,
        c.first_response_at,
        c.resolved_at,
        c.assigned_at,
        c.snoozed_until,
        c.first_response_due,
        c.next_response_due,
        c.resolution_due,
        c.due_at,
        c.sla_warned_at,
        c.sla_breached_at,
        c.search_text,
        now,
        now,
    )


def _create(
    organization_id: int, fresh: list[Draft], rows: Sequence[Sequence[object]]
) -> list[Draft]:
    """Insert the new conversations and return those inserted; a draft whose thread another
    worker stored first gets that conversation's id (its items are folded into it)."""
    if not fresh:
        return []
    inserted = bulk.insert_rows(
        Conversation,
        _COLUMNS,
        rows,
        unique=("organization", "network", "root_external_id"),
        returning=("id", "network", "root_external_id"),
    )
    wanted = {(c.network, c.root_external_id): c for c in fresh}
    for pk, network, root in inserted:
        wanted[(network, root)].pk = pk
    missing = sorted({c.root_external_id for c in fresh if c.pk is None})
    for chunk in bulk.chunks(missing, _CHUNK):
        for pk, network, root in Conversation.objects.filter(
            organization_id=organization_id, root_external_id__in=chunk
        ).values_list("id", "network", "root_external_id"):
            conversation = wanted.get((network, root))
            if conversation is not None and conversation.pk is None:
                conversation.pk = pk
    made = {pk for pk, _, _ in inserted}
    return [c for c in fresh if c.pk in made]


def _fold(conversation: Draft | Conversation, group: list[Item], earlier: bool) -> bool:
    """Carry items into their conversation's counts, times, chips and search text; True when
    a customer writing again reopens it."""
    reopened = False
    for item in group:
        if item.direction == Direction.OUTBOUND:
            conversation.last_reply_at = max(
                conversation.last_reply_at or item.created_at, item.created_at
            )
            if conversation.first_response_at is None:
                conversation.first_response_at = item.created_at
            continue
        conversation.last_message_at = max(conversation.last_message_at, item.created_at)
        if earlier and conversation.status in (Status.WAITING, Status.RESOLVED):
            conversation.status = Status.OPEN
            conversation.resolved_at = None
            reopened = True
        _copy_chips(conversation, item)
        if earlier:
            extra = f" {_search_text(item)}"
            conversation.search_text = (conversation.search_text + extra)[-SEARCH_TEXT_LIMIT:]
    conversation.message_count += len(group)
    return reopened


def _copy_chips(conversation: Draft | Conversation, item: Item) -> None:
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
    "resolved_at",
    "intent",
    "sentiment",
    "sentiment_label",
    "urgency",
    "topic",
    "incident",
    "complaint",
    "department",
    "search_text",
    *sla.CLOCK_FIELDS,
)


def _save(conversations: list[Conversation]) -> None:
    """Store what threading changed in conversations that existed before the batch."""
    bulk.update_rows(
        Conversation,
        _FOLDED,
        [
            [*(getattr(c, bulk.concrete(Conversation, n).attname) for n in _FOLDED), c.pk]
            for c in conversations
        ],
    )
