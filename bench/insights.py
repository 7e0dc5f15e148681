"""Measure the insights dashboards and their roll-ups at 1,000,000 conversations and 100,000
published posts (a tenth with ``--quick``).

A throw-away SQLite database gets one organisation (Europe/London, a service level around the
clock, 40 people, 6 departments, 8 voices) and, spread over a year, conversations (written
with raw ``executemany``) each with its inbound message and, for nine in ten, our reply by a
person; and published posts with their latest reactions (an engagement track each, all of
them written with one ``executemany`` per table). Its empty schema is migrated once for a set of
migrations and kept in the temporary folder for the next run.

Then:

* the roll-up job (``insights.rollups.maintain.catch_up``, what the periodic task runs) reads
  all of it from its cursors: ``rollup_messages_per_s`` is messages applied per second;
* every dashboard (``insights:index`` and a department, a voice and a person page, the
  default period) is fetched through ``django.test.Client``: once untimed (``<page>_first_ms``:
  templates compiled, the self-sufficiency months counted and cached), once counting its
  queries (``<page>_queries``), then 20 times:
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
import hashlib
import math
import os
import random
import shutil
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
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    # In this process (one start of Django, not three). A schema already migrated by an
    # earlier run of the same migrations is copied instead: applying them all is a third of
    # a quick run, and it is not what is measured.
    database = Path(settings.DATABASES["default"]["NAME"])
    schema = _schema_copy()
    if not database.exists() and schema.exists():
        shutil.copyfile(schema, database)
    call_command("migrate", interactive=False, verbosity=0)
    # The database cache (as ``cluetrain serve`` makes it): the dashboards keep the
    # self-sufficiency months there.
    call_command("createcachetable", verbosity=0)
    if not schema.exists():
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        partial = schema.with_suffix(".part")
        shutil.copyfile(database, partial)
        partial.replace(schema)

    # Pages without collectstatic's manifest (the benchmark times views, not files).
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


def _schema_copy() -> Path:
    """Where the empty, migrated database of these exact migrations is kept between runs."""
    import django
    from django.apps import apps

    digest = hashlib.blake2b(django.get_version().encode(), digest_size=10)
    for app in apps.get_app_configs():
        for path in sorted(Path(app.path).glob("migrations/*.py")):
            digest.update(path.as_posix().encode() + path.read_bytes())
    return Path(tempfile.gettempdir()) / f"cluetrain-bench-schema-{digest.hexdigest()}.sqlite3"


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


def build(cast: dict[str, Any], conversations: int, posts: int, span: timedelta = SPAN) -> int:
    """Write the history over the ``span`` before now; returns how many messages."""
    from django.db import connection, transaction

    from cluetrain.insights.models import EngagementTrack
    from cluetrain.publishing.models import Delivery, Post, PostStatus, new_key

    rng = random.Random(20261202)
    org = cast["org"].pk
    voices = [v.pk for v in cast["voices"]]
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
            first = NOW - span + span * (n / conversations)
            author = author_base + rng.randrange(2000)
            answered = rng.random() < 0.9
            responded: datetime | None = None
            resolved: datetime | None = None
            if answered:
                responded = first + timedelta(minutes=rng.expovariate(1 / 40))
                if rng.random() < 0.8:
                    resolved = responded + timedelta(minutes=rng.expovariate(1 / 600))
            sentiment = rng.choice(("negative", "neutral", "positive"))
            replier = rng.choice(cast["people"])
            # Each moment as it is stored, made once for the several columns that hold it.
            at = _db_time(first)
            replied_at = _db_time(responded) if responded else None
            resolved_at = _db_time(resolved) if resolved else None
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
                    at,
                    at,
                    replied_at,
                    replied_at,
                    resolved_at,
                    "",
                    at,
                    at,
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
                    at,
                    at,
                    "",
                    "",
                    "in",
                    pk,
                    None,
                    at,
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
                        replied_at,
                        replied_at,
                        "",
                        "",
                        "out",
                        pk,
                        replier,
                        replied_at,
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
    with transaction.atomic(), connection.cursor() as cursor:
        first_post = _next_id(cursor, "publishing_post")
        first_delivery = _next_id(cursor, "publishing_delivery")
        times = [_db_time(NOW - span + span * (n / posts)) for n in range(posts)]
        authors = [rng.choice(cast["people"]) for _ in range(posts)]
        _insert_like(
            cursor,
            Post(organization_id=org, text="Trains today.", status=PostStatus.PUBLISHED),
            ["id", "author_id", "published_at"],
            [(first_post + n, authors[n], times[n]) for n in range(posts)],
        )
        _insert_like(
            cursor,
            Delivery(organization_id=org, network="practice", status=PostStatus.PUBLISHED),
            ["id", "post_id", "voice_id", "published_at", "key"],
            [
                (first_delivery + n, first_post + n, voices[n % VOICES], times[n], new_key())
                for n in range(posts)
            ],
        )
        _insert_like(
            cursor,
            EngagementTrack(organization_id=org),
            ["delivery_id", "published_at", "likes", "reposts", "replies"],
            [
                (
                    first_delivery + n,
                    times[n],
                    rng.randrange(50),
                    rng.randrange(10),
                    rng.randrange(5),
                )
                for n in range(posts)
            ],
        )
    return messages


def _next_id(cursor: Any, table: str) -> int:
    cursor.execute(f"SELECT COALESCE(MAX(id), 0) + 1 FROM {table}")  # noqa: S608
    return int(cursor.fetchone()[0])


def _db_time(moment: datetime) -> str:
    """A UTC moment as Django's SQLite backend stores it (made once, used in several rows)."""
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(" ")


