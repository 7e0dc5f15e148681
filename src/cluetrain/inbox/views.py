"""The inbox page: queues and saved views, the list, and the open conversation.

One page with three panes; htmx swaps the list and the conversation without a reload. The list
comes from ``queues.conversation_page`` (a fixed number of queries whatever its length), the
queue counts load after the page in their own request, and the conversation pane reads its
messages, notes and history in a fixed number of queries. Actions live in ``views_actions``.

Everything people or networks wrote is shown through the template engine's escaping; nothing
here marks such text safe.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Prefetch
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone

from cluetrain.core.errors import ServiceError
from cluetrain.inbox import queues, replies
from cluetrain.inbox.filters import Filters, parse_filters
from cluetrain.inbox.models import (
    Conversation,
    ConversationEvent,
    Note,
    Question,
    SavedReply,
    SavedView,
    Status,
    Tag,
)
from cluetrain.inbox.services import (
    author_history,
    colleagues,
    fill_blanks,
    mention_handle,
    require_inbox,
    snooze_choices,
    visible_views,
)
from cluetrain.listening.models import Direction, Message
from cluetrain.organizations.decorators import member_required
from cluetrain.organizations.models import Department, Membership
from cluetrain.organizations.requests import MemberRequest
from cluetrain.publishing import limits
from cluetrain.triage.models import Field
from cluetrain.triage.services import CHOICES as CORRECTABLE

PAGE_SIZE = 50
EVENTS_SHOWN = 30
MESSAGES_SHOWN = 200
SAVED_REPLIES_SHOWN = 100
PEOPLE_SHOWN = 500

# What a person may set a triage chip to (one click on the chip): the triage's own labels.
CHIP_CHOICES: dict[str, tuple[str, ...]] = {
    "intent": tuple(CORRECTABLE[Field.INTENT]),
    "sentiment_label": tuple(CORRECTABLE[Field.SENTIMENT_LABEL]),
    "urgency": tuple(CORRECTABLE[Field.URGENCY]),
}
CHIP_NAMES = {"intent": "Intent", "sentiment_label": "Sentiment", "urgency": "Urgency"}


@dataclass(frozen=True)
class Queue:
    """One entry of the left pane: a name, the filters it stands for, and how many match."""

    key: str
    name: str
    query: str
    count: str = ""


def is_htmx(request: MemberRequest) -> bool:
    """Asked by htmx (a pane to swap), not by a full page load."""
    return request.headers.get("HX-Request") == "true"


def _now_timers(rows: list[Conversation]) -> None:
    """Each row's service-level clock (one query for the service levels of the page)."""
    from cluetrain.inbox import sla

    found = sla.timers(rows, timezone.now())
    for row in rows:
        row.timer = found.get(row.pk)  # type: ignore[attr-defined]


def _filters(request: MemberRequest) -> tuple[Filters, str]:
    """The list's filters from the query string, or a saved view's; and an error to show."""
    view_id = request.GET.get("view", "")
    if view_id.isdigit():
        view = visible_views(request.user, request.organization).filter(pk=int(view_id)).first()
        if view is not None:
            return parse_filters(view.filters), ""
    try:
        return parse_filters(request.GET), ""
    except ServiceError as exc:
        return Filters(), exc.message


def _page(request: MemberRequest, filters: Filters) -> tuple[queues.Page, str]:
    try:
        page = queues.conversation_page(
            request.organization,
            request.user,
            filters,
            after=request.GET.get("after") or None,
            limit=PAGE_SIZE,
        )
    except ServiceError as exc:
        return queues.Page([], None, False), exc.message
    _now_timers(page.rows)
    return page, ""


def _list_query(request: MemberRequest) -> str:
    """The query string of the list, without the cursor and the open conversation."""
    kept = request.GET.copy()
    for key in ("after", "c"):
        kept.pop(key, None)
    return kept.urlencode()


