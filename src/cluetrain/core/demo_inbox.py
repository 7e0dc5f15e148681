"""The Acme Rail demo's inbox: what customers said to Acme Rail this morning.

Written for the demo (no real person's words), so it ships with the product. Each message goes
the product's real way: intake, triage, threading, service-level clocks and routing.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from cluetrain.organizations.models import Organization

# (key, minutes ago, handle, display name, text, key of the message it replies to, ours?)
MESSAGES: list[tuple[str, int, str, str, str, str, bool]] = [
    (
        "m1",
        95,
        "jo.commutes",
        "Jo Okafor",
        "@acmerail the 07:42 from Harbour Street has been sitting outside Central for 40 minutes, "
        "no announcement, people are standing in the aisles. What is going on?",
        "",
        False,
    ),
    (
        "m2",
        90,
        "acmerail",
        "Acme Rail",
        "@jo.commutes Sorry Jo, a signal failure at Central. Engineers are on site; we expect to "
        "move within 15 minutes. We'll keep you posted here.",
        "m1",
        True,
    ),
    (
        "m3",
        60,
        "jo.commutes",
        "Jo Okafor",
        "@acmerail still not moving. Someone near me fainted, staff are helping but it's hot.",
        "m2",
        False,
    ),
    (
        "m4",
        80,
        "priya.travels",
        "Priya Raman",
        "Hi @acmerail, can I use my weekly pass on the Coast Line on Sunday or do I need a new "
        "ticket?",
        "",
        False,
    ),
    (
        "m5",
        75,
        "martin_b",
        "Martin Berg",
        "Left my laptop bag on the 08:10 to Northgate, carriage 4. Black, with a green tag. "
        "@acmerail is there a lost property number?",
        "",
        False,
    ),
    (
        "m6",
        70,
        "lena.w",
        "Lena Weiss",
        "Huge thanks to the conductor on the 06:55 who helped my dad with his wheelchair at "
        "Riverside. Kind and patient. @acmerail",
        "",
        False,
    ),
    (
        "m7",
        65,
        "sam.k",
        "Sam Kowalski",
        "@acmerail I was charged twice for the same ticket in your app yesterday. Order "
        "AR-55812. I want the second charge refunded.",
        "",
        False,
    ),
    (
        "m8",
        55,
        "nadia.h",
        "Nadia Haddad",
        "The Acme Rail app crashes every time I open my tickets. Can't show my ticket to the "
        "inspector. @acmerail",
        "",
        False,
    ),
    (
        "m9",
        50,
        "free.followers.now",
        "FREE FOLLOWERS",
        "@acmerail Get 10k followers FREE today!!! Click http://example.com/boost",
        "",
        False,
    ),
    (
        "m10",
        45,
        "ollie.p",
        "Ollie Park",
        "@acmerail will there be extra trains for the match on Saturday?",
        "",
        False,
    ),
    (
        "m11",
        40,
        "grace.t",
        "Grace Tan",
        "Third cancelled train this week on the Harbour line. I'm going to lose my job over this. "
        "@acmerail",
        "",
        False,
    ),
    (
        "m12",
        30,
        "dev.r",
        "Dev Rao",
        "@acmerail the lift at Riverside station is broken again, I can't get to platform 2 with "
        "my pram.",
        "",
        False,
    ),
    (
        "m13",
        20,
        "priya.travels",
        "Priya Raman",
        "@acmerail also, are dogs allowed on the Coast Line?",
        "m4",
        False,
    ),
    (
        "m14",
        10,
        "claire.d",
        "Claire Dubois",
        "Bonjour @acmerail, le train de 9h pour Northgate est-il annulé ?",
        "",
        False,
    ),
]


# Which department answers each of the triage's topics at Acme Rail, plus topics of its own.
TOPICS: list[tuple[str, str, str, str]] = [
    # (slug, name, keywords one a line, department slug)
    ("lost-property", "Lost property", "left my\nlost property\nforgot my", "customer-care"),
    ("accessibility", "Accessibility", "wheelchair\nlift\nramp\npram\nstep-free", "operations"),
    ("delay", "Delays", "", "operations"),
    ("cancellation", "Cancellations", "", "operations"),
    ("safety", "Safety", "", "operations"),
    ("refund", "Refunds", "", "customer-care"),
    ("billing", "Billing", "", "customer-care"),
    ("booking", "Tickets and passes", "weekly pass\nseason ticket\nrailcard", "customer-care"),
    ("website/app", "App and website", "", "engineering"),
]


def _setup(organization: Organization) -> None:
    """Topics with their departments, a service level and who takes conversations."""
    from cluetrain.inbox.models import Availability, Expertise, ServiceLevel
    from cluetrain.organizations.models import Department, Membership
    from cluetrain.triage.models import Topic

    departments = {d.slug: d for d in Department.objects.filter(organization=organization)}
    for slug, name, keywords, department in TOPICS:
        Topic.objects.update_or_create(
            organization=organization,
            slug=slug,
            defaults={"name": name, "keywords": keywords, "department": departments[department]},
        )
    ServiceLevel.objects.get_or_create(
        organization=organization,
        department=None,
        defaults={
            "time_zone": organization.time_zone,
            "working_days": "1234567",
            "day_starts": dt.time(7, 0),
            "day_ends": dt.time(22, 0),
            "first_response_minutes": 30,
            "next_response_minutes": 60,
            "resolution_minutes": 8 * 60,
            "holiday_country": "GB",
        },
    )
    knows = {
        "miguel": ["refund", "billing", "lost-property"],
        "carla": ["booking"],
        "olu": ["delay", "cancellation", "safety"],
        "grace": ["accessibility", "delay"],
        "lena": ["website/app"],
    }
    for membership in Membership.objects.filter(organization=organization).select_related("person"):
        local = membership.person.email.split("@")[0]
        if local not in knows:
            continue
        Availability.objects.get_or_create(
            membership=membership,
            # The demo's people work long days every day, so the demo routes at any hour.
            defaults={
                "working_days": "1234567",
                "day_starts": dt.time(0, 0),
                "day_ends": dt.time(23, 59),
                "capacity": 8,
            },
        )
        for topic in knows[local]:
            Expertise.objects.get_or_create(
                membership=membership, topic=topic, defaults={"declared": True, "weight": 1.0}
            )


def load(organization: Organization) -> int:
    """Take the demo's messages in and triage them; returns how many conversations exist."""
    from cluetrain.inbox.models import Conversation
    from cluetrain.listening.heard import Heard
    from cluetrain.triage.pipeline import process_pending, take_in

    _setup(organization)
    now = timezone.now()
    ids = {
        key: f"at://did:plc:{handle.replace('.', '')}/app.bsky.feed.post/{key}"
        for key, _, handle, *_ in MESSAGES
    }
    heard: list[Heard] = []
    outbound: list[Heard] = []
    for key, ago, handle, name, text, reply_to, ours in MESSAGES:
        item = Heard(
            network="bluesky",
            external_id=ids[key],
            author_id=f"did:plc:{handle.replace('.', '')}",
            author_handle=f"{handle}.bsky.social",
            author_name=name,
            author_url=f"https://bsky.app/profile/{handle}.bsky.social",
            url=f"https://bsky.app/profile/{handle}.bsky.social/post/{key}",
            text=text,
            created_at=now - dt.timedelta(minutes=ago),
            reply_to=ids.get(reply_to, ""),
            direction="out" if ours else "in",
        )
        (outbound if ours else heard).append(item)
    take_in(organization, heard + outbound)
    process_pending(organization.pk)
    return Conversation.objects.filter(organization=organization).count()
