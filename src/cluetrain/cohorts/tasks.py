"""Periodic jobs of the rotations: cohorts start and end on their dates, shifts that began
pick up the centre's waiting conversations, placements take effect on their day. Every step is
claimed with a conditional UPDATE, so a run twice (or two workers) does nothing twice."""

from __future__ import annotations

from cluetrain.cohorts import placement, services, shifts
from cluetrain.core.jobs import job, periodic


@periodic(seconds=60)
@job(priority=4)
def run_rotations() -> dict[str, int]:
    """Advance cohorts, start shifts, apply placements that are due."""
    return {
        "cohorts": services.advance_statuses(),
        "picked_up": shifts.start_due_shifts(),
        "placed": placement.place_due(),
    }
