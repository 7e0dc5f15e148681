"""Publishing through voices. Every path to a network goes through ``do_publish``."""

from __future__ import annotations

import unicodedata

from django.db import transaction
from django.utils import timezone

from cluetrain.core.errors import ServiceError
from cluetrain.organizations import policy
from cluetrain.organizations.models import Person
from cluetrain.publishing.models import Post, PostStatus
from cluetrain.voices.models import Network, Voice
from cluetrain.voices.services import check_disclosure

# Practice posts are bounded like a real network's so habits carry over.
PRACTICE_LIMIT = 500


def clean_text(text: str) -> str:
    """Normalise to NFC and strip; refuse empty text and text with control characters."""
    text = unicodedata.normalize("NFC", text or "").strip()
    if not text:
        raise ServiceError("There is nothing to publish: the text is empty.", code="empty")
    if any(unicodedata.category(ch) == "Cc" and ch not in "\n\t" for ch in text):
        raise ServiceError("The text contains control characters; remove them.", code="control")
    return text


def do_publish(person: Person, voice: Voice, text: str) -> Post:
    """Publish ``text`` through ``voice`` as ``person``.

    Checks, in order: the person may speak through this voice (a personal voice
    is its owner's alone), the text is publishable, and the organisation's
    disclosure is present. Nothing is stored when a check fails.
    """
    policy.require_post_as(person, voice)
    text = clean_text(text)
    if voice.network != Network.PRACTICE:
        raise ServiceError(
            f"Publishing to {voice.get_network_display()} is not available yet; "
            "use a practice-space voice.",
            code="network",
        )
    if len(text) > PRACTICE_LIMIT:
        raise ServiceError(
            f"The text is {len(text)} characters; the practice space takes {PRACTICE_LIMIT}.",
            code="too_long",
        )
    check_disclosure(voice, text)
    with transaction.atomic():
        return Post.objects.create(
            organization=voice.organization,
            voice=voice,
            author=person,
            text=text,
            status=PostStatus.PUBLISHED,
            published_at=timezone.now(),
        )
