"""The practice space: an internal network whose posts never leave Cluetrain.

Publishing makes no network call at all (see ``networks.inhouse``). Its posts are bounded and
counted like a real network's (graphemes, 500) so that habits carry over.
"""

from __future__ import annotations

from typing import Any

from cluetrain.networks.bluesky.richtext import grapheme_count
from cluetrain.networks.inhouse import InHouseConnector
from cluetrain.networks.registry import Context

MAX_LENGTH = 500


class PracticeConnector(InHouseConnector):
    network = "practice"
    what = "A practice post"
    max_length = MAX_LENGTH
    max_media = 4

    def length_of(self, text: str) -> int:
        return grapheme_count(text)


def from_credential(credential: dict[str, Any], context: Context) -> PracticeConnector:
    return PracticeConnector(context)
