"""Build the connector for a network from a voice's stored credential.

Each ``networks/<name>/`` package offers ``from_credential(credential, context)``. The
registry imports it only when asked, so a worker that never posts to Mastodon never loads it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import import_module
from typing import Any

from cluetrain.networks.base import Connector, ConnectorError

NETWORKS = ("practice", "bluesky", "mastodon", "feed", "webhook")


@dataclass(frozen=True)
class Context:
    """What a connector may need besides its credential.

    ``entry_url`` gives the public page of an item that Cluetrain itself serves (practice
    space posts, feed entries) from its key and part index. ``on_credential`` is called with
    the whole new credential when the connector refreshed it (a new Bluesky session), so the
    caller can store it encrypted.
    """

    entry_url: Callable[[str, int], str] = lambda key, index: f"#{key}-{index}"
    on_credential: Callable[[dict[str, Any]], None] | None = None
    timeout: float = 20.0
    options: dict[str, Any] = field(default_factory=dict)


def build(network: str, credential: dict[str, Any], context: Context | None = None) -> Connector:
    """The connector for ``network`` acting with ``credential``."""
    if network not in NETWORKS:
        raise ConnectorError(f"Cluetrain has no connector for {network!r}.")
    module = import_module(f"cluetrain.networks.{network}")
    connector: Connector = module.from_credential(credential, context or Context())
    return connector
