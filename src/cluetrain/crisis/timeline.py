"""Writing the incident timeline: one row per thing that happened, in the same transaction."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from cluetrain.crisis.models import Incident, TimelineEvent
from cluetrain.organizations.models import Person


def add(
    incident: Incident,
    verb: str,
    message: str = "",
    *,
    actor: Person | None = None,
    **data: Any,
) -> TimelineEvent:
    return TimelineEvent.objects.create(
        incident=incident,
        at=timezone.now(),
        actor=actor,
        verb=verb,
        message=message[:4000],
        data=data,
    )


def deliveries(count: int, state: str = "") -> str:
    """ "1 paused delivery", "3 paused deliveries": how the timeline and messages count them."""
    noun = "delivery" if count == 1 else "deliveries"
    return " ".join(part for part in (str(count), state, noun) if part)
