"""Measure how fast `cluetrain worker` drains a burst of jobs, with one worker and with two.

A burst of N ``ping`` jobs is enqueued at once, then drained by one worker process;
another burst is drained by two started together. Both cases run on the same database
in the same run, in alternating order over a few rounds, and timings are medians.
The machine this runs on is shared and noisy, so the ratio between the two cases
says more than either absolute figure: it tells whether a second worker adds
throughput or only contends for the queue (SQLite serialises every claim behind
one write lock; PostgreSQL claims with ``SELECT ... FOR UPDATE SKIP LOCKED``).

Per case it reports jobs per second (worker start to last job finished), the
p50/p99 queue lag (job finished minus job enqueued) and whether every job ran
exactly once. A job counts as run once when it ended SUCCESSFUL, was claimed
by a single worker (``worker_ids``), and a database trigger recorded exactly
one claim for it: ``worker_ids`` alone could hide a double claim, since each
claim rewrites the list read before it. Exits 1 if any job ran twice or was lost.

    .venv/bin/python bench/worker_throughput.py [--quick] [--database-url URL] [--rounds N]

Without ``--database-url`` it uses a fresh SQLite database in a temporary folder.
With it, it migrates that PostgreSQL database and needs it to hold no jobs.
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the other benchmarks, by name
import publishing as publishing_bench

FULL_JOBS = 2000
QUICK_JOBS = 300
WORKER_ARGS = ["--queues", "*", "--interval", "0.05", "--no-housekeeping", "-v", "0"]
POLL_SECONDS = 0.1
TASK_TABLE = "django_tasks_database_dbtaskresult"

SQLITE_AUDIT = [
    "CREATE TABLE IF NOT EXISTS bench_claim (task_id TEXT NOT NULL)",
    "CREATE TRIGGER IF NOT EXISTS bench_claim_audit AFTER UPDATE OF status"
    " ON django_tasks_database_dbtaskresult WHEN NEW.status = 'RUNNING'"
    " BEGIN INSERT INTO bench_claim (task_id) VALUES (NEW.id); END",
]
POSTGRES_AUDIT = [
    "CREATE TABLE IF NOT EXISTS bench_claim (task_id uuid NOT NULL)",
    "CREATE OR REPLACE FUNCTION bench_claim_audit() RETURNS trigger LANGUAGE plpgsql AS"
    " $$ BEGIN INSERT INTO bench_claim (task_id) VALUES (NEW.id); RETURN NULL; END $$",
    "DROP TRIGGER IF EXISTS bench_claim_audit ON django_tasks_database_dbtaskresult",
    "CREATE TRIGGER bench_claim_audit AFTER UPDATE OF status ON django_tasks_database_dbtaskresult"
    " FOR EACH ROW WHEN (NEW.status = 'RUNNING') EXECUTE FUNCTION bench_claim_audit()",
]
POSTGRES_AUDIT_DROP = [
    "DROP TRIGGER IF EXISTS bench_claim_audit ON django_tasks_database_dbtaskresult",
    "DROP FUNCTION IF EXISTS bench_claim_audit()",
    "DROP TABLE IF EXISTS bench_claim",
]


@dataclass
class CaseResult:
    name: str
    workers: int
    jobs: int
    jobs_per_s: float = 0.0
    drain_jobs_per_s: float = 0.0
    startup_s: float = 0.0
    wall_s: float = 0.0
    lag_p50_s: float = 0.0
    lag_p99_s: float = 0.0
    successful: int = 0
    failed: int = 0
    unfinished: int = 0
    extra_rows: int = 0
    multi_worker_ids: int = 0
    claimed_twice: int = 0
    claimed_once: int = 0
    claims_audited: int = 0
    split: list[int] = field(default_factory=list)
    connections_peak: int | None = None
    connections_left: int | None = None
    exit_codes: list[int | None] = field(default_factory=list)
    worker_stderr: list[str] = field(default_factory=list)

    @property
    def ran_exactly_once(self) -> bool:
        return (
            self.successful == self.jobs
            and self.failed == 0
            and self.unfinished == 0
            and self.extra_rows == 0
            and self.multi_worker_ids == 0
            and self.claimed_twice == 0
            and self.claimed_once == self.jobs
        )


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile of ``values`` (which must not be empty)."""
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


