"""Measure the inbox's lists and search at 1,000,000 conversations (100,000 with ``--quick``).

A throw-away database gets one big organisation (nine conversations in ten: the hard case)
and four small ones, 50 people, 8 departments and 20 tags in the big one, and conversations
whose texts are real messages (the airline tweets and the Kaggle customer-support tweets):
85 % resolved, 5 % waiting, 7 % open, 3 % new, 2 % of the active ones snoozed, a clock
(``due_at``) on the new and open ones. Rows are written with raw ``executemany``, the
search index kept by its triggers as in production.

Then, through ``cluetrain.inbox.queues.conversation_page`` (the function the page, the API
and the CLI call), each list is asked for repeatedly and the row fields a list shows are
read: per-call latency, p50 and p95. Side by side in the same run: the same open-queue page
the naive way (COUNT(*) of the queue, then OFFSET), and search against a LIKE '%word%' scan.

    .venv/bin/python bench/inbox.py [--quick] [--database-url URL]

Without ``--database-url`` it uses a fresh SQLite database in a temporary folder; a
PostgreSQL database must be a throw-away one (it is migrated and filled).
"""

from __future__ import annotations

import argparse
import csv
import math
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data"

FULL, QUICK = 1_000_000, 100_000
PEOPLE, DEPARTMENTS, TAGS, SMALL_ORGS = 50, 8, 20, 4
CHUNK = 20_000
STATUS_SHARES = (("resolved", 0.85), ("waiting", 0.05), ("open", 0.07), ("new", 0.03))
NOW = datetime.now(UTC).replace(microsecond=0)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[max(1, math.ceil(fraction * len(ordered))) - 1]


def setup_django(workdir: Path, database_url: str | None) -> None:
    os.environ["CLUETRAIN_DATA_DIR"] = str(workdir / "data")
    os.environ["DJANGO_SETTINGS_MODULE"] = "cluetrain.settings"
    os.environ["CLUETRAIN_LOG_LEVEL"] = "WARNING"
    if database_url:
        os.environ["DATABASE_URL"] = database_url
    else:
        os.environ.pop("DATABASE_URL", None)
    cluetrain = str(Path(sys.executable).parent / "cluetrain")
    subprocess.run([cluetrain, "migrate", "--no-input", "-v", "0"], check=True, env=os.environ)
    import django

    django.setup()


# --- data -----------------------------------------------------------------------------------


def load_texts() -> list[tuple[str, str]]:
    """(text, sentiment label) of real messages; twcs rows carry no label."""
    texts: list[tuple[str, str]] = []
    with open(DATA / "airline" / "Tweets.csv", encoding="utf-8", newline="") as f:
        texts += [(r["text"], r["airline_sentiment"]) for r in csv.DictReader(f) if r["text"]]
    for name in ("twcs_random5000.csv", "twcs_kaggle_sample.csv"):
        with open(DATA / "twcs" / name, encoding="utf-8", newline="") as f:
            texts += [(r["text"], "") for r in csv.DictReader(f) if r["text"]]
    return texts


def make_cast() -> tuple[Any, Any, list[Any], list[int], list[int], list[Any]]:
    """The big organisation, its viewer, people, departments and tags; the small ones."""
    from cluetrain.inbox.models import Tag
    from cluetrain.organizations.models import Department, Organization, Person
    from cluetrain.organizations.roles import Role
    from cluetrain.organizations.services import do_add_member

    big = Organization.objects.create(name="Bench Air", slug="bench-air")
    small = [
        Organization.objects.create(name=f"Small {n}", slug=f"small-{n}") for n in range(SMALL_ORGS)
    ]
    people = []
    for n in range(PEOPLE):
        person = Person.objects.create_user(f"agent{n}@bench.example", full_name=f"Agent {n}")
        do_add_member(big, person, [Role.MEMBER])
        people.append(person)
    departments = [
        Department.objects.create(organization=big, name=f"Desk {n}", slug=f"desk-{n}").pk
        for n in range(DEPARTMENTS)
    ]
    tags = [Tag.objects.create(organization=big, name=f"tag-{n}").pk for n in range(TAGS)]
    return big, people[0], people, departments, tags, small


