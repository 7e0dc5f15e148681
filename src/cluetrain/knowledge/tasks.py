"""Background jobs of the facts base (imported by the worker at start, which registers them)."""

from __future__ import annotations

from cluetrain.core.jobs import job, periodic
from cluetrain.knowledge.reviews import remind_all


@periodic(3600)
@job()
def remind_fact_reviews() -> int:
    """Remind owners of facts due for review, and coordinators of facts nobody owns."""
    run = remind_all()
    return run.soon + run.overdue + run.orphaned
