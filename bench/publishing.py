"""Measure publishing: dispatch lag of a burst of due posts, and overhead against a bare client.

1. Dispatch lag. N posts (10,000; 2,000 with ``--quick``) are made due within the same minute
   (due times spread evenly over 60 s; 12 s with ``--quick``) through the practice space, a
   network that answers at once, so what is measured is Cluetrain's own path: claim, checks,
   the last-moment UPDATE, the call, recording the result. Real ``cluetrain worker`` processes
   (one, then two) publish them. Lag = the instant the network call started (``called_at``)
   minus the due time. Also reported: the peak resident memory (VmHWM) of a worker and whether
   every post was published exactly once.
2. Against the local Bluesky server (``tests/support/pds``): posts per second through
   Cluetrain's full path (``dispatch.run_due`` in this process: claim, load, policy re-check,
   rate limit, connector with facets and deterministic record keys, ``createRecord``, record
   the result) against a bare ``atproto`` ``createRecord`` loop on the same server, in
   alternating rounds; medians. One publishing thread on each side, so the ratio is the share
   of a post's time that is the network's own.

    .venv/bin/python bench/publishing.py [--quick] [--database-url URL] [--skip-pds]

Without ``--database-url`` it uses a fresh SQLite database in a temporary folder.
"""

from __future__ import annotations

import argparse
import math
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # for tests.support.pds

FULL_POSTS, QUICK_POSTS = 10_000, 2_000
FULL_SPREAD, QUICK_SPREAD = 60.0, 12.0
FULL_PDS, QUICK_PDS = 200, 40
WARMUP_SECONDS = 8.0  # workers start (Django import, connections) before the first post is due


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[max(1, math.ceil(fraction * len(ordered))) - 1]


def cluetrain_command() -> str:
    return str(Path(sys.executable).parent / "cluetrain")


def setup_django(workdir: Path, database_url: str | None) -> None:
    os.environ["CLUETRAIN_DATA_DIR"] = str(workdir / "data")
    os.environ["DJANGO_SETTINGS_MODULE"] = "cluetrain.settings"
    os.environ["CLUETRAIN_LOG_LEVEL"] = "WARNING"
    os.environ["CLUETRAIN_ALLOW_PRIVATE_URLS"] = "true"  # the local PDS is on loopback
    if database_url:
        os.environ["DATABASE_URL"] = database_url
    else:
        os.environ.pop("DATABASE_URL", None)
    subprocess.run(
        [cluetrain_command(), "migrate", "--no-input", "-v", "0"], check=True, env=os.environ
    )
    subprocess.run([cluetrain_command(), "createcachetable"], check=True, env=os.environ)
    import django

    django.setup()


def make_people(count: int) -> list[tuple[object, object]]:
    """An organisation with ``count`` members, each with a personal practice voice."""
    from cluetrain.organizations.models import Organization, Person
    from cluetrain.organizations.roles import Role
    from cluetrain.organizations.services import do_add_member
    from cluetrain.voices.models import Network, Voice, VoiceKind

    slug = f"bench-{uuid.uuid4().hex[:8]}"
    organization = Organization.objects.create(name="Bench Rail", slug=slug)
    cast = []
    for n in range(count):
        person = Person.objects.create_user(f"p{n}-{slug}@bench.example", full_name=f"P {n}")
        do_add_member(organization, person, [Role.MEMBER])
        voice = Voice.objects.create(
            organization=organization,
            kind=VoiceKind.PERSONAL,
            network=Network.PRACTICE,
            handle=f"@p{n}",
            name=f"P {n}",
            owner=person,
        )
        cast.append((person, voice))
    return cast


def plant_posts(total: int, spread: float, start_in: float) -> None:
    """``total`` posts due evenly over ``spread`` seconds, the first ``start_in`` s from now."""
    from django.db import transaction
    from django.utils import timezone

    from cluetrain.publishing.models import Category, Delivery, Post, PostStatus
    from cluetrain.publishing.text import fingerprint

    cast = make_people(10)
    first = timezone.now() + timedelta(seconds=start_in)
    with transaction.atomic():
        for offset in range(0, total, 1000):
            chunk = range(offset, min(total, offset + 1000))
            posts = Post.objects.bulk_create(
                Post(
                    organization_id=cast[n % 10][1].organization_id,  # type: ignore[attr-defined]
                    author=cast[n % 10][0],
                    text=f"Bench post {n} #acmerail https://acme-rail.example/{n}",
                    category=Category.OPERATIONAL,
                    status=PostStatus.SCHEDULED,
                )
                for n in chunk
            )
            Delivery.objects.bulk_create(
                Delivery(
                    post=post,
                    voice=cast[n % 10][1],
                    organization_id=post.organization_id,
                    network="practice",
                    status=PostStatus.SCHEDULED,
                    due_at=first + timedelta(seconds=spread * n / total),
                    text_hash=fingerprint(post.text),
                )
                for n, post in zip(chunk, posts, strict=True)
            )


