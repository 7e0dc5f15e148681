"""Networks Cluetrain serves itself (the practice space, Atom/RSS feeds): no outside call.

The item is already in Cluetrain's database when it is "published"; a reference names it by
the publication's key and the part's index, so publishing the same key twice names the same
item, and editing or deleting needs nothing sent anywhere.
"""

from __future__ import annotations

from collections.abc import Sequence

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


class InHouseConnector:
    """The common behaviour; subclasses name the network, its limits and how it counts."""

    network = ""
    what = "An item"  # how a person calls one item, for messages
    max_length = 0
    max_media = 0

    def __init__(self, context: Context) -> None:
        self._context = context

    def length_of(self, text: str) -> int:
        return len(text)

    def verify(self) -> Account:
        return Account(id=self.network, handle=self.network)

    def _check(self, text: str) -> None:
        length = self.length_of(text)
        if length > self.max_length:
            raise ContentRejected(
                f"{self.what} takes {self.max_length} characters; this one has {length}."
            )

    def publish(
        self,
        outgoing: Outgoing,
        *,
        done: Sequence[PublishedRef] = (),
        on_part: PartCallback | None = None,
    ) -> list[PublishedRef]:
        for part in outgoing.parts:
            self._check(part)
        if len(outgoing.media) > self.max_media:
            raise ContentRejected(
                f"{self.what} carries at most {self.max_media} images; "
                f"this one has {len(outgoing.media)}."
            )
        refs = list(done)
        for index in range(len(done), len(outgoing.parts)):
            ref = PublishedRef(
                id=f"{self.network}:{outgoing.key}:{index}",
                url=self._context.entry_url(outgoing.key, index),
            )
            refs.append(ref)
            if on_part is not None:
                on_part(index, ref)
        return refs

    def edit(self, ref: PublishedRef, text: str) -> PublishedRef:
        self._check(text)
        return ref  # the text lives in Cluetrain, which shows the latest version

    def delete(self, ref: PublishedRef) -> None:
        return None  # Cluetrain stops showing an item once it is marked deleted

    def engagement(self, ref: PublishedRef) -> Engagement:
        raise NotSupported(f"{self.what} has no reactions to count.")

    def followers(self) -> int:
        raise NotSupported(f"{self.what} has no followers to count.")
