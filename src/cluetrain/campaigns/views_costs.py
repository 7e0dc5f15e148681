"""The cost pages: cost per outcome and per month (with its CSV), and the rates settings that
directors edit."""

from __future__ import annotations

from datetime import date, timedelta

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from cluetrain.campaigns import cost_export, costs, rates
from cluetrain.campaigns.forms import CostSettingsForm, PeriodForm, RateForm
from cluetrain.campaigns.models import Activity, HourlyRate
from cluetrain.core import audit
from cluetrain.core.dates import local_today
from cluetrain.core.errors import ServiceError
from cluetrain.organizations import policy
from cluetrain.organizations.decorators import member_required
from cluetrain.organizations.policy import Permission
from cluetrain.organizations.requests import MemberRequest


def _default_period(today: date) -> tuple[date, date]:
    """The current month and the five before it."""
    start = today.replace(day=1)
    for _ in range(5):
        start = (start - timedelta(days=1)).replace(day=1)
    return start, today


@member_required
def cost(request: MemberRequest, kind: str = "") -> HttpResponse:
    organization = request.organization
    policy.require(request.user, organization, Permission.VIEW_INSIGHTS)
    start, end = _default_period(local_today(organization.time_zone))
    department = None
    form = PeriodForm(
        request.GET if "start" in request.GET else None,
        initial={"start": start, "end": end},
        organization=organization,
    )
    if form.is_bound:
        if form.is_valid():
            start, end = form.cleaned_data["start"], form.cleaned_data["end"]
            department = form.cleaned_data["department"]
        else:
            messages.error(request, "Give the period as two dates, the end after the start.")
    try:
        summary = costs.cost_summary(organization, start, end, department=department)
    except ServiceError as exc:
        messages.error(request, str(exc))
        start, end = _default_period(local_today(organization.time_zone))
        summary = costs.cost_summary(organization, start, end)
        department = None
    if kind == "csv":
        audit.record_export(
            organization,
            request.user,
            "campaigns.cost",
            start=start.isoformat(),
            end=end.isoformat(),
            department_id=department.pk if department else None,
            via="web",
            format="csv",
        )
        response = HttpResponse(
            cost_export.as_csv(summary, department.name if department else ""),
            content_type="text/csv; charset=utf-8",
        )
        response["Content-Disposition"] = f'attachment; filename="cost-{start}-{end}.csv"'
        return response
    return render(
        request,
        "campaigns/cost.html",
        {
            "summary": summary,
            "form": form,
            "query": request.GET.urlencode(),
            "can_rates": policy.can(request.user, organization, Permission.MANAGE_ORGANIZATION),
        },
    )


@member_required
def rates_page(request: MemberRequest) -> HttpResponse:
    organization, person = request.organization, request.user
    rates.require_rates(person, organization)
    current = costs.settings_of(organization)
    initial: dict[str, object] = {
        "currency": current.currency,
        "default_rate": current.default_rate,
    }
    for activity in Activity.values:
        initial[f"{activity}_minutes"] = current.minutes(activity)
        initial[f"{activity}_cap"] = current.cap(activity)
        initial[f"{activity}_fixed"] = current.fixed(activity)
    form = CostSettingsForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            rates.do_save_cost_settings(
                person,
                organization,
                currency=data["currency"],
                default_rate=data["default_rate"],
                rules={
                    a: rates.ActivityRule(
                        data[f"{a}_minutes"], data[f"{a}_cap"], data[f"{a}_fixed"]
                    )
                    for a in Activity.values
                },
            )
        except ServiceError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "Cost settings saved.")
            return redirect("campaigns:rates")
    return render(
        request,
        "campaigns/rates.html",
        {
            "form": form,
            "rate_form": RateForm(organization=organization),
            "rates": HourlyRate.objects.filter(organization=organization)
            .select_related("person")
            .order_by("person__full_name", "role"),
            "currency": current.currency,
        },
    )


@require_POST
@member_required
def set_rate(request: MemberRequest) -> HttpResponse:
    organization = request.organization
    rates.require_rates(request.user, organization)
    form = RateForm(request.POST, organization=organization)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errs in form.errors.values() for e in errs))
        return redirect("campaigns:rates")
    data = form.cleaned_data
    try:
        rates.do_set_rate(
            request.user,
            organization,
            data["rate"],
            role=data["role"] or "",
            member=data["person"],
        )
    except ServiceError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "Rate saved.")
    return redirect("campaigns:rates")


@require_POST
@member_required
def remove_rate(request: MemberRequest, rate_id: int) -> HttpResponse:
    rate = get_object_or_404(HourlyRate, pk=rate_id, organization=request.organization)
    rates.do_remove_rate(request.user, rate)
    messages.success(request, "Rate removed.")
    return redirect("campaigns:rates")
