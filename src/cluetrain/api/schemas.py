"""What the API reads and writes. Times go out as ISO 8601 in UTC; no credential ever does."""

from __future__ import annotations

import base64
import binascii
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from ninja import Field, Schema
from pydantic import AfterValidator

from cluetrain.api.ids import MAX_ID
from cluetrain.publishing.drafts import MAX_VOICES
from cluetrain.publishing.media import MAX_ALT, MAX_ATTACHED, MAX_UPLOAD_BYTES
from cluetrain.publishing.models import (
    Category,
    Delivery,
    Post,
    PostEvent,
    PostMedia,
    PostStatus,
    Visibility,
)
from cluetrain.publishing.text import MAX_STORED

# The base64 form of the largest image the publishing service accepts.
MAX_BASE64 = (MAX_UPLOAD_BYTES + 2) // 3 * 4


def _utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


def _check_base64(value: str) -> str:
    try:
        base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError("is not valid base64") from exc
    return value


UtcDateTime = Annotated[datetime, AfterValidator(_utc)]
Base64 = Annotated[str, AfterValidator(_check_base64)]


# --- Voices ------------------------------------------------------------------------------------


class VoiceOut(Schema):
    id: int
    name: str
    handle: str
    network: str
    kind: str
    status: str
    department: str | None = Field(description="The department an official voice speaks for.")
    limit: int = Field(description="Characters per post, counted as the network counts them.")


class VoiceRef(Schema):
    id: int
    name: str
    handle: str
    network: str
    kind: str


# --- Posts out ---------------------------------------------------------------------------------


class PersonRef(Schema):
    id: int
    name: str


class MediaOut(Schema):
    url: str
    alt_text: str
    content_type: str
    width: int | None
    height: int | None

    @staticmethod
    def resolve_url(media: PostMedia, context: dict[str, Any] | None = None) -> str:
        # Absolute in API answers: a client fetches it from outside the site.
        request = (context or {}).get("request")
        url = str(media.file.url)
        return request.build_absolute_uri(url) if request is not None else url


class PostOut(Schema):
    id: int
    status: PostStatus
    text: str
    variants: dict[str, str]
    category: Category
    title: str
    visibility: Visibility
    content_warning: str
    reply_to_url: str
    quote_url: str
    author: PersonRef
    voice_ids: list[int]
    media: list[MediaOut]
    scheduled_at: UtcDateTime | None
    time_zone: str = Field(description="The time zone the schedule was chosen in.")
    created_at: UtcDateTime
    updated_at: UtcDateTime
    published_at: UtcDateTime | None

    @staticmethod
    def resolve_author(post: Post) -> PersonRef:
        return PersonRef(id=post.author.pk, name=post.author.full_name)

    @staticmethod
    def resolve_voice_ids(post: Post) -> list[int]:
        return [delivery.voice_id for delivery in post.deliveries.all()]

    @staticmethod
    def resolve_media(post: Post) -> list[PostMedia]:
        return list(post.media.all())


class DeliveryOut(Schema):
    id: int
    voice: VoiceRef
    status: PostStatus
    due_at: UtcDateTime | None
    published_at: UtcDateTime | None
    url: str
    attempts: int
    error_code: str
    error: str

    @staticmethod
    def resolve_voice(delivery: Delivery) -> VoiceRef:
        return VoiceRef.from_orm(delivery.voice)


class EventOut(Schema):
    at: UtcDateTime
    verb: str
    message: str
    actor: str | None = Field(description="Who did it; empty for Cluetrain itself.")

    @staticmethod
    def resolve_actor(event: PostEvent) -> str | None:
        return event.actor.full_name if event.actor else None


class PostDetail(PostOut):
    deliveries: list[DeliveryOut]
    history: list[EventOut]

    @staticmethod
    def resolve_deliveries(post: Post) -> list[Delivery]:
        return list(post.deliveries.all())

    @staticmethod
    def resolve_history(post: Post) -> list[PostEvent]:
        return list(post.events.all())


# --- Posts in ----------------------------------------------------------------------------------

When = Literal["now", "at", "slot", "draft"]

AT_HELP = (
    "For when=at: a wall-clock time such as 2026-12-01T09:30 in time_zone, or a moment with "
    "its offset (2026-12-01T09:30:00+01:00), taken as it is."
)
TIME_ZONE_HELP = "An IANA time zone such as Europe/Paris; by default the person's own."


class ImageIn(Schema):
    data: Base64 = Field(max_length=MAX_BASE64, description="The image file, base64-encoded.")
    alt_text: str = Field(max_length=MAX_ALT * 2, description="What the image shows.")
    filename: str = Field("", max_length=200)


class PostIn(Schema):
    text: str = Field(
        max_length=MAX_STORED * 2,
        description="The text; a line of --- starts a thread's next post.",
    )
    voice_ids: list[Annotated[int, Field(ge=1, le=MAX_ID)]] = Field(max_length=MAX_VOICES)
    variants: dict[str, str] = Field(
        default_factory=dict, description="A network's own text, e.g. {'bluesky': '…'}."
    )
    category: Category = Category.OPERATIONAL
    title: str = Field("", max_length=200)
    visibility: Visibility = Visibility.PUBLIC
    content_warning: str = Field("", max_length=200)
    reply_to_url: str = Field("", max_length=500)
    quote_url: str = Field("", max_length=500)
    when: When | None = Field(None, description="By default 'at' when 'at' is given, else 'now'.")
    at: datetime | None = Field(None, description=AT_HELP)
    time_zone: str | None = Field(None, max_length=64, description=TIME_ZONE_HELP)
    images: list[ImageIn] = Field(default_factory=list, max_length=MAX_ATTACHED)
    override_reason: str = Field(
        "",
        max_length=2000,
        description="Directors only: why to publish despite a blocking guideline finding.",
    )


class ScheduleIn(Schema):
    when: Literal["now", "at", "slot"] | None = None
    at: datetime | None = Field(None, description=AT_HELP)
    time_zone: str | None = Field(None, max_length=64, description=TIME_ZONE_HELP)


class CancelIn(Schema):
    reason: str = Field("", max_length=500)


class RetryOut(Schema):
    retried: int
    post: PostDetail


class PostFilters(Schema):
    status: PostStatus | None = None
    category: Category | None = None
    voice: int | None = Field(
        None, ge=1, le=MAX_ID, description="Only posts going out through this voice."
    )
    since: datetime | None = Field(None, description="Created at or after (UTC if no offset).")
    until: datetime | None = Field(None, description="Created before (UTC if no offset).")