@member_required
def index(request: MemberRequest) -> HttpResponse:
    """The three panes; with ``?c=ID`` the conversation is open on arrival."""
    require_inbox(request.user, request.organization)
    filters, problem = _filters(request)
    page, page_problem = _page(request, filters)
    context: dict[str, Any] = {
        "page": page,
        "filters": filters,
        "problem": problem or page_problem,
        "list_query": _list_query(request),
        "q": filters.q,
        "people": _people(request),
        "departments": list(Department.objects.filter(organization=request.organization)),
        "statuses": Status.choices,
    }
    open_id = request.GET.get("c", "")
    if open_id.isdigit():
        conversation = _conversation(request, int(open_id), missing_ok=True)
        if conversation is not None:
            context.update(conversation_context(request, conversation))
    if is_htmx(request) and request.headers.get("HX-Target") == "inbox-list":
        return render(request, "inbox/_list.html", context)
    return render(request, "inbox/index.html", context)


@member_required
def rows(request: MemberRequest) -> HttpResponse:
    """More rows of the list (the next page), or the list again for other filters."""
    require_inbox(request.user, request.organization)
    filters, problem = _filters(request)
    page, page_problem = _page(request, filters)
    template = "inbox/_rows.html" if request.GET.get("after") else "inbox/_list.html"
    return render(
        request,
        template,
        {
            "page": page,
            "filters": filters,
            "problem": problem or page_problem,
            "list_query": _list_query(request),
        },
    )


@member_required
def queue_counts(request: MemberRequest) -> HttpResponse:
    """The left pane with its counts: asked for after the page, so the list shows first."""
    require_inbox(request.user, request.organization)
    organization, person = request.organization, request.user
    shown = [
        Queue("mine", "Assigned to me", "assignee=me"),
        Queue("unassigned", "Unassigned", "assignee=unassigned"),
        Queue("open", "All open", ""),
        Queue("waiting", "Waiting on customer", "status=waiting"),
        Queue("due", "By deadline", "sort=due"),
        Queue("snoozed", "Snoozed", "snoozed=yes"),
        Queue("resolved", "Resolved", "status=resolved"),
    ]
    for department in Department.objects.filter(organization=organization)[:20]:
        shown.append(Queue(f"d{department.pk}", department.name, f"department={department.pk}"))
    views = list(visible_views(person, organization).select_related("owner")[:30])
    counted = []
    for queue in shown:
        found = queues.count_conversations(organization, person, parse_filters(_qd(queue.query)))
        counted.append(Queue(queue.key, queue.name, queue.query, str(found)))
    saved = []
    for view in views:
        try:
            shown_count = str(
                queues.count_conversations(organization, person, parse_filters(view.filters))
            )
        except ServiceError:
            shown_count = "?"
        saved.append((view, shown_count))
    return render(
        request,
        "inbox/_queues.html",
        {"queues": counted, "saved": saved, "current": request.GET.urlencode()},
    )


def _qd(query: str) -> Any:
    from django.http import QueryDict

    return QueryDict(query)


def _people(request: MemberRequest) -> list[dict[str, Any]]:
    """Colleagues for the assignee picker and @mentions (names are escaped by json_script),
    with whether each may work the inbox (two queries, whatever the number of people)."""
    from cluetrain.organizations.policy import RULES, Permission

    found = list(colleagues(request.organization)[:PEOPLE_SHOWN])
    workers = set(
        Membership.objects.filter(
            organization=request.organization,
            is_active=True,
            person__in=[p.pk for p in found],
            role_grants__role__in=list(RULES[Permission.WORK_INBOX]),
        ).values_list("person_id", flat=True)
    )
    return [
        {
            "id": person.pk,
            "name": person.full_name or person.email,
            "handle": mention_handle(person),
            "inbox": person.pk in workers,
        }
        for person in found
    ]


@member_required
def people(request: MemberRequest) -> JsonResponse:
    """Colleagues matching ``q`` (type-ahead for the assignee picker and mentions)."""
    require_inbox(request.user, request.organization)
    q = request.GET.get("q", "").strip().lower()[:60]
    found = [p for p in _people(request) if not q or q in p["name"].lower() or q in p["handle"]]
    return JsonResponse({"people": found[:20]})


# ---- The conversation pane -------------------------------------------------------------------


def _conversation(
    request: MemberRequest, pk: int, *, missing_ok: bool = False
) -> Conversation | None:
    conversation = (
        Conversation.objects.filter(organization=request.organization, pk=pk)
        .select_related("author", "assignee", "department", "organization")
        .prefetch_related(Prefetch("tags", queryset=Tag.objects.only("id", "name")))
        .first()
    )
    if conversation is None and not missing_ok:
        raise Http404("No such conversation in this inbox.")
    return conversation


