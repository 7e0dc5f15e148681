"""Periodic jobs of the academy (each safe to run twice)."""

from __future__ import annotations

from cluetrain.academy import assignments
from cluetrain.core.jobs import job, periodic


@periodic(seconds=3600)
@job()
def send_academy_reminders() -> int:
    """Remind people of courses due within two days, and of overdue ones, once each."""
    return assignments.send_reminders()
