"""Acme Rail's objectives, its autumn campaign and what an hour of each role costs, for the
demo. Running it again adds nothing."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from cluetrain.campaigns.models import (
    Campaign,
    CampaignPost,
    CostSettings,
    HourlyRate,
    Objective,
    PeriodKind,
)
from cluetrain.core.dates import local_today
from cluetrain.organizations.models import Organization, Person
from cluetrain.organizations.roles import Role
from cluetrain.publishing.models import Post
from cluetrain.voices.models import Voice

RATES = {
    Role.DIRECTOR: "65",
    Role.MANAGER: "60",
    Role.COORDINATOR: "45",
    Role.MENTOR: "45",
    Role.OPERATIONS: "38",
    Role.MEMBER: "35",
    Role.TRAINEE: "25",
    Role.AGENCY: "85",
}
CAMPAIGN = "Autumn saver fares"
SAVER_POST = "Autumn saver fares are back"


def load(organization: Organization, people: dict[str, Person]) -> None:
    CostSettings.objects.get_or_create(organization=organization, defaults={"currency": "GBP"})
    for role, rate in RATES.items():
        HourlyRate.objects.get_or_create(
            organization=organization, role=role, person=None, defaults={"rate": Decimal(rate)}
        )
    Objective.objects.get_or_create(
        organization=organization,
        name="First response under 30 minutes for 90 % of complaints",
        defaults={
            "kind": "first_response_within",
            "params": {"minutes": 30, "complaints_only": True},
            "target": 90,
            "period": PeriodKind.ROLLING_30,
            "owner": people.get("carla"),
        },
    )
    active, _ = Objective.objects.get_or_create(
        organization=organization,
        name="40 employees active monthly",
        defaults={
            "kind": "people_active",
            "target": 40,
            "period": PeriodKind.MONTH,
            "owner": people.get("dana"),
        },
    )
    today = local_today(organization.time_zone)
    campaign, created = Campaign.objects.get_or_create(
        organization=organization,
        name=CAMPAIGN,
        defaults={
            "objective": active,
            "description": "Off-peak fares on the coast line from £9, told by the people who "
            "run the trains as much as by the marketing feed.",
            "starts_on": today - timedelta(days=3),
            "ends_on": today + timedelta(days=25),
            "budget_hours": Decimal("12"),
            "posts_planned": 6,
            "engagement_target": 500,
            "created_by": people.get("marek") or people.get("dana"),
        },
    )
    if created:
        campaign.voices.set(
            Voice.objects.filter(organization=organization, name="Acme Rail Marketing")
        )
    post = (
        Post.objects.filter(organization=organization, text__startswith=SAVER_POST)
        .order_by("pk")
        .first()
    )
    if post is not None and not CampaignPost.objects.filter(post=post).exists():
        CampaignPost.objects.create(campaign=campaign, post=post, added_by=people.get("marek"))