def build(total: int) -> dict[str, Any]:
    from django.db import connection, transaction

    texts = load_texts()
    big, viewer, people, departments, tags, small = make_cast()
    rng = random.Random(20260101)
    statuses = [s for s, _ in STATUS_SHARES]
    weights = [w for _, w in STATUS_SHARES]
    authors_per_org = max(1000, total // 4)
    span = timedelta(days=730)
    started = time.perf_counter()
    org_ids = [big.pk] + [o.pk for o in small]
    with transaction.atomic(), connection.cursor() as cursor:
        author_base: dict[int, int] = {}
        for org_id in org_ids:
            count = authors_per_org if org_id == big.pk else authors_per_org // 10
            cursor.execute("SELECT COALESCE(MAX(id), 0) FROM listening_author")
            author_base[org_id] = cursor.fetchone()[0] + 1
            rows = [
                (
                    org_id,
                    "bluesky",
                    f"did:plc:{org_id}x{n}",
                    f"user{n}.bsky.social",
                    f"User {n}",
                    "",
                    NOW - span,
                    NOW,
                    1,
                )
                for n in range(count)
            ]
            for at in range(0, len(rows), CHUNK):
                cursor.executemany(
                    "INSERT INTO listening_author (organization_id, network, external_id, handle,"
                    " display_name, profile_url, first_seen_at, last_seen_at, message_count)"
                    " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
                    rows[at : at + CHUNK],
                )
        columns = (
            "organization_id, network, root_external_id, author_id, subject, status,"
            " assignee_id, department_id, intent, sentiment, sentiment_label, urgency, topic,"
            " incident, complaint, message_count, first_message_at, last_message_at,"
            " snoozed_until, first_response_due, due_at, search_text, created_at, updated_at"
        )
        sql = (
            f"INSERT INTO inbox_conversation ({columns}) VALUES ("  # noqa: S608
            + ", ".join(["%s"] * 24)
            + ")"
        )
        tag_links: list[tuple[int, int]] = []
        cursor.execute("SELECT COALESCE(MAX(id), 0) FROM inbox_conversation")
        next_id = cursor.fetchone()[0] + 1
        batch: list[tuple[Any, ...]] = []
        for n in range(total):
            org_id = big.pk if n % 10 else org_ids[1 + n // 10 % SMALL_ORGS]
            first = NOW - span + span * (n / total) + timedelta(seconds=rng.randint(0, 3600))
            last = first + timedelta(seconds=int(rng.expovariate(1 / 7200)))
            last = min(last, NOW)
            status = rng.choices(statuses, weights)[0]
            active = status in ("new", "open")
            in_big = org_id == big.pk
            assignee = None
            if in_big and status != "new" and rng.random() < 0.8:
                assignee = rng.choice(people).pk
            department = rng.choice(departments) if in_big and rng.random() < 0.85 else None
            text, label = texts[rng.randrange(len(texts))]
            author_id = author_base[org_id] + rng.randrange(
                authors_per_org if in_big else authors_per_org // 10
            )
            due = last + timedelta(minutes=rng.randint(-600, 1440)) if active else None
            snoozed = None
            if active and rng.random() < 0.02:
                snoozed = NOW + timedelta(hours=rng.randint(1, 48))
            batch.append(
                (
                    org_id,
                    "bluesky",
                    f"at://{n}",
                    author_id,
                    " ".join(text.split())[:200],
                    status,
                    assignee,
                    department,
                    rng.choice(("question", "complaint", "praise", "request", "other")),
                    None,
                    label or rng.choice(("negative", "neutral", "positive")),
                    rng.choice(("low", "normal", "normal", "high")),
                    "",
                    rng.random() < 0.01,
                    label == "negative",
                    1 + int(rng.expovariate(0.5)),
                    first,
                    last,
                    snoozed,
                    due if status == "new" else None,
                    due,
                    f"user{author_id}.bsky.social {text}",
                    first,
                    last,
                )
            )
            if in_big and rng.random() < 0.2:
                tag_links.append((next_id + n, rng.choice(tags)))
            if len(batch) == CHUNK:
                cursor.executemany(sql, batch)
                batch = []
        if batch:
            cursor.executemany(sql, batch)
        for at in range(0, len(tag_links), CHUNK):
            cursor.executemany(
                "INSERT INTO inbox_conversation_tags (conversation_id, tag_id) VALUES (%s, %s)",
                tag_links[at : at + CHUNK],
            )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return {
        "big": big,
        "viewer": viewer,
        "departments": departments,
        "tags": tags,
        "texts": texts,
        "build_s": time.perf_counter() - started,
    }


def rare_words(texts: list[tuple[str, str]], count: int) -> list[str]:
    """Words found in exactly two of the source messages (so in a few dozen conversations)."""
    seen: Counter[str] = Counter()
    for text, _ in texts:
        seen.update({w.lower() for w in re.findall(r"[A-Za-z]{7,}", text)})
    rare = sorted(w for w, n in seen.items() if n == 2)
    return random.Random(5).sample(rare, count)


# --- measuring ------------------------------------------------------------------------------


def timed(call: Callable[[], object], repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        out.append((time.perf_counter() - started) * 1000)
    return out


def show(page: Any) -> int:
    """Read what a list row shows, as the template would."""
    seen = 0
    for c in page.rows:
        seen += len(c.author.handle) + len(c.author.display_name) + len(c.subject)
        seen += len(c.assignee.full_name) if c.assignee else 0
        seen += len(c.department.name) if c.department else 0
        seen += len([t.name for t in c.tags.all()])
        seen += len(c.intent + c.sentiment_label + c.urgency) + int(c.incident)
        seen += 1 if c.due_at else 0
    return seen


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="100,000 conversations")
    parser.add_argument("--database-url", default=None)
    parser.add_argument(
        "--repeat", type=int, default=0, help="calls per list (default 40; 12 quick)"
    )
    parser.add_argument("--keep", type=Path, default=None, help="build in this folder, kept")
    args = parser.parse_args()
    total = QUICK if args.quick else FULL
    repeat = args.repeat or (12 if args.quick else 40)
    wall = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="cluetrain-bench-") as workdir:
        setup_django(args.keep or Path(workdir), args.database_url)
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        from cluetrain.inbox.filters import parse_filters
        from cluetrain.inbox.models import Conversation
        from cluetrain.inbox.queues import conversation_page, count_conversations

        world = build(total)
        big, viewer = world["big"], world["viewer"]
        print(f"database: {connection.vendor}")
        print(f"conversations: {Conversation.objects.count()}")
        print(f"build_s: {world['build_s']:.1f}")

        def page(params: dict[str, Any], after: str | None = None, limit: int = 50) -> Any:
            result = conversation_page(big, viewer, parse_filters(params), after=after, limit=limit)
            show(result)
            return result

        def deep_cursor(params: dict[str, Any], pages: int) -> str | None:
            after = None
            for _ in range(pages):
                after = page(params, after).next_cursor
            return after

        views: dict[str, tuple[dict[str, Any], str | None]] = {
            "open": ({}, None),
            "mine": ({"assignee": "me"}, None),
            "department": ({"department": world["departments"][3]}, None),
            "due": ({"sort": "due"}, None),
            "waiting": ({"status": "waiting"}, None),
            "tag": ({"tag": "tag-7", "status": "all"}, None),
            "urgent_negative": ({"urgency": "high", "sentiment": "negative"}, None),
            "page_21": ({}, deep_cursor({}, 20)),
        }
        page({})  # warm the caches once, as a running server has
        latencies: dict[str, list[float]] = {}
        for name, (params, after) in views.items():
            latencies[name] = timed(lambda p=params, a=after: page(p, a), repeat)
            print(f"queue_{name}_p95_ms: {percentile(latencies[name], 0.95):.1f}")
        every_view = [ms for values in latencies.values() for ms in values]
        print(f"queue_page_p50_ms: {percentile(latencies['open'], 0.50):.1f}")
        print(f"queue_page_p95_ms: {percentile(latencies['open'], 0.95):.1f}")
        print(f"queue_every_view_p95_ms: {percentile(every_view, 0.95):.1f}")

        counted = timed(lambda: count_conversations(big, viewer, parse_filters({})), repeat)
        print(f"open_count_capped: {count_conversations(big, viewer, parse_filters({}))}")
        print(f"count_capped_p95_ms: {percentile(counted, 0.95):.1f}")

        queries = ["refund", "delayed flight", "lost bag", "cancelled", "customer service"]
        queries += ['"late flight"', "bagg", "thank you", "flight"]
        queries += rare_words(world["texts"], 6)
        search_ms: list[float] = []
        found = 0
        for q in queries:
            search_ms += timed(lambda q=q: page({"q": q, "status": "all"}), max(3, repeat // 4))
            search_ms += timed(lambda q=q: page({"q": q}), max(3, repeat // 4))
            found += len(page({"q": q, "status": "all"}).rows)
        print(f"search_queries: {len(queries)}")
        print(f"search_rows_found: {found}")
        print(f"search_p50_ms: {percentile(search_ms, 0.50):.1f}")
        print(f"search_p95_ms: {percentile(search_ms, 0.95):.1f}")

        for rows in (10, 1000):
            with CaptureQueriesContext(connection) as captured:
                fresh = type(viewer).objects.get(pk=viewer.pk)
                result = conversation_page(big, fresh, parse_filters({"status": "all"}), limit=rows)
                show(result)
            assert len(result.rows) == rows
            print(f"queries_{rows}_rows: {len(captured) - 1}")  # less the viewer's own get

        naive, keyset, like, fts = compare(big, viewer, page, repeat)
        print(f"naive_offset_page_21_p95_ms: {percentile(naive, 0.95):.1f}")
        print(f"keyset_page_21_p95_ms: {percentile(keyset, 0.95):.1f}")
        print(f"naive_over_keyset_ratio: {percentile(naive, 0.5) / percentile(keyset, 0.5):.1f}")
        print(f"like_scan_p95_ms: {percentile(like, 0.95):.1f}")
        print(f"search_same_words_p95_ms: {percentile(fts, 0.95):.1f}")
        print(f"like_over_search_ratio: {percentile(like, 0.5) / percentile(fts, 0.5):.1f}")
        print(f"wall_s: {time.perf_counter() - wall:.1f}")


def compare(
    big: Any, viewer: Any, page: Callable[..., Any], repeat: int
) -> tuple[list[float], list[float], list[float], list[float]]:
    """The same open-queue page 21 as a paginator would fetch it (COUNT(*) then OFFSET), and
    the same words searched with LIKE '%word%' over the open queue."""
    from django.db.models import Q
    from django.utils import timezone

    from cluetrain.inbox.models import Conversation

    def naive_page() -> None:
        qs = (
            Conversation.objects.filter(organization=big, status__in=("new", "open"))
            .filter(Q(snoozed_until__isnull=True) | Q(snoozed_until__lte=timezone.now()))
            .select_related("author", "assignee", "department")
            .prefetch_related("tags")
            .order_by("-last_message_at", "-id")
        )
        qs.count()
        list(qs[1000:1050])

    after = None
    for _ in range(20):
        after = page({}, after).next_cursor
    naive = timed(naive_page, max(5, repeat // 2))
    keyset = timed(lambda: page({}, after), max(5, repeat // 2))
    words = ["refund", "lost bag", "cancelled"]

    def like_scan() -> None:
        for q in words:
            qs = Conversation.objects.filter(organization=big, status__in=("new", "open"))
            for word in q.split():
                qs = qs.filter(search_text__icontains=word)
            list(qs.order_by("-id")[:50])

    def fts_search() -> None:
        for q in words:
            page({"q": q})

    like = timed(like_scan, max(3, repeat // 8))
    fts = timed(fts_search, max(3, repeat // 8))
    return naive, keyset, like, fts


if __name__ == "__main__":
    main()
