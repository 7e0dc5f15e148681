"""Per-voice rate limits, counted from the outbox itself so every worker sees the same count.

The allowance stays under what each network lets one account do (Bluesky: 5,000 points an
hour and 35,000 a day, 3 per post; Mastodon: 300 requests in 5 minutes; Slack: about one
message a second), so a busy voice waits its turn instead of being refused. Counting the
voice's own network calls (``Delivery.called_at``, indexed per voice) needs no separate
counter to keep in step, and one query answers every window. A network that said "slow down"
(429 with Retry-After) holds the voice until then (``Voice.held_until``).
"""

from __future__ import annotations

import time
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


# voice id -> (calls this process may still make without asking, until when): a voice far from
# its limit is not counted again for every post. Each worker assumes the others spend at the
# same pace, so it takes only a tenth of what is left before counting again.
_credit: dict[int, tuple[int, float]] = {}
_CREDIT_SECONDS = 10.0


def wait_for(voice: Voice, now: datetime | None = None) -> float:
    """0 when the voice may call its network now, else the seconds to wait."""
    now = now or timezone.now()
    if voice.held_until and voice.held_until > now:
        return (voice.held_until - now).total_seconds()
    windows = LIMITS.get(voice.network, [])
    if not windows:
        return 0.0
    credit, until = _credit.get(voice.pk, (0, 0.0))
    if credit > 0 and time.monotonic() < until:
        _credit[voice.pk] = (credit - 1, until)
        return 0.0
    wait, left = _count(voice, windows, now)
    if wait == 0.0:
        _credit[voice.pk] = (left // 10, time.monotonic() + _CREDIT_SECONDS)
    return wait


def _count(voice: Voice, windows: list[tuple[int, int]], now: datetime) -> tuple[float, int]:
    """Seconds to wait (0 if none) and the fewest calls left in any window."""
    from cluetrain.publishing.models import Delivery

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
    left = min(calls - counts[f"w{seconds}"] for calls, seconds in windows)
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
    return max(wait, 0.0), max(left, 0)


def hold(voice: Voice, seconds: float) -> None:
    """Hold every post of the voice for ``seconds`` (the network asked us to wait)."""
    until = timezone.now() + timedelta(seconds=seconds)
    Voice.objects.filter(pk=voice.pk).filter(
        Q(held_until__isnull=True) | Q(held_until__lt=until)
    ).update(held_until=until)
    voice.held_until = until
    _credit.pop(voice.pk, None)
