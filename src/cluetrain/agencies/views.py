"""Agency pages: the overview and hand-over plans, an agency's plan, agency activity, the
shadowing page and the self-sufficiency chart. Thin: ``access`` and ``services`` decide."""

from __future__ import annotations

import zoneinfo
from datetime import date, datetime, time, timedelta
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from cluetrain.agencies import access, activity, services
from cluetrain.agencies import index as sufficiency
from cluetrain.agencies.forms import (
    ActivityFilter,
    AgencyForm,
    AgencyMemberForm,
    MilestoneForm,
    PairForm,
    RangeForm,
)
from cluetrain.agencies.models import Agency, AgencyMember, Milestone, Shadowing
from cluetrain.core import audit
from cluetrain.core.dates import local_today
from cluetrain.core.errors import ServiceError
from cluetrain.organizations import policy
from cluetrain.organizations.decorators import member_required
from cluetrain.organizations.models import Department, Person
from cluetrain.organizations.policy import Permission
from cluetrain.organizations.requests import MemberRequest
from cluetrain.publishing.models import Post


def _today(request: MemberRequest) -> date:
    return local_today(request.organization.time_zone)


def _plan(agency: Agency, today: date) -> dict[str, Any]:
    steps = list(agency.milestones.all())
    done = sum(1 for step in steps if step.is_done)
    return {
        "agency": agency,
        "milestones": steps,
        "done": done,
        "percent": round(100 * done / len(steps)) if steps else 0,
        "overdue": [s for s in steps if not s.is_done and s.due_on and s.due_on < today],
    }


def _agencies(request: MemberRequest) -> list[dict[str, Any]]:
    agencies = Agency.objects.filter(organization=request.organization).prefetch_related(
        "members__person", "milestones__owner", "milestones__done_by"
    )
    today = _today(request)
    return [_plan(agency, today) for agency in agencies]


@member_required
def index(request: MemberRequest) -> HttpResponse:
    organization, me = request.organization, request.user
    oversees = access.oversees(me, organization)
    context: dict[str, Any] = {
        "oversees": oversees,
        "is_agency": access.is_agency(me, organization),
        "shadows": Shadowing.objects.filter(organization=organization, shadow=me)
        .select_related("agency_person")
        .exists(),
        "can_see_index": policy.can(me, organization, Permission.VIEW_INSIGHTS),
        "today": _today(request),
    }
    if oversees:
        named = set(
            AgencyMember.objects.filter(organization=organization).values_list(
                "person_id", flat=True
            )
        )
        context.update(
            plans=_agencies(request),
            pairings=Shadowing.objects.filter(organization=organization).select_related(
                "agency_person", "shadow"
            ),
            unnamed=Person.objects.filter(pk__in=access.agency_ids(organization) - named),
            agency_form=AgencyForm(),
            pair_form=PairForm(organization=organization),
        )
    if context["can_see_index"]:
        today = context["today"]
        start = (today.replace(day=1) - timedelta(days=150)).replace(day=1)
        context["result"] = sufficiency.self_sufficiency(organization, start, today)
    return render(request, "agencies/index.html", context)


@require_POST
@member_required
def create_agency(request: MemberRequest) -> HttpResponse:
    form = AgencyForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Check the agency's details: " + _errors(form))
        return redirect("agencies:index")
    try:
        agency = services.do_create_agency(
            request.user,
            request.organization,
            form.cleaned_data["name"],
            contact=form.cleaned_data["contact"],
            contract_ends_on=form.cleaned_data["contract_ends_on"],
            handover_target_on=form.cleaned_data["handover_target_on"],
        )
    except ServiceError as error:
        messages.error(request, str(error))
        return redirect("agencies:index")
    messages.success(request, f"{agency.name} recorded.")
    return redirect("agencies:agency", agency.pk)


def _errors(form: Any) -> str:
    return "; ".join(f"{name}: {' '.join(errs)}" for name, errs in form.errors.items())


def _agency(request: MemberRequest, pk: int) -> Agency:
    return get_object_or_404(Agency, pk=pk, organization=request.organization)


