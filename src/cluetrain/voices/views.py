from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from cluetrain.core.errors import ServiceError
from cluetrain.organizations import policy
from cluetrain.organizations.decorators import member_required
from cluetrain.organizations.policy import Permission
from cluetrain.organizations.requests import MemberRequest
from cluetrain.voices import services
from cluetrain.voices.forms import ConnectPersonalVoiceForm, GrantAccessForm, OfficialVoiceForm
from cluetrain.voices.models import Voice


@member_required
def index(request: MemberRequest) -> HttpResponse:
    organization = request.organization
    person = request.user
    connect_form = ConnectPersonalVoiceForm(
        request.POST if request.POST.get("action") == "connect" else None
    )
    official_form = OfficialVoiceForm(
        request.POST if request.POST.get("action") == "official" else None,
        organization=organization,
    )
    if request.method == "POST":
        try:
            if request.POST.get("action") == "connect" and connect_form.is_valid():
                services.do_connect_personal_voice(
                    person,
                    organization,
                    **connect_form.cleaned_data,
                )
                messages.success(request, "Your voice is connected. Only you can post from it.")
                return redirect("voices:index")
            if request.POST.get("action") == "official" and official_form.is_valid():
                services.do_create_official_voice(
                    person,
                    organization,
                    **official_form.cleaned_data,
                )
                messages.success(request, "Official voice created.")
                return redirect("voices:index")
        except ServiceError as exc:
            form = connect_form if request.POST.get("action") == "connect" else official_form
            form.add_error(None, exc.message)
    voices = (
        Voice.objects.filter(organization=organization)
        .select_related("owner", "department")
        .order_by("kind", "name")
    )
    return render(
        request,
        "voices/index.html",
        {
            "voices": voices,
            "connect_form": connect_form,
            "official_form": official_form,
            "can_manage_official": policy.can(
                person,
                organization,
                Permission.MANAGE_OFFICIAL_VOICES,
            ),
        },
    )


@member_required
def detail(request: MemberRequest, voice_id: int) -> HttpResponse:
    organization = request.organization
    voice = get_object_or_404(
        Voice.objects.select_related("owner", "department"), pk=voice_id, organization=organization
    )
    can_manage = not voice.is_personal and policy.can(
        request.user,
        organization,
        Permission.MANAGE_OFFICIAL_VOICES,
    )
    form = GrantAccessForm(request.POST or None, organization=organization)
    if request.method == "POST" and form.is_valid():
        try:
            if request.POST.get("action") == "revoke":
                services.do_revoke_voice_access(request.user, voice, form.cleaned_data["person"])
                messages.success(request, "Access withdrawn.")
            else:
                services.do_grant_voice_access(request.user, voice, form.cleaned_data["person"])
                messages.success(request, "Access granted.")
            return redirect("voices:detail", voice_id=voice.pk)
        except ServiceError as exc:
            form.add_error(None, exc.message)
    return render(
        request,
        "voices/detail.html",
        {
            "voice": voice,
            "access": voice.access.select_related("person").order_by("person__full_name"),
            "form": form,
            "can_manage": can_manage,
            "can_post": policy.can_post_as(request.user, voice),
        },
    )
