"""Measure scale-out on PostgreSQL: publishing and triage with 1, 2 and 4 worker processes.

Both workloads are the other benchmarks' own, imported rather than copied:

1. Publishing (``bench/publishing.py``'s ``dispatch_case``): N posts due at the same instant
   through the practice space (a network that answers at once, so the path measured is
   Cluetrain's: claim with ``SKIP LOCKED``, checks, the last-moment UPDATE, recording), drained
   by real ``cluetrain worker`` processes. Rate = posts / (last call - first call).
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

What is set up is kept out of the time it takes: migrating an empty database (most of a quick
run's time) happens once, after which its schema is kept as a ``pg_dump`` in the temporary
folder, named by the migrations it holds, and the next run loads that instead. The publishing
workers start once, all four: the posts of a case are planted due an hour later and made due
at once when the workers are polling (no fixed warm-up to guess), and after the 4-worker case
one worker after another is stopped for the smaller ones. The triage processes start once,
load their models once, and take part in every case their number is within.

    .venv/bin/python bench/scale.py [--quick] [--database-url URL]

The machine matters: with C cores, N processes cannot go past about C times one process, and
here the database server, the workers and this script share the same cores.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import datetime as dt
import hashlib
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
APP_NAME = "cluetrain-scale-worker-"


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


# --- the schema, migrated once ------------------------------------------------------------------


def _schema_key() -> str:
    """Names the migrated schema: every migration's name, and the project's migration files."""
    import django
    from django.db import connection
    from django.db.migrations.loader import MigrationLoader

    digest = hashlib.sha256(django.get_version().encode())
    loader = MigrationLoader(connection, ignore_no_migrations=True)
    for app, name in sorted(loader.disk_migrations):
        digest.update(f"{app}.{name}\n".encode())
    for path in sorted((HERE.parent / "src").glob("cluetrain/*/migrations/*.py")):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _client(name: str) -> str:
    found = shutil.which(name)
    return found or str(_pg_bin() / name)


def prepare_database(workdir: Path, database_url: str) -> None:
    """Django set up on ``database_url``, migrated (from the kept schema when there is one)."""
    import django
    from django.core.management import call_command

    os.environ["CLUETRAIN_DATA_DIR"] = str(workdir / "data")
    os.environ["DJANGO_SETTINGS_MODULE"] = "cluetrain.settings"
    os.environ["CLUETRAIN_LOG_LEVEL"] = "WARNING"
    os.environ["DATABASE_URL"] = database_url
    django.setup()
    from django.db import connection

    kept = Path(tempfile.gettempdir()) / f"cluetrain-scale-schema-{_schema_key()}.sql"
    empty = "django_migrations" not in connection.introspection.table_names()
    connection.close()
    if empty and kept.exists():
        loaded = subprocess.run(
            [_client("psql"), "-q", "-X", "-v", "ON_ERROR_STOP=1", "-f", str(kept), database_url],
            stdout=subprocess.DEVNULL,
            check=False,
        )
        if loaded.returncode == 0:
            return  # the dump is the migrated database itself (django_migrations included)
        sys.exit(f"scale: could not load {kept}; remove it and run again")
    call_command("migrate", "--no-input", "-v", "0")
    call_command("createcachetable")
    connection.close()
    if empty:
        # Kept for the next run; written beside and renamed, so a run killed midway leaves none.
        partial = kept.with_suffix(".partial")
        dumped = subprocess.run(
            [_client("pg_dump"), "--no-owner", "--no-privileges", "-f", str(partial), database_url],
            check=False,
        )
        if dumped.returncode == 0:
            partial.replace(kept)


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


def _start_workers(workers: int) -> list[subprocess.Popen]:
    """``workers`` real ``cluetrain worker`` processes, each naming its connections."""
    return [
        subprocess.Popen(
            [
                publishing_bench.cluetrain_command(),
                *("worker", "--queues", "*", "--no-housekeeping", "-v", "0"),
            ],
            # libpq names the connection after PGAPPNAME: how this script sees a worker is up.
            env={**os.environ, "PGAPPNAME": f"{APP_NAME}{k}"},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        for k in range(workers)
    ]


def _wait_connected(processes: list[subprocess.Popen], timeout: float) -> None:
    """Until every worker has connected (its publishing threads poll from then on)."""
    from django.db import connection

    seen: set[str] = set()
    deadline = time.monotonic() + timeout
    while len(seen) < len(processes):
        _check_alive(processes)
        if time.monotonic() > deadline:
            raise SystemExit(f"scale: only {len(seen)} of {len(processes)} workers connected")
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT DISTINCT application_name FROM pg_stat_activity"
                " WHERE datname = current_database() AND application_name LIKE %s",
                [f"{APP_NAME}%"],
            )
            seen.update(name for (name,) in cursor.fetchall())
        time.sleep(0.1)


def _check_alive(processes: list[subprocess.Popen]) -> None:
    exited = [p for p in processes if p.poll() is not None]
    if exited:
        raise SystemExit(
            "a worker exited early:\n"
            + "\n".join((p.stderr.read() or b"").decode()[-2000:] for p in exited if p.stderr)
        )


def publishing_cases(posts: int) -> dict[int, dict[str, float]]:
    """Each case's figures. The workers start once: all of them for the largest case, then one
    after another is stopped for the smaller ones (each worker's start-up paid once)."""
    processes = _start_workers(max(WORKERS))
    results: dict[int, dict[str, float]] = {}
    try:
        _wait_connected(processes, timeout=300)
        for workers in sorted(WORKERS, reverse=True):
            publishing_bench.stop_workers(processes[workers:])
            del processes[workers:]
            results[workers] = publishing_case(processes, posts)
    finally:
        publishing_bench.stop_workers(processes)
    return {workers: results[workers] for workers in WORKERS}


def publishing_case(processes: list[subprocess.Popen], posts: int) -> dict[str, float]:
    """bench/publishing.py's posts, all due at one instant, published by ``processes``."""
    from django.db import connection
    from django.db.models import Max, Min
    from django.utils import timezone

    from cluetrain.publishing.models import Delivery, Post, PostEvent, PostStatus

    Delivery.objects.all().delete()
    PostEvent.objects.all().delete()
    Post.objects.all().delete()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE publishing_delivery")
    # Due an hour from now, then all at once: the workers are polling by then.
    publishing_bench.plant_posts(posts, 0.0, 3600.0)
    Delivery.objects.update(due_at=timezone.now())
    deadline = time.monotonic() + 300
    while Delivery.objects.exclude(status=PostStatus.PUBLISHED).exists():
        _check_alive(processes)
        if time.monotonic() > deadline:
            break
        time.sleep(0.2)
    published = Delivery.objects.filter(status=PostStatus.PUBLISHED)
    # The rate is taken over the calls themselves (first to last). ``start`` (first call minus
    # due time) near 0 says every worker was polling when the posts fell due.
    window = published.aggregate(first=Min("called_at"), last=Max("called_at"), due=Min("due_at"))
    seconds = (window["last"] - window["first"]).total_seconds() if window["first"] else 0.0
    count = published.count()
    return {
        "rate": count / max(seconds, 1e-3),
        "start": (window["first"] - window["due"]).total_seconds() if window["first"] else 0.0,
        "unfinished": Delivery.objects.count() - count,
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
    number: int,
    warm_organization_id: int,
    texts: list[str],
    orders: mp.Queue,
    queue: mp.Queue,
    go: list,
) -> None:
    """One triage process for every case: loads Django and the models once, then takes its
    share of each case it is given (``None`` ends it)."""
    import django

    django.setup()
    from cluetrain.core.setup import settle
    from cluetrain.triage.pipeline import take_in

    base = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)

    def batch(prefix: str, start: int, stop: int) -> list:
        # bench/triage.py's messages, under this case's own ids (one organisation per case).
        return [
            dataclasses.replace(h, external_id=f"{prefix}{h.external_id}")
            for h in triage_bench.heard_batch(texts, start, stop, base)
        ]

    warm = triage_bench.heard_batch(texts, 0, 1, base)[0]
    take_in(warm_organization_id, [dataclasses.replace(warm, external_id=f"warm-{os.getpid()}")])
    settle()
    while (order := orders.get()) is not None:
        case, organization_id, prefix, spans = order
        queue.put(("ready", number))
        go[case].wait()
        stored = sum(take_in(organization_id, batch(prefix, a, b)) for a, b in spans)
        queue.put(("done", stored))


