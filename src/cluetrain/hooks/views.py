"""Settings → Webhooks: register endpoints, read each one's delivery log, send again.

Only the organisation's administrators see these pages; the services decide (403 otherwise).
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from cluetrain.core.errors import ServiceError
from cluetrain.hooks import services
from cluetrain.hooks.models import Endpoint, Event, HookDelivery
from cluetrain.organizations.decorators import member_required
from cluetrain.organizations.requests import MemberRequest


class EndpointForm(forms.Form):
    url = forms.CharField(label="Address (https://…)", max_length=500)
    description = forms.CharField(label="What it is for", max_length=200, required=False)
    events = forms.MultipleChoiceField(
        choices=Event.choices, widget=forms.CheckboxSelectMultiple, label="Events to send"
    )


class EditForm(forms.Form):
    events = forms.MultipleChoiceField(
        choices=Event.choices, widget=forms.CheckboxSelectMultiple, label="Events to send"
    )
    is_active = forms.BooleanField(label="Send deliveries", required=False)


def _endpoint(request: MemberRequest, pk: int) -> Endpoint:
    services.require_manage(request.user, request.organization)
    return get_object_or_404(Endpoint, pk=pk, organization=request.organization)


@member_required
def index(request: MemberRequest) -> HttpResponse:
    endpoints = services.endpoints_of(request.user, request.organization)
    form = EndpointForm(request.POST or None)
    secret = None
    if request.method == "POST" and form.is_valid():
        try:
            created, secret = services.do_create_endpoint(
                request.user,
                request.organization,
                form.cleaned_data["url"],
                form.cleaned_data["events"],
                form.cleaned_data["description"],
            )
        except ServiceError as exc:
            form.add_error("events" if exc.code == "events" else "url", exc.message)
        else:
            # The secret is shown on this answer only; it is stored encrypted.
            context = {"endpoint": created, "secret": secret}
            return render(request, "hooks/created.html", context, status=201)
    status = 400 if request.method == "POST" else 200
    context = {"endpoints": endpoints, "form": form, "events": dict(Event.choices)}
    return render(request, "hooks/index.html", context, status=status)


@member_required
def endpoint(request: MemberRequest, pk: int) -> HttpResponse:
    item = _endpoint(request, pk)
    deliveries = HookDelivery.objects.filter(endpoint=item).select_related("hook_event")
    page = Paginator(deliveries.order_by("-pk"), 50).get_page(request.GET.get("page"))
    return render(request, "hooks/endpoint.html", {"endpoint": item, "page": page})


@member_required
def edit(request: MemberRequest, pk: int) -> HttpResponse:
    item = _endpoint(request, pk)
    initial = {"events": item.events, "is_active": item.is_active}
    form = EditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.do_update_endpoint(
                request.user,
                item,
                events=form.cleaned_data["events"],
                is_active=form.cleaned_data["is_active"],
            )
        except ServiceError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "Webhook saved.")
            return redirect("hooks:endpoint", item.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "hooks/edit.html", {"endpoint": item, "form": form}, status=status)


@require_POST
@member_required
def delete(request: MemberRequest, pk: int) -> HttpResponse:
    services.do_delete_endpoint(request.user, _endpoint(request, pk))
    messages.success(request, "Webhook deleted; nothing more will be sent to it.")
    return redirect("hooks:index")


@require_POST
@member_required
def redeliver(request: MemberRequest, pk: int) -> HttpResponse:
    services.require_manage(request.user, request.organization)
    delivery = get_object_or_404(
        HookDelivery.objects.select_related("endpoint__organization"),
        pk=pk,
        endpoint__organization=request.organization,
    )
    try:
        services.do_redeliver(request.user, delivery)
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "The delivery will be sent again in a moment.")
    return redirect("hooks:endpoint", delivery.endpoint_id)
