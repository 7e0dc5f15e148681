"""Insights for the Acme Rail demo: twelve weeks of published posts with the reactions they
drew and the voices' follower counts, then the roll-ups built, so every dashboard has a
history to show from the first visit."""

from __future__ import annotations

import random
import zoneinfo
from datetime import datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from cluetrain.insights.models import Audience, EngagementSample, EngagementTrack
from cluetrain.organizations.models import Organization, Person
from cluetrain.publishing.models import Delivery, Post, PostStatus
from cluetrain.voices.models import Voice

WEEKS = 12
# Mornings on weekdays draw the most; late evenings the least (what the heat map will show).
HOURS = (8, 9, 12, 17, 21)
TEXTS = (
    "Engineering works this weekend between Ashford and Dover: replacement buses every 20 minutes.",
    "Our new quiet coaches are on every intercity service from Monday.",
    "Thank you to the station team at Crewe for getting everyone home last night.",
    "Tip: the app now shows which coach has the most free seats.",
    "Bikes travel free off-peak; book a space when you buy your ticket.",
)


def load(organization: Organization, people: dict[str, Person]) -> None:
    """Add the history once (deliveries carry a demo key; running again adds nothing)."""
    voices = list(Voice.objects.filter(organization=organization).order_by("pk")[:4])
    if not voices:
        return
    zone = zoneinfo.ZoneInfo(organization.time_zone or "UTC")
    today = timezone.now().astimezone(zone).date()
    rng = random.Random(organization.pk)
    authors = [people[k] for k in ("dana", "carla", "miguel", "priya", "lena") if k in people]
    with transaction.atomic():
        for n in range(WEEKS * 5):
            key = f"insightsdemo{n:04d}"
            voice = voices[n % len(voices)]
            week, slot = divmod(n, 5)
            day = today - timedelta(weeks=WEEKS - week, days=-(slot % 5))
            hour = HOURS[rng.randrange(len(HOURS))]
            at = datetime.combine(day, time(hour, rng.choice((0, 15, 30))), zone)
            if Delivery.objects.filter(key=key).exists():
                continue
            author = voice.owner or authors[n % len(authors)]
            post = Post.objects.create(
                organization=organization,
                author=author,
                text=TEXTS[n % len(TEXTS)],
                status=PostStatus.PUBLISHED,
                published_at=at,
            )
            delivery = Delivery.objects.create(
                post=post,
                voice=voice,
                organization=organization,
                network=voice.network,
                key=key,
                status=PostStatus.PUBLISHED,
                published_at=at,
            )
            appeal = 3.0 if hour in (8, 9) else 1.0 if hour in (12, 17) else 0.4
            likes = int(rng.expovariate(1 / (12 * appeal)))
            counts = {
                "likes": likes,
                "reposts": likes // 4,
                "replies": rng.randrange(4),
                "quotes": rng.randrange(2),
            }
            EngagementTrack.objects.create(
                delivery=delivery,
                organization=organization,
                published_at=at,
                fetches=2,
                last_fetched_at=at + timedelta(days=1),
                counted_from="api",
                **counts,
            )
            EngagementSample.objects.create(delivery=delivery, at=at + timedelta(hours=1))
            EngagementSample.objects.create(delivery=delivery, at=at + timedelta(days=1), **counts)
        for n, voice in enumerate(voices):
            if not Audience.objects.filter(voice=voice).exists():
                Audience.objects.create(voice=voice, at=timezone.now(), followers=800 + 1500 * n)
    from cluetrain.insights.rollups import maintain

    maintain.rebuild(organization.pk)
