"""Verified facts about the organisation, the versions of their wording, where they were cited,
and the reminders that keep them true."""

from __future__ import annotations

from django.conf import settings
from django.db import models

MAX_STATEMENT = 1000
MAX_SOURCE = 500
MAX_SOURCES = 10
MAX_TOPICS = 8
DEFAULT_REVIEW_DAYS = 180


class FactStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    VERIFIED = "verified", "Verified"
    RETIRED = "retired", "Retired"


class Fact(models.Model):
    """A verified statement staff can cite, with an owner and a review date.

    "Delay Repay pays 25% of a single fare for a delay of 15 to 29 minutes", with the page that
    says so, the person who keeps it true, and the date by which they look at it again.
    ``search_text`` is the statement, topics and sources folded (lower case, no accents) into
    space-separated words, so a search is a few ``LIKE`` tests on one column.
    """

    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.CASCADE, related_name="facts"
    )
    statement = models.CharField(max_length=MAX_STATEMENT)
    sources = models.JSONField(default=list, blank=True)
    topics = models.JSONField(default=list, blank=True)
    departments = models.ManyToManyField(
        "organizations.Department", blank=True, related_name="facts"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="facts_owned",
    )
    status = models.CharField(max_length=10, choices=FactStatus.choices, default=FactStatus.DRAFT)
    review_interval_days = models.PositiveIntegerField(default=DEFAULT_REVIEW_DAYS)
    review_by = models.DateField()
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    verified_at = models.DateTimeField(null=True, blank=True)
    question = models.ForeignKey(
        "inbox.Question",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="facts",
        help_text="The peer-group question this fact was made from.",
    )
    version = models.PositiveIntegerField(default=1)
    search_text = models.TextField(blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["organization", "status", "review_by"])]

    def __str__(self) -> str:
        return self.statement[:60]


class FactVersion(models.Model):
    """One wording of a fact as it stood: what a citation made at that time quoted."""

    fact = models.ForeignKey(Fact, on_delete=models.CASCADE, related_name="versions")
    version = models.PositiveIntegerField()
    statement = models.CharField(max_length=MAX_STATEMENT)
    sources = models.JSONField(default=list, blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    changed_at = models.DateTimeField(auto_now_add=True)
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-version"]
        constraints = [
            models.UniqueConstraint(fields=["fact", "version"], name="fact_version_unique")
        ]

    def __str__(self) -> str:
        return f"{self.fact_id} v{self.version}"


class CitedIn(models.TextChoices):
    COMPOSER = "composer", "Composer"
    REPLY = "reply", "Inbox reply"


class Citation(models.Model):
    """A fact put into a post or a reply by someone, with the wording it had then.

    Recorded when the person presses "Cite"; ``post`` is filled in when the post or reply that
    holds the inserted text is created (see ``citations.link_post``).
    """

    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.CASCADE, related_name="+"
    )
    fact = models.ForeignKey(Fact, on_delete=models.CASCADE, related_name="citations")
    version = models.PositiveIntegerField()
    inserted_text = models.CharField(max_length=MAX_STATEMENT + MAX_SOURCE + 10)
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="citations"
    )
    cited_in = models.CharField(max_length=10, choices=CitedIn.choices)
    conversation = models.ForeignKey(
        "inbox.Conversation", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    post = models.ForeignKey(
        "publishing.Post", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["person", "post", "created_at"])]

    def __str__(self) -> str:
        return f"{self.fact_id} cited by {self.person_id}"


class ReminderKind(models.TextChoices):
    SOON = "soon", "Review due soon"
    OVERDUE = "overdue", "Review overdue"
    ORPHANED = "orphaned", "Owner left"


class ReviewReminder(models.Model):
    """That a reminder about one fact's review period was sent: at most one of each kind per
    fact and ``review_by`` date, which is how the stale-facts job stays idempotent."""

    fact = models.ForeignKey(Fact, on_delete=models.CASCADE, related_name="reminders")
    kind = models.CharField(max_length=10, choices=ReminderKind.choices)
    review_by = models.DateField()
    sent_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["fact", "kind", "review_by"], name="fact_reminder_once_per_period"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.fact_id} {self.review_by}"
