"""Crisis pages: incidents, the incident page, alerts, the runbook, the report. Thin: the
services decide and check permissions; these read forms and show what happened."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from cluetrain.core.errors import ServiceError
from cluetrain.crisis import pausing, report, runbooks, scope, services, updates
from cluetrain.crisis.forms import (
    DeclareForm,
    RunbookForm,
    UpdateForm,
    format_templates,
    parse_templates,
    webhook_change,
)
from cluetrain.crisis.models import Alert, AlertStatus, Incident, PauseStatus
from cluetrain.crisis.timeline import deliveries
from cluetrain.organizations import policy
from cluetrain.organizations.decorators import member_required
from cluetrain.organizations.policy import Permission
from cluetrain.organizations.requests import MemberRequest


def _incident(request: MemberRequest, incident_id: int) -> Incident:
    return get_object_or_404(
        Incident.objects.select_related("organization", "declared_by", "ended_by"),
        pk=incident_id,
        organization=request.organization,
    )


@member_required
def index(request: MemberRequest) -> HttpResponse:
    organization = request.organization
    incidents = Incident.objects.filter(organization=organization).select_related("declared_by")
    return render(
        request,
        "crisis/index.html",
        {
            "incidents": incidents[:50],
            "alerts": Alert.objects.filter(organization=organization, status=AlertStatus.OPEN)[:10],
            "can_declare": policy.can(request.user, organization, Permission.DECLARE_INCIDENT),
        },
    )


@member_required
def alerts(request: MemberRequest) -> HttpResponse:
    organization = request.organization
    return render(
        request,
        "crisis/alerts.html",
        {
            "alerts": Alert.objects.filter(organization=organization).select_related("incident")[
                :100
            ],
            "can_declare": policy.can(request.user, organization, Permission.DECLARE_INCIDENT),
        },
    )


@require_POST
@member_required
def dismiss(request: MemberRequest, alert_id: int) -> HttpResponse:
    alert = get_object_or_404(Alert, pk=alert_id, organization=request.organization)
    services.do_dismiss_alert(request.user, alert)
    messages.success(request, "Alert dismissed.")
    return redirect("crisis:alerts")


def _declaration(form: DeclareForm) -> services.Declaration:
    data = form.cleaned_data
    return services.Declaration(
        title=data["title"],
        severity=data["severity"],
        public_summary=data["public_summary"],
        whole_organization=data["whole_organization"],
        departments=list(data["departments"]),
        voices=list(data["voices"]),
        networks=list(data["networks"]),
    )


@member_required
def declare(request: MemberRequest) -> HttpResponse:
    organization, person = request.organization, request.user
    policy.require(person, organization, Permission.DECLARE_INCIDENT)
    alert = None
    alert_id = request.POST.get("alert") or request.GET.get("alert")
    if alert_id and str(alert_id).isdigit():
        alert = get_object_or_404(Alert, pk=int(alert_id), organization=organization)
    initial: dict[str, object] = {"whole_organization": True}
    if alert is not None:
        initial |= {
            "title": alert.headline[:200],
            "public_summary": "We are looking into reports"
            + (f" about {alert.topic}" if alert.topic else "")
            + " and will post updates here.",
            "alert": alert.pk,
        }
    form = DeclareForm(
        request.POST if request.method == "POST" else None,
        initial=initial,
        organization=organization,
    )
    if request.method == "POST" and form.is_valid():
        try:
            incident, paused = services.do_declare_incident(
                person, organization, _declaration(form), alert=alert
            )
        except ServiceError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request,
                f"Incident declared. {deliveries(paused.paused, 'scheduled')} paused"
                + (f"; {paused.sent_before} already being sent." if paused.sent_before else "."),
            )
            return redirect("crisis:incident", incident.pk)
    return render(request, "crisis/declare.html", {"form": form, "alert": alert})


@member_required
def incident(request: MemberRequest, incident_id: int) -> HttpResponse:
    item = _incident(request, incident_id)
    person = request.user
    voices = updates.update_voices(person, item) if item.is_open else []
    runbook = scope.runbook_for(item.organization)
    paused = item.paused.select_related(
        "delivery", "delivery__post", "delivery__voice", "decided_by"
    ).order_by("status", "was_due_at", "pk")
    return render(
        request,
        "crisis/incident.html",
        {
            "incident": item,
            "scope": scope.describe(item),
            "runbook": runbook,
            "responders": list(runbook.responders.all()),
            "paged": list(runbook.paged_people.all()),
            "paused": [p for p in paused if p.status != PauseStatus.SENT_BEFORE_PAUSE],
            "sent_before": [p for p in paused if p.status == PauseStatus.SENT_BEFORE_PAUSE],
            "waiting": sum(1 for p in paused if p.status == PauseStatus.PAUSED),
            "plan": pausing.resume_plan(item) if not item.is_open else [],
            "timeline": item.timeline.select_related("actor"),
            "templates": updates.templates(item),
            "update_form": UpdateForm(voices=voices, initial={"voices": voices}),
            "can_update": bool(voices)
            or policy.can(person, item.organization, Permission.DECLARE_INCIDENT),
            "can_decide": policy.can(person, item.organization, Permission.DECLARE_INCIDENT),
            "status_page": updates.status_page_url(item),
        },
    )


@member_required
def incident_timeline(request: MemberRequest, incident_id: int) -> HttpResponse:
    """The timeline alone, for the incident page to refresh while the incident is open."""
    item = _incident(request, incident_id)
    return render(
        request, "crisis/_timeline.html", {"timeline": item.timeline.select_related("actor")}
    )


@require_POST
@member_required
def post_update(request: MemberRequest, incident_id: int) -> HttpResponse:
    item = _incident(request, incident_id)
    voices = updates.update_voices(request.user, item)
    form = UpdateForm(request.POST, voices=voices)
    if form.is_valid():
        try:
            updates.do_post_update(
                request.user, item, form.cleaned_data["text"], list(form.cleaned_data["voices"])
            )
        except ServiceError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, "Update posted.")
    else:
        messages.error(request, "Write the update, and choose voices from the list.")
    return redirect("crisis:incident", item.pk)


def _when(request: MemberRequest) -> datetime | None:
    value = request.POST.get("at", "").strip()
    if not value:
        return None
    try:
        local = datetime.fromisoformat(value)
    except ValueError as exc:
        raise ServiceError("Give the new time as YYYY-MM-DD HH:MM.", code="when") from exc
    if timezone.is_naive(local):
        local = local.replace(tzinfo=ZoneInfo(request.user.time_zone or "UTC"))
    return local


@require_POST
@member_required
def decide(request: MemberRequest, incident_id: int) -> HttpResponse:
    item = _incident(request, incident_id)
    action = request.POST.get("action", "")
    ids = [int(v) for v in request.POST.getlist("pause") if v.isdigit()]
    try:
        if action == "plan":
            count = services.do_resume_by_plan(request.user, item)
        else:
            count = services.do_decide(
                request.user,
                item,
                action,
                ids if request.POST.get("all") != "1" else None,
                at=_when(request),
            )
    except ServiceError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"{deliveries(count, 'paused')}: done.")
    return redirect("crisis:incident", item.pk)


@member_required
def edit(request: MemberRequest, incident_id: int) -> HttpResponse:
    item = _incident(request, incident_id)
    policy.require(request.user, item.organization, Permission.DECLARE_INCIDENT)
    initial = {
        "title": item.title,
        "severity": item.severity,
        "public_summary": item.public_summary,
        "whole_organization": item.whole_organization,
        "departments": list(item.departments.all()),
        "voices": list(item.voices.all()),
        "networks": item.networks,
    }
    form = DeclareForm(
        request.POST if request.method == "POST" else None,
        initial=initial,
        organization=item.organization,
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.do_update_incident(request.user, item, _declaration(form))
        except ServiceError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "Incident updated.")
            return redirect("crisis:incident", item.pk)
    return render(request, "crisis/declare.html", {"form": form, "incident": item})


@require_POST
@member_required
def end(request: MemberRequest, incident_id: int) -> HttpResponse:
    item = _incident(request, incident_id)
    try:
        plan = services.do_end_incident(request.user, item, request.POST.get("note", ""))
    except ServiceError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            "Incident ended."
            + (
                f" {deliveries(len(plan), 'paused')} wait for you: see the resume plan."
                if plan
                else ""
            ),
        )
    return redirect("crisis:incident", item.pk)


@member_required
def incident_report(request: MemberRequest, incident_id: int, kind: str = "") -> HttpResponse:
    item = _incident(request, incident_id)
    built = report.build(item)
    if kind == "csv":
        response = HttpResponse(report.as_csv(built), content_type="text/csv; charset=utf-8")
        report.record_download(item, request.user, "csv")
        response["Content-Disposition"] = f'attachment; filename="incident-{item.pk}.csv"'
        return response
    context = {
        "report": built,
        "incident": item,
        "timeline": item.timeline.select_related("actor"),
        "svg": report.svg_chart(built),
    }
    if kind == "html":
        response = render(request, "crisis/report_export.html", context)
        report.record_download(item, request.user, "html")
        response["Content-Disposition"] = f'attachment; filename="incident-{item.pk}.html"'
        return response
    return render(request, "crisis/report.html", context)


@member_required
def runbook(request: MemberRequest) -> HttpResponse:
    organization, person = request.organization, request.user
    book = scope.runbook_for(organization)
    can_edit = policy.can(person, organization, Permission.MANAGE_OFFICIAL_VOICES)
    people = [(p.pk, p.full_name or p.email) for p in runbooks.members(organization)]
    initial = {
        "paged_people": [str(pk) for pk in book.paged_people.values_list("pk", flat=True)],
        "responders": [str(pk) for pk in book.responders.values_list("pk", flat=True)],
        "official_voices": list(book.official_voices.all()),
        "paused_categories": book.paused_categories,
        "update_templates": format_templates(book.update_templates or []),
        "holding_statements": format_templates(book.holding_statements or []),
        "review_rules": book.review_rules,
        "alert_emails": book.alert_emails,
    }
    form = RunbookForm(
        request.POST if request.method == "POST" else None,
        initial=initial,
        organization=organization,
        people=people,
        runbook=book,
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            runbooks.do_save_runbook(
                person,
                organization,
                runbooks.RunbookFields(
                    paged_people=[int(v) for v in data["paged_people"]],
                    responders=[int(v) for v in data["responders"]],
                    official_voices=list(data["official_voices"]),
                    paused_categories=data["paused_categories"],
                    update_templates=parse_templates(data["update_templates"]),
                    holding_statements=parse_templates(data["holding_statements"]),
                    review_rules=data["review_rules"],
                    alert_emails=data["alert_emails"],
                    slack_webhook_url=webhook_change(data, "slack"),
                    teams_webhook_url=webhook_change(data, "teams"),
                ),
            )
        except ServiceError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "Runbook saved.")
            return redirect("crisis:runbook")
    return render(request, "crisis/runbook.html", {"form": form, "can_edit": can_edit})
