"""Per-voice rate limits, counted from the outbox itself so every worker sees the same count.

The allowance stays under what each network lets one account do (Bluesky: 5,000 points an
hour and 35,000 a day, 3 per post; Mastodon: 300 requests in 5 minutes; Slack: about one
message a second), so a busy voice waits its turn instead of being refused. Counting the
voice's own network calls (``Delivery.called_at``, indexed per voice) needs no separate
counter to keep in step, and one query answers every window. A network that said "slow down"
(429 with Retry-After) holds the voice until then (``Voice.held_until``).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Count, Q
from django.utils import timezone

from cluetrain.voices.models import Voice

# network -> [(calls, seconds)]; Cluetrain's own networks (practice, feed) are never limited.
LIMITS: dict[str, list[tuple[int, int]]] = {
    "bluesky": [(1500, 3600), (10000, 86400)],
    "mastodon": [(250, 300)],
    "webhook": [(60, 60)],
}


def wait_for(voice: Voice, now: datetime | None = None) -> float:
    """0 when the voice may call its network now, else the seconds to wait."""
    from cluetrain.publishing.models import Delivery

    now = now or timezone.now()
    if voice.held_until and voice.held_until > now:
        return (voice.held_until - now).total_seconds()
    windows = LIMITS.get(voice.network, [])
    if not windows:
        return 0.0
    longest = max(seconds for _, seconds in windows)
    counts = Delivery.objects.filter(
        voice=voice, called_at__gte=now - timedelta(seconds=longest)
    ).aggregate(
        **{
            f"w{seconds}": Count("pk", filter=Q(called_at__gte=now - timedelta(seconds=seconds)))
            for _, seconds in windows
        }
    )
    wait = 0.0
    for calls, seconds in windows:
        if counts[f"w{seconds}"] >= calls:
            oldest = (
                Delivery.objects.filter(
                    voice=voice, called_at__gte=now - timedelta(seconds=seconds)
                )
                .order_by("called_at")
                .values_list("called_at", flat=True)
                .first()
            )
            if oldest is not None:
                wait = max(wait, (oldest + timedelta(seconds=seconds) - now).total_seconds())
    return max(wait, 0.0)


def hold(voice: Voice, seconds: float) -> None:
    """Hold every post of the voice for ``seconds`` (the network asked us to wait)."""
    until = timezone.now() + timedelta(seconds=seconds)
    Voice.objects.filter(pk=voice.pk).filter(
        Q(held_until__isnull=True) | Q(held_until__lt=until)
    ).update(held_until=until)
    voice.held_until = until
