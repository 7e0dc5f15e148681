"""Acme Rail's agency: Brightside Social, with Aisha on the account, Sofia shadowing her, a
hand-over plan half done, and six months of history so the self-sufficiency chart has a line.

Idempotent: every row is looked up before it is made, so loading twice adds nothing.
"""

from __future__ import annotations

import zoneinfo
from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from cluetrain.agencies.models import Agency, AgencyMember, Milestone, Shadowing
from cluetrain.organizations.models import Organization, Person
from cluetrain.publishing.models import Category, Delivery, Post, PostStatus
from cluetrain.voices.models import Voice

AGENCY = "Brightside Social"
# (title, owner, days from today it is due, done)
MILESTONES = [
    ("Sofia drafts the weekly plan alongside Aisha", "sofia", -75, True),
    ("Sofia posts from the Marketing feed without review", "sofia", -45, True),
    ("Customer care answers marketing questions in the inbox", "carla", -20, True),
    ("Marketing writes its own crisis holding statements", "marek", -5, False),
    ("Sofia runs the campaign calendar alone for a month", "sofia", 30, False),
    ("Last post by the agency", "marek", 90, False),
]
# Posts per month, oldest month first: (by Aisha through the Marketing feed, in-house).
HISTORY = [(6, 1), (5, 2), (4, 3), (4, 4), (3, 5), (2, 6)]
IN_HOUSE = ("sofia", "priya", "grace", "miguel", "lena", "tom")
TOPICS = (
    "Half-term family tickets are on sale: kids travel for a pound.",
    "Meet the team who keep the coast line's bridges safe.",
    "Your photos of the new trains: keep them coming!",
    "Engineering works this weekend: plan ahead with our journey planner.",
    "Why do trains slow down in autumn? Leaves on the line, explained.",
    "Thank you to everyone who came to the open day at the depot.",
)


def _month_start(today: date, back: int) -> date:
    month = today.month - back
    year = today.year + (month - 1) // 12
    return date(year, (month - 1) % 12 + 1, 1)


@transaction.atomic
def load(organization: Organization, people: dict[str, Person]) -> None:
    tz = zoneinfo.ZoneInfo(organization.time_zone)
    today = timezone.now().astimezone(tz).date()
    agency, _ = Agency.objects.get_or_create(
        organization=organization,
        name=AGENCY,
        defaults={
            "contact": "accounts@brightside.example, +44 20 7946 0000",
            "contract_ends_on": today + timedelta(days=120),
            "handover_target_on": today + timedelta(days=90),
        },
    )
    aisha = people["aisha"]
    AgencyMember.objects.get_or_create(
        organization=organization, person=aisha, defaults={"agency": agency}
    )
    Shadowing.objects.get_or_create(
        organization=organization,
        agency_person=aisha,
        shadow=people["sofia"],
        defaults={"paired_by": people["dana"]},
    )
    for position, (title, owner, due_in, done) in enumerate(MILESTONES):
        if Milestone.objects.filter(agency=agency, title=title).exists():
            continue
        Milestone.objects.create(
            agency=agency,
            title=title,
            owner=people[owner],
            position=position,
            due_on=today + timedelta(days=due_in),
            done_at=timezone.now() + timedelta(days=due_in) if done else None,
            done_by=people["dana"] if done else None,
        )
    _history(organization, people, tz, today)


def _history(
    organization: Organization, people: dict[str, Person], tz: zoneinfo.ZoneInfo, today: date
) -> None:
    marketing = Voice.objects.filter(organization=organization, name="Acme Rail Marketing").first()
    n = 0
    for back, (by_agency, in_house) in zip(range(len(HISTORY), 0, -1), HISTORY, strict=True):
        start = _month_start(today, back)
        authors = ["aisha"] * by_agency + [IN_HOUSE[i % len(IN_HOUSE)] for i in range(in_house)]
        for day, key in enumerate(authors, start=2):
            n += 1
            text = f"{TOPICS[n % len(TOPICS)]} ({start:%B %Y}, #{n})"
            author = people[key]
            if Post.objects.filter(organization=organization, author=author, text=text).exists():
                continue
            voice = (
                marketing
                if key == "aisha" and marketing
                else Voice.objects.filter(organization=organization, owner=author).first()
            )
            if voice is None:
                continue
            at = datetime.combine(start.replace(day=min(day * 2, 28)), time(11, 0), tzinfo=tz)
            post = Post.objects.create(
                organization=organization,
                author=author,
                text=text,
                status=PostStatus.PUBLISHED,
                category=Category.MARKETING,
                published_at=at,
            )
            # History reads as history: written when it went out.
            Post.objects.filter(pk=post.pk).update(created_at=at)
            Delivery.objects.create(
                post=post,
                voice=voice,
                organization=organization,
                network=voice.network,
                status=PostStatus.PUBLISHED,
                published_at=at,
            )
