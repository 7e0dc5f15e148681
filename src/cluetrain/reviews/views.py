"""The review queue, the author's reviews, and the autonomy page. Thin: services decide."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from cluetrain.core.actions import act_and_say
from cluetrain.core.errors import ServiceError
from cluetrain.guidelines.engine.types import Finding, Kind, Severity
from cluetrain.guidelines.presenting import SEVERITY_LABELS, highlighted
from cluetrain.organizations import policy
from cluetrain.organizations.decorators import member_required
from cluetrain.organizations.models import Person
from cluetrain.organizations.policy import Permission
from cluetrain.organizations.requests import MemberRequest
from cluetrain.reviews import autonomy as levels
from cluetrain.reviews import services
from cluetrain.reviews.forms import CommentForm, DeclineForm, LevelForm, PolicyForm
from cluetrain.reviews.models import Level, PromotionProposal, ProposalStatus, Review


def _findings(post: Any) -> list[Finding]:
    """The post's stored findings on its main text, as the guideline engine reported them."""
    shown = []
    for item in getattr(post, "findings", None) or []:
        try:
            if item.get("network"):
                continue
            shown.append(
                Finding(
                    rule=str(item["rule"]),
                    kind=Kind(item["kind"]),
                    severity=Severity(item["severity"]),
                    start=int(item["start"]),
                    end=int(item["end"]),
                    match=str(item["match"]),
                    explanation=str(item.get("explanation", "")),
                    suggestion=str(item.get("suggestion", "")),
                )
            )
        except (KeyError, TypeError, ValueError):
            continue  # Stored by an older version in another shape: the list below still shows.
    return sorted(shown, key=lambda f: (f.start, f.end))


def _item(review: Review, person: Person) -> dict[str, Any]:
    post = review.post
    findings = _findings(post)
    return {
        "review": review,
        "post": post,
        "marked": highlighted(post.text, tuple(findings)),
        "findings": [
            {"finding": finding, "label": SEVERITY_LABELS[finding.severity]} for finding in findings
        ],
        "voices": [delivery.voice for delivery in post.deliveries.all()],
        "comments": list(review.comments.all()),
        "can_decide": services.can_decide(person, review),
    }


@member_required
def queue(request: MemberRequest) -> HttpResponse:
    organization, person = request.organization, request.user
    is_reviewer = policy.can(person, organization, Permission.REVIEW_POSTS)
    pending = list(services.pending_reviews(organization)) if is_reviewer else []
    return render(
        request,
        "reviews/queue.html",
        {
            "is_reviewer": is_reviewer,
            "queue": [_item(r, person) for r in pending if r.post.author_id != person.pk],
            "mine": [_item(r, person) for r in services.reviews_of_author(person, organization)],
            "comment_form": CommentForm(),
        },
    )


def _review(request: MemberRequest, pk: int) -> Review:
    return get_object_or_404(
        Review.objects.select_related("post", "post__author", "organization"),
        pk=pk,
        organization=request.organization,
    )


@require_POST
@member_required
def approve(request: MemberRequest, pk: int) -> HttpResponse:
    def act() -> str:
        services.do_approve(request.user, _review(request, pk))
        return "Approved; the post goes out as planned."

    return act_and_say(request, act, "reviews:queue")


@require_POST
@member_required
def request_changes(request: MemberRequest, pk: int) -> HttpResponse:
    def act() -> str:
        services.do_request_changes(
            request.user, _review(request, pk), request.POST.get("text", "")
        )
        return "Sent back to the author with your comment."

    return act_and_say(request, act, "reviews:queue")


@require_POST
@member_required
def comment(request: MemberRequest, pk: int) -> HttpResponse:
    def act() -> str:
        services.do_comment(request.user, _review(request, pk), request.POST.get("text", ""))
        return "Comment added."

    return act_and_say(request, act, "reviews:queue")


@member_required
def autonomy(request: MemberRequest) -> HttpResponse:
    organization, person = request.organization, request.user
    evidence = levels.evidence_for(person, organization)
    manages = levels.can_manage_levels(person, organization)
    context: dict[str, Any] = {
        "evidence": evidence,
        "level_means": levels.level_means(evidence.level),
        "rules": levels.policy_of(organization),
        "manages": manages,
        "levels": Level.choices,
    }
    if manages:
        context["proposals"] = list(
            PromotionProposal.objects.filter(
                organization=organization, status=ProposalStatus.PROPOSED
            )
            .select_related("person")
            .order_by("created_at")
        )
        context["people"] = levels.organization_people(organization)
        context["decline_form"] = DeclineForm()
    if levels.can_edit_policy(person, organization):
        context["policy_form"] = PolicyForm(instance=levels.policy_of(organization))
    return render(request, "reviews/autonomy.html", context)


def _proposal(request: MemberRequest, pk: int) -> PromotionProposal:
    return get_object_or_404(PromotionProposal, pk=pk, organization=request.organization)


@require_POST
@member_required
def confirm_promotion(request: MemberRequest, pk: int) -> HttpResponse:
    def act() -> str:
        proposal = levels.do_confirm_promotion(request.user, _proposal(request, pk))
        return f"{proposal.person} is now {proposal.to_level}."

    return act_and_say(request, act, "reviews:autonomy")


@require_POST
@member_required
def decline_promotion(request: MemberRequest, pk: int) -> HttpResponse:
    def act() -> str:
        levels.do_decline_promotion(
            request.user, _proposal(request, pk), request.POST.get("reason", "")
        )
        return "Proposal declined."

    return act_and_say(request, act, "reviews:autonomy")


@require_POST
@member_required
def set_level(request: MemberRequest) -> HttpResponse:
    form = LevelForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose a level and say why.")
        return redirect("reviews:autonomy")
    person = get_object_or_404(
        Person,
        pk=form.cleaned_data["person"],
        memberships__organization=request.organization,
        memberships__is_active=True,
    )
    try:
        levels.do_set_level(
            request.user,
            person,
            request.organization,
            form.cleaned_data["level"],
            form.cleaned_data["reason"],
        )
        messages.success(request, f"{person}'s level is now {form.cleaned_data['level']}.")
    except ServiceError as exc:
        messages.error(request, exc.message)
    return redirect("reviews:autonomy")


@require_POST
@member_required
def save_policy(request: MemberRequest) -> HttpResponse:
    form = PolicyForm(request.POST, instance=levels.policy_of(request.organization))
    if not form.is_valid():
        errors = "; ".join(str(e) for errs in form.errors.values() for e in errs)
        messages.error(request, f"The review policy was not saved: {errors}")
        return redirect("reviews:autonomy")
    try:
        levels.do_save_policy(request.user, form.instance)
        messages.success(request, "Review policy saved.")
    except ServiceError as exc:
        messages.error(request, exc.message)
    return redirect("reviews:autonomy")
