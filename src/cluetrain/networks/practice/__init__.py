"""The practice space: an internal network whose posts never leave Cluetrain.

Publishing here makes no network call at all: the post is already stored by Cluetrain, and the
reference names it by its key, so publishing the same key twice names the same post.
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

# Bounded like a real network so that habits carry over.
MAX_LENGTH = 500


class PracticeConnector:
    network = "practice"
    max_length = MAX_LENGTH
    max_media = 4

    def __init__(self, context: Context) -> None:
        self._context = context

    def length_of(self, text: str) -> int:
        from cluetrain.networks.bluesky.richtext import grapheme_count

        return grapheme_count(text)

    def verify(self) -> Account:
        return Account(id="practice", handle="practice")

    def publish(
        self,
        outgoing: Outgoing,
        *,
        done: Sequence[PublishedRef] = (),
        on_part: PartCallback | None = None,
    ) -> list[PublishedRef]:
        for part in outgoing.parts:
            if self.length_of(part) > self.max_length:
                raise ContentRejected(
                    f"A practice post takes {self.max_length} characters; "
                    f"this part has {self.length_of(part)}."
                )
        refs = list(done)
        for index in range(len(done), len(outgoing.parts)):
            ref = PublishedRef(
                id=f"practice:{outgoing.key}:{index}",
                url=self._context.entry_url(outgoing.key, index),
            )
            refs.append(ref)
            if on_part is not None:
                on_part(index, ref)
        return refs

    def edit(self, ref: PublishedRef, text: str) -> PublishedRef:
        return ref  # the text lives in Cluetrain; nothing to send

    def delete(self, ref: PublishedRef) -> None:
        return None

    def engagement(self, ref: PublishedRef) -> Engagement:
        raise NotSupported("The practice space does not count reactions.")


def from_credential(credential: dict[str, Any], context: Context) -> PracticeConnector:
    return PracticeConnector(context)
