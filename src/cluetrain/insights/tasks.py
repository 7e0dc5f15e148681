"""Periodic jobs of insights (each safe to run twice and on several workers)."""

from __future__ import annotations

from cluetrain.core.jobs import job, periodic
from cluetrain.insights import audience, engagement


@periodic(seconds=60)
@job(priority=-5)
def collect_engagement() -> dict[str, int]:
    """Follow newly published posts and fetch the reactions of those due."""
    return engagement.collect_due()


@periodic(seconds=6 * 3600)
@job(priority=-5)
def measure_audiences() -> int:
    """Count the followers of the organisations' voices (for engagement per 1,000)."""
    return audience.measure_all()


@periodic(seconds=30)
@job(priority=-4)
def update_rollups() -> dict[str, int]:
    """Apply what changed in conversations, messages and posts to the insights roll-ups
    (cursors and counts in one transaction: a second run, or a second worker, adds nothing)."""
    from cluetrain.insights.rollups import maintain

    return maintain.catch_up(rounds=50)
