"""The one small interface every network connector offers, and the errors it may raise.

A connector speaks to one account on one network. It knows the network's wire rules (length
limits, rich text, threading, media) and nothing of Cluetrain's business rules: who may
publish, what needs review and when to retry are decided by the callers (``publishing``).

Publishing is idempotent by contract: every ``Outgoing`` carries a ``key`` that stays the same
across retries, and ``publish`` is given the parts already known to be out (``done``). Where the
network allows it, the connector also looks for a part that went out before a crash but was
never recorded (``find``) so that a retry never posts twice.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol, runtime_checkable


class ConnectorError(Exception):
    """Base of every error a connector raises; ``str()`` is a message fit for a person."""


class NetworkError(ConnectorError):
    """The network could not be reached or failed for now: the same call may succeed later.

    ``retry_after`` is the number of seconds the network asked us to wait, when it said.
    """

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class CredentialsRejected(ConnectorError):
    """The network refused the account's credentials: retrying will not help until they change."""


class ContentRejected(ConnectorError):
    """The network (or the connector, checking the network's rules) refused this content."""


class NotSupported(ConnectorError):
    """The network has no such operation (e.g. editing a Bluesky post)."""


@dataclass(frozen=True)
class Account:
    """The account a connector acts as: the network's stable id and its current handle."""

    id: str
    handle: str
    display_name: str = ""


@dataclass(frozen=True)
class PublishedRef:
    """Where a published item lives.

    ``id`` is the network's own identifier (an AT URI on Bluesky, a status id on Mastodon),
    ``cid`` the content hash of that version where the network has one, and ``url`` the page a
    person opens in a browser.
    """

    id: str
    url: str
    cid: str = ""


@dataclass(frozen=True)
class Media:
    """One image to attach. ``alt_text`` is required by Cluetrain for every image."""

    data: bytes
    content_type: str
    alt_text: str
    filename: str = ""
    width: int | None = None
    height: int | None = None
    url: str = ""  # where Cluetrain serves it, for feeds and webhooks


@dataclass(frozen=True)
class LinkCard:
    """A preview of the first link in a post, shown as a card where the network has them."""

    url: str
    title: str = ""
    description: str = ""


@dataclass(frozen=True)
class Outgoing:
    """What to publish through one voice.

    ``parts`` is the text of each post of a thread (usually one); media goes on the first part.
    ``key`` identifies this publication across retries (same key, same publication), and
    ``created_at`` is when Cluetrain first planned it; together they let a connector derive the
    network-side identifiers it needs to recognise its own earlier attempt.
    """

    parts: tuple[str, ...]
    key: str
    created_at: datetime
    media: tuple[Media, ...] = ()
    reply_to: PublishedRef | None = None
    quote: PublishedRef | None = None
    link: LinkCard | None = None
    title: str = ""  # feeds use it; others ignore it
    visibility: str = "public"  # Mastodon: public, unlisted, private, direct
    content_warning: str = ""  # Mastodon's spoiler text
    language: str = ""  # ISO 639-1, when known
    extra: dict[str, str] = field(default_factory=dict)  # fields a receiver may want (webhooks)


@dataclass(frozen=True)
class Engagement:
    """Counts of reactions to one published item, as the network reports them."""

    likes: int = 0
    reposts: int = 0
    replies: int = 0
    quotes: int = 0


# Called with (index of the part, where it went) as soon as each part of a thread is out, so
# the caller can record it before the next network call.
PartCallback = Callable[[int, PublishedRef], None]


@runtime_checkable
class Connector(Protocol):
    """One account on one network."""

    network: str
    # Longest text of one part, counted the way the network counts (graphemes on Bluesky,
    # characters on Mastodon); ``length_of`` does the counting.
    max_length: int
    max_media: int

    def length_of(self, text: str) -> int:
        """The length of ``text`` as this network counts it against ``max_length``."""
        ...

    def verify(self) -> Account:
        """Check that the credentials work and say which account they belong to."""
        ...

    def publish(
        self,
        outgoing: Outgoing,
        *,
        done: Sequence[PublishedRef] = (),
        on_part: PartCallback | None = None,
    ) -> list[PublishedRef]:
        """Publish every part not in ``done`` (a prefix of the parts) and say where each went.

        Returns one reference per part, ``done`` included. Before creating a part the connector
        checks, where the network allows it, whether an earlier attempt already created it.
        """
        ...

    def edit(self, ref: PublishedRef, text: str) -> PublishedRef:
        """Change the text of a published item; ``NotSupported`` where the network cannot."""
        ...

    def delete(self, ref: PublishedRef) -> None:
        """Remove a published item; deleting one that is already gone is not an error."""
        ...

    def engagement(self, ref: PublishedRef) -> Engagement:
        """Current reaction counts; ``NotSupported`` where the network does not tell."""
        ...

    def followers(self) -> int:
        """How many accounts follow this one; ``NotSupported`` where the network does not tell."""
        ...
