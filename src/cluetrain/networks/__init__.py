"""Network connectors: one package per network behind the interface in ``networks.base``."""

from cluetrain.networks.base import (
    Account,
    Connector,
    ConnectorError,
    ContentRejected,
    CredentialsRejected,
    Engagement,
    LinkCard,
    Media,
    NetworkError,
    NotSupported,
    Outgoing,
    PartCallback,
    PublishedRef,
)

__all__ = [
    "Account",
    "Connector",
    "ConnectorError",
    "ContentRejected",
    "CredentialsRejected",
    "Engagement",
    "LinkCard",
    "Media",
    "NetworkError",
    "NotSupported",
    "Outgoing",
    "PartCallback",
    "PublishedRef",
]