@member_required
def agency(request: MemberRequest, pk: int) -> HttpResponse:
    organization = request.organization
    if not (
        access.oversees(request.user, organization)
        or access.is_agency(request.user, organization)
        or Milestone.objects.filter(agency_id=pk, owner=request.user).exists()
    ):
        raise PermissionDenied(
            "Only directors, coordinators, the agency and the plan's owners see its plan."
        )
    item = get_object_or_404(
        Agency.objects.prefetch_related(
            "members__person", "milestones__owner", "milestones__done_by"
        ),
        pk=pk,
        organization=organization,
    )
    oversees = access.oversees(request.user, organization)
    return render(
        request,
        "agencies/agency.html",
        {
            "plan": _plan(item, _today(request)),
            "oversees": oversees,
            "today": _today(request),
            "member_form": AgencyMemberForm(organization=organization) if oversees else None,
            "milestone_form": MilestoneForm(organization=organization) if oversees else None,
            "details_form": AgencyForm(
                initial={
                    "name": item.name,
                    "contact": item.contact,
                    "contract_ends_on": item.contract_ends_on,
                    "handover_target_on": item.handover_target_on,
                }
            )
            if oversees
            else None,
        },
    )


@require_POST
@member_required
def update_agency(request: MemberRequest, pk: int) -> HttpResponse:
    item = _agency(request, pk)
    form = AgencyForm(request.POST)
    if form.is_valid():
        services.do_update_agency(
            request.user,
            item,
            contact=form.cleaned_data["contact"],
            contract_ends_on=form.cleaned_data["contract_ends_on"],
            handover_target_on=form.cleaned_data["handover_target_on"],
        )
        messages.success(request, "Saved.")
    else:
        messages.error(request, _errors(form))
    return redirect("agencies:agency", item.pk)


@require_POST
@member_required
def add_member(request: MemberRequest, pk: int) -> HttpResponse:
    item = _agency(request, pk)
    form = AgencyMemberForm(request.POST, organization=request.organization)
    if not form.is_valid():
        messages.error(request, _errors(form))
    else:
        try:
            services.do_add_agency_member(request.user, item, form.cleaned_data["person"])
            messages.success(request, f"{form.cleaned_data['person']} works for {item.name}.")
        except ServiceError as error:
            messages.error(request, str(error))
    return redirect("agencies:agency", item.pk)


@require_POST
@member_required
def add_milestone(request: MemberRequest, pk: int) -> HttpResponse:
    item = _agency(request, pk)
    form = MilestoneForm(request.POST, organization=request.organization)
    if not form.is_valid():
        messages.error(request, _errors(form))
    else:
        try:
            services.do_add_milestone(
                request.user,
                item,
                form.cleaned_data["title"],
                description=form.cleaned_data["description"],
                due_on=form.cleaned_data["due_on"],
                owner=form.cleaned_data["owner"],
            )
            messages.success(request, "Milestone added.")
        except ServiceError as error:
            messages.error(request, str(error))
    return redirect("agencies:agency", item.pk)


@require_POST
@member_required
def milestone_done(request: MemberRequest, pk: int) -> HttpResponse:
    step = get_object_or_404(
        Milestone.objects.select_related("agency", "owner"),
        pk=pk,
        agency__organization=request.organization,
    )
    services.do_set_milestone_done(request.user, step, request.POST.get("done") == "1")
    if request.htmx:  # type: ignore[attr-defined]
        organization = request.organization
        item = Agency.objects.prefetch_related("milestones__owner", "milestones__done_by").get(
            pk=step.agency_id
        )
        oversees = access.oversees(request.user, organization)
        return render(
            request,
            "agencies/_plan.html",
            {
                "plan": _plan(item, _today(request)),
                "today": _today(request),
                "oversees": oversees,
                "milestone_form": MilestoneForm(organization=organization) if oversees else None,
            },
        )
    return redirect("agencies:agency", step.agency_id)


@require_POST
@member_required
def delete_milestone(request: MemberRequest, pk: int) -> HttpResponse:
    step = get_object_or_404(Milestone, pk=pk, agency__organization=request.organization)
    agency_id = step.agency_id
    services.do_delete_milestone(request.user, step)
    messages.success(request, "Milestone removed.")
    return redirect("agencies:agency", agency_id)


@require_POST
@member_required
def pair(request: MemberRequest) -> HttpResponse:
    form = PairForm(request.POST, organization=request.organization)
    if not form.is_valid():
        messages.error(request, _errors(form))
        return redirect("agencies:index")
    try:
        pairing = services.do_pair(
            request.user,
            request.organization,
            form.cleaned_data["agency_person"],
            form.cleaned_data["shadow"],
        )
        messages.success(request, f"{pairing.shadow} now shadows {pairing.agency_person}.")
    except ServiceError as error:
        messages.error(request, str(error))
    return redirect("agencies:index")


