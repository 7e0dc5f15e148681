"""Insights pages: the dashboards of the organisation, a department, a voice and a person, the
CSV of each of their tables, and "use these slots". Thin: the numbers come from ``measures``
through ``export.Snapshot``; who may see what is decided by ``policy`` in ``views_access``."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from cluetrain.core.errors import NotAllowed, ServiceError
from cluetrain.insights import export
from cluetrain.insights.forms import RangeForm, today_in
from cluetrain.insights.views_access import (
    Target,
    department_target,
    organization_target,
    person_target,
    voice_target,
)
from cluetrain.insights.views_charts import chart_for
from cluetrain.organizations.decorators import member_required
from cluetrain.organizations.requests import MemberRequest
from cluetrain.voices.models import Voice

# The page's sections, in order: (anchor, heading, tables drawn in it).
SECTIONS: list[tuple[str, str, list[str]]] = [
    ("engagement", "Engagement", ["engagement", "top_posts"]),
    ("conversations", "Conversations and response times", ["conversations"]),
    ("mix", "Sentiment and intent over time", ["sentiment", "intents"]),
    ("topics", "Top topics", ["topics"]),
    ("participation", "Participation", ["participation"]),
    ("frequency", "Frequency", ["heat", "cadence"]),
    ("self-sufficiency", "Self-sufficiency", ["self_sufficiency"]),
    ("training", "Training funnel", ["training"]),
]


def _range(request: MemberRequest) -> tuple[RangeForm, Any]:
    form = RangeForm(request.GET, today=today_in(request.organization.time_zone))
    return form, (form.chosen() if form.is_valid() else None)


def _dashboard(request: MemberRequest, target: Target) -> HttpResponse:
    form, chosen = _range(request)
    context: dict[str, Any] = {"target": target, "form": form}
    if chosen is None:
        # A bad range is the visitor's mistake, said plainly above the picker (not a 500).
        context["problems"] = form.problems()
        return render(request, "insights/dashboard.html", context, status=400)
    snapshot = target.snapshot(chosen.start, chosen.end)
    names = export.table_names(snapshot)
    sections = []
    for anchor, heading, tables in SECTIONS:
        shown = [name for name in tables if name in names]
        if not shown:
            continue
        blocks = []
        can_apply = _can_apply_slots()
        for name in shown:
            table = export.build(snapshot, name)
            blocks.append(
                {
                    "table": table,
                    "chart": chart_for(snapshot, table),
                    "csv": target.csv_url(name) + "?" + chosen.query(),
                    "actions": bool(table.keys) and can_apply,
                }
            )
        sections.append({"anchor": anchor, "heading": heading, "blocks": blocks})
    context.update(
        {
            "range": chosen,
            "snapshot": snapshot,
            "sections": sections,
            "summary_csv": target.csv_url("summary") + "?" + chosen.query(),
            "report_month": chosen.end.strftime("%Y-%m"),
        }
    )
    return render(request, "insights/dashboard.html", context)


def _csv(request: MemberRequest, target: Target, table: str) -> HttpResponse:
    form, chosen = _range(request)
    if chosen is None:
        return HttpResponse(
            " ".join(form.problems()), status=400, content_type="text/plain; charset=utf-8"
        )
    snapshot = target.snapshot(chosen.start, chosen.end)
    try:
        built = export.build(snapshot, table)
    except ServiceError as exc:
        return HttpResponse(str(exc), status=404, content_type="text/plain; charset=utf-8")
    response = HttpResponse(export.as_csv(built), content_type="text/csv; charset=utf-8")
    export.record_download(snapshot, table, request.user, via="web")
    response["Content-Disposition"] = f'attachment; filename="{export.filename(snapshot, table)}"'
    return response


def _can_apply_slots() -> bool:
    try:
        from cluetrain.insights.frequency import do_apply_recommended_slots  # noqa: F401
    except ImportError:
        return False
    return True


@member_required
def index(request: MemberRequest) -> HttpResponse:
    try:
        target = organization_target(request)
    except NotAllowed as exc:
        # Everyone finds Insights in the navigation; those who may not read the organisation's
        # numbers are refused with the way to their own.
        return render(request, "insights/own_only.html", {"reason": str(exc)}, status=403)
    return _dashboard(request, target)


@member_required
def department(request: MemberRequest, department_id: int) -> HttpResponse:
    return _dashboard(request, department_target(request, department_id))


@member_required
def voice(request: MemberRequest, voice_id: int) -> HttpResponse:
    return _dashboard(request, voice_target(request, voice_id))


@member_required
def person(request: MemberRequest, person_id: int) -> HttpResponse:
    return _dashboard(request, person_target(request, person_id))


@member_required
def index_csv(request: MemberRequest, table: str) -> HttpResponse:
    return _csv(request, organization_target(request), table)


@member_required
def department_csv(request: MemberRequest, department_id: int, table: str) -> HttpResponse:
    return _csv(request, department_target(request, department_id), table)


@member_required
def voice_csv(request: MemberRequest, voice_id: int, table: str) -> HttpResponse:
    return _csv(request, voice_target(request, voice_id), table)


@member_required
def person_csv(request: MemberRequest, person_id: int, table: str) -> HttpResponse:
    return _csv(request, person_target(request, person_id), table)


@member_required
@require_POST
def apply_slots(request: MemberRequest, voice_id: int) -> HttpResponse:
    """ "Use these slots": the voice's recommended posting slots become its publishing queue."""
    item = get_object_or_404(Voice, pk=voice_id, organization=request.organization)
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, {request.get_host()}, require_https=False):
        back = ""
    back = back or reverse("insights:voice", args=[item.pk])
    try:
        from cluetrain.insights.frequency import do_apply_recommended_slots
    except ImportError:
        messages.error(request, "Recommended slots cannot be applied on this installation yet.")
        return redirect(back)
    try:
        do_apply_recommended_slots(request.user, item)
    except (ServiceError, NotAllowed) as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"{item.name}'s publishing queue now uses the recommended slots.")
    return redirect(back)
