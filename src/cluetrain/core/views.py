from __future__ import annotations

from datetime import timedelta

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from cluetrain.academy.due import lessons_due
from cluetrain.organizations import policy
from cluetrain.organizations.models import Membership
from cluetrain.organizations.policy import Permission
from cluetrain.organizations.requests import SignedInRequest
from cluetrain.publishing.models import Post
from cluetrain.voices.models import Voice

# What each area will offer, shown until the area is built.
PROMISES = {
    "Inbox": "Every public message about the organisation, triaged and routed to the person "
    "who knows, with service-level clocks.",
    "Academy": "Short lessons, a safe practice space, mentoring and your path to autonomy.",
    "Crisis": "Declare an incident: scheduled marketing pauses at once and operations keep "
    "customers informed.",
    "Insights": "Engagement, response times, participation, frequency, cost and "
    "self-sufficiency, as charts.",
}


@login_required
def home(request: SignedInRequest) -> HttpResponse:
    organization = request.organization
    context: dict[str, object] = {"organization": organization}
    if organization is not None:
        person = request.user
        context["my_voices"] = list(policy.postable_voices(person, organization))
        context["lessons_due"] = lessons_due(person, organization)
        context["my_posts"] = list(
            Post.objects.filter(organization=organization, author=person)
            .prefetch_related("deliveries__voice")
            .order_by("-created_at")[:5]
        )
        if policy.can(person, organization, Permission.VIEW_INSIGHTS):
            week_ago = timezone.now() - timedelta(days=7)
            context["pulse"] = [
                (
                    "People",
                    Membership.objects.filter(organization=organization, is_active=True).count(),
                ),
                ("Voices", Voice.objects.filter(organization=organization).count()),
                (
                    "Posts this week",
                    Post.objects.filter(
                        organization=organization, created_at__gte=week_ago
                    ).count(),
                ),
                (
                    "People who posted this week",
                    Post.objects.filter(organization=organization, created_at__gte=week_ago)
                    .values("author")
                    .distinct()
                    .count(),
                ),
            ]
    return render(request, "core/home.html", context)


@login_required
def coming(request: HttpRequest, area: str) -> HttpResponse:
    return render(request, "core/coming.html", {"area": area, "promise": PROMISES.get(area, "")})


@require_GET
def health(request: HttpRequest) -> JsonResponse:
    """For load balancers and monitors: answers 200 when the database answers."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
