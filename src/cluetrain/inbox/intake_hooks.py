"""What happens to conversations once new messages are threaded into them: the new ones are
routed to the person who knows (threading has already started or moved every clock)."""

from __future__ import annotations

from cluetrain.inbox import routing
from cluetrain.inbox.threading import Threaded


def after_threading(organization_id: int, threaded: Threaded) -> None:
    """Called inside the triage pipeline's transaction, once per batch."""
    routing.do_route(threaded.created)  # type: ignore[arg-type]  # drafts quack like conversations