def cluetrain_command() -> str:
    # The venv's console script sits next to its interpreter, even when PATH lacks the venv.
    beside = Path(sys.executable).parent / "cluetrain"
    if beside.exists():
        return str(beside)
    found = shutil.which("cluetrain")
    if not found:
        sys.exit("worker_throughput: cannot find the cluetrain command; run with .venv/bin/python")
    return found


def configure_environment(workdir: Path, database_url: str | None) -> None:
    """Point this process and every child at a throwaway data folder and the chosen database."""
    # Always a temporary data folder: settings would otherwise create ./var with key files.
    os.environ["CLUETRAIN_DATA_DIR"] = str(workdir / "data")
    os.environ["DJANGO_SETTINGS_MODULE"] = "cluetrain.settings"
    if database_url:
        os.environ["DATABASE_URL"] = database_url
    else:
        os.environ.pop("DATABASE_URL", None)


def migrate(cluetrain: str, workdir: Path) -> None:
    subprocess.run(
        [cluetrain, "migrate", "--no-input", "-v", "0"], cwd=workdir, check=True, env=os.environ
    )


def install_claim_audit(vendor: str) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        for statement in SQLITE_AUDIT if vendor == "sqlite" else POSTGRES_AUDIT:
            cursor.execute(statement)


def remove_claim_audit(vendor: str) -> None:
    from django.db import connection

    if vendor != "postgresql":
        return  # the SQLite file is deleted with its folder
    with connection.cursor() as cursor:
        for statement in POSTGRES_AUDIT_DROP:
            cursor.execute(statement)


def clear_jobs() -> None:
    from django.db import connection
    from django_tasks_db.models import DBTaskResult

    DBTaskResult.objects.all().delete()
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM bench_claim")
        if connection.vendor == "postgresql":
            # Dead rows left by the previous case would slow the next one's queue scans,
            # so later cases would lose for reasons unrelated to the worker count.
            cursor.execute("VACUUM ANALYZE django_tasks_database_dbtaskresult")


