"""Conversations: the threads of public messages an organisation answers."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

# How much of a conversation's text the search index keeps (first and latest messages).
SEARCH_TEXT_LIMIT = 4000


class Status(models.TextChoices):
    NEW = "new", "New"
    OPEN = "open", "Open"
    WAITING = "waiting", "Waiting on customer"
    RESOLVED = "resolved", "Resolved"


# Conversations someone still has to act on.
ACTIVE = (Status.NEW, Status.OPEN)


class Tag(models.Model):
    """A label people put on conversations to find them again ("refund-claim", "press")."""

    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.CASCADE, related_name="tags"
    )
    name = models.CharField(max_length=60)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["organization", "name"], name="tag_unique")]

    def __str__(self) -> str:
        return self.name


# Foreign keys below carry no index of their own (``db_index=False``) where one of the
# composite indexes in ``Meta.indexes`` starts with them: every index costs each of the
# thousands of conversations a second the triage pipeline inserts.
class Conversation(models.Model):
    """A thread of public messages between the organisation and a customer (or the public),
    joined by reply chains, with an owner, a status and the clocks of its service level.

    The latest inbound message's triage is copied here (intent, sentiment, urgency, topic) so
    the inbox list can filter and show chips without reading messages.
    """

    organization = models.ForeignKey(
        "organizations.Organization",
        on_delete=models.CASCADE,
        related_name="conversations",
        db_index=False,
    )
    network = models.CharField(max_length=20)
    root_external_id = models.CharField(
        max_length=300, help_text="Network id of the thread's first message."
    )
    author = models.ForeignKey(
        "listening.Author", on_delete=models.CASCADE, related_name="conversations", db_index=False
    )
    subject = models.CharField(max_length=200, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.NEW)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_conversations",
        db_index=False,
    )
    department = models.ForeignKey(
        "organizations.Department",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="conversations",
        help_text="The queue it waits in when nobody holds it.",
        db_index=False,
    )
    tags = models.ManyToManyField(Tag, blank=True, related_name="conversations")

    intent = models.CharField(max_length=20, blank=True)
    sentiment = models.FloatField(null=True, blank=True)
    sentiment_label = models.CharField(max_length=10, blank=True)
    urgency = models.CharField(max_length=10, blank=True)
    topic = models.CharField(max_length=60, blank=True)
    incident = models.BooleanField(default=False)
    complaint = models.BooleanField(default=False)

    message_count = models.PositiveIntegerField(default=0)
    first_message_at = models.DateTimeField()
    last_message_at = models.DateTimeField(help_text="Latest message from outside.")
    last_reply_at = models.DateTimeField(null=True, blank=True)
    first_response_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    assigned_at = models.DateTimeField(null=True, blank=True)
    snoozed_until = models.DateTimeField(null=True, blank=True)

    # Service-level clocks (cluetrain.inbox.sla): the next deadline still open, and how far
    # the alerts for it went, so each alert is sent once.
    first_response_due = models.DateTimeField(null=True, blank=True)
    next_response_due = models.DateTimeField(null=True, blank=True)
    resolution_due = models.DateTimeField(null=True, blank=True)
    due_at = models.DateTimeField(null=True, blank=True, help_text="Earliest open deadline.")
    sla_warned_at = models.DateTimeField(null=True, blank=True)
    sla_breached_at = models.DateTimeField(null=True, blank=True)

    search_text = models.TextField(blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "network", "root_external_id"],
                name="conversation_thread_unique",
            )
        ]
        indexes = [
            models.Index(
                fields=["organization", "status", "-last_message_at", "-id"],
                name="conv_org_status_recent",
            ),
            models.Index(
                fields=["organization", "assignee", "status", "-last_message_at", "-id"],
                name="conv_assignee_recent",
            ),
            models.Index(
                fields=["organization", "department", "status", "-last_message_at", "-id"],
                name="conv_department_recent",
            ),
            models.Index(
                fields=["organization", "due_at"],
                condition=Q(due_at__isnull=False),
                name="conv_due",
            ),
            models.Index(fields=["author", "-last_message_at"], name="conv_author_recent"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.subject[:60]}"


class Note(models.Model):
    """An internal note on a conversation, seen only inside the organisation; @mentions tell
    colleagues."""

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="inbox_notes"
    )
    body = models.TextField()
    mentions = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return self.body[:60]


class ConversationEvent(models.Model):
    """One line of a conversation's history: routed, assigned, status changed, replied, tagged,
    snoozed, alerted, corrected. Insights measure response times from here."""

    # Indexed by conv_event_time, which leads with it (every new conversation writes events).
    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="events", db_index=False
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    kind = models.CharField(max_length=30)
    detail = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["conversation", "created_at"], name="conv_event_time")]

    def __str__(self) -> str:
        return f"{self.kind} on {self.conversation_id}"
