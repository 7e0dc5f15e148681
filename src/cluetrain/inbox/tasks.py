"""Periodic jobs of the inbox: service-level alerts and re-routing (safe to run twice and
side by side: every alert and every move is claimed with a conditional UPDATE)."""

from __future__ import annotations

from cluetrain.core.jobs import job, periodic
from cluetrain.inbox import sla


@periodic(seconds=60)
@job(priority=5)
def check_deadlines() -> dict[str, int]:
    """Warn before and at each service-level breach, once each; re-route what waited
    unclaimed too long."""
    done = sla.check_deadlines()
    return {"warned": done.warned, "breached": done.breached, "rerouted": done.rerouted}
