"""The monthly report: one printable page with a month's key numbers against the month before,
its charts and tables; "Print / save as PDF" is the browser's own print dialog."""

from __future__ import annotations

from datetime import timedelta

from django.http import HttpResponse
from django.shortcuts import render

from cluetrain.core.errors import ServiceError
from cluetrain.insights import export
from cluetrain.insights.views_charts import chart_for
from cluetrain.organizations import policy
from cluetrain.organizations.decorators import member_required
from cluetrain.organizations.policy import Permission
from cluetrain.organizations.requests import MemberRequest

# What the report shows under its key numbers, each on its own printed page.
REPORT_TABLES = ["engagement", "top_posts", "conversations", "sentiment", "topics", "participation"]


@member_required
def report(request: MemberRequest, year: str, month: str, kind: str = "") -> HttpResponse:
    organization = request.organization
    policy.require(request.user, organization, Permission.VIEW_INSIGHTS)
    try:
        start, end = export.month_span(int(year), int(month))
        # The month before must be one too (the first month there is has none).
        before_start, before_end = export.month_span(*export.previous_month(start))
    except ServiceError as exc:
        return render(request, "insights/report.html", {"problem": str(exc)}, status=404)
    current = export.Snapshot(organization, start, end)
    previous = export.Snapshot(organization, before_start, before_end)
    compared = export.comparison(current, previous)
    if kind == "csv":
        response = HttpResponse(export.as_csv(compared), content_type="text/csv; charset=utf-8")
        export.record_download(current, "report", request.user, via="web")
        response["Content-Disposition"] = (
            f'attachment; filename="{organization.slug}-report-{start:%Y-%m}.csv"'
        )
        return response
    blocks = []
    for name in REPORT_TABLES:
        table = export.build(current, name)
        blocks.append({"table": table, "chart": chart_for(current, table)})
    prev_year, prev_month = export.previous_month(start)
    following = end + timedelta(days=1)
    return render(
        request,
        "insights/report.html",
        {
            "start": start,
            "end": end,
            "compared": compared,
            "blocks": blocks,
            "previous": f"{prev_year:04d}-{prev_month:02d}",
            "following": f"{following:%Y-%m}",
            "csv": f"{start:%Y-%m}",
        },
    )
