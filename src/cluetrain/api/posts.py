"""The posts endpoints: list, read, write, schedule, cancel, retry.

Each view reads its input, calls one publishing service and returns the post as it now is;
every rule lives in ``cluetrain.publishing.services``.
"""

import base64
from datetime import UTC, datetime
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.http import Http404, HttpRequest
from django.utils import timezone
from ninja import Field, Query, Router, Schema
from ninja.pagination import LimitOffsetPagination, paginate
from ninja.responses import Status

from cluetrain.api.auth import Caller, caller
from cluetrain.api.errors import ERRORS, ErrorOut
from cluetrain.api.ids import MAX_ID, id_in_path
from cluetrain.api.inputs import find_voices, schedule_from
from cluetrain.api.schemas import (
    CancelIn,
    PostDetail,
    PostFilters,
    PostIn,
    PostOut,
    RetryOut,
    ScheduleIn,
)
from cluetrain.publishing import services
from cluetrain.publishing.drafts import Draft, Upload
from cluetrain.publishing.models import Delivery, Post, PostEvent

router = Router(tags=["posts"])


class Page(LimitOffsetPagination):
    """limit/offset pages of at most 100 posts, 20 by default."""

    class Input(Schema):
        limit: int = Field(20, ge=1, le=100)
        # Bounded so a huge offset is bad input, not a number the database cannot take.
        offset: int = Field(0, ge=0, le=MAX_ID)


def _visible(who: Caller) -> QuerySet[Post]:
    return services.visible_posts(who.person, who.organization).select_related("author")


def load_post(who: Caller, post_id: int) -> Post:
    """A post the caller can see, with everything its detail shows, or 404."""
    post = (
        _visible(who)
        .prefetch_related(
            "media",
            Prefetch(
                "deliveries", queryset=Delivery.objects.select_related("voice").order_by("pk")
            ),
            Prefetch("events", queryset=PostEvent.objects.select_related("actor")),
        )
        .filter(pk=post_id)
        .first()
    )
    if post is None:
        raise Http404(f"There is no post {post_id} you can see.")
    return post


def _aware(value: datetime) -> datetime:
    return value if timezone.is_aware(value) else value.replace(tzinfo=UTC)


@router.get("/posts", response={200: list[PostOut], 400: ErrorOut, 401: ErrorOut})
@paginate(Page)
def list_posts(request: HttpRequest, filters: Query[PostFilters]) -> QuerySet[Post]:
    """Posts the caller can see (their own and every official voice's), newest first."""
    posts = _visible(caller(request)).prefetch_related(
        "media", Prefetch("deliveries", queryset=Delivery.objects.only("pk", "post", "voice"))
    )
    if filters.status:
        posts = posts.filter(status=filters.status)
    if filters.category:
        posts = posts.filter(category=filters.category)
    if filters.voice is not None:
        posts = posts.filter(pk__in=Delivery.objects.filter(voice=filters.voice).values("post"))
    if filters.since:
        posts = posts.filter(created_at__gte=_aware(filters.since))
    if filters.until:
        posts = posts.filter(created_at__lt=_aware(filters.until))
    return posts.order_by("-created_at", "-pk")


@router.get("/posts/{post_id}", response={200: PostDetail, **ERRORS})
def get_post(request: HttpRequest, post_id: int = id_in_path()) -> Post:
    """One post with its deliveries (one per voice) and its history."""
    return load_post(caller(request), post_id)


@router.post("/posts", response={201: PostDetail, **ERRORS})
def create_post(request: HttpRequest, payload: PostIn) -> Status:
    """Write a post through one or more voices: now, at a time, in the next queue slot, or as
    a draft. Nothing is stored unless every check passes."""
    who = caller(request)
    schedule = schedule_from(payload.when, payload.at, payload.time_zone, who.person.time_zone)
    draft = Draft(
        text=payload.text,
        voices=find_voices(who.organization, payload.voice_ids),
        variants=payload.variants,
        category=payload.category,
        media=[
            Upload(base64.b64decode(image.data), image.filename, image.alt_text)
            for image in payload.images
        ],
        title=payload.title,
        visibility=payload.visibility,
        content_warning=payload.content_warning,
        reply_to_url=payload.reply_to_url,
        quote_url=payload.quote_url,
        override_reason=payload.override_reason,
    )
    post = services.do_create_post(who.person, who.organization, draft, schedule)
    return Status(201, load_post(who, post.pk))


@router.post("/posts/{post_id}/schedule", response={200: PostDetail, **ERRORS})
def schedule_post(request: HttpRequest, payload: ScheduleIn, post_id: int = id_in_path()) -> Post:
    """Schedule a draft, or a post that has not gone out yet again."""
    who = caller(request)
    schedule = schedule_from(payload.when, payload.at, payload.time_zone, who.person.time_zone)
    services.do_schedule(who.person, load_post(who, post_id), schedule)
    return load_post(who, post_id)


@router.post("/posts/{post_id}/cancel", response={200: PostDetail, **ERRORS})
def cancel_post(
    request: HttpRequest, payload: CancelIn | None = None, post_id: int = id_in_path()
) -> Post:
    """Cancel every delivery of the post that has not started going out."""
    who = caller(request)
    services.do_cancel(who.person, load_post(who, post_id), payload.reason if payload else "")
    return load_post(who, post_id)


@router.post("/posts/{post_id}/retry", response={200: RetryOut, **ERRORS})
def retry_post(request: HttpRequest, post_id: int = id_in_path()) -> dict[str, Any]:
    """Try the post's failed deliveries again, now."""
    who = caller(request)
    retried = services.do_retry(who.person, load_post(who, post_id))
    return {"retried": retried, "post": load_post(who, post_id)}
