"""Per-voice rate limits, counted in the shared cache so every worker sees the same count.

The figures stay under what each network allows one account (Bluesky: 5,000 points an hour,
3 per post; Mastodon: 300 requests in 5 minutes; Slack: about one message a second), so a
busy voice waits its turn instead of being refused by the network.
"""

from __future__ import annotations

import time

from django.core.cache import cache

# network -> [(posts, seconds)]; networks not listed (Cluetrain's own) are never limited.
LIMITS: dict[str, list[tuple[int, int]]] = {
    "bluesky": [(1500, 3600), (10000, 86400)],
    "mastodon": [(250, 300)],
    "webhook": [(60, 60)],
    "practice": [],
    "feed": [],
}


def wait_for(voice_id: int, network: str, now: float | None = None) -> float:
    """Take one post from the voice's allowance; return 0, or seconds to wait before trying.

    A network that said "slow down" (429 with Retry-After) blocks the voice until then.
    """
    now = time.time() if now is None else now
    blocked_until = cache.get(f"rl:block:{voice_id}")
    if blocked_until and blocked_until > now:
        return float(blocked_until - now)
    for count, seconds in LIMITS.get(network, []):
        window = int(now // seconds)
        key = f"rl:{voice_id}:{seconds}:{window}"
        cache.add(key, 0, timeout=seconds + 5)
        try:
            used = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=seconds + 5)
            used = 1
        if used > count:
            return float((window + 1) * seconds - now)
    return 0.0


def block(voice_id: int, seconds: float, now: float | None = None) -> None:
    """Hold every post of the voice for ``seconds`` (the network asked us to wait)."""
    now = time.time() if now is None else now
    cache.set(f"rl:block:{voice_id}", now + seconds, timeout=int(seconds) + 5)
