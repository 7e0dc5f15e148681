"""The inbox's actions: each reads the form, calls one service and answers with the
conversation pane (and its list row, swapped out of band), or a message for the bulk bar.

A ``ServiceError`` is shown in the pane with what was typed kept; ``NotAllowed`` is a 403.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from cluetrain.core.errors import ServiceError
from cluetrain.guidelines.presenting import findings_context
from cluetrain.guidelines.services import check_text
from cluetrain.inbox import replies, services
from cluetrain.inbox.filters import parse_filters
from cluetrain.inbox.models import SavedReply, SavedView, Status
from cluetrain.inbox.views import get_conversation, is_htmx, render_pane
from cluetrain.listening.models import Message
from cluetrain.organizations.decorators import member_required
from cluetrain.organizations.models import Department
from cluetrain.organizations.requests import MemberRequest
from cluetrain.publishing import limits
from cluetrain.voices.models import Voice


def _pane_after(
    request: MemberRequest, pk: int, act: Any, keep: dict[str, Any] | None = None, **extra: Any
) -> HttpResponse:
    """Run ``act(conversation)``; answer with the pane saying what happened or the refusal.

    ``keep`` is read after ``act`` ran, so an action can leave things for the pane in it.
    """
    conversation = get_conversation(request, pk)
    try:
        said, error = act(conversation) or "", ""
    except ServiceError as exc:
        said, error = "", exc.message
    if not is_htmx(request):
        return redirect(f"/inbox/?c={pk}")
    conversation = get_conversation(request, pk)
    context = {"said": said, "error": error, **extra, **(keep or {})}
    return render_pane(request, conversation, context)


@require_POST
@member_required
def set_status(request: MemberRequest, pk: int) -> HttpResponse:
    status = request.POST.get("status", "")
    label = dict(Status.choices).get(status, status)
    return _pane_after(
        request,
        pk,
        lambda c: services.do_set_status(request.user, c, status) and f"Marked {label.lower()}.",
    )


@require_POST
@member_required
def assign(request: MemberRequest, pk: int) -> HttpResponse:
    value = request.POST.get("assignee", "")
    department = request.POST.get("department", "")

    def act(conversation: Any) -> str:
        if value == "me":
            services.do_claim(request.user, conversation)
            return "It is yours."
        if department:
            target = get_object_or_404(
                Department, organization=request.organization, pk=_int(department)
            )
            services.do_assign(request.user, conversation, None, department=target)
            return f"Put in the {target.name} queue."
        person = services.colleagues(request.organization).filter(pk=_int(value)).first()
        if person is None:
            raise ServiceError("Choose a colleague to give it to.", code="assignee")
        services.do_assign(request.user, conversation, person)
        return f"Given to {person.full_name}."

    return _pane_after(request, pk, act)


def _int(value: str) -> int:
    return int(value) if value.isdigit() and len(value) < 19 else -1


@require_POST
@member_required
def claim(request: MemberRequest, pk: int) -> HttpResponse:
    return _pane_after(request, pk, lambda c: services.do_claim(request.user, c) and "It is yours.")


@require_POST
@member_required
def tag(request: MemberRequest, pk: int) -> HttpResponse:
    name = request.POST.get("tag", "")
    if request.POST.get("remove"):
        return _pane_after(
            request, pk, lambda c: services.do_untag(request.user, c, name) and "Tag removed."
        )
    return _pane_after(
        request, pk, lambda c: f"Tagged {services.do_tag(request.user, c, name).name}."
    )


@require_POST
@member_required
def snooze(request: MemberRequest, pk: int) -> HttpResponse:
    choice = request.POST.get("until", "")

    def act(conversation: Any) -> str:
        if choice == "wake":
            services.do_unsnooze(request.user, conversation)
            return "Awake again."
        from cluetrain.inbox.views import _zone

        choices = services.snooze_choices(timezone.now(), _zone(request))
        until = choices.get(choice) or services.parse_moment(choice)
        services.do_snooze(request.user, conversation, until)
        local = until.astimezone(_zone(request))
        return f"Snoozed until {local:%a %-d %b, %H:%M}."

    return _pane_after(request, pk, act)


@require_POST
@member_required
def note(request: MemberRequest, pk: int) -> HttpResponse:
    body = request.POST.get("body", "")

    def act(conversation: Any) -> str:
        made = services.do_add_note(request.user, conversation, body)
        mentioned = list(made.mentions.all())
        if mentioned:
            return "Note added; told " + ", ".join(p.full_name for p in mentioned) + "."
        return "Note added."

    return _pane_after(request, pk, act, note_body=body)


@require_POST
@member_required
def ask(request: MemberRequest, pk: int) -> HttpResponse:
    text = request.POST.get("question", "")

    def act(conversation: Any) -> str:
        from cluetrain.inbox import questions

        question = questions.do_ask(
            request.user, conversation.organization, text, conversation=conversation
        )
        who = question.routed_to.full_name if question.routed_to else "the team"
        return f"Asked; {who} will see it."

    return _pane_after(request, pk, act, question_text=text)


@require_POST
@member_required
def correct(request: MemberRequest, pk: int) -> HttpResponse:
    """One click on a triage chip: the message's decision changes and the model learns it."""
    field = request.POST.get("field", "")
    value = request.POST.get("value", "")

    def act(conversation: Any) -> str:
        from cluetrain.triage.services import do_correct

        message = Message.objects.filter(
            conversation=conversation, pk=_int(request.POST.get("message", ""))
        ).first()
        if message is None:
            raise ServiceError("That message is not part of this conversation.")
        do_correct(request.user, message, field, value)
        return "Corrected; the triage learns from it."

    return _pane_after(request, pk, act)


