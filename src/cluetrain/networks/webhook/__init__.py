"""Webhooks: each publication is one signed JSON ``POST`` to an address the organisation chose.

The credential is ``{"url": ..., "secret": ..., "format": "json" | "slack"}``.

With ``"json"`` (the default) the body is Cluetrain's own::

    {"event": "post.published", "id": "<key>", "created_at": "<ISO 8601, UTC>",
     "parts": ["first part", ...], "text": "all parts joined by a blank line",
     "media": [{"url": ..., "alt_text": ..., "content_type": ...}],
     "title": "", "link": {"url": ..., "title": ..., "description": ...} | null,
     "extra": {...}}

An edit sends ``{"event": "post.updated", "id", "part", "text"}`` and a deletion
``{"event": "post.deleted", "id", "part"}``; checking the connection sends
``{"event": "ping"}``. With ``"slack"`` the body is ``{"text": ...}`` only, which Slack's and
Microsoft Teams' incoming webhooks accept; they cannot change or remove a message afterwards.

Every request carries ``Content-Type: application/json``, ``User-Agent: Cluetrain/<version>``,
``X-Cluetrain-Event`` (the event above), ``X-Cluetrain-Delivery``, ``X-Cluetrain-Timestamp``
(unix seconds) and ``X-Cluetrain-Signature: sha256=<hex>``, the HMAC-SHA256, keyed with the
secret (UTF-8), of the ASCII timestamp, a full stop, and the raw body bytes.

Delivery is at least once: a publication whose answer was lost is sent again with the same
``X-Cluetrain-Delivery`` (the publication's key), so a receiver should ignore a delivery id it
has already handled. Updates are applied as they come (each has its own delivery id).

A receiver checks a delivery like this, on the raw body, before parsing it (or calls
``verify_signature`` from this package)::

    import hashlib, hmac, time

    def is_from_cluetrain(secret: str, headers, body: bytes) -> bool:
        timestamp = headers["X-Cluetrain-Timestamp"]
        if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > 300:
            return False  # missing or stale: possibly a replay
        mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
        expected = "sha256=" + mac.hexdigest()
        return hmac.compare_digest(expected, headers["X-Cluetrain-Signature"])

Any 2xx answer means delivered (its body is ignored). Redirects are not followed: a webhook
that moved must be given its new address. Before every delivery the receiver's name is resolved
again and refused if it now leads to a loopback or private address (``core.urlguard``), unless
``CLUETRAIN_ALLOW_PRIVATE_URLS`` allows such receivers.
"""

from __future__ import annotations

from typing import Any

from cluetrain.networks.base import CredentialsRejected
from cluetrain.networks.registry import Context
from cluetrain.networks.webhook.connector import FORMATS, WebhookConnector
from cluetrain.networks.webhook.signing import sign, verify_signature

__all__ = ["WebhookConnector", "from_credential", "sign", "verify_signature"]


def from_credential(credential: dict[str, Any], context: Context) -> WebhookConnector:
    url = str(credential.get("url") or "").strip()
    secret = str(credential.get("secret") or "")
    payload_format = str(credential.get("format") or "json")
    if payload_format not in FORMATS:
        raise CredentialsRejected(
            f"A webhook sends {' or '.join(FORMATS)}; {payload_format!r} is not one of them."
        )
    return WebhookConnector(url, secret, payload_format=payload_format, timeout=context.timeout)
