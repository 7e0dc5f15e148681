"""Mastodon, through Mastodon.py: the connector, OAuth sign-up and Mastodon's length rules.

A stored credential is ``{"api_base_url": "https://instance", "access_token": ...,
"client_id": ..., "client_secret": ...}``, as ``oauth.exchange_code`` returns it; only the
address and the token are needed to publish; ``max_characters`` and ``max_media`` record the
instance's limits when the account was connected, for counting without a network call.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cluetrain.networks.base import CredentialsRejected
from cluetrain.networks.mastodon.client import plain_secret
from cluetrain.networks.mastodon.connector import (
    InstanceRules,
    MastodonConnector,
    idempotency_key,
)
from cluetrain.networks.mastodon.length import count_length
from cluetrain.networks.registry import Context


def from_credential(credential: Mapping[str, Any], context: Context) -> MastodonConnector:
    """The connector for the account ``credential`` names."""
    address = credential.get("api_base_url")
    if not isinstance(address, str) or not address:
        raise CredentialsRejected(
            "The Mastodon credential does not say which instance it is for; "
            "connect the account again."
        )
    token = plain_secret(credential.get("access_token"), "access token")
    return MastodonConnector(address, token, timeout=context.timeout)


__all__ = [
    "InstanceRules",
    "MastodonConnector",
    "count_length",
    "from_credential",
    "idempotency_key",
]
