"""Settings → Listening: the sources, their state, and adding, editing or pausing one.

Every member may look; directors, admins and coordinators may change (the services decide).
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from cluetrain.core.errors import ServiceError
from cluetrain.listening import services
from cluetrain.listening.forms import SourceForm
from cluetrain.listening.models import Source
from cluetrain.organizations import policy
from cluetrain.organizations.decorators import member_required
from cluetrain.organizations.policy import Permission
from cluetrain.organizations.requests import MemberRequest


@member_required
def index(request: MemberRequest) -> HttpResponse:
    organization = request.organization
    sources = Source.objects.filter(organization=organization).select_related("voice")
    return render(
        request,
        "listening/index.html",
        {
            "sources": sources.order_by("kind", "name"),
            "can_edit": policy.can(request.user, organization, Permission.MANAGE_OFFICIAL_VOICES),
        },
    )


@member_required
def edit(request: MemberRequest, source_id: int | None = None) -> HttpResponse:
    organization, person = request.organization, request.user
    policy.require(person, organization, Permission.MANAGE_OFFICIAL_VOICES)
    source = (
        get_object_or_404(Source, pk=source_id, organization=organization) if source_id else None
    )
    initial = {}
    if source is not None:
        initial = {
            name: getattr(source, name)
            for name in (
                "kind",
                "name",
                "url",
                "voice",
                "keywords",
                "hashtags",
                "domains",
                "enabled",
            )
        }
    form = SourceForm(request.POST or None, initial=initial, organization=organization)
    if source is not None:
        form.fields["kind"].disabled = True
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.do_save_source(
                person,
                organization,
                kind=form.cleaned_data["kind"] if source is None else source.kind,
                fields=form.cleaned_data,
                source=source,
            )
        except ServiceError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"Saved {saved.name}.")
            return redirect("listening:index")
    return render(request, "listening/edit.html", {"form": form, "source": source})


@require_POST
@member_required
def toggle(request: MemberRequest, source_id: int) -> HttpResponse:
    source = get_object_or_404(Source, pk=source_id, organization=request.organization)
    enabled = request.POST.get("enabled") == "1"
    services.do_set_source_enabled(request.user, request.organization, source, enabled)
    messages.success(request, f"{source.name}: {'listening' if enabled else 'paused'}.")
    return redirect("listening:index")
