"""Measure the insights dashboards and their roll-ups at 1,000,000 conversations and 100,000
published posts (a tenth with ``--quick``).

A throw-away SQLite database gets one organisation (Europe/London, a service level around the
clock, 40 people, 6 departments, 8 voices) and, spread over a year, conversations (written
with raw ``executemany``) each with its inbound message and, for nine in ten, our reply by a
person; and published posts with their latest reactions (an engagement track each).

Then:

* the roll-up job (``insights.rollups.maintain.catch_up``, what the periodic task runs) reads
  all of it from its cursors: ``rollup_messages_per_s`` is messages applied per second;
* every dashboard (``insights:index`` and a department, a voice and a person page, the
  default period) is fetched through ``django.test.Client``: once untimed (``<page>_first_ms``:
  templates compiled, the self-sufficiency months counted and cached), then 20 times:
  per-page p95 (nearest rank, the 19th of 20) and max, ``dashboard_p95_ms`` the slowest p95.
  A dashboard is one request: its charts' data is in the page, nothing is fetched afterwards;
* ``rollup_speedup``: the same pages computed without roll-ups (``INSIGHTS_ROLLUPS = False``:
  every number straight from conversations, messages, deliveries and posts, no cache), three
  views each; ``<page>_speedup`` is that page's p95 without roll-ups over its p95 with them,
  ``rollup_speedup`` the smallest of those.

    .venv/bin/python bench/insights.py [--quick]
"""

from __future__ import annotations

import argparse
import math
import os
import random
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

FULL_CONVERSATIONS, FULL_POSTS = 1_000_000, 100_000
PEOPLE, DEPARTMENTS, VOICES = 40, 6, 8
CHUNK = 20_000
RUNS, RAW_RUNS = 20, 3  # timed views of each page with roll-ups, and computed without
NOW = datetime.now(UTC).replace(microsecond=0)
SPAN = timedelta(days=365)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[max(1, math.ceil(fraction * len(ordered))) - 1]


def setup_django(workdir: Path) -> None:
    os.environ["CLUETRAIN_DATA_DIR"] = str(workdir / "data")
    os.environ["DJANGO_SETTINGS_MODULE"] = "cluetrain.settings"
    os.environ["CLUETRAIN_LOG_LEVEL"] = "WARNING"
    os.environ.pop("DATABASE_URL", None)
    cluetrain = str(Path(sys.executable).parent / "cluetrain")
    subprocess.run([cluetrain, "migrate", "--no-input", "-v", "0"], check=True, env=os.environ)
    # The database cache (as ``cluetrain serve`` makes it): the dashboards keep the
    # self-sufficiency months there.
    subprocess.run([cluetrain, "createcachetable", "-v", "0"], check=True, env=os.environ)
    import django

    django.setup()
    from django.conf import settings

    # Pages without collectstatic's manifest (the benchmark times views, not files).
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


def make_cast() -> dict[str, Any]:
    from cluetrain.inbox.models import ServiceLevel
    from cluetrain.organizations.models import Department, Organization, Person
    from cluetrain.organizations.roles import Role
    from cluetrain.organizations.services import do_add_member
    from cluetrain.voices.models import Network, Voice, VoiceKind

    org = Organization.objects.create(
        name="Bench Rail", slug="bench-rail", time_zone="Europe/London"
    )
    director = Person.objects.create_user("director@bench.example", full_name="Dana Director")
    do_add_member(org, director, [Role.DIRECTOR])
    people = []
    for n in range(PEOPLE):
        person = Person.objects.create_user(f"agent{n}@bench.example", full_name=f"Agent {n}")
        do_add_member(org, person, [Role.MEMBER])
        people.append(person.pk)
    departments = [
        Department.objects.create(organization=org, name=f"Desk {n}", slug=f"desk-{n}").pk
        for n in range(DEPARTMENTS)
    ]
    voices = [
        Voice.objects.create(
            organization=org,
            network=Network.PRACTICE,
            handle=f"@bench{n}",
            name=f"Bench voice {n}",
            kind=VoiceKind.OFFICIAL,
            department_id=departments[n % DEPARTMENTS],
        )
        for n in range(VOICES)
    ]
    ServiceLevel.objects.create(organization=org, around_the_clock=True, first_response_minutes=60)
    return {
        "org": org,
        "director": director,
        "people": people,
        "departments": departments,
        "voices": voices,
    }