def get_conversation(request: MemberRequest, pk: int) -> Conversation:
    require_inbox(request.user, request.organization)
    conversation = _conversation(request, pk)
    assert conversation is not None
    return conversation


def conversation_context(request: MemberRequest, conversation: Conversation) -> dict[str, Any]:
    """Everything the conversation pane shows, in a fixed number of queries."""
    messages = list(
        Message.objects.filter(conversation=conversation)
        .select_related("author", "sent_by", "post")
        .order_by("created_at", "id")[:MESSAGES_SHOWN]
    )
    replies.sync_reply_ids(messages)
    notes = list(
        Note.objects.filter(conversation=conversation)
        .select_related("author")
        .prefetch_related("mentions")
    )
    events = list(
        ConversationEvent.objects.filter(conversation=conversation)
        .select_related("actor")
        .order_by("-created_at", "-id")[:EVENTS_SHOWN]
    )
    inbound = [m for m in messages if m.direction == Direction.INBOUND]
    latest = inbound[-1] if inbound else None
    voices = list(replies.reply_voices(request.user, conversation))
    saved_replies = [
        (saved, fill_blanks(saved.text, conversation, request.user))
        for saved in SavedReply.objects.filter(organization=request.organization)[
            :SAVED_REPLIES_SHOWN
        ]
    ]
    questions = list(
        Question.objects.filter(conversation=conversation)
        .select_related("asked_by", "routed_to", "answered_by")
        .order_by("-created_at")[:10]
    )
    from cluetrain.inbox import sla

    limit = limits.limit_of(voices[0]) if voices else 0
    return {
        "conversation": conversation,
        "messages": messages,
        "latest": latest,
        "notes": notes,
        "events": events,
        "history": author_history(conversation),
        "voices": voices,
        "limit": limit,
        "saved_replies": saved_replies,
        "questions": questions,
        "timer": sla.timer(conversation, timezone.now()),
        "chips": _chips(conversation, latest),
        "snooze_choices": snooze_choices(timezone.now(), _zone(request)),
        "statuses": Status.choices,
    }


def _zone(request: MemberRequest) -> Any:
    from zoneinfo import ZoneInfo

    try:
        return ZoneInfo(request.user.time_zone or "UTC")
    except (ValueError, KeyError):
        return ZoneInfo("UTC")


def _chips(conversation: Conversation, latest: Message | None) -> list[dict[str, Any]]:
    """The triage chips of the pane, each with the values it can be corrected to."""
    chips = []
    for field, choices in CHIP_CHOICES.items():
        value = getattr(latest, field, "") if latest is not None else getattr(conversation, field)
        value = value or getattr(conversation, field) or ""
        chips.append(
            {
                "field": field,
                "name": CHIP_NAMES[field],
                "value": value,
                "choices": [c for c in choices if c != value],
            }
        )
    return chips


@member_required
def conversation(request: MemberRequest, pk: int) -> HttpResponse:
    """The conversation pane (htmx), or the whole page with it open."""
    found = get_conversation(request, pk)
    if not is_htmx(request):
        from django.shortcuts import redirect

        return redirect(f"/inbox/?c={found.pk}")
    return render_pane(request, found)


def render_pane(
    request: MemberRequest, conversation: Conversation, extra: dict[str, Any] | None = None
) -> HttpResponse:
    context = conversation_context(request, conversation)
    context.update(extra or {})
    # The list row changes with the conversation (status, assignee, tags): swap it too.
    context["row"] = conversation
    conversation.timer = context["timer"]  # type: ignore[attr-defined]
    context["people"] = _people(request)
    context["departments"] = list(Department.objects.filter(organization=request.organization))
    return render(request, "inbox/_pane.html", context)


@member_required
def saved_views(request: MemberRequest) -> HttpResponse:
    """The person's saved views and the shared ones (a plain page for keyboardless phones)."""
    require_inbox(request.user, request.organization)
    views: list[SavedView] = list(
        visible_views(request.user, request.organization).select_related("owner")
    )
    return render(request, "inbox/views.html", {"views": views})
