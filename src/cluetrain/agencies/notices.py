"""Telling shadows what their agency partner published, once per post and shadow.

A shadow hears of each post and inbox reply their partner publishes after the pairing (within
the last week, so a job that was stopped for a while does not flood anyone). The
``ShadowNotice`` row is the claim: the notification is sent in the same transaction that
inserts it, and a second run (or a second worker) finds the row and sends nothing.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils import timezone

from cluetrain.agencies.models import Shadowing, ShadowNotice
from cluetrain.listening.models import Direction, Message
from cluetrain.notifications.services import notify
from cluetrain.publishing.models import Post

LOOK_BACK = timedelta(days=7)
BATCH = 200


def notify_shadows(*, now: datetime | None = None) -> int:
    """Send the notices due to every shadow; return how many were sent."""
    now = now or timezone.now()
    sent = 0
    for pairing in Shadowing.objects.select_related("organization", "agency_person", "shadow"):
        since = max(pairing.paired_at, now - LOOK_BACK)
        told = ShadowNotice.objects.filter(shadow_id=pairing.shadow_id, post=OuterRef("pk"))
        is_reply = Message.objects.filter(post=OuterRef("pk"), direction=Direction.OUTBOUND)
        posts = (
            Post.objects.filter(
                organization_id=pairing.organization_id,
                author_id=pairing.agency_person_id,
                published_at__gte=since,
            )
            .exclude(Exists(told))
            .annotate(is_reply=Exists(is_reply))
            .order_by("published_at")[:BATCH]
        )
        for post in posts:
            sent += _tell(pairing, post)
    return sent


def _tell(pairing: Shadowing, post: Post) -> int:
    what = "replied in the inbox" if getattr(post, "is_reply", False) else "published a post"
    try:
        with transaction.atomic():
            ShadowNotice.objects.create(
                organization_id=pairing.organization_id, shadow_id=pairing.shadow_id, post=post
            )
            notify(
                pairing.shadow,
                "agency.shadow",
                f"{pairing.agency_person.full_name} {what}",
                post.text[:300],
                organization=pairing.organization,
                url=reverse("publishing:post", args=[post.pk]),
                email=False,
            )
    except IntegrityError:
        # Another run inserted this notice first and sent it.
        return 0
    return 1
