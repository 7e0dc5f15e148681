"""The connector for a voice, built from its encrypted credential and kept for reuse.

A worker keeps one connector per voice and thread, so a Bluesky session is reused across
posts instead of logging in each time (logins are rate-limited). A credential changed by a
reconnect is noticed by its ciphertext and the connector rebuilt.
"""

from __future__ import annotations

import threading
from typing import Any

from django.conf import settings
from django.urls import reverse

from cluetrain.core import crypto
from cluetrain.networks import registry
from cluetrain.networks.base import Connector
from cluetrain.voices.models import Voice

_local = threading.local()


def entry_url(key: str, index: int) -> str:
    """The page Cluetrain serves for an item of the practice space or of a feed."""
    return settings.BASE_URL + reverse("publishing:entry", args=[key, index])


def build(voice: Voice) -> Connector:
    """A new connector for ``voice``; a refreshed credential is stored back, encrypted."""

    def store(credential: dict[str, Any]) -> None:
        ciphertext = crypto.encrypt_json(credential)
        Voice.objects.filter(pk=voice.pk).update(credential_ciphertext=ciphertext)
        cached = getattr(_local, "connectors", {}).get(voice.pk)
        if cached is not None:
            _local.connectors[voice.pk] = (ciphertext, cached[1])

    context = registry.Context(entry_url=entry_url, on_credential=store)
    return registry.build(voice.network, voice.get_credential(), context)


def for_voice(voice: Voice) -> Connector:
    """This thread's connector for ``voice``, reused while its credential is unchanged."""
    connectors: dict[int, tuple[str, Connector]] = _local.__dict__.setdefault("connectors", {})
    cached = connectors.get(voice.pk)
    if cached is not None and cached[0] == voice.credential_ciphertext:
        return cached[1]
    connector = build(voice)
    connectors[voice.pk] = (voice.credential_ciphertext, connector)
    return connector


def forget(voice_id: int) -> None:
    getattr(_local, "connectors", {}).pop(voice_id, None)
