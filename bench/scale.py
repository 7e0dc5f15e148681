"""Measure scale-out on PostgreSQL: publishing and triage with 1, 2 and 4 worker processes.

Both workloads are the other benchmarks' own, imported rather than copied:

1. Publishing (``bench/publishing.py``'s ``dispatch_case``): N posts due at the same instant
   through the practice space (a network that answers at once, so the path measured is
   Cluetrain's: claim with ``SKIP LOCKED``, checks, the last-moment UPDATE, recording), drained
   by real ``cluetrain worker`` processes. Rate = posts / (last call - due time).
2. Triage (``bench/triage.py``'s real messages and batches, one in twenty delivered twice):
   ``triage.pipeline.take_in`` as the listeners call it (classify, de-duplicate, thread, start
   the clocks, route, store) by N processes side by side, each taking every N-th batch of
   2,000, all into one organisation. Rate = messages / wall time from the start signal.

Every case is checked from the database: ``duplicates`` counts deliveries published more than
once or called more than once, messages stored twice and conversations made twice for one
thread; it must be 0.

Without ``--database-url`` a throw-away PostgreSQL server is started in a temporary folder on
a free loopback port (default, durable settings) and removed afterwards. A given database must
be one of its own: the benchmark migrates it and deletes its posts.

    .venv/bin/python bench/scale.py [--quick] [--database-url URL]

The machine matters: with C cores, N processes cannot go past about C times one process, and
here the database server, the workers and this script share the same cores.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import datetime as dt
import multiprocessing as mp
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))  # the other benchmarks, imported by name

import publishing as publishing_bench  # noqa: E402
import triage as triage_bench  # noqa: E402

WORKERS = (1, 2, 4)
FULL_POSTS, QUICK_POSTS = 6_000, 1_200
FULL_MESSAGES, QUICK_MESSAGES = 48_000, 8_000


# --- a throw-away PostgreSQL server ------------------------------------------------------------


def _as_postgres(command: list[str]) -> list[str]:
    # PostgreSQL refuses to run as root: use the postgres account then, as ./run does.
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _pg_bin() -> Path:
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).resolve().parent
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin"))
    if not versions:
        sys.exit("scale: PostgreSQL is not installed (Debian: apt install postgresql)")
    return versions[-1]


@contextlib.contextmanager
def throwaway_server() -> Iterator[str]:
    bin_dir = _pg_bin()
    folder = Path(tempfile.mkdtemp(prefix="cluetrain-scale-pg-"))
    folder.chmod(0o755)
    data = folder / "data"
    data.mkdir()
    if os.geteuid() == 0:
        shutil.chown(data, "postgres")
    port = _free_port()
    try:
        subprocess.run(
            _as_postgres(
                [
                    *(str(bin_dir / "initdb"), "-D", str(data), "-U", "cluetrain"),
                    *("--auth=trust", "-E", "UTF8", "--locale=C.UTF-8"),
                ]
            ),
            check=True,
            stdout=subprocess.DEVNULL,
        )
        options = f"-h 127.0.0.1 -p {port} -k {data} -c max_connections=200"
        subprocess.run(
            _as_postgres(
                [
                    *(str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(data / "log")),
                    *("-w", "-o", options, "start"),
                ]
            ),
            check=True,
            stdout=subprocess.DEVNULL,
        )
        subprocess.run(
            [
                str(bin_dir / "createdb"),
                "-h",
                "127.0.0.1",
                "-p",
                str(port),
                "-U",
                "cluetrain",
                "scale",
            ],
            check=True,
        )
        yield f"postgres://cluetrain@127.0.0.1:{port}/scale"
    finally:
        subprocess.run(
            _as_postgres([str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "fast", "stop"]),
            check=False,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        shutil.rmtree(folder, ignore_errors=True)


# --- publishing ----------------------------------------------------------------------------------


def publishing_duplicates() -> int:
    """Deliveries published more than once, or handed to the network more than once."""
    from django.db.models import Count

    from cluetrain.publishing.models import Delivery, PostEvent

    twice = (
        PostEvent.objects.filter(verb="published")
        .values("delivery_id")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .count()
    )
    return twice + Delivery.objects.filter(attempts__gt=1).count()


def publishing_case(workers: int, posts: int, quick: bool) -> dict[str, float]:
    from django.db.models import Max, Min

    from cluetrain.publishing.models import Delivery

    # Time for every worker to start (Django, the triage models) before the posts fall due;
    # more processes starting at once on few cores take longer.
    publishing_bench.WARMUP_SECONDS = (4.0 + 2.0 * workers) if quick else (8.0 + 6.0 * workers)
    result = publishing_bench.dispatch_case(workers, posts, 0.0)
    # All posts fall due at one instant; the rate is taken over the calls themselves (first to
    # last). ``start`` (first call minus due time) near 0 says every worker was ready in time.
    window = Delivery.objects.aggregate(
        first=Min("called_at"), last=Max("called_at"), due=Min("due_at")
    )
    seconds = (window["last"] - window["first"]).total_seconds() if window["first"] else 0.0
    return {
        "rate": result["published"] / max(seconds, 1e-3),
        "start": (window["first"] - window["due"]).total_seconds() if window["first"] else 0.0,
        "unfinished": result["unfinished"],
        "duplicates": publishing_duplicates(),
    }


# --- triage ----------------------------------------------------------------------------------


def make_triage_organization(label: str) -> int:
    from cluetrain.core.demo import DEPARTMENTS
    from cluetrain.organizations.models import Department, Organization

    organization = Organization.objects.create(name=f"Scale {label}", slug=f"scale-{label}")
    for name in DEPARTMENTS:
        Department.objects.create(
            organization=organization, name=name, slug=name.lower().replace(" ", "-")
        )
    return organization.pk


def triage_process(
    organization_id: int, prefix: str, texts: list[str], spans: list, queue: mp.Queue, go: object
) -> None:
    import django

    django.setup()
    from cluetrain.core.setup import settle
    from cluetrain.triage.pipeline import take_in

    base = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)

    def batch(start: int, stop: int) -> list:
        # bench/triage.py's messages, under this case's own ids (one organisation per case).
        return [
            dataclasses.replace(h, external_id=f"{prefix}{h.external_id}")
            for h in triage_bench.heard_batch(texts, start, stop, base)
        ]

    warm = triage_bench.heard_batch(texts, 0, 1, base)[0]
    take_in(organization_id, [dataclasses.replace(warm, external_id=f"warm-{os.getpid()}")])
    settle()
    queue.put(("ready", 0))
    go.wait()  # type: ignore[attr-defined]
    stored = sum(take_in(organization_id, batch(start, stop)) for start, stop in spans)
    queue.put(("done", stored))


def triage_counts(organization_id: int, prefix: str) -> tuple[int, int, int]:
    """(messages stored more than once + conversations made twice for one thread, messages
    left untriaged, messages stored)."""
    from django.db.models import Count, Sum

    from cluetrain.inbox.models import Conversation
    from cluetrain.listening.models import Message

    mine = Message.objects.filter(organization_id=organization_id, external_id__startswith=prefix)
    extra_messages = (
        mine.values("network", "external_id")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .aggregate(extra=Sum("n"))["extra"]
        or 0
    )
    extra_threads = (
        Conversation.objects.filter(organization_id=organization_id)
        .values("root_external_id")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .aggregate(extra=Sum("n"))["extra"]
        or 0
    )
    untriaged = mine.filter(triaged_at__isnull=True).count()
    return extra_messages + extra_threads, untriaged, mine.count()


def triage_case(workers: int, messages: int, texts: list[str]) -> dict[str, float]:
    from django.db import connection

    label = f"{workers}w-{int(time.time())}"
    organization_id = make_triage_organization(label)
    prefix = f"{label}:"
    connection.close()
    batches = triage_bench.BATCH
    spans = [(s, min(s + batches, messages)) for s in range(0, messages, batches)]
    ctx = mp.get_context("spawn")
    queue: mp.Queue = ctx.Queue()
    go = ctx.Event()
    children = [
        ctx.Process(
            target=triage_process,
            args=(organization_id, prefix, texts, spans[k::workers], queue, go),
        )
        for k in range(workers)
    ]
    for child in children:
        child.start()
    ready = 0
    while ready < workers:
        kind, _ = queue.get(timeout=300)
        ready += kind == "ready"
    go.set()
    started = time.perf_counter()
    stored = 0
    for _ in range(workers):
        kind, count = queue.get(timeout=900)
        stored += count
    wall = time.perf_counter() - started
    for child in children:
        child.join()
    distinct = len({n - 1 if n % 20 == 19 else n for n in range(messages)})
    duplicates, untriaged, counted = triage_counts(organization_id, prefix)
    return {
        "rate": messages / wall,
        # More stored than there were distinct messages is a duplicate; fewer, a loss.
        "duplicates": duplicates + max(0, counted - distinct) + max(0, stored - distinct),
        "unfinished": untriaged + max(0, distinct - counted),
    }


# --- the run ---------------------------------------------------------------------------------


def run(database_url: str, quick: bool) -> bool:
    posts = QUICK_POSTS if quick else FULL_POSTS
    messages = QUICK_MESSAGES if quick else FULL_MESSAGES
    workdir = Path(tempfile.mkdtemp(prefix="cluetrain-scale-"))
    try:
        publishing_bench.setup_django(workdir, database_url)
        from django.db import connection

        texts = triage_bench.real_texts()
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_setting('server_version')")
            version = cursor.fetchone()[0]
        print(f"database: postgresql {version}")
        print(f"cpu_cores: {os.cpu_count()}")
        print(f"posts: {posts}")
        print(f"messages: {messages}")
        duplicates = 0
        unfinished = 0
        publish: dict[int, float] = {}
        for workers in WORKERS:
            result = publishing_case(workers, posts, quick)
            publish[workers] = result["rate"]
            duplicates += int(result["duplicates"])
            unfinished += int(result["unfinished"])
            print(f"publish_posts_per_s_{workers}_workers: {result['rate']:.0f}")
            print(f"publish_first_call_after_due_s_{workers}_workers: {result['start']:.2f}")
        triage: dict[int, float] = {}
        for workers in WORKERS:
            result = triage_case(workers, messages, texts)
            triage[workers] = result["rate"]
            duplicates += int(result["duplicates"])
            unfinished += int(result["unfinished"])
            print(f"triage_messages_per_s_{workers}_workers: {result['rate']:.0f}")
        for workers in WORKERS[1:]:
            print(f"publish_speedup_{workers}_workers: {publish[workers] / publish[1]:.2f}")
            print(f"triage_speedup_{workers}_workers: {triage[workers] / triage[1]:.2f}")
        print(f"unfinished: {unfinished}")
        print(f"duplicates: {duplicates}")
        return duplicates == 0 and unfinished == 0
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="smaller run, under a minute")
    parser.add_argument("--database-url", help="a PostgreSQL database of the benchmark's own")
    args = parser.parse_args()
    if args.database_url:
        ok = run(args.database_url, args.quick)
    else:
        with throwaway_server() as url:
            ok = run(url, args.quick)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
