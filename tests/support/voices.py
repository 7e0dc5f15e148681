"""Helpers shared by the tests that connect voices from the Voices page.

The ``private_allowed`` fixture is registered for all tests as a plugin (tests/conftest.py).
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client as WebClient

from cluetrain.voices.models import Voice

SECRET = "a-webhook-secret-of-some-length"


def ciphertext(voice: Voice) -> str:
    """The credential column exactly as the database holds it."""
    return Voice.objects.filter(pk=voice.pk).values_list("credential_ciphertext", flat=True)[0]


def page(client: WebClient, url: str = "/voices/") -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def messages_of(response: Any) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


@pytest.fixture
def private_allowed(settings: Any) -> None:
    # The PDS and the webhook receiver listen on loopback.
    settings.ALLOW_PRIVATE_URLS = True
