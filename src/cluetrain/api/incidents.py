"""The incidents endpoints: list, read with timeline, declare, post an update, close.

Every member reads their organisation's incidents; declaring, updating and ending go through
``cluetrain.crisis`` services, which decide who may.
"""

from django.db.models import Prefetch, QuerySet
from django.http import Http404, HttpRequest
from ninja import Query, Router
from ninja.pagination import paginate
from ninja.responses import Status

from cluetrain.api.auth import Caller, caller
from cluetrain.api.errors import ERRORS, ErrorOut
from cluetrain.api.posts import Page
from cluetrain.api.schemas_b import (
    CloseIn,
    DeclaredOut,
    DeclareIn,
    IncidentDetail,
    IncidentFilters,
    IncidentOut,
    UpdateIn,
    UpdateOut,
)
from cluetrain.core.errors import ServiceError
from cluetrain.crisis import services, updates
from cluetrain.crisis.models import Incident, TimelineEvent
from cluetrain.organizations import policy
from cluetrain.organizations.models import Department
from cluetrain.organizations.policy import Permission
from cluetrain.voices.models import Voice

router = Router(tags=["incidents"])


def _visible(who: Caller) -> QuerySet[Incident]:
    policy.require(who.person, who.organization, Permission.VIEW_ORGANIZATION)
    return (
        Incident.objects.filter(organization=who.organization)
        .select_related("declared_by", "ended_by")
        .prefetch_related(
            Prefetch("departments", queryset=Department.objects.only("pk")),
            Prefetch("voices", queryset=Voice.objects.only("pk")),
        )
    )


def load(who: Caller, incident_id: int) -> Incident:
    incident = (
        _visible(who)
        .prefetch_related(
            Prefetch(
                "timeline",
                queryset=TimelineEvent.objects.select_related("actor").order_by("at", "pk"),
            )
        )
        .filter(pk=incident_id)
        .first()
    )
    if incident is None:
        raise Http404(f"There is no incident {incident_id} you can see.")
    return incident


def _named(model: type[Department] | type[Voice], who: Caller, ids: list[int]) -> list:
    found = list(model.objects.filter(organization=who.organization, pk__in=ids))
    missing = set(ids) - {item.pk for item in found}
    if missing:
        raise ServiceError(
            f"There is no {model._meta.verbose_name} {min(missing)} in {who.organization.name}.",
            code="scope",
        )
    return found


@router.get("/incidents", response={200: list[IncidentOut], 400: ErrorOut, 401: ErrorOut})
@paginate(Page)
def list_incidents(request: HttpRequest, filters: Query[IncidentFilters]) -> QuerySet[Incident]:
    """The organisation's incidents, newest first."""
    incidents = _visible(caller(request))
    if filters.status:
        incidents = incidents.filter(status=filters.status)
    if filters.severity:
        incidents = incidents.filter(severity=filters.severity)
    return incidents.order_by("-declared_at", "-pk")


@router.get("/incidents/{incident_id}", response={200: IncidentDetail, **ERRORS})
def get_incident(request: HttpRequest, incident_id: int) -> Incident:
    """One incident with its timeline, oldest event first."""
    return load(caller(request), incident_id)


@router.post("/incidents", response={201: DeclaredOut, **ERRORS})
def declare_incident(request: HttpRequest, payload: DeclareIn) -> Status:
    """Declare an incident: every post it covers is paused in the same transaction."""
    who = caller(request)
    declaration = services.Declaration(
        title=payload.title,
        severity=payload.severity,
        public_summary=payload.public_summary,
        whole_organization=payload.whole_organization,
        departments=_named(Department, who, payload.department_ids),
        voices=_named(Voice, who, payload.voice_ids),
        networks=payload.networks,
    )
    incident, paused = services.do_declare_incident(who.person, who.organization, declaration)
    return Status(201, {"incident": load(who, incident.pk), "paused": paused.paused})


@router.post("/incidents/{incident_id}/updates", response={201: UpdateOut, **ERRORS})
def post_update(request: HttpRequest, incident_id: int, payload: UpdateIn) -> Status:
    """Publish a status update on the status page, and through the runbook's voices named."""
    who = caller(request)
    incident = load(who, incident_id)
    voices = _named(Voice, who, payload.voice_ids)
    update = updates.do_post_update(who.person, incident, payload.text, voices)
    post_ids = list(update.posts.values_list("pk", flat=True))
    return Status(
        201,
        UpdateOut(id=update.pk, text=update.text, post_ids=post_ids, created_at=update.created_at),
    )


@router.post("/incidents/{incident_id}/close", response={200: IncidentDetail, **ERRORS})
def close_incident(
    request: HttpRequest, incident_id: int, payload: CloseIn | None = None
) -> Incident:
    """End the incident. Paused posts stay paused until someone decides (in the app)."""
    who = caller(request)
    services.do_end_incident(who.person, load(who, incident_id), payload.note if payload else "")
    return load(who, incident_id)
