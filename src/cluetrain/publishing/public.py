"""Public views: the Atom/RSS feeds of voices and departments, and post media."""

from __future__ import annotations

import hashlib
from datetime import date
from urllib.parse import urlsplit

from django.conf import settings
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.http import http_date
from django.views.decorators.http import require_GET

from cluetrain.networks.feed import render
from cluetrain.organizations.models import Department, Organization
from cluetrain.publishing.media import public_url
from cluetrain.publishing.models import Delivery, PostMedia, PostStatus
from cluetrain.voices.models import Network, Voice, VoiceKind

FEED_SIZE = 50
FORMATS = {
    "atom": ("application/atom+xml", render.atom),
    "rss": ("application/rss+xml", render.rss),
}


@require_GET
def media(request: HttpRequest, name: str) -> FileResponse:
    """An image attached to a post (names are unguessable; see ``models.media_path``)."""
    item = PostMedia.objects.filter(file=name).only("file", "content_type").first()
    if item is None:
        raise Http404
    try:
        # Through the storage, so local folders and S3-compatible buckets alike; the name is
        # the one stored, never the one in the request.
        handle = item.file.storage.open(item.file.name, "rb")
    except (OSError, ValueError) as exc:
        raise Http404 from exc
    response = FileResponse(handle, content_type=item.content_type)
    response["Cache-Control"] = "public, max-age=86400, immutable"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _published(queryset: QuerySet[Delivery]) -> QuerySet[Delivery]:
    # The practice space never leaves Cluetrain, so it never appears in a public feed.
    return (
        queryset.filter(status=PostStatus.PUBLISHED)
        .exclude(network=Network.PRACTICE)
        .select_related("post", "post__author", "voice")
        .prefetch_related("post__media")
        .order_by("-published_at")
    )


def _entry(delivery: Delivery, key: str) -> render.FeedEntry:
    from cluetrain.publishing.connectors import entry_url

    post = delivery.post
    media = tuple(
        render.FeedMedia(
            url=public_url(item.file.url),
            content_type=item.content_type,
            alt_text=item.alt_text,
            length=item.size,
        )
        for item in post.media.all()
    )
    return render.FeedEntry(
        key=key,
        text="\n\n".join(post.parts(delivery.network)),
        published=delivery.published_at or post.created_at,
        updated=post.updated_at,
        title=post.title,
        author_name=post.author.full_name,
        link=delivery.url if delivery.url.startswith("http") else entry_url(delivery.key, 0),
        media=media,
    )


def feed_info(
    organization: Organization, title: str, path: str, subtitle: str = ""
) -> render.FeedInfo:
    """The head of a public feed of ``organization`` served at ``path``.

    Shared by the organisation's feeds (voices, departments, the organisation) and the
    incident status pages' Atom feeds, so that every public feed is identified alike.
    """
    authority = urlsplit(settings.BASE_URL).hostname or "localhost"
    # The organisation's first day in Cluetrain: the tag stays the same for the feed's life.
    day: date = organization.created_at.date()
    return render.FeedInfo(
        id=render.tag_uri(authority, day, path),
        title=title,
        self_url=settings.BASE_URL + path,
        home_url=settings.BASE_URL + "/",
        subtitle=subtitle,
        author_name=organization.name,
    )


def feed_response(
    request: HttpRequest, kind: str, info: render.FeedInfo, entries: list[render.FeedEntry]
) -> HttpResponse:
    """The feed as an ``atom`` or ``rss`` response, with an ETag and caching headers.

    Shared by the organisation's feeds and the incident status pages' Atom feeds; a reader
    asking again with the same ETag gets 304 Not Modified.
    """
    content_type, make = FORMATS[kind]
    body = make(info, entries)
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    if request.headers.get("If-None-Match") == etag:
        response = HttpResponse(status=304)
    else:
        response = HttpResponse(body, content_type=f"{content_type}; charset=utf-8")
    response["ETag"] = etag
    if entries:
        response["Last-Modified"] = http_date(max(e.changed for e in entries).timestamp())
    response["Cache-Control"] = "public, max-age=300"
    return response


@require_GET
def voice_feed(request: HttpRequest, org: str, voice_id: int, kind: str) -> HttpResponse:
    """Everything a voice published (outside the practice space), newest first."""
    organization = get_object_or_404(Organization, slug=org)
    voice = get_object_or_404(
        Voice.objects.exclude(network=Network.PRACTICE), organization=organization, pk=voice_id
    )
    deliveries = _published(Delivery.objects.filter(voice=voice))[:FEED_SIZE]
    path = reverse("public:voice_feed", args=[org, voice_id, kind])
    info = feed_info(
        organization, voice.name, path, f"{voice.name} on {voice.get_network_display()}"
    )
    return feed_response(request, kind, info, [_entry(d, d.key) for d in deliveries])


def _official(queryset: QuerySet[Delivery]) -> list[render.FeedEntry]:
    # One entry per post, even when it went out through several official voices.
    seen: set[int] = set()
    entries = []
    for delivery in _published(queryset.filter(voice__kind=VoiceKind.OFFICIAL))[: FEED_SIZE * 3]:
        if delivery.post_id in seen:
            continue
        seen.add(delivery.post_id)
        entries.append(_entry(delivery, f"post-{delivery.post_id}"))
        if len(entries) == FEED_SIZE:
            break
    return entries


@require_GET
def department_feed(request: HttpRequest, org: str, department: str, kind: str) -> HttpResponse:
    """What a department's official voices published."""
    organization = get_object_or_404(Organization, slug=org)
    dept = get_object_or_404(Department, organization=organization, slug=department)
    path = reverse("public:department_feed", args=[org, department, kind])
    info = feed_info(organization, f"{organization.name} {dept.name}", path)
    return feed_response(
        request, kind, info, _official(Delivery.objects.filter(voice__department=dept))
    )


@require_GET
def organization_feed(request: HttpRequest, org: str, kind: str) -> HttpResponse:
    """What the organisation's official voices published."""
    organization = get_object_or_404(Organization, slug=org)
    path = reverse("public:organization_feed", args=[org, kind])
    info = feed_info(organization, organization.name, path)
    return feed_response(
        request, kind, info, _official(Delivery.objects.filter(organization=organization))
    )