def build(cast: dict[str, Any], conversations: int, posts: int) -> int:
    """Write the history; returns how many messages."""
    from django.db import connection, transaction

    from cluetrain.insights.models import EngagementTrack
    from cluetrain.publishing.models import Delivery, Post, PostStatus

    rng = random.Random(20261202)
    org = cast["org"].pk
    messages = 0
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.executemany(
            "INSERT INTO listening_author (organization_id, network, external_id, handle, "
            "display_name, profile_url, first_seen_at, last_seen_at, message_count) "
            "VALUES (%s, %s, %s, %s, %s, '', %s, %s, 1)",
            [
                (org, "bluesky", f"did:plc:b{n}", f"u{n}.bsky.social", f"U {n}", NOW - SPAN, NOW)
                for n in range(2000)
            ],
        )
        cursor.execute("SELECT MIN(id) FROM listening_author")
        author_base = cursor.fetchone()[0]
        cursor.execute("SELECT COALESCE(MAX(id), 0) FROM inbox_conversation")
        next_id = cursor.fetchone()[0] + 1
        conv_sql = (
            "INSERT INTO inbox_conversation (id, organization_id, network, root_external_id, "  # noqa: S608
            "author_id, subject, status, assignee_id, department_id, intent, sentiment_label, "
            "urgency, topic, incident, complaint, message_count, first_message_at, "
            "last_message_at, last_reply_at, first_response_at, resolved_at, search_text, "
            "created_at, updated_at) VALUES (" + ", ".join(["%s"] * 24) + ")"
        )
        msg_sql = (
            "INSERT INTO listening_message (organization_id, network, external_id, url, "  # noqa: S608
            "author_id, text, truncated, created_at, received_at, reply_to_external_id, "
            "root_external_id, direction, conversation_id, sent_by_id, triaged_at, intent, "
            "complaint, incident, sentiment_label, language, urgency, topic, reason, "
            "triage_model) VALUES (" + ", ".join(["%s"] * 24) + ")"
        )
        convs: list[tuple] = []
        msgs: list[tuple] = []
        topics = ("delays", "refunds", "wifi", "staff", "tickets", "cleanliness")
        for n in range(conversations):
            pk = next_id + n
            first = NOW - SPAN + SPAN * (n / conversations)
            author = author_base + rng.randrange(2000)
            answered = rng.random() < 0.9
            responded = first + timedelta(minutes=rng.expovariate(1 / 40)) if answered else None
            resolved = (
                responded + timedelta(minutes=rng.expovariate(1 / 600))
                if answered and rng.random() < 0.8
                else None
            )
            sentiment = rng.choice(("negative", "neutral", "positive"))
            replier = rng.choice(cast["people"])
            convs.append(
                (
                    pk,
                    org,
                    "bluesky",
                    f"at://c{n}",
                    author,
                    "Where is my train",
                    "resolved" if resolved else "open",
                    replier if answered else None,
                    rng.choice(cast["departments"]),
                    rng.choice(("question", "complaint", "praise")),
                    sentiment,
                    "normal",
                    rng.choice(topics),
                    False,
                    sentiment == "negative",
                    2 if answered else 1,
                    first,
                    first,
                    responded,
                    responded,
                    resolved,
                    "",
                    first,
                    first,
                )
            )
            msgs.append(
                (
                    org,
                    "bluesky",
                    f"in{n}",
                    "",
                    author,
                    "Where is my train?",
                    False,
                    first,
                    first,
                    "",
                    "",
                    "in",
                    pk,
                    None,
                    first,
                    "",
                    False,
                    False,
                    sentiment,
                    "en",
                    "normal",
                    "",
                    "",
                    "",
                )
            )
            if responded is not None:
                msgs.append(
                    (
                        org,
                        "bluesky",
                        f"out{n}",
                        "",
                        author,
                        "On its way.",
                        False,
                        responded,
                        responded,
                        "",
                        "",
                        "out",
                        pk,
                        replier,
                        responded,
                        "",
                        False,
                        False,
                        "",
                        "en",
                        "",
                        "",
                        "",
                        "",
                    )
                )
            if len(msgs) >= CHUNK:
                cursor.executemany(conv_sql, convs)
                cursor.executemany(msg_sql, msgs)
                messages += len(msgs)
                convs, msgs = [], []
        cursor.executemany(conv_sql, convs)
        cursor.executemany(msg_sql, msgs)
        messages += len(msgs)
    with transaction.atomic():
        made = Post.objects.bulk_create(
            [
                Post(
                    organization_id=org,
                    author_id=rng.choice(cast["people"]),
                    text="Trains today.",
                    status=PostStatus.PUBLISHED,
                    published_at=NOW - SPAN + SPAN * (n / posts),
                )
                for n in range(posts)
            ],
            batch_size=2000,
        )
        deliveries = Delivery.objects.bulk_create(
            [
                Delivery(
                    post=p,
                    voice=cast["voices"][n % VOICES],
                    organization_id=org,
                    network="practice",
                    status=PostStatus.PUBLISHED,
                    published_at=p.published_at,
                )
                for n, p in enumerate(made)
            ],
            batch_size=2000,
        )
        EngagementTrack.objects.bulk_create(
            [
                EngagementTrack(
                    delivery=d,
                    organization_id=org,
                    published_at=d.published_at,
                    likes=rng.randrange(50),
                    reposts=rng.randrange(10),
                    replies=rng.randrange(5),
                )
                for d in deliveries
            ],
            batch_size=2000,
        )
    return messages


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a tenth of the history")
    args = parser.parse_args()
    scale = 10 if args.quick else 1
    conversations, posts = FULL_CONVERSATIONS // scale, FULL_POSTS // scale
    with tempfile.TemporaryDirectory() as folder:
        setup_django(Path(folder))
        from django.test import Client
        from django.test.utils import setup_test_environment
        from django.urls import reverse

        from cluetrain.insights.rollups import maintain

        setup_test_environment()
        cast = make_cast()
        started = time.perf_counter()
        messages = build(cast, conversations, posts)
        print(f"conversations: {conversations}")
        print(f"posts: {posts}")
        print(f"messages: {messages}")
        print(f"build_s: {time.perf_counter() - started:.1f}")
        started = time.perf_counter()
        done = maintain.catch_up()
        spent = time.perf_counter() - started
        print(f"rollup_s: {spent:.1f}")
        print(f"rollup_messages_per_s: {done['messages'] / spent:.0f}")

        client = Client()
        client.force_login(cast["director"])
        pages = {
            "index": reverse("insights:index"),
            "department": reverse("insights:department", args=[cast["departments"][0]]),
            "voice": reverse("insights:voice", args=[cast["voices"][0].pk]),
            "person": reverse("insights:person", args=[cast["people"][0]]),
        }
        with_rollups = {}
        for name, url in pages.items():
            # The first view: templates compiled, the self-sufficiency months counted from the
            # posts and put in the cache. Shown, not part of the p95.
            t = time.perf_counter()
            client.get(url, HTTP_HOST="localhost")
            print(f"{name}_first_ms: {(time.perf_counter() - t) * 1000:.1f}")
            times = fetch(client, name, url, RUNS)
            with_rollups[name] = percentile(times, 0.95)
            print(f"{name}_p95_ms: {with_rollups[name]:.1f}")
            print(f"{name}_max_ms: {max(times):.1f}")
        print(f"dashboard_p95_ms: {max(with_rollups.values()):.1f}")

        # The same pages computed from the product's tables (no roll-ups, no cache).
        from django.test import override_settings

        speedups = []
        with override_settings(INSIGHTS_ROLLUPS=False):
            for name, url in pages.items():
                raw = percentile(fetch(client, name, url, RAW_RUNS), 0.95)
                print(f"{name}_raw_p95_ms: {raw:.1f}")
                print(f"{name}_speedup: {raw / with_rollups[name]:.1f}")
                speedups.append(raw / with_rollups[name])
        print(f"rollup_speedup: {min(speedups):.1f}")


def fetch(client: Any, name: str, url: str, runs: int) -> list[float]:
    """Milliseconds of ``runs`` views of ``url``; stops at the first that is not a 200."""
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        response = client.get(url, HTTP_HOST="localhost")
        times.append((time.perf_counter() - t) * 1000)
        if response.status_code != 200:
            print(f"{name}_status: {response.status_code}")
            break
    return times


if __name__ == "__main__":
    main()
