"""Follower counts of the organisation's voices, asked of each network every few hours.

A network that cannot tell (a Bluesky PDS without an App View, the practice space, feeds,
webhooks) is skipped: engagement per 1,000 followers is then unknown rather than wrong.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.utils import timezone

from cluetrain.insights.models import Audience
from cluetrain.networks.base import ConnectorError, NotSupported
from cluetrain.publishing import connectors
from cluetrain.voices.models import Voice, VoiceStatus

log = logging.getLogger(__name__)

COUNTED = ("bluesky", "mastodon")
# An unchanged count is written again after this long, so the series shows it was still true.
REFRESH = timedelta(days=1)


def latest(voice_ids: list[int]) -> dict[int, int]:
    """The latest follower count of each voice that has one."""
    found: dict[int, int] = {}
    for voice_id, followers in (
        Audience.objects.filter(voice_id__in=voice_ids)
        .order_by("voice_id", "-at")
        .values_list("voice_id", "followers")
    ):
        found.setdefault(voice_id, followers)
    return found


def measure(voice: Voice, now: datetime | None = None) -> int | None:
    """Ask the network for ``voice``'s followers and store the count when it is news;
    None when the network does not tell or cannot be reached now."""
    now = now or timezone.now()
    try:
        followers = connectors.for_voice(voice).followers()
    except NotSupported:
        return None
    except ConnectorError as exc:
        log.info("Followers of %s not counted now (%s)", voice, exc)
        return None
    last = Audience.objects.filter(voice=voice).order_by("-at").first()
    if last is None or last.followers != followers or now - last.at >= REFRESH:
        Audience.objects.create(voice=voice, at=now, followers=followers)
    return followers


def measure_all(now: datetime | None = None) -> int:
    """Count the followers of every voice on a network that tells; returns how many did."""
    counted = 0
    for voice in Voice.objects.filter(network__in=COUNTED, status=VoiceStatus.CONNECTED).order_by(
        "pk"
    ):
        try:
            counted += measure(voice, now) is not None
        except Exception:
            # One voice's broken credential must not stop the others.
            log.exception("Followers of voice %s could not be counted", voice.pk)
    return counted
