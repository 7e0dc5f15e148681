"""Bluesky, through the AT Protocol: the connector and its rich-text rules."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cluetrain.networks.base import CredentialsRejected
from cluetrain.networks.bluesky.connector import DEFAULT_SERVICE, DEFAULT_WEB, BlueskyConnector
from cluetrain.networks.bluesky.richtext import facets, grapheme_count, length_problem

if TYPE_CHECKING:
    from cluetrain.networks.registry import Context

__all__ = ["BlueskyConnector", "facets", "from_credential", "grapheme_count", "length_problem"]


def from_credential(credential: dict[str, Any], context: Context) -> BlueskyConnector:
    """The connector for a voice's stored Bluesky credential.

    The credential holds ``handle`` and ``app_password``, optionally ``service`` (the PDS,
    Bluesky's own by default), ``web`` (where post pages live) and ``session`` (the last
    session, so that a worker does not log in for every post). When the session changes, the
    whole credential with the new ``session`` goes to ``context.on_credential`` to be stored.
    """
    handle, password = credential.get("handle"), credential.get("app_password")
    if not handle or not password:
        raise CredentialsRejected("A Bluesky account needs a handle and an app password.")

    def store(session: str) -> None:
        if context.on_credential is not None:
            context.on_credential({**credential, "session": session})

    return BlueskyConnector(
        str(handle),
        str(password),
        service=credential.get("service") or DEFAULT_SERVICE,
        web=credential.get("web") or DEFAULT_WEB,
        session=credential.get("session") or None,
        on_session=store,
        timeout=context.timeout,
    )