@dataclasses.dataclass
class TriagePool:
    """The triage processes, started once for all cases."""

    texts: list[str]
    size: int
    go: list = dataclasses.field(default_factory=list)
    orders: list = dataclasses.field(default_factory=list)
    children: list = dataclasses.field(default_factory=list)
    cases: int = 0

    def __post_init__(self) -> None:
        from django.db import connection

        warm = make_triage_organization(f"warm-{int(time.time())}")
        connection.close()
        ctx = mp.get_context("spawn")
        self.queue: mp.Queue = ctx.Queue()
        self.go = [ctx.Event() for _ in WORKERS]
        self.orders = [ctx.Queue() for _ in range(self.size)]
        self.children = [
            ctx.Process(
                target=triage_process,
                args=(k, warm, self.texts, self.orders[k], self.queue, self.go),
            )
            for k in range(self.size)
        ]
        for child in self.children:
            child.start()

    def run(self, workers: int, organization_id: int, prefix: str, messages: int) -> tuple:
        """(seconds from the start signal to the last process done, messages stored)."""
        batches = triage_bench.BATCH
        spans = [(s, min(s + batches, messages)) for s in range(0, messages, batches)]
        case, self.cases = self.cases, self.cases + 1
        for k in range(workers):
            self.orders[k].put((case, organization_id, prefix, spans[k::workers]))
        ready = 0
        while ready < workers:
            kind, _ = self.queue.get(timeout=300)
            ready += kind == "ready"
        self.go[case].set()
        started = time.perf_counter()
        stored = 0
        for _ in range(workers):
            kind, count = self.queue.get(timeout=900)
            stored += count
        return time.perf_counter() - started, stored

    def close(self) -> None:
        for orders in self.orders:
            orders.put(None)
        for child in self.children:
            child.join(timeout=60)


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


def triage_case(pool: TriagePool, workers: int, messages: int) -> dict[str, float]:
    from django.db import connection

    label = f"{workers}w-{int(time.time())}"
    organization_id = make_triage_organization(label)
    prefix = f"{label}:"
    connection.close()
    wall, stored = pool.run(workers, organization_id, prefix, messages)
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
        prepare_database(workdir, database_url)
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
        for workers, result in publishing_cases(posts).items():
            publish[workers] = result["rate"]
            duplicates += int(result["duplicates"])
            unfinished += int(result["unfinished"])
            print(f"publish_posts_per_s_{workers}_workers: {result['rate']:.0f}")
            print(f"publish_first_call_after_due_s_{workers}_workers: {result['start']:.2f}")
        triage: dict[int, float] = {}
        pool = TriagePool(texts, max(WORKERS))
        try:
            results = {workers: triage_case(pool, workers, messages) for workers in WORKERS}
        finally:
            pool.close()
        for workers, result in results.items():
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
