"""Objectives and campaigns pages. Thin: the services decide and check permissions; these read
forms and show progress. Seeing them needs ``Permission.VIEW_INSIGHTS``."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db.models import Count
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from cluetrain.campaigns import execution, metrics, progress, services
from cluetrain.campaigns.forms import CampaignForm, ObjectiveForm
from cluetrain.campaigns.models import Campaign, CampaignPost, Objective
from cluetrain.core.errors import ServiceError
from cluetrain.organizations import policy
from cluetrain.organizations.decorators import member_required
from cluetrain.organizations.policy import Permission
from cluetrain.organizations.requests import MemberRequest
from cluetrain.publishing.models import Post

MAX_OBJECTIVES = 50
MAX_CAMPAIGNS = 100


def _viewer(request: MemberRequest) -> bool:
    """Require the right to see insights; answer whether the person may also define."""
    policy.require(request.user, request.organization, Permission.VIEW_INSIGHTS)
    return policy.can(request.user, request.organization, Permission.MANAGE_CAMPAIGNS)


def _objective(request: MemberRequest, objective_id: int) -> Objective:
    return get_object_or_404(
        Objective.objects.select_related("organization", "department", "owner"),
        pk=objective_id,
        organization=request.organization,
    )


def _campaign(request: MemberRequest, campaign_id: int) -> Campaign:
    return get_object_or_404(
        Campaign.objects.select_related("organization", "objective"),
        pk=campaign_id,
        organization=request.organization,
    )


@member_required
def index(request: MemberRequest) -> HttpResponse:
    can_manage = _viewer(request)
    organization = request.organization
    objectives = Objective.objects.filter(organization=organization, active=True).select_related(
        "organization", "department", "owner"
    )[:MAX_OBJECTIVES]
    rows = []
    for objective in objectives:
        try:
            rows.append(progress.progress(objective))
        except ServiceError:
            # A metric that cannot be read (its source uninstalled): shown without a value.
            continue
    campaigns = (
        Campaign.objects.filter(organization=organization)
        .select_related("objective")
        .annotate(post_count=Count("entries"))[:MAX_CAMPAIGNS]
    )
    return render(
        request,
        "campaigns/index.html",
        {
            "rows": rows,
            "campaigns": campaigns,
            "inactive": Objective.objects.filter(organization=organization, active=False)[:50],
            "can_manage": can_manage,
            "can_rates": policy.can(request.user, organization, Permission.MANAGE_ORGANIZATION),
        },
    )


def _objective_fields(form: ObjectiveForm) -> services.ObjectiveFields:
    data = form.cleaned_data
    return services.ObjectiveFields(
        name=data["name"],
        kind=data["kind"],
        target=data["target"],
        period=data["period"],
        params={"minutes": data.get("minutes") or 30, "complaints_only": data["complaints_only"]},
        department=data["department"],
        owner=data["owner"],
        active=data["active"],
    )


@member_required
def objective_form(request: MemberRequest, objective_id: int | None = None) -> HttpResponse:
    _viewer(request)
    organization = request.organization
    policy.require(request.user, organization, Permission.MANAGE_CAMPAIGNS)
    objective = _objective(request, objective_id) if objective_id else None
    initial = ObjectiveForm.initial_of(objective) if objective else {"active": True}
    form = ObjectiveForm(
        request.POST if request.method == "POST" else None,
        initial=initial,
        organization=organization,
    )
    if request.method == "POST" and form.is_valid():
        try:
            if objective is None:
                objective = services.do_create_objective(
                    request.user, organization, _objective_fields(form)
                )
            else:
                services.do_update_objective(request.user, objective, _objective_fields(form))
        except ServiceError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "Objective saved.")
            return redirect("campaigns:objective", objective.pk)
    return render(request, "campaigns/objective_form.html", {"form": form, "objective": objective})


@member_required
def objective(request: MemberRequest, objective_id: int) -> HttpResponse:
    can_manage = _viewer(request)
    item = _objective(request, objective_id)
    try:
        result: progress.Progress | None = progress.progress(item, with_history=True)
        error = ""
    except ServiceError as exc:
        result, error = None, str(exc)
    metric = metrics.REGISTRY.get(item.kind)
    return render(
        request,
        "campaigns/objective.html",
        {
            "objective": item,
            "result": result,
            "error": error,
            "description": metric.describe(item.params or {}) if metric else item.kind,
            "campaigns": item.campaigns.all()[:50],
            "can_manage": can_manage,
        },
    )


def _campaign_fields(form: CampaignForm) -> services.CampaignFields:
    data = form.cleaned_data
    return services.CampaignFields(
        name=data["name"],
        description=data["description"],
        objective=data["objective"],
        starts_on=data["starts_on"],
        ends_on=data["ends_on"],
        voices=list(data["voices"]),
        budget_hours=data["budget_hours"],
        posts_planned=data["posts_planned"],
        engagement_target=data["engagement_target"],
    )


@member_required
def campaign_form(request: MemberRequest, campaign_id: int | None = None) -> HttpResponse:
    _viewer(request)
    organization = request.organization
    policy.require(request.user, organization, Permission.MANAGE_CAMPAIGNS)
    campaign = _campaign(request, campaign_id) if campaign_id else None
    initial: dict[str, Any] = {}
    if campaign is not None:
        initial = {
            "name": campaign.name,
            "description": campaign.description,
            "objective": campaign.objective,
            "starts_on": campaign.starts_on,
            "ends_on": campaign.ends_on,
            "voices": list(campaign.voices.all()),
            "budget_hours": campaign.budget_hours,
            "posts_planned": campaign.posts_planned,
            "engagement_target": campaign.engagement_target,
        }
    form = CampaignForm(
        request.POST if request.method == "POST" else None,
        initial=initial,
        organization=organization,
    )
    if request.method == "POST" and form.is_valid():
        try:
            if campaign is None:
                campaign = services.do_create_campaign(
                    request.user, organization, _campaign_fields(form)
                )
            else:
                services.do_update_campaign(request.user, campaign, _campaign_fields(form))
        except ServiceError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "Campaign saved.")
            return redirect("campaigns:campaign", campaign.pk)
    return render(request, "campaigns/campaign_form.html", {"form": form, "campaign": campaign})


@member_required
def campaign(request: MemberRequest, campaign_id: int) -> HttpResponse:
    can_manage = _viewer(request)
    item = _campaign(request, campaign_id)
    candidates = []
    if can_manage:
        # Recent posts not yet in any campaign, to attach from here.
        candidates = list(
            Post.objects.filter(organization=item.organization, campaign_entry__isnull=True)
            .exclude(status="cancelled")
            .order_by("-created_at")
            .only("pk", "text", "status", "created_at")[:50]
        )
    return render(
        request,
        "campaigns/campaign.html",
        {
            "campaign": item,
            "result": execution.execution(item),
            "candidates": candidates,
            "can_manage": can_manage,
        },
    )


def _post(request: MemberRequest) -> Post:
    value = request.POST.get("post", "")
    if not value.isdigit():
        raise ServiceError("Choose a post.", code="post")
    return get_object_or_404(Post, pk=int(value), organization=request.organization)


@require_POST
@member_required
def attach(request: MemberRequest, campaign_id: int) -> HttpResponse:
    item = _campaign(request, campaign_id)
    try:
        services.do_attach_post(request.user, item, _post(request))
    except ServiceError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "Post added to the campaign.")
    return redirect("campaigns:campaign", item.pk)


@require_POST
@member_required
def detach(request: MemberRequest, campaign_id: int) -> HttpResponse:
    item = _campaign(request, campaign_id)
    try:
        post = _post(request)
        get_object_or_404(CampaignPost, campaign=item, post=post)
        services.do_detach_post(request.user, item, post)
    except ServiceError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "Post taken out of the campaign.")
    return redirect("campaigns:campaign", item.pk)
