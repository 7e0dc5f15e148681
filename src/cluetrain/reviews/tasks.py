"""Periodic jobs of reviews: expiry, reminders and promotion proposals (each safe to run twice)."""

from __future__ import annotations

from cluetrain.core.jobs import job, periodic
from cluetrain.reviews import autonomy, services


@periodic(seconds=300)
@job()
def expire_reviews() -> int:
    """Mark overdue reviews expired and tell their authors."""
    return services.expire_reviews()


@periodic(seconds=900)
@job()
def send_review_reminders() -> int:
    """Remind reviewers of reviews past half their window, once per review."""
    return services.send_review_reminders()


@periodic(seconds=6 * 3600)
@job(priority=-5)
def propose_promotions() -> int:
    """Propose promotions for people whose evidence meets their organisation's criteria."""
    return autonomy.propose_promotions()
