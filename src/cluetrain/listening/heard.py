"""A message as heard on a network, before it is stored: the one shape every source produces."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Heard:
    """One public message from any network, normalised but not yet stored.

    Sources fill it from untrusted payloads; ``cluetrain.listening.intake`` cleans and bounds
    every field again before storing, so a source cannot smuggle in oversized or hostile data.
    """

    network: str
    external_id: str
    author_id: str
    text: str
    created_at: dt.datetime
    author_handle: str = ""
    author_name: str = ""
    author_url: str = ""
    url: str = ""
    reply_to: str = ""
    root: str = ""
    # The text is HTML (Mastodon statuses, feed entries): intake turns it into plain text.
    html: bool = False
    # "out" for the organisation's own replies (imported archives hold both sides).
    direction: str = "in"