# ---- Replying --------------------------------------------------------------------------------


def _voice(request: MemberRequest, conversation: Any) -> Voice | None:
    return (
        Voice.objects.filter(
            organization=request.organization, pk=_int(request.POST.get("voice", ""))
        )
        .select_related("owner", "organization")
        .first()
    )


@require_POST
@member_required
def reply(request: MemberRequest, pk: int) -> HttpResponse:
    text = request.POST.get("text", "")
    kept: dict[str, Any] = {
        "reply_text": text,
        "reply_voice": _int(request.POST.get("voice", "")),
        "override_reason": request.POST.get("override_reason", ""),
    }

    def act(conversation: Any) -> str:
        voice = _voice(request, conversation)
        if voice is None:
            raise ServiceError("Choose the voice to reply from.", code="voice")
        reply_to = Message.objects.filter(
            conversation=conversation, pk=_int(request.POST.get("reply_to", ""))
        ).first()
        try:
            sent = replies.do_reply(
                request.user,
                conversation,
                voice,
                text,
                reply_to_message=reply_to,
                override_reason=request.POST.get("override_reason", ""),
                confirm_personal_data=bool(request.POST.get("confirm_personal_data")),
                status_after=request.POST.get("status_after") or Status.WAITING,
            )
        except replies.PersonalDataRepeated as exc:
            kept["personal_data"] = exc.found
            raise
        kept.update(reply_text="", override_reason="")
        if sent.in_review:
            return "Your reply waits for a reviewer; it goes out once approved."
        return f"Replied from {voice.name}."

    return _pane_after(request, pk, act, kept)


@require_POST
@member_required
def reply_check(request: MemberRequest, pk: int) -> HttpResponse:
    """The reply box's live fragment: guideline findings, the personal-data warning, the count."""
    conversation = get_conversation(request, pk)
    text = request.POST.get("text", "")[:10_000]
    voice = _voice(request, conversation)
    context: dict[str, Any] = {"text": text}
    if text.strip():
        context["guidelines"] = findings_context(text, check_text(request.organization, text))
        context["personal_data"] = replies.personal_data_warnings(conversation, text)
    if voice is not None:
        limit = limits.limit_of(voice)
        context["count"] = limits.count(voice.network, text, limit)
    return render(request, "inbox/_reply_check.html", context)


# ---- Bulk, saved views, heartbeat ------------------------------------------------------------


@require_POST
@member_required
def bulk(request: MemberRequest) -> HttpResponse:
    ids = request.POST.getlist("ids")
    action = request.POST.get("action", "")
    value = request.POST.get("tag_value" if action in ("tag", "untag") else "value", "")
    try:
        count = services.do_bulk(request.user, request.organization, ids, action, value)
        said, error = f"{count} conversation{'s' if count != 1 else ''} changed.", ""
    except ServiceError as exc:
        said, error = "", exc.message
    if is_htmx(request):
        response = render(request, "inbox/_said.html", {"said": said, "error": error})
        response["HX-Trigger"] = "inbox:refresh"
        return response
    from django.contrib import messages

    if error:
        messages.error(request, error)
    else:
        messages.success(request, said)
    return redirect("inbox:index")


@require_POST
@member_required
def save_view(request: MemberRequest) -> HttpResponse:
    from django.contrib import messages
    from django.http import QueryDict

    query = QueryDict(request.POST.get("query", "")[:2000])
    try:
        filters = parse_filters(query)
        view = services.do_save_view(
            request.user,
            request.organization,
            request.POST.get("name", ""),
            filters.as_dict(),
            shared=bool(request.POST.get("shared")),
        )
        messages.success(request, f"Saved the view “{view.name}”.")
        return redirect(f"/inbox/?view={view.pk}")
    except ServiceError as exc:
        messages.error(request, exc.message)
        return redirect(f"/inbox/?{query.urlencode()}")


@require_POST
@member_required
def delete_view(request: MemberRequest, pk: int) -> HttpResponse:
    from django.contrib import messages

    view = get_object_or_404(SavedView, organization=request.organization, pk=pk)
    services.do_delete_view(request.user, view)
    messages.success(request, f"Deleted the view “{view.name}”.")
    return redirect("inbox:index")


@require_POST
@member_required
def save_reply(request: MemberRequest) -> HttpResponse:
    from django.contrib import messages

    try:
        saved = services.do_save_reply(
            request.user,
            request.organization,
            request.POST.get("name", ""),
            request.POST.get("text", ""),
        )
        messages.success(request, f"Saved the reply “{saved.name}”.")
    except ServiceError as exc:
        messages.error(request, exc.message)
    back = request.POST.get("conversation", "")
    return redirect(f"/inbox/?c={back}" if back.isdigit() else "/inbox/")


@require_POST
@member_required
def delete_reply(request: MemberRequest, pk: int) -> HttpResponse:
    from django.contrib import messages

    saved = get_object_or_404(SavedReply, organization=request.organization, pk=pk)
    services.do_delete_reply(request.user, saved)
    messages.success(request, f"Deleted the saved reply “{saved.name}”.")
    return redirect("inbox:index")


@require_POST
@member_required
def heartbeat(request: MemberRequest) -> JsonResponse:
    """The open inbox page says every minute that its person is at work (routing)."""
    from cluetrain.inbox import pickup

    services.require_inbox(request.user, request.organization)
    pickup.do_heartbeat(request.membership)
    return JsonResponse({"ok": True})
