"""Encryption at rest for credentials (network tokens, app passwords, webhook secrets).

MultiFernet with the keys from ``settings.ENCRYPTION_KEYS``: the first key
encrypts, every key decrypts, so a new key can be put in front and old tokens
re-encrypted with ``cluetrain rotate_keys`` without downtime.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


@cache
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    try:
        return MultiFernet([Fernet(key.encode("ascii")) for key in keys])
    except (ValueError, UnicodeEncodeError) as exc:
        raise ImproperlyConfigured(
            "CLUETRAIN_ENCRYPTION_KEYS: each key must be 32 url-safe base64-encoded bytes "
            "(make one with: cluetrain rotate_keys --print-new-key)"
        ) from exc


def fernet() -> MultiFernet:
    return _fernet(tuple(settings.ENCRYPTION_KEYS))


class DecryptionFailed(Exception):
    """The stored value was encrypted with a key no longer configured."""


def encrypt_json(value: dict[str, Any]) -> str:
    payload = json.dumps(value, separators=(",", ":"), sort_keys=True).encode("utf-8")
    return fernet().encrypt(payload).decode("ascii")


def decrypt_json(token: str) -> dict[str, Any]:
    try:
        payload = fernet().decrypt(token.encode("ascii"))
    except InvalidToken as exc:
        raise DecryptionFailed("credential cannot be decrypted with the configured keys") from exc
    value = json.loads(payload)
    if not isinstance(value, dict):
        raise DecryptionFailed("credential is not a JSON object")
    return value


def rotate(token: str) -> str:
    """Re-encrypt ``token`` with the primary key (no-op in meaning, new ciphertext)."""
    try:
        return fernet().rotate(token.encode("ascii")).decode("ascii")
    except InvalidToken as exc:
        raise DecryptionFailed("credential cannot be decrypted with the configured keys") from exc
