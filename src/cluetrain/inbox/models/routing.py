"""Who knows what, who is available, and the questions colleagues ask each other."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Expertise(models.Model):
    """A topic a person knows: declared by them, or learned from the conversations they
    resolved (``weight`` grows with each)."""

    membership = models.ForeignKey(
        "organizations.Membership", on_delete=models.CASCADE, related_name="expertise"
    )
    topic = models.CharField(max_length=60)
    declared = models.BooleanField(default=False)
    weight = models.FloatField(default=0.0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["membership", "topic"], name="expertise_unique")
        ]

    def __str__(self) -> str:
        return f"{self.membership} knows {self.topic}"


class Availability(models.Model):
    """When a person takes conversations and how many they can hold at once."""

    membership = models.OneToOneField(
        "organizations.Membership", on_delete=models.CASCADE, related_name="availability"
    )
    takes_conversations = models.BooleanField(default=True)
    capacity = models.PositiveIntegerField(default=10)
    working_days = models.CharField(max_length=7, default="12345")
    day_starts = models.TimeField(null=True, blank=True)
    day_ends = models.TimeField(null=True, blank=True)
    out_of_office_until = models.DateTimeField(null=True, blank=True)
    last_seen_at = models.DateTimeField(null=True, blank=True)
    last_assigned_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Availability of {self.membership}"


class Question(models.Model):
    """ "Ask a colleague": an internal question from a conversation, routed like a conversation
    to the person who knows."""

    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.CASCADE, related_name="questions"
    )
    conversation = models.ForeignKey(
        "inbox.Conversation",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="questions",
    )
    asked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="questions_asked"
    )
    text = models.TextField()
    topic = models.CharField(max_length=60, blank=True)
    routed_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="questions_received",
    )
    department = models.ForeignKey(
        "organizations.Department",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    answer = models.TextField(blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    answered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.text[:60]
