"""The incident's public status page and its Atom feed: no sign-in, an unguessable address."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_GET

from cluetrain.crisis.models import Incident
from cluetrain.crisis.updates import public_updates
from cluetrain.networks.feed import render as feed
from cluetrain.publishing.public import feed_info, feed_response


@require_GET
def status(request: HttpRequest, token: str) -> HttpResponse:
    incident = get_object_or_404(Incident.objects.select_related("organization"), feed_token=token)
    return render(
        request,
        "crisis/status_page.html",
        {
            "incident": incident,
            "updates": public_updates(incident),
            "feed_url": reverse("crisis_public:feed", args=[token]),
        },
    )


@require_GET
def atom(request: HttpRequest, token: str) -> HttpResponse:
    incident = get_object_or_404(Incident.objects.select_related("organization"), feed_token=token)
    organization = incident.organization
    path = reverse("crisis_public:feed", args=[token])
    info = feed_info(
        organization,
        f"{organization.name}: {incident.title}",
        path,
        incident.public_summary[:500],
    )
    entries = [
        feed.FeedEntry(
            key=f"incident-{incident.pk}-update-{update.pk}",
            text=update.text,
            published=update.created_at,
            title=f"{incident.title}: update",
            author_name=organization.name,
            link=settings.BASE_URL
            + reverse("crisis_public:status", args=[token])
            + f"#update-{update.pk}",
        )
        for update in public_updates(incident)
    ]
    return feed_response(request, "atom", info, entries)
