"""Posts, the outbox of deliveries that carries them to networks, media, history and queues.

A *post* is what a person wrote once; a *delivery* is that post going out through one voice
(one per post and voice). The delivery row is the publishing job itself: workers claim due
rows, call the network and record where the post went, under an idempotency key that stays the
same across every retry.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

# A line holding only this splits a text into the posts of a thread.
THREAD_BREAK = "---"


class Category(models.TextChoices):
    """Why a post exists; crisis mode pauses marketing and announcements."""

    MARKETING = "marketing", "Marketing"
    OPERATIONAL = "operational", "Operational"
    CUSTOMER_CARE = "customer_care", "Customer care"
    ANNOUNCEMENT = "announcement", "Announcement"


class PostStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    REVIEW = "review", "In review"
    SCHEDULED = "scheduled", "Scheduled"
    PUBLISHING = "publishing", "Publishing"
    PUBLISHED = "published", "Published"
    FAILED = "failed", "Failed"
    PAUSED = "paused", "Paused"
    CANCELLED = "cancelled", "Cancelled"


# The states in which a delivery still waits to go out.
WAITING = (PostStatus.SCHEDULED, PostStatus.PUBLISHING)
FINISHED = (PostStatus.PUBLISHED, PostStatus.FAILED, PostStatus.CANCELLED)


class Visibility(models.TextChoices):
    PUBLIC = "public", "Public"
    UNLISTED = "unlisted", "Unlisted"
    PRIVATE = "private", "Followers only"


class Post(models.Model):
    """Something a person wrote once, to go out through one or more voices.

    The author is always a real person; each voice is theirs or an official feed they are on the
    list for (see ``organizations.policy.can_post_as``). ``text`` may hold a thread: parts are
    separated by a line of three dashes. ``variants`` maps a network to its own text.
    """

    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.CASCADE, related_name="posts"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="posts"
    )
    text = models.TextField()
    variants = models.JSONField(default=dict, blank=True)
    category = models.CharField(
        max_length=20, choices=Category.choices, default=Category.OPERATIONAL
    )
    status = models.CharField(max_length=20, choices=PostStatus.choices, default=PostStatus.DRAFT)
    title = models.CharField(max_length=200, blank=True, help_text="Used by feeds.")
    visibility = models.CharField(
        max_length=10, choices=Visibility.choices, default=Visibility.PUBLIC
    )
    content_warning = models.CharField(max_length=200, blank=True)
    reply_to_url = models.CharField(max_length=500, blank=True)
    quote_url = models.CharField(max_length=500, blank=True)
    link_preview = models.JSONField(default=dict, blank=True)
    # Saves the dispatcher a query for the (most common) post without images.
    media_count = models.PositiveSmallIntegerField(default=0)
    # The guideline check of the text as saved: verdict, the rules version used, the findings.
    check_verdict = models.CharField(max_length=10, default="ok")
    check_version = models.CharField(max_length=80, blank=True)
    findings = models.JSONField(default=list, blank=True)
    # A director published it despite a blocking finding, and said why.
    override_reason = models.TextField(blank=True)
    # When it should go out (UTC), and the time zone the person chose it in, to show it back.
    scheduled_at = models.DateTimeField(null=True, blank=True)
    time_zone = models.CharField(max_length=64, default="UTC")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["organization", "-created_at"]),
            models.Index(fields=["organization", "scheduled_at"]),
            models.Index(fields=["author", "-created_at"]),
        ]

    # Set by the scheduling services for the caller to show (not stored).
    schedule_note: str = ""

    def __str__(self) -> str:
        return self.text[:60]

    def parts(self, network: str | None = None) -> list[str]:
        """The text (or the network's variant) split into the posts of a thread."""
        text = self.variants.get(network, "") if network else ""
        return split_parts(text or self.text)


def split_parts(text: str) -> list[str]:
    parts: list[str] = []
    current: list[str] = []
    for line in text.split("\n"):
        if line.strip() == THREAD_BREAK:
            parts.append("\n".join(current).strip())
            current = []
        else:
            current.append(line)
    parts.append("\n".join(current).strip())
    return [part for part in parts if part]


def media_path(instance: PostMedia, filename: str) -> str:
    # Unguessable names: feeds and webhooks link to media by URL without signing in.
    suffix = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"posts/{instance.post.organization_id}/{uuid.uuid4().hex}.{suffix}"


class PostMedia(models.Model):
    """An image attached to a post. Alt text is required; metadata is stripped on upload."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="media")
    file = models.FileField(upload_to=media_path, max_length=300)
    alt_text = models.TextField()
    content_type = models.CharField(max_length=50)
    size = models.PositiveIntegerField()
    width = models.PositiveIntegerField(null=True)
    height = models.PositiveIntegerField(null=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["post", "position"]
        constraints = [models.CheckConstraint(condition=~Q(alt_text=""), name="media_has_alt")]

    def __str__(self) -> str:
        return self.alt_text[:60]


def new_key() -> str:
    return uuid.uuid4().hex


class Delivery(models.Model):
    """One post going out through one voice: the outbox row, and the publishing job.

    ``key`` is the idempotency key: the same on every attempt, sent to the network where it
    accepts one (Mastodon's Idempotency-Key, the record key of a Bluesky post, the webhook's
    delivery header), so an attempt repeated after a crash finds its earlier self.
    """

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="deliveries")
    voice = models.ForeignKey("voices.Voice", on_delete=models.PROTECT, related_name="deliveries")
    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.CASCADE, related_name="+"
    )
    network = models.CharField(max_length=20)
    key = models.CharField(max_length=32, unique=True, default=new_key)
    status = models.CharField(max_length=20, choices=PostStatus.choices, default=PostStatus.DRAFT)
    due_at = models.DateTimeField(null=True, blank=True)
    # The claim: the worker's token and until when it holds the row.
    claim_token = models.CharField(max_length=32, blank=True)
    claimed_until = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    # When the network call of the latest attempt started (the instant a pause must precede).
    called_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    # Where each part went: [{"id", "url", "cid"}], in thread order.
    refs = models.JSONField(default=list, blank=True)
    url = models.CharField(max_length=500, blank=True)
    error_code = models.CharField(max_length=30, blank=True)
    error = models.TextField(blank=True)
    # sha256 of the normalised text, for "you said exactly this 3 days ago".
    text_hash = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "deliveries"
        constraints = [
            models.UniqueConstraint(fields=["post", "voice"], name="delivery_one_per_voice"),
        ]
        indexes = [
            # The dispatcher's claim: due rows, oldest first.
            models.Index(
                fields=["due_at"],
                name="delivery_due",
                condition=Q(status="scheduled"),
            ),
            models.Index(
                fields=["claimed_until"],
                name="delivery_claimed",
                condition=Q(status="publishing"),
            ),
            models.Index(fields=["voice", "text_hash"], name="delivery_voice_text"),
            models.Index(fields=["organization", "due_at"], name="delivery_org_due"),
            # Rate limits count a voice's recent network calls.
            models.Index(fields=["voice", "called_at"], name="delivery_voice_called"),
        ]

    def __str__(self) -> str:
        return f"{self.post_id} via {self.voice_id} ({self.status})"


class PostEvent(models.Model):
    """One line of a post's history: who did what, when (``actor`` is empty for the system)."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="events")
    delivery = models.ForeignKey(
        Delivery, null=True, blank=True, on_delete=models.CASCADE, related_name="events"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    verb = models.CharField(max_length=30)
    message = models.TextField(blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["post", "at"])]

    def __str__(self) -> str:
        return f"{self.verb} {self.message[:40]}"


class Weekday(models.IntegerChoices):
    MONDAY = 0, "Monday"
    TUESDAY = 1, "Tuesday"
    WEDNESDAY = 2, "Wednesday"
    THURSDAY = 3, "Thursday"
    FRIDAY = 4, "Friday"
    SATURDAY = 5, "Saturday"
    SUNDAY = 6, "Sunday"


class QueueSlot(models.Model):
    """A posting time of a voice's queue, in the voice's own time zone (wall-clock time)."""

    voice = models.ForeignKey("voices.Voice", on_delete=models.CASCADE, related_name="slots")
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    time = models.TimeField()

    class Meta:
        ordering = ["voice", "weekday", "time"]
        constraints = [
            models.UniqueConstraint(fields=["voice", "weekday", "time"], name="slot_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.time:%H:%M}"
