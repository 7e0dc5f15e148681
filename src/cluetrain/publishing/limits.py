"""Each voice's length limit, counted the way its network counts, without calling the network.

The composer asks on every keystroke, so nothing here may touch the network: Mastodon's
instance limit is read once when the voice is connected and kept with its credential.
"""

from __future__ import annotations

from dataclasses import dataclass

from cluetrain.networks.bluesky.richtext import grapheme_count
from cluetrain.voices.models import Network, Voice

DEFAULT_LIMITS = {
    Network.PRACTICE: 500,
    Network.BLUESKY: 300,
    Network.MASTODON: 500,
    Network.FEED: 100_000,
    Network.WEBHOOK: 40_000,
}
MAX_MEDIA = {
    Network.PRACTICE: 4,
    Network.BLUESKY: 4,
    Network.MASTODON: 4,
    Network.FEED: 10,
    Network.WEBHOOK: 10,
}


@dataclass(frozen=True)
class Count:
    used: int
    limit: int
    unit: str

    @property
    def over(self) -> int:
        return max(0, self.used - self.limit)


def mastodon_length(text: str) -> int:
    """Mastodon's count: a URL is 23 characters, a remote mention counts its local part only."""
    from cluetrain.networks.mastodon import count_length

    return int(count_length(text))


def limit_of(voice: Voice) -> int:
    if voice.network == Network.MASTODON:
        stored = voice.get_credential().get("max_characters")
        if isinstance(stored, int) and stored > 0:
            return stored
    return DEFAULT_LIMITS.get(Network(voice.network), 500)


def count(network: str, text: str, limit: int) -> Count:
    if network in (Network.BLUESKY, Network.PRACTICE):
        return Count(grapheme_count(text), limit, "characters")
    if network == Network.MASTODON:
        return Count(mastodon_length(text), limit, "characters")
    return Count(len(text), limit, "characters")


def max_media(voice: Voice) -> int:
    return MAX_MEDIA.get(Network(voice.network), 4)