def _insert_like(cursor: Any, model: Any, varying: list[str], rows: list[tuple]) -> None:
    """Rows of ``model``'s table with every column as the ORM would save ``model`` (its
    defaults, auto_now times), but for the ``varying`` columns given in each row: one
    ``executemany`` instead of thousands of model instances."""
    from django.db import connection

    fields = [
        f for f in model._meta.concrete_fields if f.column not in varying and not f.primary_key
    ]
    fixed = [f.get_db_prep_save(f.pre_save(model, True), connection) for f in fields]
    columns = [*varying, *(f.column for f in fields)]
    sql = (
        f"INSERT INTO {model._meta.db_table} ({', '.join(columns)}) "  # noqa: S608
        f"VALUES ({', '.join(['%s'] * len(columns))})"
    )
    cursor.executemany(sql, [(*row, *fixed) for row in rows])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a tenth of the history")
    # For profiling: a history at another size, built once into DIR and read again later.
    parser.add_argument("--scale", type=float, default=1.0, help=argparse.SUPPRESS)
    parser.add_argument("--keep", metavar="DIR", help=argparse.SUPPRESS)
    parser.add_argument("--reuse", metavar="DIR", help=argparse.SUPPRESS)
    # The history over fewer days than a year: a page's period as dense as at full size.
    parser.add_argument("--days", type=float, default=SPAN.days, help=argparse.SUPPRESS)
    args = parser.parse_args()
    scale = args.scale / (10 if args.quick else 1)
    conversations, posts = int(FULL_CONVERSATIONS * scale), int(FULL_POSTS * scale)
    with tempfile.TemporaryDirectory() as folder:
        workdir = Path(args.reuse or args.keep or folder)
        setup_django(workdir)
        from django.test.utils import setup_test_environment

        setup_test_environment()
        if args.reuse:
            from django.core.cache import cache

            cast = find_cast()
            cache.clear()  # the first views count the self-sufficiency months again
        else:
            cast = make_cast()
            make_history(cast, conversations, posts, timedelta(days=args.days))
        measure(cast)


def make_history(cast: dict[str, Any], conversations: int, posts: int, span: timedelta) -> None:
    from cluetrain.insights.rollups import maintain

    started = time.perf_counter()
    messages = build(cast, conversations, posts, span)
    print(f"conversations: {conversations}")
    print(f"posts: {posts}")
    print(f"messages: {messages}")
    print(f"build_s: {time.perf_counter() - started:.1f}")
    started = time.perf_counter()
    done = maintain.catch_up()
    spent = time.perf_counter() - started
    print(f"rollup_s: {spent:.1f}")
    print(f"rollup_messages_per_s: {done['messages'] / spent:.0f}")


def find_cast() -> dict[str, Any]:
    """The cast of a history built earlier with ``--keep``."""
    from cluetrain.organizations.models import Department, Organization, Person
    from cluetrain.voices.models import Voice

    org = Organization.objects.get(slug="bench-rail")
    agents = Person.objects.filter(email__startswith="agent").order_by("pk")
    return {
        "org": org,
        "director": Person.objects.get(email="director@bench.example"),
        "people": list(agents.values_list("pk", flat=True)),
        "departments": list(
            Department.objects.filter(organization=org).order_by("pk").values_list("pk", flat=True)
        ),
        "voices": list(Voice.objects.filter(organization=org).order_by("pk")),
    }


def measure(cast: dict[str, Any]) -> None:
    from django.db import connection
    from django.test import Client, override_settings
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

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
        with CaptureQueriesContext(connection) as queries:
            client.get(url, HTTP_HOST="localhost")
        print(f"{name}_queries: {len(queries)}")
        times = fetch(client, name, url, RUNS)
        with_rollups[name] = percentile(times, 0.95)
        print(f"{name}_p95_ms: {with_rollups[name]:.1f}")
        print(f"{name}_max_ms: {max(times):.1f}")
    print(f"dashboard_p95_ms: {max(with_rollups.values()):.1f}")

    # The same pages computed from the product's tables (no roll-ups, no cache).
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
