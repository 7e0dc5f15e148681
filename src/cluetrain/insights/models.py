"""Engagement over time: what each published post drew, fetched on a schedule that backs off
as the post ages."""

from __future__ import annotations

from django.db import models
from django.db.models import Q


class EngagementTrack(models.Model):
    """When to ask next for the reactions to one published delivery, and what was last seen.

    One row per delivery to a network that reports reactions. ``next_fetch_at`` is also the
    claim: a worker moves it forward with a conditional UPDATE before calling the network, so
    two workers never fetch the same post at once. Empty once the post is too old to follow
    (or the network says it is gone).
    """

    delivery = models.OneToOneField(
        "publishing.Delivery", on_delete=models.CASCADE, related_name="engagement_track"
    )
    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    published_at = models.DateTimeField()
    next_fetch_at = models.DateTimeField(null=True, blank=True)
    fetches = models.PositiveIntegerField(default=0)
    failures = models.PositiveIntegerField(default=0)
    last_fetched_at = models.DateTimeField(null=True, blank=True)
    likes = models.PositiveIntegerField(default=0)
    reposts = models.PositiveIntegerField(default=0)
    replies = models.PositiveIntegerField(default=0)
    quotes = models.PositiveIntegerField(default=0)
    # Where the latest counts came from: the network's API, or the reactions its stream carried.
    counted_from = models.CharField(max_length=10, blank=True)
    last_error = models.CharField(max_length=300, blank=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["next_fetch_at"],
                condition=Q(next_fetch_at__isnull=False),
                name="engagement_due",
            ),
            models.Index(fields=["organization", "published_at"], name="engagement_org_time"),
        ]

    def __str__(self) -> str:
        return f"Engagement of delivery {self.delivery_id}"

    @property
    def total(self) -> int:
        return self.likes + self.reposts + self.replies + self.quotes


class EngagementSample(models.Model):
    """The counts of one delivery at one moment: a point of its time series.

    A fetch that finds the same counts as the last sample adds none (an old post fetched daily
    would otherwise fill the table with copies); the track records that it looked.
    """

    delivery = models.ForeignKey(
        "publishing.Delivery", on_delete=models.CASCADE, related_name="engagement_samples"
    )
    at = models.DateTimeField()
    likes = models.PositiveIntegerField(default=0)
    reposts = models.PositiveIntegerField(default=0)
    replies = models.PositiveIntegerField(default=0)
    quotes = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["delivery", "at"]
        indexes = [models.Index(fields=["delivery", "at"], name="engagement_sample_time")]

    def __str__(self) -> str:
        return f"{self.delivery_id} at {self.at:%Y-%m-%d %H:%M}"


class Audience(models.Model):
    """How many accounts followed one voice at one moment, for engagement per 1,000 followers.

    Asked of the network every few hours; a row is added when the count changed (or a day
    passed), so the latest row per voice is the current audience and the series its growth.
    """

    voice = models.ForeignKey("voices.Voice", on_delete=models.CASCADE, related_name="audience")
    at = models.DateTimeField()
    followers = models.PositiveIntegerField()

    class Meta:
        ordering = ["voice", "at"]
        indexes = [models.Index(fields=["voice", "-at"], name="audience_latest")]

    def __str__(self) -> str:
        return f"{self.voice_id}: {self.followers} followers at {self.at:%Y-%m-%d}"


from cluetrain.insights.rollup_models import *  # noqa: E402, F403
