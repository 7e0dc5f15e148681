"""Periodic jobs of insights (each safe to run twice and on several workers)."""

from __future__ import annotations

from cluetrain.core.jobs import job, periodic
from cluetrain.insights import engagement


@periodic(seconds=60)
@job(priority=-5)
def collect_engagement() -> dict[str, int]:
    """Follow newly published posts and fetch the reactions of those due."""
    return engagement.collect_due()
