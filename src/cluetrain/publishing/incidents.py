"""Where publishing gives way to crisis mode: the organisation lock, then the hold.

Whatever makes a delivery due (scheduling, an approval, a retry, a worker putting a delivery
back) runs both in its own transaction: ``guard`` first, before any delivery row is locked, and
``hold`` once the deliveries are due, so that an open incident pauses them at once. Taking the
organisation first is the order a declaration locks in, so the two cannot deadlock; see
``crisis.pausing``.
"""

from __future__ import annotations

from cluetrain.crisis import pausing
from cluetrain.publishing.models import Post


def guard(organization_id: int) -> None:
    """Take the organisation's incident lock (shared); before any delivery row."""
    pausing.lock_organization(organization_id, exclusive=False)


def hold(organization_id: int, delivery_ids: list[int]) -> None:
    """Pause these deliveries now if an open incident covers them."""
    pausing.hold(organization_id, delivery_ids)


def hold_post(post: Post) -> None:
    """Pause what of this post became due while an incident covers it."""
    pausing.hold_post(post)
