"""A post's one status, summarised from its deliveries' (one per voice).

The worker, edit and delete jobs, crisis pauses and people's own changes all move deliveries;
each then asks here what the post as a whole now is.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from cluetrain.publishing.models import Delivery, Post, PostStatus


def refresh_status(post: Post | int) -> str:
    """Set the post's status from its deliveries' and return it."""
    post_id = post if isinstance(post, int) else post.pk
    statuses = set(Delivery.objects.filter(post_id=post_id).values_list("status", flat=True))
    status = summarise(statuses)
    changes: dict[str, Any] = {"status": status}
    if status == PostStatus.PUBLISHED:
        changes["published_at"] = timezone.now()
    Post.objects.filter(pk=post_id).exclude(status=status).update(**changes)
    if isinstance(post, Post):
        post.status = status
    return status


def summarise(statuses: set[str]) -> str:
    """One word for a post whose deliveries are in ``statuses``."""
    if not statuses:
        return PostStatus.DRAFT
    if len(statuses) == 1:
        return next(iter(statuses))
    if statuses & {PostStatus.SCHEDULED, PostStatus.PUBLISHING}:
        if statuses & {PostStatus.PUBLISHING, PostStatus.PUBLISHED}:
            return PostStatus.PUBLISHING
        return PostStatus.SCHEDULED
    for status in (PostStatus.PAUSED, PostStatus.FAILED, PostStatus.REVIEW, PostStatus.DRAFT):
        if status in statuses:
            return status
    if PostStatus.PUBLISHED in statuses:
        return PostStatus.PUBLISHED
    return PostStatus.CANCELLED
