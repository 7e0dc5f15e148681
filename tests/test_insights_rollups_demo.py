"""The insights demo: a history for Acme Rail that a second load does not double."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from cluetrain.core import demo
from cluetrain.insights import demo as insights_demo
from cluetrain.insights import measures
from cluetrain.insights.measures import Period, Scope
from cluetrain.insights.models import Audience, EngagementSample
from cluetrain.insights.rollup_models import RollupDay
from cluetrain.organizations.models import Person
from cluetrain.publishing.models import Delivery


def test_the_insights_demo_loads_once_and_fills_the_dashboards(db: None) -> None:
    organization = demo.load_demo()
    people = {p.full_name.split()[0].lower(): p for p in Person.objects.all()}
    insights_demo.load(organization, people)
    counted = (
        Delivery.objects.filter(key__startswith="insightsdemo").count(),
        EngagementSample.objects.count(),
        Audience.objects.count(),
        sorted(
            RollupDay.objects.values_list(
                "kind", "day", "department_id", "voice_id", "person_id", "counts"
            )
        ),
    )
    insights_demo.load(organization, people)
    again = (
        Delivery.objects.filter(key__startswith="insightsdemo").count(),
        EngagementSample.objects.count(),
        Audience.objects.count(),
        sorted(
            RollupDay.objects.values_list(
                "kind", "day", "department_id", "voice_id", "person_id", "counts"
            )
        ),
    )
    assert counted == again
    assert counted[0] == 60
    today = timezone.now().date()
    period = Period(today - timedelta(days=120), today, organization.time_zone)
    posts = measures.post_engagement(Scope(organization.pk), period)
    assert posts.posts >= 60
    assert posts.per_1000_followers is not None
