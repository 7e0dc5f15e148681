"""Each voice's queue: its posting times, and the next ones no waiting post holds."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from cluetrain.core.errors import NotAllowed, ServiceError
from cluetrain.organizations import policy
from cluetrain.organizations.models import Person
from cluetrain.organizations.policy import Permission
from cluetrain.publishing import scheduling
from cluetrain.publishing.models import Delivery, PostStatus, QueueSlot
from cluetrain.voices.models import Voice


def free_slots(voice: Voice, count: int = 5, after: datetime | None = None) -> list[datetime]:
    """The next ``count`` queue slots of ``voice`` that no waiting post holds."""
    slots = [(s.weekday, s.time) for s in QueueSlot.objects.filter(voice=voice)]
    taken = {
        due
        for due in Delivery.objects.filter(
            voice=voice, status__in=[PostStatus.SCHEDULED, PostStatus.PAUSED]
        ).values_list("due_at", flat=True)
        if due
    }
    found: list[datetime] = []
    after = after or timezone.now()
    zone_name = scheduling.voice_time_zone(voice)
    for _ in range(count):
        try:
            moment = scheduling.next_free_slot(slots, zone_name, taken, after)
        except ServiceError:
            break
        found.append(moment)
        taken.add(moment)
    return found


def do_set_queue(actor: Person, voice: Voice, slots: Iterable[tuple[int, Any]]) -> list[QueueSlot]:
    """Replace a voice's posting times (weekday, wall-clock time in the voice's time zone)."""
    if not policy.can_post_as(actor, voice) and not (
        not voice.is_personal
        and policy.can(actor, voice.organization, Permission.MANAGE_OFFICIAL_VOICES)
    ):
        raise NotAllowed("You cannot change this voice's queue.")
    wanted = sorted({(int(day), at.replace(second=0, microsecond=0)) for day, at in slots})
    if any(not 0 <= day <= 6 for day, _ in wanted):
        raise ServiceError("A weekday is a number from 0 (Monday) to 6 (Sunday).")
    if len(wanted) > 7 * 24:
        raise ServiceError("A queue can hold at most 24 posting times a day.")
    with transaction.atomic():
        QueueSlot.objects.filter(voice=voice).delete()
        return QueueSlot.objects.bulk_create(
            QueueSlot(voice=voice, weekday=day, time=at) for day, at in wanted
        )
