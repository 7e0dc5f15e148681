"""Signing webhook deliveries, and checking a signature on the receiving side.

The scheme is described, with a receiver's example, in ``cluetrain.networks.webhook``.
"""

from __future__ import annotations

import hashlib
import hmac
import time

PREFIX = "sha256="


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The ``X-Cluetrain-Signature`` value for ``body`` sent at ``timestamp`` (unix seconds)."""
    message = timestamp.encode("ascii") + b"." + body
    return PREFIX + hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def verify_signature(
    secret: str,
    timestamp: str | int,
    body: bytes,
    header: str,
    *,
    tolerance: float = 300,
    now: float | None = None,
) -> bool:
    """Whether ``header`` is Cluetrain's signature of ``body`` sent at ``timestamp``.

    ``body`` must be the raw bytes received, before any JSON parsing. A timestamp further than
    ``tolerance`` seconds from ``now`` (default: the clock) is refused, so that a captured
    delivery cannot be replayed later.
    """
    stamp = str(timestamp).strip()
    if not stamp.isascii() or not stamp.isdigit():
        return False
    current = time.time() if now is None else now
    if abs(current - int(stamp)) > tolerance:
        return False
    expected = sign(secret, stamp, body).encode("ascii")
    # Compared as bytes: compare_digest refuses str holding anything but ASCII.
    return hmac.compare_digest(expected, header.strip().encode("utf-8", "replace"))
