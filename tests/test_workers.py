"""Several worker processes on one database claim each job exactly once."""

from __future__ import annotations

import os
import subprocess
import sys
import time

from django.db import connection
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from cluetrain.core.tasks import ping


def worker_env() -> dict[str, str]:
    """The environment for a worker process that uses the test database."""
    env = dict(os.environ)
    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        env["DATABASE_URL"] = f"sqlite:///{settings['NAME']}"
    else:
        env["DATABASE_URL"] = (
            f"postgres://{settings['USER']}:{settings['PASSWORD'] or ''}@{settings['HOST']}:"
            f"{settings['PORT']}/{settings['NAME']}"
        )
    return env


def wait_until_drained(timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    pending = [TaskResultStatus.READY, TaskResultStatus.RUNNING]
    while DBTaskResult.objects.filter(status__in=pending).exists():
        assert time.monotonic() < deadline, "the workers did not finish the jobs in time"
        time.sleep(0.1)


def test_two_workers_run_every_job_exactly_once(transactional_db: None) -> None:
    DBTaskResult.objects.all().delete()
    command = [sys.executable, "-m", "cluetrain", "worker", "--interval", "0.05", "-v", "0"]
    workers = [subprocess.Popen(command, env=worker_env()) for _ in range(2)]
    try:
        time.sleep(2)  # both workers are polling before the jobs arrive
        for _ in range(300):
            ping.enqueue(time.time())
        wait_until_drained()
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            assert worker.wait(timeout=30) == 0
    results = list(DBTaskResult.objects.filter(task_path="cluetrain.core.tasks.ping"))
    assert len(results) == 300
    assert all(r.status == TaskResultStatus.SUCCESSFUL for r in results)
    assert all(len(r.worker_ids) == 1 for r in results)
    assert len({r.worker_ids[0] for r in results}) == 2, "both workers should have taken jobs"
