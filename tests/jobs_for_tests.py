"""Jobs used only by the tests of the job machinery (importable by a worker process)."""

from __future__ import annotations

from django.core.cache import cache

from cluetrain.core.jobs import PermanentFailure, job


@job(max_attempts=3, backoff_seconds=0.0)
def flaky(key: str, fail_times: int) -> str:
    """Fails ``fail_times`` times, then succeeds; counts its runs in the cache."""
    runs = cache.get_or_set(key, 0)
    cache.set(key, runs + 1)
    if runs < fail_times:
        raise RuntimeError(f"failure number {runs + 1}")
    return "done"


@job(max_attempts=3, backoff_seconds=60.0)
def refuses(key: str) -> None:
    raise PermanentFailure("the input is wrong; trying again will not help")


@job(max_attempts=2, backoff_seconds=300.0)
def down(key: str) -> None:
    raise RuntimeError("the network is down")
