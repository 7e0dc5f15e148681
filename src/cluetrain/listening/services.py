"""Changing sources: adding, editing, switching off, and the listener's own status reports."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from cluetrain.core.errors import ServiceError
from cluetrain.core.urlguard import check_public_url
from cluetrain.listening.models import Source, SourceKind, SourceStatus
from cluetrain.listening.watch import lines
from cluetrain.organizations import policy
from cluetrain.organizations.models import Organization, Person
from cluetrain.organizations.policy import Permission
from cluetrain.voices.models import Network, Voice

EDITABLE = ("name", "url", "voice", "keywords", "hashtags", "domains", "enabled")
MAX_WATCH_ITEMS = 200


def _clean_watch(text: str, what: str) -> str:
    items = lines(text)
    if len(items) > MAX_WATCH_ITEMS:
        raise ServiceError(f"At most {MAX_WATCH_ITEMS} {what}, one a line.")
    if any(len(item) > 100 for item in items):
        raise ServiceError(f"Each of the {what} may be at most 100 characters long.")
    return "\n".join(dict.fromkeys(items))


def check_source(organization: Organization, kind: str, fields: dict[str, Any]) -> dict[str, Any]:
    """The fields of a source, cleaned; ``ServiceError`` saying what is wrong otherwise."""
    if kind not in SourceKind.values or kind == SourceKind.IMPORT:
        raise ServiceError("Choose Bluesky, Mastodon or a feed.")
    name = str(fields.get("name", "")).strip()
    if not name:
        raise ServiceError("Give the source a name.")
    url = str(fields.get("url", "")).strip()
    voice = fields.get("voice")
    if kind == SourceKind.FEED and not url:
        raise ServiceError("Give the feed's address.")
    if kind == SourceKind.MASTODON and (
        not isinstance(voice, Voice) or voice.network != Network.MASTODON
    ):
        raise ServiceError("Choose the Mastodon voice whose notifications to read.")
    if voice is not None and voice.organization_id != organization.pk:
        raise ServiceError("That voice belongs to another organisation.")
    if url:
        # A Bluesky relay may be given as wss://; the guard judges the host the same way.
        web = url.replace("wss://", "https://", 1).replace("ws://", "http://", 1)
        check_public_url(web if "://" in web else f"https://{web}")
        url = url if "://" in url else f"https://{url}"
    return {
        "name": name[:120],
        "url": url[:500],
        "voice": voice,
        "keywords": _clean_watch(str(fields.get("keywords", "")), "keywords"),
        "hashtags": _clean_watch(str(fields.get("hashtags", "")), "hashtags"),
        "domains": _clean_watch(str(fields.get("domains", "")), "domains"),
        "enabled": bool(fields.get("enabled", True)),
    }


def do_save_source(
    person: Person,
    organization: Organization,
    *,
    kind: str,
    fields: dict[str, Any],
    source: Source | None = None,
) -> Source:
    """Add a source (``source`` None) or change one. Directors, admins and coordinators only."""
    policy.require(person, organization, Permission.MANAGE_OFFICIAL_VOICES)
    if source is not None:
        if source.organization_id != organization.pk:
            raise ServiceError("That source belongs to another organisation.")
        kind = source.kind
    cleaned = check_source(organization, kind, fields)
    with transaction.atomic():
        if source is None:
            source = Source(organization=organization, kind=kind)
        for name, value in cleaned.items():
            setattr(source, name, value)
        if source.enabled and source.status == SourceStatus.PAUSED:
            source.status = SourceStatus.OK
        if not source.enabled:
            source.status = SourceStatus.PAUSED
        source.save()
    return source


def do_set_source_enabled(
    person: Person, organization: Organization, source: Source, enabled: bool
) -> None:
    policy.require(person, organization, Permission.MANAGE_OFFICIAL_VOICES)
    if source.organization_id != organization.pk:
        raise ServiceError("That source belongs to another organisation.")
    source.enabled = enabled
    source.status = SourceStatus.OK if enabled else SourceStatus.PAUSED
    source.save(update_fields=["enabled", "status"])


def mark_listening(source: Source) -> None:
    """The listener reached the source: clear the last error."""
    Source.objects.filter(pk=source.pk).exclude(status=SourceStatus.PAUSED).update(
        status=SourceStatus.OK, last_error="", last_polled_at=timezone.now()
    )


def mark_failing(source: Source, error: str) -> None:
    """The listener could not reach or read the source; it will try again."""
    Source.objects.filter(pk=source.pk).exclude(status=SourceStatus.PAUSED).update(
        status=SourceStatus.FAILING, last_error=error[:1000], last_polled_at=timezone.now()
    )
