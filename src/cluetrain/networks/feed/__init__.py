"""Atom/RSS feeds: a voice whose posts Cluetrain serves itself, as a feed anyone may follow.

Publishing makes no outside call: the entry is already in Cluetrain's database, and the feed
views render it with ``networks.feed.render``. A reference names the entry by its key and part,
so publishing the same key twice names the same entry.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from cluetrain.networks.base import (
    Account,
    ContentRejected,
    Engagement,
    NotSupported,
    Outgoing,
    PartCallback,
    PublishedRef,
)
from cluetrain.networks.registry import Context

MAX_LENGTH = 100_000
MAX_MEDIA = 10


class FeedConnector:
    network = "feed"
    max_length = MAX_LENGTH
    max_media = MAX_MEDIA

    def __init__(self, context: Context) -> None:
        self._context = context

    def length_of(self, text: str) -> int:
        return len(text)

    def verify(self) -> Account:
        return Account(id="feed", handle="feed")

    def publish(
        self,
        outgoing: Outgoing,
        *,
        done: Sequence[PublishedRef] = (),
        on_part: PartCallback | None = None,
    ) -> list[PublishedRef]:
        for part in outgoing.parts:
            if len(part) > self.max_length:
                raise ContentRejected(
                    f"A feed entry takes {self.max_length} characters; this part has {len(part)}."
                )
        if len(outgoing.media) > self.max_media:
            raise ContentRejected(
                f"A feed entry carries at most {self.max_media} images; "
                f"this post has {len(outgoing.media)}."
            )
        refs = list(done)
        for index in range(len(done), len(outgoing.parts)):
            ref = PublishedRef(
                id=f"feed:{outgoing.key}:{index}",
                url=self._context.entry_url(outgoing.key, index),
            )
            refs.append(ref)
            if on_part is not None:
                on_part(index, ref)
        return refs

    def edit(self, ref: PublishedRef, text: str) -> PublishedRef:
        if len(text) > self.max_length:
            raise ContentRejected(
                f"A feed entry takes {self.max_length} characters; this text has {len(text)}."
            )
        return ref  # the text lives in Cluetrain, and the feed shows the latest version

    def delete(self, ref: PublishedRef) -> None:
        return None  # the feed stops listing an entry once Cluetrain marks it deleted

    def engagement(self, ref: PublishedRef) -> Engagement:
        raise NotSupported("A feed does not tell who read or liked its entries.")


def from_credential(credential: dict[str, Any], context: Context) -> FeedConnector:
    return FeedConnector(context)
