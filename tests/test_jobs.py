"""Background jobs: retries with back-off, visible failures, stale claims, periodic runs."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from cluetrain.core import jobs
from cluetrain.core.models import PeriodicJob
from tests import jobs_for_tests
from tests.conftest import Cast


def run_worker() -> None:
    call_command("worker", batch=True, verbosity=0, no_housekeeping=True)


@pytest.fixture(autouse=True)
def _empty_queue(transactional_db: None) -> None:
    # transactional: the worker closes and reopens database connections as in production.
    DBTaskResult.objects.all().delete()
    cache.clear()


def test_a_failing_job_is_retried_until_it_succeeds() -> None:
    jobs_for_tests.flaky.enqueue("flaky-1", fail_times=2)
    run_worker()
    results = list(DBTaskResult.objects.order_by("enqueued_at"))
    assert [r.status for r in results] == [
        TaskResultStatus.FAILED,
        TaskResultStatus.FAILED,
        TaskResultStatus.SUCCESSFUL,
    ]
    # Each failure stays visible with its traceback.
    assert "failure number 1" in results[0].traceback
    assert results[2].args_kwargs["kwargs"]["_attempt"] == 3
    assert cache.get("flaky-1") == 3


def test_retries_stop_after_the_last_attempt() -> None:
    jobs_for_tests.flaky.enqueue("flaky-2", fail_times=10)
    run_worker()
    assert DBTaskResult.objects.filter(status=TaskResultStatus.FAILED).count() == 3
    assert not DBTaskResult.objects.filter(status=TaskResultStatus.READY).exists()


def test_a_retry_waits_its_back_off() -> None:
    before = timezone.now()
    jobs_for_tests.down.enqueue("d")
    run_worker()
    retry = DBTaskResult.objects.get(status=TaskResultStatus.READY)
    # 300 s with up to 20 % jitter either way.
    assert retry.run_after >= before + timedelta(seconds=240)
    assert retry.args_kwargs["kwargs"]["_attempt"] == 2


def test_a_permanent_failure_is_not_retried() -> None:
    jobs_for_tests.refuses.enqueue("x")
    run_worker()
    assert DBTaskResult.objects.count() == 1
    assert DBTaskResult.objects.get().status == TaskResultStatus.FAILED


def test_failed_jobs_are_listed_and_retried_from_the_admin(cast: Cast) -> None:
    jobs_for_tests.flaky.enqueue("flaky-4", fail_times=10)
    run_worker()
    client = cast.client(cast.admin)
    page = client.get("/admin/django_tasks_database/dbtaskresult/?status__exact=FAILED")
    assert page.status_code == 200
    assert "flaky" in page.content.decode()
    failed = DBTaskResult.objects.filter(status=TaskResultStatus.FAILED).first()
    assert failed is not None
    cache.set("flaky-4", 100)  # the cause is fixed
    client.post(
        "/admin/django_tasks_database/dbtaskresult/",
        {"action": "retry_selected", "_selected_action": [str(failed.pk)]},
    )
    failed.refresh_from_db()
    assert failed.status == TaskResultStatus.READY
    run_worker()
    failed.refresh_from_db()
    assert failed.status == TaskResultStatus.SUCCESSFUL


def test_a_job_left_running_by_a_dead_worker_is_put_back(settings: object) -> None:
    result = jobs_for_tests.flaky.enqueue("flaky-5", fail_times=0)
    DBTaskResult.objects.filter(pk=result.id).update(
        status=TaskResultStatus.RUNNING,
        started_at=timezone.now() - timedelta(seconds=settings.JOB_STALE_AFTER + 1),  # type: ignore[attr-defined]
        worker_ids=["dead-worker"],
    )
    assert jobs.reclaim_stale_jobs() == 1
    run_worker()
    assert DBTaskResult.objects.get(pk=result.id).status == TaskResultStatus.SUCCESSFUL


def test_a_job_still_within_its_time_is_left_alone() -> None:
    result = jobs_for_tests.flaky.enqueue("flaky-6", fail_times=0)
    DBTaskResult.objects.filter(pk=result.id).update(
        status=TaskResultStatus.RUNNING, started_at=timezone.now()
    )
    assert jobs.reclaim_stale_jobs() == 0


def test_a_periodic_job_is_enqueued_once_however_many_workers_ask() -> None:
    PeriodicJob.objects.all().delete()
    first = jobs.enqueue_due_periodic_jobs()
    second = jobs.enqueue_due_periodic_jobs()
    assert first == len(jobs.PERIODIC) >= 1
    assert second == 0
    assert (
        DBTaskResult.objects.filter(task_path="cluetrain.core.tasks.prune_finished_jobs").count()
        == 1
    )


def test_pruning_removes_only_old_finished_jobs() -> None:
    from cluetrain.core.tasks import prune_finished_jobs

    old = jobs_for_tests.flaky.enqueue("old", fail_times=0)
    fresh = jobs_for_tests.flaky.enqueue("fresh", fail_times=0)
    run_worker()
    DBTaskResult.objects.filter(pk=old.id).update(finished_at=timezone.now() - timedelta(days=30))
    assert prune_finished_jobs.func() == 1
    assert DBTaskResult.objects.filter(pk=fresh.id).exists()


def test_the_ping_job_reports_its_wait() -> None:
    import time

    from cluetrain.core.tasks import ping

    result = ping.enqueue(time.time())
    run_worker()
    row = DBTaskResult.objects.get(pk=result.id)
    assert row.status == TaskResultStatus.SUCCESSFUL
    assert 0 <= row.return_value < 60
