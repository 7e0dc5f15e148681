"""The peer group page: ask, answer, and make a good answer a fact."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from cluetrain.core.errors import ServiceError
from cluetrain.inbox.models import Question
from cluetrain.knowledge import peer, rights
from cluetrain.knowledge.forms import AskForm
from cluetrain.knowledge.models import Fact
from cluetrain.organizations import policy
from cluetrain.organizations.decorators import member_required
from cluetrain.organizations.policy import Permission
from cluetrain.organizations.requests import MemberRequest

PAGE = 50


@member_required
def ask(request: MemberRequest) -> HttpResponse:
    organization = request.organization
    rights.require_member(request.user, organization)
    form = AskForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            question = peer.do_ask_peers(
                request.user, organization, form.cleaned_data["text"], form.cleaned_data["topic"]
            )
        except ServiceError as error:
            form.add_error(None, str(error))
        else:
            who = question.routed_to.full_name if question.routed_to else "the right colleagues"
            messages.success(request, f"Asked: it went to {who}.")
            return redirect("knowledge:ask")
    questions = list(peer.peer_questions(organization)[:PAGE])
    made = dict(Fact.objects.filter(question__in=questions).values_list("question_id", "pk"))
    rows = [
        (
            question,
            made.get(question.pk),
            rights.may_make_fact(request.user, question),
        )
        for question in questions
    ]
    return render(
        request,
        "knowledge/ask.html",
        {
            "form": form,
            "rows": rows,
            "topics": peer.known_topics(organization),
            "can_answer": policy.can(request.user, organization, Permission.WORK_INBOX),
        },
    )


def _question(request: MemberRequest, question_id: int) -> Question:
    return get_object_or_404(
        Question.objects.select_related("organization", "answered_by", "department"),
        pk=question_id,
        organization=request.organization,
        conversation__isnull=True,
    )


@require_POST
@member_required
def answer(request: MemberRequest, question_id: int) -> HttpResponse:
    question = _question(request, question_id)
    try:
        peer.do_answer_peer(request.user, question, request.POST.get("answer", ""))
    except ServiceError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, "Answered; the colleague who asked is told.")
    return redirect("knowledge:ask")


@require_POST
@member_required
def make_fact(request: MemberRequest, question_id: int) -> HttpResponse:
    question = _question(request, question_id)
    try:
        fact = peer.do_make_fact(request.user, question)
    except ServiceError as error:
        messages.error(request, str(error))
        return redirect("knowledge:ask")
    messages.success(request, "The answer is a fact now; check its wording.")
    return redirect("knowledge:fact", fact.pk)
