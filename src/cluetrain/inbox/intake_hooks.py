"""What happens to conversations once new messages are threaded into them: service-level
clocks start or move, and new conversations are routed to the person who knows."""

from __future__ import annotations

from cluetrain.inbox import routing, sla
from cluetrain.inbox.models import Conversation
from cluetrain.inbox.threading import Threaded


def after_threading(organization_id: int, threaded: Threaded) -> None:
    """Called inside the triage pipeline's transaction, once per batch (a fixed number of
    queries per batch: one to load the existing conversations that heard more, the clocks'
    and routing's own)."""
    created_ids = {c.pk for c in threaded.created}
    earlier = list(
        Conversation.objects.filter(pk__in=[pk for pk in threaded.touched if pk not in created_ids])
    )
    sla.refresh_clocks([*threaded.created, *earlier])
    routing.do_route(threaded.created)