@require_POST
@member_required
def unpair(request: MemberRequest, pk: int) -> HttpResponse:
    pairing = get_object_or_404(Shadowing, pk=pk, organization=request.organization)
    services.do_unpair(request.user, pairing)
    messages.success(request, "Pairing ended.")
    return redirect("agencies:index")


def _day_start(day: date | None, tz: zoneinfo.ZoneInfo) -> datetime | None:
    return datetime.combine(day, time.min, tzinfo=tz) if day else None


@member_required
def activity_page(request: MemberRequest) -> HttpResponse:
    organization = request.organization
    people = list(access.visible_agency_people(request.user, organization))
    if not people and not access.oversees(request.user, organization):
        raise PermissionDenied(
            "Agency activity is shown to directors, coordinators, the agency staff themselves "
            "and the people who shadow them."
        )
    form = ActivityFilter(request.GET)
    data = form.cleaned_data if form.is_valid() else {}
    chosen = [p for p in people if p.pk == data.get("person")] if data.get("person") else people
    tz = zoneinfo.ZoneInfo(organization.time_zone)
    until = data.get("until")
    page = activity.activity(
        organization,
        chosen,
        since=_day_start(data.get("since"), tz),
        until=_day_start(until + timedelta(days=1), tz) if until else None,
        page=data.get("page") or 1,
    )
    by_id = {p.pk: p for p in people}
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "agencies/activity.html",
        {
            "people": people,
            "rows": [(item, by_id.get(item.person_id)) for item in page.items],
            "page": page,
            "form": form,
            "chosen": data.get("person"),
            "query": query.urlencode(),
            "zone": request.user.time_zone,
        },
    )


@member_required
def shadowing(request: MemberRequest) -> HttpResponse:
    organization = request.organization
    pairings = list(
        Shadowing.objects.filter(organization=organization, shadow=request.user).select_related(
            "agency_person"
        )
    )
    partners = [p.agency_person_id for p in pairings]
    recent = (
        Post.objects.filter(
            organization=organization, author_id__in=partners, published_at__isnull=False
        )
        .select_related("author")
        .order_by("-published_at")[:50]
    )
    return render(
        request,
        "agencies/shadowing.html",
        {"pairings": pairings, "recent": recent, "zone": request.user.time_zone},
    )


def _range(request: MemberRequest) -> tuple[date, date, Department | None, RangeForm]:
    policy.require(request.user, request.organization, Permission.VIEW_INSIGHTS)
    form = RangeForm(request.GET)
    data = form.cleaned_data if form.is_valid() else {}
    today = _today(request)
    end = data.get("end") or today
    start = data.get("start") or (end.replace(day=1) - timedelta(days=335)).replace(day=1)
    department = None
    if data.get("department"):
        department = Department.objects.filter(
            organization=request.organization, pk=data["department"]
        ).first()
    return start, end, department, form


@member_required
def self_sufficiency(request: MemberRequest) -> HttpResponse:
    start, end, department, form = _range(request)
    result = sufficiency.self_sufficiency(request.organization, start, end, department=department)
    return render(
        request,
        "agencies/self_sufficiency.html",
        {
            "result": result,
            "form": form,
            "start": start,
            "end": end,
            "department": department,
            "departments": Department.objects.filter(organization=request.organization),
            "query": request.GET.urlencode(),
        },
    )


@member_required
def self_sufficiency_csv(request: MemberRequest) -> HttpResponse:
    start, end, department, _ = _range(request)
    result = sufficiency.self_sufficiency(request.organization, start, end, department=department)
    response = HttpResponse(sufficiency.as_csv(result), content_type="text/csv; charset=utf-8")
    audit.record_export(
        request.organization,
        request.user,
        "agencies.self_sufficiency",
        start=start.isoformat(),
        end=end.isoformat(),
        department_id=department.pk if department else None,
        via="web",
        format="csv",
    )
    response["Content-Disposition"] = (
        f'attachment; filename="self-sufficiency-{start:%Y-%m}-{end:%Y-%m}.csv"'
    )
    return response
