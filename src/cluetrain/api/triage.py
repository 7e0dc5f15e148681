"""The triage endpoints: correct a message's triage or a conversation's routing, and list the
corrections made. Each correction is stored as a labelled example the organisation's model
learns from, through ``cluetrain.triage.services`` (the same the inbox page uses).
"""

from typing import Any

from django.http import Http404, HttpRequest
from ninja import Router
from ninja.pagination import paginate
from ninja.responses import Status

from cluetrain.api.auth import caller
from cluetrain.api.conversations import load_conversation
from cluetrain.api.errors import ERRORS, ErrorOut
from cluetrain.api.ids import id_in_path
from cluetrain.api.lazy import Mapped
from cluetrain.api.posts import Page
from cluetrain.api.schemas_work import (
    ChangedOut,
    CorrectionIn,
    CorrectionOut,
    CorrectionResult,
    RouteIn,
    person_ref,
)
from cluetrain.inbox import services as inbox_services
from cluetrain.listening.models import Message
from cluetrain.organizations import policy
from cluetrain.organizations.models import Department
from cluetrain.organizations.policy import Permission
from cluetrain.triage import services
from cluetrain.triage.models import Correction

router = Router(tags=["triage"])


def correction_out(correction: Correction) -> CorrectionOut:
    return CorrectionOut(
        id=correction.pk,
        message_id=correction.message_id,
        field=correction.field,
        old_value=correction.old_value,
        new_value=correction.new_value,
        made_by=person_ref(correction.made_by),
        made_at=correction.made_at,
    )


@router.get(
    "/corrections", response={200: list[CorrectionOut], 400: ErrorOut, 401: ErrorOut, 403: ErrorOut}
)
@paginate(Page)
def list_corrections(request: HttpRequest) -> list[CorrectionOut]:
    """Corrections made in the organisation, newest first: what the model learns from next."""
    who = caller(request)
    policy.require(who.person, who.organization, Permission.WORK_INBOX)
    corrections = (
        Correction.objects.filter(organization=who.organization)
        .select_related("made_by")
        .order_by("-made_at", "-pk")
    )
    return Mapped(corrections, correction_out)  # type: ignore[return-value]


@router.post(
    "/messages/{message_id}/corrections",
    response={200: CorrectionResult, 201: CorrectionResult, **ERRORS},
)
def correct(request: HttpRequest, payload: CorrectionIn, message_id: int = id_in_path()) -> Any:
    """Correct one part of a heard message's triage (intent, urgency, sentiment, topic,
    department, complaint, incident, language). 201 with the stored example; 200 with
    ``changed: false`` when the message already had that value."""
    who = caller(request)
    policy.require(who.person, who.organization, Permission.WORK_INBOX)
    message = (
        Message.objects.select_related("organization", "department", "conversation")
        .filter(organization=who.organization, pk=message_id)
        .first()
    )
    if message is None:
        raise Http404(f"There is no message {message_id} in {who.organization.name}.")
    value = payload.value
    if payload.field == "department" and value is not None and not isinstance(value, bool):
        value = str(value)
    correction = services.do_correct(who.person, message, payload.field, value)
    if correction is None:
        return {"changed": False, "correction": None}
    return Status(201, {"changed": True, "correction": correction_out(correction)})


@router.post("/conversations/{conversation_id}/route", response={200: ChangedOut, **ERRORS})
def route(
    request: HttpRequest, payload: RouteIn, conversation_id: int = id_in_path()
) -> dict[str, int]:
    """Send a conversation where it belongs: a department's queue and/or a person. Learned
    from, as a correction of its latest message's department and as the person's expertise."""
    who = caller(request)
    conversation = load_conversation(who, conversation_id)
    department = assignee = None
    if payload.department_id is not None:
        department = Department.objects.filter(
            organization=who.organization, pk=payload.department_id
        ).first()
        if department is None:
            raise Http404(
                f"{payload.department_id} is not a department of {who.organization.name}."
            )
    if payload.assignee_id is not None:
        assignee = (
            inbox_services.colleagues(who.organization).filter(pk=payload.assignee_id).first()
        )
        if assignee is None:
            raise Http404(f"{payload.assignee_id} is not a colleague in {who.organization.name}.")
    changed = services.do_correct_routing(
        who.person, conversation, department=department, assignee=assignee
    )
    return {"changed": changed}
