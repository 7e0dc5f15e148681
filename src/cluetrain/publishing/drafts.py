"""What a person writes before it is a post, and every check it must pass to become one.

Every check happens before anything is stored, so that ``services`` can create a post whole
(post, media, deliveries, history) or not at all. Permissions are checked here, not only in
views: a personal voice is its owner's alone, whoever asks. The composer's live preview runs the
same checks, so what it accepts is what publishing accepts.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.utils import timezone

from cluetrain.core.errors import NotAllowed, ServiceError
from cluetrain.organizations import policy
from cluetrain.organizations.models import Organization, Person
from cluetrain.publishing import gate, limits
from cluetrain.publishing.media import MAX_ATTACHED, check_alt, prepare_image
from cluetrain.publishing.models import (
    Category,
    Delivery,
    PostStatus,
    Visibility,
    split_parts,
)
from cluetrain.publishing.text import clean_text, fingerprint
from cluetrain.voices.models import Network, Voice, VoiceStatus
from cluetrain.voices.services import check_disclosure

DUPLICATE_WINDOW = timedelta(days=30)
MAX_PARTS = 25
MAX_VOICES = 50
_URL = re.compile(r"^(https?://[^\s<>\"]{1,490}|at://[^\s<>\"]{1,490})$")


@dataclass(frozen=True)
class Upload:
    """An image as it arrived: bytes, the name it had and its description."""

    data: bytes
    filename: str
    alt_text: str


@dataclass
class Draft:
    """What a person wrote in the composer (or sent through the API or the CLI)."""

    text: str
    voices: Sequence[Voice]
    variants: dict[str, str] = field(default_factory=dict)
    category: str = Category.OPERATIONAL
    media: Sequence[Upload] = ()
    title: str = ""
    visibility: str = Visibility.PUBLIC
    content_warning: str = ""
    reply_to_url: str = ""
    quote_url: str = ""
    link_preview: dict[str, str] = field(default_factory=dict)
    # A director's written reason for publishing despite a blocking guideline finding.
    override_reason: str = ""


@dataclass(frozen=True)
class Length:
    """One voice's count against its network's limit, for one part of the text."""

    voice: Voice
    part: int
    used: int
    limit: int

    @property
    def over(self) -> int:
        return max(0, self.used - self.limit)


def lengths(draft_text: str, variants: dict[str, str], voices: Iterable[Voice]) -> list[Length]:
    """Every part's length for every voice, as its network counts; no network call."""
    found = []
    for voice in voices:
        text = variants.get(voice.network) or draft_text
        limit = limits.limit_of(voice)
        for index, part in enumerate(split_parts(text) or [""]):
            found.append(Length(voice, index, limits.count(voice.network, part, limit).used, limit))
    return found


def duplicates(
    voices: Iterable[Voice], text: str, *, exclude_post: int | None = None
) -> list[Delivery]:
    """Deliveries of the same text through the same voices in the last 30 days."""
    voice_ids = [voice.pk for voice in voices]
    if not voice_ids or not text.strip():
        return []
    since = timezone.now() - DUPLICATE_WINDOW
    queryset = (
        Delivery.objects.filter(
            voice_id__in=voice_ids,
            text_hash=fingerprint(text),
            created_at__gte=since,
        )
        .exclude(status__in=[PostStatus.CANCELLED, PostStatus.DRAFT])
        .select_related("voice", "post")
        .order_by("-created_at")
    )
    if exclude_post is not None:
        queryset = queryset.exclude(post_id=exclude_post)
    return list(queryset[:10])


def check_voices(
    person: Person, organization: Organization, voices: Sequence[Voice]
) -> list[Voice]:
    unique = list({voice.pk: voice for voice in voices}.values())
    if not unique:
        raise ServiceError("Choose at least one voice to publish through.", code="no_voice")
    if len(unique) > MAX_VOICES:
        raise ServiceError(f"A post can go through at most {MAX_VOICES} voices.", code="voices")
    for voice in unique:
        if voice.organization_id != organization.pk:
            raise NotAllowed(f"{voice} does not belong to {organization.name}.")
        policy.require_post_as(person, voice)
        if voice.status != VoiceStatus.CONNECTED:
            raise ServiceError(
                f"{voice} {voice.get_status_display().lower()}: reconnect it before posting.",
                code="voice_status",
            )
    return unique


def check_url(value: str, what: str) -> str:
    value = (value or "").strip()
    if value and not _URL.match(value):
        raise ServiceError(f"The {what} must be a web address (https://…) or an at:// URI.")
    return value


@dataclass
class CheckedDraft:
    """A draft that passed every check, cleaned and with its images prepared: ready to store."""

    text: str
    variants: dict[str, str]
    voices: list[Voice]
    images: list[tuple[Any, str, str]]  # (prepared image, alt text, original name)
    guidelines: gate.Checked = field(default_factory=gate.Checked)


def check_draft(person: Person, organization: Organization, draft: Draft) -> CheckedDraft:
    """Every check a draft must pass before it is stored; raises ``ServiceError`` on the first."""
    voices = check_voices(person, organization, draft.voices)
    text = clean_text(draft.text)
    networks = {voice.network for voice in voices}
    variants = {}
    for network, variant in (draft.variants or {}).items():
        if network not in Network.values:
            raise ServiceError(f"{network!r} is not a network.", code="variant")
        if network in networks and (variant or "").strip() and variant.strip() != text:
            variants[network] = clean_text(variant)
    if draft.category not in Category.values:
        raise ServiceError(f"{draft.category!r} is not a post category.", code="category")
    if draft.visibility not in Visibility.values:
        raise ServiceError(f"{draft.visibility!r} is not a visibility.", code="visibility")
    if len(draft.content_warning) > 200 or len(draft.title) > 200:
        raise ServiceError("A title or content warning can be at most 200 characters.")
    for length in lengths(text, variants, voices):
        if length.over:
            part = f" (post {length.part + 1} of the thread)" if length.part else ""
            raise ServiceError(
                f"Too long for {length.voice}{part}: {length.used} of {length.limit} "
                f"characters. Shorten it, split it with a line of ---, or write a "
                f"{length.voice.get_network_display()} version.",
                code="too_long",
            )
    for voice in voices:
        parts = split_parts(variants.get(voice.network) or text)
        if len(parts) > MAX_PARTS:
            raise ServiceError(f"A thread can have at most {MAX_PARTS} posts.", code="thread")
        check_disclosure(voice, variants.get(voice.network) or text)
    if len(draft.media) > min(MAX_ATTACHED, *(limits.max_media(v) for v in voices)):
        raise ServiceError(f"A post can carry at most {MAX_ATTACHED} images.", code="media_count")
    images = [
        (prepare_image(upload.data, upload.filename), check_alt(upload.alt_text), upload.filename)
        for upload in draft.media
    ]
    gate.check_learner(person, organization, voices)
    guidelines = gate.check_guidelines(
        person, organization, text, variants, override_reason=draft.override_reason
    )
    return CheckedDraft(text, variants, voices, images, guidelines)
