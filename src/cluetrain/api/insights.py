"""The insights endpoints: a dashboard's figures for the organisation, a department, a voice or
a person over a date range.

Who may read which dashboard is decided by ``cluetrain.insights.views_access`` (the same rules
as the pages); the figures are the dashboard's own tables (``cluetrain.insights.export``), read
from the roll-ups. Each answer is audited as an export (``data.exported``, via "api"): it hands
out the figures of the dashboards' CSV files.
"""

from datetime import date, timedelta
from types import SimpleNamespace
from typing import Any, cast

from django.http import HttpRequest
from ninja import Query, Router

from cluetrain.api.auth import Caller, caller
from cluetrain.api.errors import ERRORS
from cluetrain.api.schemas_b import InsightsOut, InsightsQuery, TableOut
from cluetrain.core.errors import ServiceError
from cluetrain.insights import export, views_access
from cluetrain.insights.forms import check_span, today_in
from cluetrain.insights.views_access import Target
from cluetrain.organizations import policy
from cluetrain.organizations.policy import Permission
from cluetrain.organizations.requests import MemberRequest

router = Router(tags=["insights"])
DEFAULT_DAYS = 30


def _as_request(who: Caller) -> MemberRequest:
    # The access rules read only who asks and in which organisation.
    policy.require(who.person, who.organization, Permission.VIEW_ORGANIZATION)
    return cast(MemberRequest, SimpleNamespace(user=who.person, organization=who.organization))


def _range(who: Caller, query: InsightsQuery) -> tuple[date, date]:
    end = query.end or today_in(who.organization.time_zone)
    start = query.start or end - timedelta(days=DEFAULT_DAYS - 1)
    problem = check_span(start, end)
    if problem:
        raise ServiceError(problem, code="range")
    return start, end


def _answer(who: Caller, target: Target, query: InsightsQuery) -> dict[str, Any]:
    start, end = _range(who, query)
    snapshot = target.snapshot(start, end)
    available = export.table_names(snapshot)
    wanted = [name.strip() for name in query.tables.split(",") if name.strip()]
    names = available if wanted == ["all"] else list(dict.fromkeys(wanted)) or ["summary"]
    tables = []
    for name in names:
        built = export.build(snapshot, name)  # ServiceError naming the tables for a wrong one
        tables.append(
            TableOut(name=built.name, title=built.title, header=built.header, rows=built.rows)
        )
    export.record_api_read(snapshot, names, who.person)
    return {
        "scope": target.kind,
        "title": target.title,
        "start": start,
        "end": end,
        "time_zone": snapshot.time_zone,
        "tables": tables,
        "available": available,
    }


@router.get("/insights", response={200: InsightsOut, **ERRORS})
def organization_insights(request: HttpRequest, query: Query[InsightsQuery]) -> dict[str, Any]:
    """The organisation's dashboard (needs the right to view insights)."""
    who = caller(request)
    return _answer(who, views_access.organization_target(_as_request(who)), query)


@router.get("/insights/departments/{department_id}", response={200: InsightsOut, **ERRORS})
def department_insights(
    request: HttpRequest, department_id: int, query: Query[InsightsQuery]
) -> dict[str, Any]:
    """A department's dashboard."""
    who = caller(request)
    return _answer(who, views_access.department_target(_as_request(who), department_id), query)


@router.get("/insights/voices/{voice_id}", response={200: InsightsOut, **ERRORS})
def voice_insights(
    request: HttpRequest, voice_id: int, query: Query[InsightsQuery]
) -> dict[str, Any]:
    """A voice's dashboard (its owner may read a personal voice's)."""
    who = caller(request)
    return _answer(who, views_access.voice_target(_as_request(who), voice_id), query)


@router.get("/insights/people/{person_id}", response={200: InsightsOut, **ERRORS})
def person_insights(
    request: HttpRequest, person_id: int, query: Query[InsightsQuery]
) -> dict[str, Any]:
    """A person's dashboard: anyone's own, others' with the right to view insights."""
    who = caller(request)
    return _answer(who, views_access.person_target(_as_request(who), person_id), query)