def peak_rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def stop_workers(processes: list[subprocess.Popen]) -> None:
    """Ask every worker still running to stop (SIGTERM: finish the call in hand), then kill
    and reap the stragglers. The other benchmarks that start workers use this one too."""
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def dispatch_case(workers: int, total: int, spread: float) -> dict[str, float]:
    from django.db import connection

    from cluetrain.publishing.models import Delivery, Post, PostEvent, PostStatus

    Delivery.objects.all().delete()
    PostEvent.objects.all().delete()
    Post.objects.all().delete()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE publishing_delivery")
    plant_posts(total, spread, WARMUP_SECONDS)
    connection.close()
    processes = [
        subprocess.Popen(
            [cluetrain_command(), "worker", "--queues", "*", "--no-housekeeping", "-v", "0"],
            env=os.environ,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        for _ in range(workers)
    ]
    deadline = time.monotonic() + WARMUP_SECONDS + spread + 300
    peak = 0.0
    try:
        while time.monotonic() < deadline:
            time.sleep(0.5)
            peak = max([peak, *(peak_rss_mb(p.pid) for p in processes)])
            left = Delivery.objects.exclude(status=PostStatus.PUBLISHED).count()
            if left == 0:
                break
            if any(p.poll() is not None for p in processes):
                raise SystemExit(
                    "a worker exited early:\n"
                    + "\n".join(
                        (p.stderr.read() or b"").decode()[-2000:] for p in processes if p.stderr
                    )
                )
        peak = max([peak, *(peak_rss_mb(p.pid) for p in processes)])
    finally:
        stop_workers(processes)
    rows = list(Delivery.objects.values_list("status", "due_at", "called_at", "attempts"))
    published = [r for r in rows if r[0] == PostStatus.PUBLISHED]
    lags = [(called - due).total_seconds() for _, due, called, _ in published]
    return {
        "p50": percentile(lags, 0.50) if lags else float("nan"),
        "p99": percentile(lags, 0.99) if lags else float("nan"),
        "max": max(lags) if lags else float("nan"),
        "published": len(published),
        "unfinished": len(rows) - len(published),
        "retried": sum(1 for r in published if r[3] != 1),
        "peak_rss_mb": peak,
    }


def pds_rounds(posts: int, rounds: int) -> dict[str, float]:
    """Posts per second: Cluetrain's full path against a bare createRecord loop."""
    from atproto import Client

    from cluetrain.networks.bluesky import facets
    from cluetrain.organizations.models import Organization, Person
    from cluetrain.organizations.roles import Role
    from cluetrain.organizations.services import do_add_member
    from cluetrain.publishing import dispatch
    from cluetrain.publishing.drafts import Draft
    from cluetrain.publishing.models import Delivery, PostStatus
    from cluetrain.publishing.scheduling import Schedule, When
    from cluetrain.publishing.services import do_create_post
    from cluetrain.reviews.autonomy import do_set_level
    from cluetrain.voices.services import do_connect_personal_voice
    from tests.support.pds import _stop, start_pds

    with tempfile.TemporaryFile(mode="w+") as stderr:
        proc, info = start_pds(stderr)
        try:
            service = str(info["pds"])
            handle = f"bench{uuid.uuid4().hex[:6]}.test"
            anonymous = Client(base_url=f"{service}/xrpc")
            made = anonymous.com.atproto.server.create_account(
                {"handle": handle, "email": f"{handle}@example.com", "password": "bench-pass-1"}
            )
            bare = Client(base_url=f"{service}/xrpc")
            bare.login(handle, "bench-pass-1", fetch_bsky_profile=False)

            organization = Organization.objects.create(name="PDS Bench", slug=f"pds-{handle[5:11]}")
            person = Person.objects.create_user(f"{handle}@bench.example", full_name="Bench Person")
            do_add_member(organization, person, [Role.MEMBER])
            # A new member's posts wait for review; the bench measures an author who has
            # earned autonomy, so that what is timed is the path to the network.
            coordinator = Person.objects.create_user(
                f"coordinator-{handle}@bench.example", full_name="Bench Coordinator"
            )
            do_add_member(organization, coordinator, [Role.COORDINATOR])
            do_set_level(coordinator, person, organization, "autonomous", reason="Bench author.")
            voice = do_connect_personal_voice(
                person,
                organization,
                "bluesky",
                handle,
                credential={
                    "handle": handle,
                    "app_password": "bench-pass-1",
                    "service": service,
                    "web": "https://bsky.app",
                },
            )
            # Log in once outside the timing, as a running worker would have done long ago.
            dispatch_warm = do_create_post(
                person, organization, Draft(text="warm up", voices=[voice]), Schedule(When.NOW)
            )
            dispatch.run_due()
            assert dispatch_warm.deliveries.get().status == PostStatus.PUBLISHED

            bare_rates, full_rates = [], []

            def bare_round(round_number: int) -> float:
                # The same record Cluetrain sends (text and hashtag facet), built beforehand.
                texts = [f"Bare post {round_number}-{n} #acmerail" for n in range(posts)]
                records = [
                    {"$type": "app.bsky.feed.post", "text": text, "facets": facets(text)}
                    for text in texts
                ]
                started = time.perf_counter()
                for record in records:
                    bare.com.atproto.repo.create_record(
                        {
                            "repo": made.did,
                            "collection": "app.bsky.feed.post",
                            "record": {**record, "createdAt": bare.get_current_time_iso()},
                        }
                    )
                return posts / (time.perf_counter() - started)

            def full_round(round_number: int) -> float:
                # Each round starts with the voice's hourly allowance intact.
                Delivery.objects.filter(voice=voice).update(called_at=None)
                for n in range(posts):
                    do_create_post(
                        person,
                        organization,
                        Draft(text=f"Full post {round_number}-{n} #acmerail", voices=[voice]),
                        Schedule(When.NOW),
                    )
                started = time.perf_counter()
                handled = dispatch.run_due()
                return handled / (time.perf_counter() - started)

            # Alternate which goes first, so neither always meets a busier server.
            for round_number in range(rounds):
                if round_number % 2:
                    full_rates.append(full_round(round_number))
                    bare_rates.append(bare_round(round_number))
                else:
                    bare_rates.append(bare_round(round_number))
                    full_rates.append(full_round(round_number))
            published = Delivery.objects.filter(voice=voice, status=PostStatus.PUBLISHED).count()
            on_server = count_records(anonymous, made.did)
        finally:
            _stop(proc)
    return {
        "bare": statistics.median(bare_rates),
        "full": statistics.median(full_rates),
        "published": published,
        "expected": rounds * posts + 1,
        "on_server": on_server - rounds * posts,  # minus the bare loop's own posts
    }


def count_records(client: object, did: str) -> int:
    total, cursor = 0, None
    while True:
        params = {"repo": did, "collection": "app.bsky.feed.post", "limit": 100}
        if cursor:
            params["cursor"] = cursor
        page = client.com.atproto.repo.list_records(params)  # type: ignore[attr-defined]
        total += len(page.records)
        cursor = page.cursor
        if not cursor or not page.records:
            return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="smaller run, under a minute")
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--skip-pds", action="store_true", help="no Bluesky part")
    parser.add_argument("--skip-dispatch", action="store_true", help="only the Bluesky part")
    parser.add_argument(
        "--spread",
        type=float,
        default=None,
        help="seconds over which the posts fall due (default 60, quick 12; 0: all at once)",
    )
    args = parser.parse_args()
    total = QUICK_POSTS if args.quick else FULL_POSTS
    spread = QUICK_SPREAD if args.quick else FULL_SPREAD
    if args.spread is not None:
        spread = max(0.0, args.spread)
    with tempfile.TemporaryDirectory(prefix="cluetrain-bench-") as workdir:
        setup_django(Path(workdir), args.database_url)
        from django.db import connection

        print(f"database: {connection.vendor}")
        print(f"posts: {total}")
        print(f"due_within_s: {spread:.0f}")
        failed = False
        peak = 0.0
        cases = () if args.skip_dispatch else ((1, "1_worker"), (2, "2_workers"))
        for workers, suffix in cases:
            result = dispatch_case(workers, total, spread)
            print(f"dispatch_p50_s_{suffix}: {result['p50']:.3f}")
            print(f"dispatch_p99_s_{suffix}: {result['p99']:.3f}")
            print(f"dispatch_max_s_{suffix}: {result['max']:.3f}")
            print(f"published_{suffix}: {result['published']}")
            print(f"unfinished_{suffix}: {result['unfinished']}")
            peak = max(peak, result["peak_rss_mb"])
            failed |= result["unfinished"] > 0 or result["retried"] > 0
        if cases:
            print(f"worker_peak_rss_mb: {peak:.0f}")
        if not args.skip_pds:
            pds = pds_rounds(QUICK_PDS if args.quick else FULL_PDS, 3 if args.quick else 5)
            print(f"pds_posts_per_s: {pds['full']:.1f}")
            print(f"bare_posts_per_s: {pds['bare']:.1f}")
            print(f"pds_ratio: {pds['full'] / pds['bare']:.2f}")
            exactly_once = pds["published"] == pds["expected"] == pds["on_server"]
            print(f"pds_exactly_once: {'yes' if exactly_once else 'NO'}")
            failed |= not exactly_once
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
