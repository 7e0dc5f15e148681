"""What happens to conversations once new messages are threaded into them: service-level
clocks start or move, and new conversations are routed to the person who knows."""

from __future__ import annotations

from cluetrain.inbox.threading import Threaded


def after_threading(organization_id: int, threaded: Threaded) -> None:
    """Called inside the triage pipeline's transaction, once per batch."""
