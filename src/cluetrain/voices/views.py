"""The Voices pages: the list with each voice's health, connecting, and one voice's page.

Thin: each form goes to one function of ``voices.connect`` or ``voices.services``, which check
who may do it; the views only pick the form and say what happened.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render

from cluetrain.core.errors import ServiceError
from cluetrain.organizations import policy
from cluetrain.organizations.decorators import member_required
from cluetrain.organizations.policy import Permission
from cluetrain.organizations.requests import MemberRequest
from cluetrain.voices import connect, services
from cluetrain.voices.forms import (
    BlueskyForm,
    GrantAccessForm,
    MastodonForm,
    OfficialBlueskyForm,
    OfficialFields,
    OfficialMastodonForm,
    ReconnectBlueskyForm,
    ReconnectWebhookForm,
    WebhookForm,
)
from cluetrain.voices.models import Network, Voice

# The person's Mastodon connection in progress, between leaving for the instance and coming back.
MASTODON_PENDING = "voices.mastodon_pending"

Handler = Callable[[MemberRequest, dict[str, Any]], HttpResponse]


@dataclass(frozen=True)
class Choice:
    """One way to connect a voice: a network, for oneself or as an official voice."""

    action: str  # the posted "action", also the form's prefix so that field ids stay unique
    label: str
    intro: str
    button: str
    form: type[forms.Form]
    official: bool
    handler: Handler


def _official(data: dict[str, Any]) -> dict[str, Any]:
    return {"official": True, "department": data["department"], "name": data["name"]}


def _connected(request: MemberRequest, voice: Voice) -> HttpResponse:
    if voice.is_personal:
        messages.success(
            request,
            f"Your {voice.get_network_display()} account {voice.handle} is connected. "
            "Only you can post from it.",
        )
    else:
        messages.success(request, f"{voice.name} is connected ({voice.get_network_display()}).")
    return redirect("voices:index")


def _to_mastodon(
    request: MemberRequest, start: connect.MastodonStart, *, reconnect: bool = False
) -> HttpResponse:
    request.session[MASTODON_PENDING] = {"pending": start.pending, "reconnect": reconnect}
    return redirect(start.authorize_url)


def _bluesky(official: bool) -> Handler:
    def handle(request: MemberRequest, data: dict[str, Any]) -> HttpResponse:
        extra = _official(data) if official else {}
        voice = connect.do_connect_bluesky(
            request.user,
            request.organization,
            data["handle"],
            data["app_password"],
            data["service"],
            **extra,
        )
        return _connected(request, voice)

    return handle


def _mastodon(official: bool) -> Handler:
    def handle(request: MemberRequest, data: dict[str, Any]) -> HttpResponse:
        extra = _official(data) if official else {}
        start = connect.start_mastodon(
            request.user,
            request.organization,
            data["instance"],
            connect.mastodon_redirect_uri(),
            **extra,
        )
        return _to_mastodon(request, start)

    return handle


def _practice(official: bool) -> Handler:
    def handle(request: MemberRequest, data: dict[str, Any]) -> HttpResponse:
        extra = _official(data) if official else {}
        voice = connect.do_create_practice_voice(request.user, request.organization, **extra)
        return _connected(request, voice)

    return handle


def _webhook(request: MemberRequest, data: dict[str, Any]) -> HttpResponse:
    voice = connect.do_connect_webhook(
        request.user,
        request.organization,
        data["url"],
        data["secret"],
        data["format"],
        department=data["department"],
        name=data["name"],
    )
    return _connected(request, voice)


def _feed(request: MemberRequest, data: dict[str, Any]) -> HttpResponse:
    voice = connect.do_create_feed_voice(
        request.user, request.organization, department=data["department"], name=data["name"]
    )
    messages.success(request, f"{voice.name} now has its own public Atom and RSS feed.")
    return redirect("voices:detail", voice_id=voice.pk)


CHOICES = [
    Choice(
        "bluesky",
        "Bluesky",
        "With an app password: Cluetrain can post, but cannot change or delete the account.",
        "Connect Bluesky",
        BlueskyForm,
        False,
        _bluesky(official=False),
    ),
    Choice(
        "mastodon",
        "Mastodon",
        "You approve Cluetrain on your Mastodon server and come back here.",
        "Continue on Mastodon",
        MastodonForm,
        False,
        _mastodon(official=False),
    ),
    Choice(
        "practice",
        "Practice space",
        "Posts stay inside Cluetrain: a safe place to learn. Nothing to connect.",
        "Start practising",
        forms.Form,
        False,
        _practice(official=False),
    ),
    Choice(
        "official-bluesky",
        "Bluesky",
        "The organisation's or a department's Bluesky account, with an app password.",
        "Connect Bluesky",
        OfficialBlueskyForm,
        True,
        _bluesky(official=True),
    ),
    Choice(
        "official-mastodon",
        "Mastodon",
        "Sign in on the Mastodon server as the organisation's account and approve Cluetrain.",
        "Continue on Mastodon",
        OfficialMastodonForm,
        True,
        _mastodon(official=True),
    ),
    Choice(
        "webhook",
        "Webhook",
        "Each post goes, signed, to an address: a Slack or Teams channel, an intranet.",
        "Connect webhook",
        WebhookForm,
        True,
        _webhook,
    ),
    Choice(
        "feed",
        "Atom feed",
        "Cluetrain serves the posts as a public Atom and RSS feed anyone can follow.",
        "Create feed",
        OfficialFields,
        True,
        _feed,
    ),
    Choice(
        "official-practice",
        "Practice space",
        "Rehearse a department's voice: posts stay inside Cluetrain.",
        "Create practice voice",
        OfficialFields,
        True,
        _practice(official=True),
    ),
]
BY_ACTION = {choice.action: choice for choice in CHOICES}


@dataclass(frozen=True)
class Box:
    """A choice on the page with its form; ``open`` when it is the one just submitted."""

    choice: Choice
    form: forms.Form
    open: bool


def _form(choice: Choice, request: MemberRequest, bound: bool) -> forms.Form:
    kwargs: dict[str, Any] = {"prefix": choice.action}
    if choice.official:
        kwargs["organization"] = request.organization
    return choice.form(request.POST if bound else None, **kwargs)


@member_required
def index(request: MemberRequest) -> HttpResponse:
    organization, person = request.organization, request.user
    can_manage = policy.can(person, organization, Permission.MANAGE_OFFICIAL_VOICES)
    action = request.POST.get("action", "") if request.method == "POST" else ""
    if request.method == "POST":
        choice = BY_ACTION.get(action)
        if choice is None:
            return HttpResponseBadRequest("Unknown action.")
        if choice.official:
            # Refused before the form is read: a member gets 403, not a form with errors.
            policy.require(person, organization, Permission.MANAGE_OFFICIAL_VOICES)
    shown = [c for c in CHOICES if can_manage or not c.official]
    boxes = [Box(c, _form(c, request, c.action == action), c.action == action) for c in shown]
    if action:
        box = next(b for b in boxes if b.open)
        if box.form.is_valid():
            try:
                return box.choice.handler(request, box.form.cleaned_data)
            except ServiceError as exc:
                box.form.add_error(None, exc.message)
    voices = (
        Voice.objects.filter(organization=organization)
        .select_related("organization", "owner", "department")
        .order_by("kind", "name")
    )
    rows = [{"voice": v, "may_reconnect": services.can_reconnect(person, v)} for v in voices]
    return render(
        request,
        "voices/index.html",
        {
            "rows": rows,
            "personal": [b for b in boxes if not b.choice.official],
            "official": [b for b in boxes if b.choice.official],
            "can_manage_official": can_manage,
            "suggested_secret": connect.new_webhook_secret(),
        },
    )


@member_required
def mastodon_callback(request: MemberRequest) -> HttpResponse:
    """Where a Mastodon instance sends the person back, with ``code`` and ``state``."""
    # Taken out at once: an answer is used once, whatever happens next.
    waiting = request.session.pop(MASTODON_PENDING, None)
    if not isinstance(waiting, dict) or not waiting.get("pending"):
        messages.error(request, "No Mastodon connection was waiting; start again here.")
        return redirect("voices:index")
    error = request.GET.get("error", "")
    if error:
        # Only the OAuth error code is repeated: anyone can put words in a link's query.
        said = "you did not approve it" if error == "access_denied" else f"it said {error[:60]}"
        messages.error(request, f"Cluetrain was not let in on Mastodon: {said}. Nothing changed.")
        return redirect("voices:index")
    try:
        voice = connect.finish_mastodon(
            request.user,
            request.organization,
            waiting["pending"],
            request.GET.get("code", ""),
            request.GET.get("state", ""),
        )
    except ServiceError as exc:
        messages.error(request, exc.message)
        return redirect("voices:index")
    if waiting.get("reconnect"):
        return _reconnected(request, voice)
    return _connected(request, voice)


def _reconnect_form(voice: Voice, data: Any) -> forms.Form | None:
    if voice.network == Network.BLUESKY:
        return ReconnectBlueskyForm(data, prefix="reconnect")
    if voice.network == Network.WEBHOOK:
        return ReconnectWebhookForm(data, prefix="reconnect")
    if voice.network == Network.MASTODON:
        return forms.Form(data, prefix="reconnect")  # nothing to fill in: OAuth again
    return None  # feeds and the practice space have nothing to reconnect


def _reconnect(request: MemberRequest, voice: Voice, form: forms.Form) -> HttpResponse | None:
    services.check_can_reconnect(request.user, voice)
    if not form.is_valid():
        return None
    data = form.cleaned_data
    try:
        if voice.network == Network.MASTODON:
            start = connect.start_mastodon_reconnect(
                request.user, voice, connect.mastodon_redirect_uri()
            )
            return _to_mastodon(request, start, reconnect=True)
        if voice.network == Network.BLUESKY:
            connect.do_reconnect_bluesky(request.user, voice, data["app_password"], data["service"])
        else:
            connect.do_reconnect_webhook(
                request.user, voice, data["url"], data["secret"], data["format"]
            )
    except ServiceError as exc:
        form.add_error(None, exc.message)
        return None
    return _reconnected(request, voice)


def _reconnected(request: MemberRequest, voice: Voice) -> HttpResponse:
    messages.success(request, f"{voice.name} is reconnected; posts waiting for it go out now.")
    return redirect("voices:detail", voice_id=voice.pk)


@member_required
def detail(request: MemberRequest, voice_id: int) -> HttpResponse:
    organization = request.organization
    voice = get_object_or_404(
        Voice.objects.select_related("organization", "owner", "department"),
        pk=voice_id,
        organization=organization,
    )
    action = request.POST.get("action", "") if request.method == "POST" else ""
    can_manage = not voice.is_personal and policy.can(
        request.user,
        organization,
        Permission.MANAGE_OFFICIAL_VOICES,
    )
    may_reconnect = services.can_reconnect(request.user, voice)
    reconnect_form = _reconnect_form(voice, request.POST if action == "reconnect" else None)
    form = GrantAccessForm(
        request.POST if action and action != "reconnect" else None, organization=organization
    )
    if action == "reconnect":
        if reconnect_form is None:
            return HttpResponseBadRequest(
                f"{voice.get_network_display()} voices need no reconnecting."
            )
        response = _reconnect(request, voice, reconnect_form)
        if response is not None:
            return response
    elif action and form.is_valid():
        try:
            if action == "revoke":
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
            "may_reconnect": may_reconnect,
            "reconnect_form": reconnect_form if may_reconnect else None,
            "feed_urls": connect.public_feed_urls(voice),
            "has_credential": bool(voice.credential_ciphertext),
            "webhook_host": connect.webhook_host(voice) if voice.network == Network.WEBHOOK else "",
            "suggested_secret": connect.new_webhook_secret(),
        },
    )
