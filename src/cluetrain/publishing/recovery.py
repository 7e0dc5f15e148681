"""Recovering deliveries whose worker stopped before it finished.

A worker killed anywhere leaves its rows ``publishing`` until their lease runs out; then they
are put back, and the next attempt (``attempts`` > 1) makes the connector look for the post that
may already be out before creating it again. The worker's housekeeping thread runs this
periodically, beside the dispatcher threads.
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from cluetrain.publishing import incidents
from cluetrain.publishing.models import Delivery, PostEvent, PostStatus

logger = logging.getLogger(__name__)


def reclaim_stale(now: datetime | None = None) -> int:
    """Put back deliveries whose worker's lease ran out (the worker stopped mid-way)."""
    now = now or timezone.now()
    stale = list(
        Delivery.objects.filter(status=PostStatus.PUBLISHING, claimed_until__lt=now).values_list(
            "pk", "post_id", "claim_token", "organization_id"
        )[:1000]
    )
    by_organization: dict[int, list[tuple[int, int, str]]] = {}
    for pk, post_id, token, organization_id in stale:
        by_organization.setdefault(organization_id, []).append((pk, post_id, token))
    count = 0
    for organization_id, rows in by_organization.items():
        # One transaction per organisation: its incident lock once, then every row put back
        # is paused at once if an incident covers it.
        with transaction.atomic():
            incidents.guard(organization_id)
            back = [
                (pk, post_id)
                for pk, post_id, token in rows
                # The claim's own token: a worker that came back to life and finished in the
                # meantime keeps what it did.
                if Delivery.objects.filter(
                    pk=pk, status=PostStatus.PUBLISHING, claim_token=token, claimed_until__lt=now
                ).update(status=PostStatus.SCHEDULED, claim_token="", claimed_until=None)
            ]
            if not back:
                continue
            count += len(back)
            incidents.hold(organization_id, [pk for pk, _ in back])
            PostEvent.objects.bulk_create(
                PostEvent(
                    post_id=post_id,
                    delivery_id=pk,
                    verb="recovered",
                    message="The worker publishing it stopped; another will finish the job.",
                )
                for pk, post_id in back
            )
    if count:
        logger.warning("put back %d delivery(ies) whose worker stopped", count)
    return count
