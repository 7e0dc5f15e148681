"""The conversation endpoints: the inbox's lists and one conversation with its messages;
assigning, status, snooze, tags, notes, and replies through a voice.

Lists are the inbox's own (``cluetrain.inbox.queues``, the same filters as the page), paged
by cursor: each page's ``next_cursor`` is the next one's ``after``, so a page costs the same
however deep it is. Changes go through ``cluetrain.inbox.services`` and replies through
``cluetrain.inbox.replies``: the voice rule applies (nobody replies from another person's
personal voice, administrators included).
"""

from typing import Any

from django.http import Http404, HttpRequest
from ninja import Query, Router
from ninja.responses import Status

from cluetrain.api.auth import Caller, caller
from cluetrain.api.errors import ERRORS, ErrorOut
from cluetrain.api.ids import id_in_path
from cluetrain.api.schemas_work import (
    AssignIn,
    ChangedOut,
    ConversationDetail,
    ConversationFilters,
    ConversationOut,
    ConversationPage,
    MessageOut,
    NoteIn,
    NoteOut,
    ReplyIn,
    ReplyOut,
    SnoozeIn,
    StatusIn,
    TagIn,
    department_ref,
    person_ref,
)
from cluetrain.inbox import queues, replies, services
from cluetrain.inbox.filters import parse_filters
from cluetrain.inbox.models import Conversation, Note
from cluetrain.listening.models import Message
from cluetrain.organizations.models import Department
from cluetrain.voices.models import Voice

router = Router(tags=["conversations"])


_ref = person_ref
_department = department_ref


def conversation_out(c: Conversation) -> dict[str, Any]:
    return {
        "id": c.pk,
        "network": c.network,
        "subject": c.subject,
        "status": c.status,
        "author": c.author.handle or c.author.display_name if c.author else "",
        "assignee": _ref(c.assignee),
        "department": _department(c.department),
        "tags": sorted(tag.name for tag in c.tags.all()),
        "intent": c.intent,
        "urgency": c.urgency,
        "sentiment_label": c.sentiment_label,
        "topic": c.topic,
        "incident": c.incident,
        "complaint": c.complaint,
        "message_count": c.message_count,
        "last_message_at": c.last_message_at,
        "snoozed_until": c.snoozed_until,
        "due_at": c.due_at,
    }


def message_out(m: Message) -> MessageOut:
    return MessageOut(
        id=m.pk,
        direction=m.direction,
        author=m.author.handle or m.author.display_name if m.author else "",
        text=m.text,
        url=m.url,
        created_at=m.created_at,
        intent=m.intent,
        urgency=m.urgency,
        sentiment_label=m.sentiment_label,
        topic=m.topic,
        complaint=m.complaint,
        incident=m.incident,
        department=_department(m.department),
        post_id=m.post_id,
    )


def load_conversation(who: Caller, conversation_id: int) -> Conversation:
    """A conversation of the caller's inbox, or 404 (403 for people who do not work it)."""
    services.require_inbox(who.person, who.organization)
    conversation = (
        services.conversations_of(who.person, who.organization)
        .select_related("author", "assignee", "department", "organization")
        .prefetch_related("tags")
        .filter(pk=conversation_id)
        .first()
    )
    if conversation is None:
        raise Http404(f"There is no conversation {conversation_id} in your inbox.")
    return conversation


@router.get(
    "/conversations", response={200: ConversationPage, 400: ErrorOut, 401: ErrorOut, 403: ErrorOut}
)
def list_conversations(request: HttpRequest, filters: Query[ConversationFilters]) -> dict[str, Any]:
    """The inbox as the page shows it: the open queue by default, filtered by status,
    assignee ('me', 'unassigned', an id), department, tag, triage chips and words (q)."""
    who = caller(request)
    data: dict[str, Any] = {
        "status": filters.status,
        "assignee": filters.assignee,
        "department": filters.department,
        "tag": filters.tag,
        "intent": filters.intent,
        "urgency": filters.urgency,
        "sentiment": filters.sentiment,
        "incident": None if filters.incident is None else str(filters.incident).lower(),
        "snoozed": "true" if filters.snoozed else None,
        "q": filters.q,
        "sort": filters.sort,
    }
    parsed = parse_filters(
        {key: value for key, value in data.items() if value not in (None, "", [])}
    )
    page = queues.conversation_page(
        who.organization, who.person, parsed, after=filters.after, limit=filters.limit
    )
    return {
        "items": [conversation_out(c) for c in page.rows],
        "next_cursor": page.next_cursor,
        "has_more": page.has_more,
    }


@router.get("/conversations/{conversation_id}", response={200: ConversationDetail, **ERRORS})
def get_conversation(request: HttpRequest, conversation_id: int = id_in_path()) -> dict[str, Any]:
    """One conversation with its messages (oldest first) and internal notes."""
    conversation = load_conversation(caller(request), conversation_id)
    messages = (
        Message.objects.filter(conversation=conversation)
        .select_related("author", "department")
        .order_by("created_at", "pk")
    )
    notes = Note.objects.filter(conversation=conversation).select_related("author").order_by("pk")
    return {
        **conversation_out(conversation),
        "messages": [message_out(m) for m in messages],
        "notes": [
            NoteOut(id=n.pk, author=_ref(n.author), body=n.body, created_at=n.created_at)
            for n in notes
        ],
    }


