"""Atom/RSS feeds: a voice whose posts Cluetrain serves itself, as a feed anyone may follow.

Publishing makes no outside call (see ``networks.inhouse``): the entry is already in
Cluetrain's database, and the feed views render it with ``networks.feed.render``.
"""

from __future__ import annotations

from typing import Any

from cluetrain.networks.inhouse import InHouseConnector
from cluetrain.networks.registry import Context

MAX_LENGTH = 100_000
MAX_MEDIA = 10


class FeedConnector(InHouseConnector):
    network = "feed"
    what = "A feed entry"
    max_length = MAX_LENGTH
    max_media = MAX_MEDIA


def from_credential(credential: dict[str, Any], context: Context) -> FeedConnector:
    return FeedConnector(context)
