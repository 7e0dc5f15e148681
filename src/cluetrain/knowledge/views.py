"""Facts pages and the cite panel. Thin: the services decide and check permissions."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from cluetrain.core.errors import ServiceError
from cluetrain.inbox.models import Conversation
from cluetrain.knowledge import citations, rights, services
from cluetrain.knowledge.forms import FactForm
from cluetrain.knowledge.models import CitedIn, Fact, FactStatus
from cluetrain.knowledge.search import MAX_QUERY, search
from cluetrain.knowledge.text import is_link
from cluetrain.knowledge.views_peer import answer, ask, make_fact
from cluetrain.organizations.decorators import member_required
from cluetrain.organizations.requests import MemberRequest

__all__ = ["answer", "ask", "make_fact"]


def _fact(request: MemberRequest, fact_id: int) -> Fact:
    fact = get_object_or_404(
        Fact.objects.select_related("organization", "owner", "verified_by", "question"),
        pk=fact_id,
        organization=request.organization,
    )
    # Drafts and retired facts are for the people who keep facts, and the fact's owner.
    if fact.status != FactStatus.VERIFIED and not rights.may_edit(request.user, fact):
        raise PermissionDenied("This fact is not verified yet.")
    return fact


@member_required
def index(request: MemberRequest) -> HttpResponse:
    organization = request.organization
    q = request.GET.get("q", "")[:MAX_QUERY]
    curator = rights.may_curate(request.user, organization)
    today = services.today_in(organization)
    hits = search(organization, q, today=today, include_drafts=curator, limit=50)
    return render(
        request,
        "knowledge/index.html",
        {
            "q": q,
            "hits": hits,
            "can_curate": curator,
            "today": today,
            "mine_due": Fact.objects.filter(
                organization=organization,
                owner=request.user,
                status=FactStatus.VERIFIED,
                review_by__lte=today,
            ).count(),
        },
    )


@member_required
def cite_search(request: MemberRequest) -> HttpResponse:
    """The cite panel's results: verified facts only, stale ones marked."""
    organization = request.organization
    q = request.GET.get("q", "")[:MAX_QUERY]
    where = request.GET.get("where", CitedIn.COMPOSER)
    hits = search(organization, q, today=services.today_in(organization), limit=8) if q else []
    return render(
        request,
        "knowledge/_cite_results.html",
        {
            "q": q,
            "hits": [(hit, citations.citation_text(hit.fact)) for hit in hits],
            "where": where if where in CitedIn.values else CitedIn.COMPOSER,
            "conversation": request.GET.get("conversation", "")[:20],
        },
    )


@require_POST
@member_required
def cite(request: MemberRequest, fact_id: int) -> HttpResponse:
    fact = get_object_or_404(Fact, pk=fact_id, organization=request.organization)
    conversation = None
    conversation_id = request.POST.get("conversation", "")
    if conversation_id.isdigit():
        conversation = Conversation.objects.filter(
            pk=int(conversation_id), organization=request.organization
        ).first()
    try:
        citations.do_cite(
            request.user, fact, request.POST.get("where", ""), conversation=conversation
        )
    except ServiceError as error:
        return HttpResponse(str(error), status=400)
    return HttpResponse(status=204)


def _form_values(form: FactForm) -> dict[str, object]:
    data = form.cleaned_data
    return {
        "sources": data["sources"],
        "topics": data["topics"],
        "departments": list(data["departments"]),
        "owner": data["owner"],
        "review_interval_days": data["review_interval_days"],
    }


@member_required
def new_fact(request: MemberRequest) -> HttpResponse:
    organization = request.organization
    rights.require_curate(request.user, organization)
    form = FactForm(request.POST or None, organization=organization)
    if request.method == "POST" and form.is_valid():
        try:
            fact = services.do_create_fact(
                request.user,
                organization,
                form.cleaned_data["statement"],
                verify=bool(request.POST.get("verify")),
                **_form_values(form),  # type: ignore[arg-type]
            )
        except ServiceError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, "Fact saved.")
            return redirect("knowledge:fact", fact.pk)
    return render(request, "knowledge/edit.html", {"form": form, "fact": None})


@member_required
def edit_fact(request: MemberRequest, fact_id: int) -> HttpResponse:
    fact = _fact(request, fact_id)
    rights.require_edit(request.user, fact)
    initial = {
        "statement": fact.statement,
        "sources": "\n".join(fact.sources),
        "topics": ", ".join(fact.topics),
        "departments": list(fact.departments.all()),
        "owner": fact.owner,
        "review_interval_days": fact.review_interval_days,
    }
    form = FactForm(request.POST or None, initial=initial, organization=request.organization)
    if request.method == "POST" and form.is_valid():
        values = _form_values(form)
        try:
            services.do_edit_fact(
                request.user,
                fact,
                statement=form.cleaned_data["statement"],
                note=request.POST.get("note", "")[:200],
                **values,  # type: ignore[arg-type]
            )
        except ServiceError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, "Fact changed.")
            return redirect("knowledge:fact", fact.pk)
    return render(request, "knowledge/edit.html", {"form": form, "fact": fact})


@member_required
def fact(request: MemberRequest, fact_id: int) -> HttpResponse:
    found = _fact(request, fact_id)
    today = services.today_in(request.organization)
    used = found.citations.select_related("person", "post", "conversation").order_by("-created_at")[
        :50
    ]
    return render(
        request,
        "knowledge/fact.html",
        {
            "fact": found,
            "sources": [(source, is_link(source)) for source in found.sources],
            "versions": found.versions.select_related("changed_by")[:20],
            "citations": used,
            "departments": found.departments.all(),
            "stale": services.is_stale(found, today),
            "can_edit": rights.may_edit(request.user, found),
            "can_curate": rights.may_curate(request.user, request.organization),
            "waiting": services.scheduled_posts_citing(found),
        },
    )


def _act(request: MemberRequest, fact_id: int, action: str) -> HttpResponse:
    found = _fact(request, fact_id)
    try:
        if action == "verify":
            services.do_verify_fact(request.user, found)
            messages.success(request, "Verified: anyone may cite it now.")
        elif action == "reviewed":
            services.do_mark_reviewed(request.user, found)
            found.refresh_from_db()
            messages.success(request, f"Reviewed. Next review by {found.review_by:%d %B %Y}.")
        else:
            waiting = services.do_retire_fact(request.user, found)
            note = f" {len(waiting)} post(s) not yet out cite it: check them." if waiting else ""
            messages.success(request, "Retired: nobody is offered it any more." + note)
    except ServiceError as error:
        messages.error(request, str(error))
    return redirect("knowledge:fact", found.pk)


@require_POST
@member_required
def verify_fact(request: MemberRequest, fact_id: int) -> HttpResponse:
    return _act(request, fact_id, "verify")


@require_POST
@member_required
def mark_reviewed(request: MemberRequest, fact_id: int) -> HttpResponse:
    return _act(request, fact_id, "reviewed")


@require_POST
@member_required
def retire_fact(request: MemberRequest, fact_id: int) -> HttpResponse:
    return _act(request, fact_id, "retire")
