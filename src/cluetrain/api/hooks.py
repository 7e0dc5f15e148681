"""The webhooks endpoints: register, read, change and delete endpoints; their delivery log.

For the organisation's administrators only (``cluetrain.hooks.services`` decides). The secret
is in the answer that creates an endpoint and nowhere else.
"""

from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from ninja import Router
from ninja.pagination import paginate
from ninja.responses import Status

from cluetrain.api.auth import Caller, caller
from cluetrain.api.errors import ERRORS
from cluetrain.api.posts import Page
from cluetrain.api.schemas_b import (
    DeliveryOut,
    EndpointCreated,
    EndpointIn,
    EndpointOut,
    EndpointPatch,
)
from cluetrain.hooks import services
from cluetrain.hooks.models import Endpoint, HookDelivery

router = Router(tags=["webhooks"])


def _load(who: Caller, endpoint_id: int) -> Endpoint:
    found = services.endpoints_of(who.person, who.organization).filter(pk=endpoint_id).first()
    if found is None:
        raise Http404(f"There is no webhook {endpoint_id} in {who.organization.name}.")
    return found


@router.get("/webhooks", response={200: list[EndpointOut], **ERRORS})
def list_webhooks(request: HttpRequest) -> QuerySet[Endpoint]:
    """The organisation's webhook endpoints."""
    who = caller(request)
    return services.endpoints_of(who.person, who.organization)


@router.post("/webhooks", response={201: EndpointCreated, **ERRORS})
def create_webhook(request: HttpRequest, payload: EndpointIn) -> Status:
    """Register an endpoint. The answer holds its signing secret, which is not shown again."""
    who = caller(request)
    endpoint, secret = services.do_create_endpoint(
        who.person, who.organization, payload.url, payload.events, payload.description
    )
    out = EndpointOut.from_orm(endpoint).dict()
    return Status(201, {**out, "secret": secret})


@router.get("/webhooks/{endpoint_id}", response={200: EndpointOut, **ERRORS})
def get_webhook(request: HttpRequest, endpoint_id: int) -> Endpoint:
    return _load(caller(request), endpoint_id)


@router.patch("/webhooks/{endpoint_id}", response={200: EndpointOut, **ERRORS})
def change_webhook(request: HttpRequest, endpoint_id: int, payload: EndpointPatch) -> Endpoint:
    """Choose other events, or switch the endpoint off (nothing is sent) and on again."""
    who = caller(request)
    return services.do_update_endpoint(
        who.person, _load(who, endpoint_id), events=payload.events, is_active=payload.is_active
    )


@router.delete("/webhooks/{endpoint_id}", response={204: None, **ERRORS})
def delete_webhook(request: HttpRequest, endpoint_id: int) -> Status:
    who = caller(request)
    services.do_delete_endpoint(who.person, _load(who, endpoint_id))
    return Status(204, None)


@router.get(
    "/webhooks/{endpoint_id}/deliveries",
    response={200: list[DeliveryOut], **ERRORS},
)
@paginate(Page)
def list_deliveries(request: HttpRequest, endpoint_id: int) -> QuerySet[HookDelivery]:
    """The endpoint's delivery log, newest first."""
    endpoint = _load(caller(request), endpoint_id)
    deliveries = HookDelivery.objects.filter(endpoint=endpoint).select_related("hook_event")
    return deliveries.order_by("-pk")


@router.post(
    "/webhooks/{endpoint_id}/deliveries/{delivery_id}/redeliver",
    response={200: DeliveryOut, **ERRORS},
)
def redeliver(request: HttpRequest, endpoint_id: int, delivery_id: int) -> HookDelivery:
    """Send a delivery again soon, with the same delivery id."""
    who = caller(request)
    endpoint = _load(who, endpoint_id)
    found = HookDelivery.objects.select_related("endpoint__organization", "hook_event").filter(
        pk=delivery_id, endpoint=endpoint
    )
    delivery = found.first()
    if delivery is None:
        raise Http404(f"There is no delivery {delivery_id} of this webhook.")
    services.do_redeliver(who.person, delivery)
    return found.get()
