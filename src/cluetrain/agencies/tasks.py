"""Background jobs of agencies (imported by the worker at start, which registers them)."""

from __future__ import annotations

from cluetrain.agencies import notices
from cluetrain.core.jobs import job, periodic


@periodic(seconds=300)
@job()
def notify_shadows() -> int:
    """Tell shadows about their agency partners' newly published posts and replies."""
    return notices.notify_shadows()
