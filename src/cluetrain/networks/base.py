"""The one small interface every network connector offers, and the errors it may raise.

A connector speaks to one account on one network. It knows the network's wire rules (length
limits, rich text, threading) and nothing of Cluetrain's business rules: who may publish, what
needs review and when to retry are decided by the callers.
"""

from __future__ import annotations

from dataclasses import dataclass
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


@dataclass(frozen=True)
class Account:
    """The account a connector acts as: the network's stable id and its current handle."""

    id: str
    handle: str


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


@runtime_checkable
class Connector(Protocol):
    """One account on one network, able to check its credentials, publish and delete."""

    network: str

    def verify(self) -> Account:
        """Check that the credentials work and say which account they belong to."""
        ...

    def publish(self, text: str, *, reply_to: PublishedRef | None = None) -> PublishedRef:
        """Publish ``text``, as a reply to ``reply_to`` when given, and say where it went."""
        ...

    def delete(self, ref: PublishedRef) -> None:
        """Remove a published item; deleting one that is already gone is not an error."""
        ...
