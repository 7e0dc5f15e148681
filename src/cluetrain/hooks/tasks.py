"""Background jobs of outgoing webhooks (each safe to run twice: a delivery is claimed first)."""

from __future__ import annotations

from cluetrain.core.jobs import job, periodic
from cluetrain.hooks import services


# Retries are the delivery's own (its next_attempt_at), not the job machinery's.
@job(queue_name="default", max_attempts=1)
def send_hook(pk: int) -> str:
    """Send one webhook delivery that is due."""
    return services.deliver(pk)


@periodic(seconds=30)
@job(max_attempts=1)
def send_due_hooks() -> dict[str, int]:
    """Catch up on due retries and on deliveries a stopped worker left half-sent."""
    return services.deliver_due()