def other_connections() -> int:
    """PostgreSQL sessions on this database other than the benchmark's own."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            " AND backend_type = 'client backend'"
        )
        row = cursor.fetchone()
    return int(row[0]) if row else 0


def enqueue_burst(jobs: int) -> None:
    from django.db import transaction

    from cluetrain.core.tasks import ping

    # One transaction, so the whole burst becomes visible to workers at the same instant.
    with transaction.atomic():
        for _ in range(jobs):
            ping.enqueue(time.time())


def run_case(
    name: str, workers: int, jobs: int, cluetrain: str, workdir: Path, vendor: str
) -> CaseResult:
    from django.db import connection
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    clear_jobs()
    enqueue_burst(jobs)
    result = CaseResult(name=name, workers=workers, jobs=jobs)
    pending = DBTaskResult.objects.filter(
        status__in=[TaskResultStatus.READY, TaskResultStatus.RUNNING]
    )
    # Generous: this only stops a wedged run, a healthy one ends far sooner.
    deadline = time.time() + max(120.0, jobs / 10)
    peak = 0

    logs = [workdir / f"{name}-{index}.stderr" for index in range(workers)]
    started = time.time()
    processes: list[subprocess.Popen[bytes]] = []
    try:
        for log in logs:
            with log.open("wb") as stderr:
                processes.append(
                    subprocess.Popen(
                        [cluetrain, "worker", *WORKER_ARGS],
                        cwd=workdir,
                        env=os.environ,
                        stdout=subprocess.DEVNULL,
                        stderr=stderr,
                    )
                )
        while time.time() < deadline:
            if vendor == "postgresql":
                peak = max(peak, other_connections())
            if not pending.exists():
                break
            if all(process.poll() is not None for process in processes):
                break  # every worker died: what is left is lost
            time.sleep(POLL_SECONDS)
    finally:
        publishing_bench.stop_workers(processes)

    result.exit_codes = [process.returncode for process in processes]
    result.worker_stderr = [log.read_text(errors="replace").strip() for log in logs]
    if vendor == "postgresql":
        result.connections_peak = peak
        # Let the server notice closed sessions before counting what is left.
        time.sleep(0.5)
        result.connections_left = other_connections()

    rows = list(
        DBTaskResult.objects.values_list(
            "id", "status", "enqueued_at", "started_at", "finished_at", "worker_ids"
        )
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT task_id, count(*) FROM bench_claim GROUP BY task_id")
        # SQLite keeps the UUID as 32 hex digits, PostgreSQL as a uuid: compare parsed values.
        claims: dict[uuid.UUID, int] = {
            uuid.UUID(str(task_id)): int(count) for task_id, count in cursor.fetchall()
        }

    done = [row for row in rows if row[1] == TaskResultStatus.SUCCESSFUL]
    result.successful = len(done)
    result.failed = sum(1 for row in rows if row[1] == TaskResultStatus.FAILED)
    result.unfinished = sum(
        1 for row in rows if row[1] in {TaskResultStatus.READY, TaskResultStatus.RUNNING}
    )
    result.extra_rows = max(0, len(rows) - jobs)
    result.multi_worker_ids = sum(1 for row in rows if len(row[5] or []) > 1)
    result.claimed_twice = sum(1 for row in rows if claims.get(row[0], 0) > 1)
    # Also proves the audit trigger fired at all, so a silent trigger cannot pass the check.
    result.claimed_once = sum(1 for row in done if claims.get(row[0], 0) == 1 and len(row[5]) == 1)
    per_worker: Counter[str] = Counter(row[5][0] for row in rows if row[5])
    result.claims_audited = sum(claims.values())
    result.split = sorted(per_worker.values(), reverse=True)

    if done:
        first_start = min(row[3].timestamp() for row in done)
        last_finish = max(row[4].timestamp() for row in done)
        result.wall_s = last_finish - started
        result.startup_s = first_start - started
        result.jobs_per_s = len(done) / result.wall_s
        result.drain_jobs_per_s = len(done) / max(last_finish - first_start, 1e-6)
        lags = [row[4].timestamp() - row[2].timestamp() for row in done]
        result.lag_p50_s = percentile(lags, 0.50)
        result.lag_p99_s = percentile(lags, 0.99)
    return result


def median(values: list[float]) -> float:
    return statistics.median(values) if values else 0.0


def report(name: str, rounds: list[CaseResult]) -> list[tuple[str, object]]:
    """One case's figures: medians over rounds for timings, totals over rounds for counts."""
    lines: list[tuple[str, object]] = [
        (f"{name}_jobs_per_s", f"{median([r.jobs_per_s for r in rounds]):.1f}"),
        (f"{name}_jobs_per_s_per_round", " ".join(f"{r.jobs_per_s:.1f}" for r in rounds)),
        (f"{name}_drain_jobs_per_s", f"{median([r.drain_jobs_per_s for r in rounds]):.1f}"),
        (f"{name}_startup_s", f"{median([r.startup_s for r in rounds]):.2f}"),
        (f"{name}_wall_s", f"{median([r.wall_s for r in rounds]):.2f}"),
        (f"{name}_lag_p50_s", f"{median([r.lag_p50_s for r in rounds]):.2f}"),
        (f"{name}_lag_p99_s", f"{median([r.lag_p99_s for r in rounds]):.2f}"),
        (f"{name}_failed", sum(r.failed for r in rounds)),
        (f"{name}_lost", sum(r.jobs - r.successful - r.failed for r in rounds)),
        (f"{name}_ran_twice", sum(max(r.claimed_twice, r.multi_worker_ids) for r in rounds)),
        (f"{name}_jobs_per_worker", " ".join("/".join(map(str, r.split)) or "0" for r in rounds)),
        (f"{name}_exit_codes", " ".join(",".join(map(str, r.exit_codes)) for r in rounds)),
        (
            f"{name}_stderr_lines",
            sum(len(text.splitlines()) for r in rounds for text in r.worker_stderr),
        ),
    ]
    peaks = [r.connections_peak for r in rounds if r.connections_peak is not None]
    left = [r.connections_left for r in rounds if r.connections_left is not None]
    if peaks:
        lines.append((f"{name}_db_connections_peak", max(peaks)))
        lines.append((f"{name}_db_connections_left", max(left)))
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_JOBS} jobs, not {FULL_JOBS}")
    parser.add_argument(
        "--database-url",
        help="an empty PostgreSQL database (postgres://...); default: a temporary SQLite file",
    )
    parser.add_argument(
        "--rounds", type=int, default=3, help="rounds of both cases, alternating (default: 3)"
    )
    args = parser.parse_args()
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")
    jobs = QUICK_JOBS if args.quick else FULL_JOBS
    cluetrain = cluetrain_command()
    cases = {"one_worker": 1, "two_workers": 2}
    results: dict[str, list[CaseResult]] = {name: [] for name in cases}

    workdir = Path(tempfile.mkdtemp(prefix="cluetrain-bench-"))
    vendor = ""
    try:
        configure_environment(workdir, args.database_url)
        migrate(cluetrain, workdir)

        import django

        django.setup()
        from django.db import connection
        from django_tasks_db.models import DBTaskResult

        vendor = connection.vendor
        if DBTaskResult._meta.db_table != TASK_TABLE:
            sys.exit(f"worker_throughput: expected the job table to be {TASK_TABLE}")
        if DBTaskResult.objects.exists():
            # The benchmark deletes every job between cases: never on a database in use.
            sys.exit("worker_throughput: the database already holds jobs; use an empty one")
        install_claim_audit(vendor)

        for round_number in range(args.rounds):
            # Alternate the order (one-two, two-one, ...) so a drift in the machine's load
            # weighs on both cases alike instead of always on the second.
            order = list(cases) if round_number % 2 == 0 else list(reversed(cases))
            for name in order:
                results[name].append(run_case(name, cases[name], jobs, cluetrain, workdir, vendor))
        clear_jobs()
    finally:
        if vendor:
            remove_claim_audit(vendor)
        shutil.rmtree(workdir, ignore_errors=True)

    print(f"database: {vendor}")
    print(f"jobs: {jobs}")
    print(f"rounds: {args.rounds}")
    for name, rounds in results.items():
        for figure, value in report(name, rounds):
            print(f"{figure}: {value}")
    one, two = results["one_worker"], results["two_workers"]
    one_rate, two_rate = median([r.jobs_per_s for r in one]), median([r.jobs_per_s for r in two])
    if one_rate and two_rate:
        print(f"two_vs_one_throughput_ratio: {two_rate / one_rate:.2f}")
        print(
            "two_vs_one_throughput_ratio_per_round: "
            + " ".join(f"{b.jobs_per_s / a.jobs_per_s:.2f}" for a, b in zip(one, two, strict=True))
        )
        drain = median([r.drain_jobs_per_s for r in two]) / median(
            [r.drain_jobs_per_s for r in one]
        )
        print(f"two_vs_one_drain_ratio: {drain:.2f}")
    exactly_once = all(r.ran_exactly_once for rounds in results.values() for r in rounds)
    print(f"ran_exactly_once: {'yes' if exactly_once else 'no'}")
    for name, rounds in results.items():
        for round_number, r in enumerate(rounds, start=1):
            for index, text in enumerate(r.worker_stderr):
                if text:
                    print(
                        f"--- {name} round {round_number} worker {index} stderr ---",
                        file=sys.stderr,
                    )
                    print(text, file=sys.stderr)
    return 0 if exactly_once else 1


if __name__ == "__main__":
    sys.exit(main())