def _changed(who: Caller, conversation_id: int) -> dict[str, Any]:
    return conversation_out(load_conversation(who, conversation_id))


@router.post("/conversations/{conversation_id}/assign", response={200: ConversationOut, **ERRORS})
def assign(
    request: HttpRequest, payload: AssignIn, conversation_id: int = id_in_path()
) -> dict[str, Any]:
    """Give the conversation to a colleague, or put it in a department's queue."""
    who = caller(request)
    conversation = load_conversation(who, conversation_id)
    assignee = department = None
    if payload.assignee_id is not None:
        assignee = services.colleagues(who.organization).filter(pk=payload.assignee_id).first()
        if assignee is None:
            raise Http404(f"{payload.assignee_id} is not a colleague in {who.organization.name}.")
    if payload.department_id is not None:
        department = Department.objects.filter(
            organization=who.organization, pk=payload.department_id
        ).first()
        if department is None:
            raise Http404(
                f"{payload.department_id} is not a department of {who.organization.name}."
            )
    services.do_assign(who.person, [conversation], assignee, department=department)
    return _changed(who, conversation_id)


@router.post("/conversations/{conversation_id}/status", response={200: ConversationOut, **ERRORS})
def set_status(
    request: HttpRequest, payload: StatusIn, conversation_id: int = id_in_path()
) -> dict[str, Any]:
    """Move the conversation to new, open, waiting or resolved."""
    who = caller(request)
    services.do_set_status(who.person, [load_conversation(who, conversation_id)], payload.status)
    return _changed(who, conversation_id)


@router.post("/conversations/{conversation_id}/snooze", response={200: ConversationOut, **ERRORS})
def snooze(
    request: HttpRequest, payload: SnoozeIn, conversation_id: int = id_in_path()
) -> dict[str, Any]:
    """Hide the conversation from the queues until a moment (with its offset)."""
    who = caller(request)
    services.do_snooze(who.person, [load_conversation(who, conversation_id)], payload.until)
    return _changed(who, conversation_id)


@router.post("/conversations/{conversation_id}/unsnooze", response={200: ConversationOut, **ERRORS})
def unsnooze(request: HttpRequest, conversation_id: int = id_in_path()) -> dict[str, Any]:
    """Bring a snoozed conversation back now."""
    who = caller(request)
    services.do_unsnooze(who.person, [load_conversation(who, conversation_id)])
    return _changed(who, conversation_id)


@router.post("/conversations/{conversation_id}/tags", response={200: ConversationOut, **ERRORS})
def tag(
    request: HttpRequest, payload: TagIn, conversation_id: int = id_in_path()
) -> dict[str, Any]:
    """Put a tag on the conversation (made the first time it is used)."""
    who = caller(request)
    services.do_tag(who.person, [load_conversation(who, conversation_id)], payload.name)
    return _changed(who, conversation_id)


@router.delete(
    "/conversations/{conversation_id}/tags/{name}", response={200: ConversationOut, **ERRORS}
)
def untag(request: HttpRequest, name: str, conversation_id: int = id_in_path()) -> dict[str, Any]:
    """Take a tag off the conversation."""
    who = caller(request)
    services.do_untag(who.person, [load_conversation(who, conversation_id)], name[:100])
    return _changed(who, conversation_id)


@router.post("/conversations/{conversation_id}/notes", response={201: NoteOut, **ERRORS})
def add_note(request: HttpRequest, payload: NoteIn, conversation_id: int = id_in_path()) -> Status:
    """Add an internal note; colleagues it @mentions are told."""
    who = caller(request)
    note = services.do_add_note(who.person, load_conversation(who, conversation_id), payload.body)
    return Status(
        201,
        NoteOut(id=note.pk, author=_ref(who.person), body=note.body, created_at=note.created_at),
    )


@router.post("/conversations/{conversation_id}/replies", response={201: ReplyOut, **ERRORS})
def reply(request: HttpRequest, payload: ReplyIn, conversation_id: int = id_in_path()) -> Status:
    """Answer the conversation through a voice, threaded on its network. A reply that repeats
    the customer's personal data is refused (code personal_data) unless confirmed; one that
    needs a review waits for it (in_review)."""
    who = caller(request)
    conversation = load_conversation(who, conversation_id)
    voice = (
        Voice.objects.select_related("owner", "organization")
        .filter(organization=who.organization, pk=payload.voice_id)
        .first()
    )
    if voice is None:
        raise Http404(f"There is no voice {payload.voice_id} in {who.organization.name}.")
    answered = None
    if payload.reply_to_message_id is not None:
        answered = Message.objects.filter(
            conversation=conversation, pk=payload.reply_to_message_id
        ).first()
        if answered is None:
            raise Http404(
                f"Message {payload.reply_to_message_id} is not part of this conversation."
            )
    sent = replies.do_reply(
        who.person,
        conversation,
        voice,
        payload.text,
        reply_to_message=answered,
        override_reason=payload.override_reason,
        confirm_personal_data=payload.confirm_personal_data,
        status_after=payload.status_after,
    )
    return Status(
        201,
        ReplyOut(
            post_id=sent.post.pk,
            post_status=sent.post.status,
            message_id=sent.message.pk,
            in_review=sent.in_review,
        ),
    )


# Shared with the triage endpoints' routing correction.
__all__ = ["ChangedOut", "conversation_out", "load_conversation", "router"]
