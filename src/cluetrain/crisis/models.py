"""Crisis mode: the runbook prepared in calm times, incidents, their timeline and alerts.

An *incident* is a declared crisis. Declaring one pauses, in the same transaction, every
scheduled delivery in its scope whose post's category the runbook pauses; each pause is kept
as a ``PausedDelivery`` so nothing resumes without a person deciding it. Operations responders
named in the runbook may speak through the runbook's official voices while the incident is
open, and their status updates go out as one thread per voice and on a public Atom feed.
"""

from __future__ import annotations

import secrets
from urllib.parse import urlsplit

from django.conf import settings
from django.db import models
from django.db.models import Q

from cluetrain.core import crypto

# The chat channels a runbook can page, as named in ``Runbook``'s fields and ``Alert.delivered``.
CHANNELS = ("slack", "teams")

# Categories a new runbook pauses: what would sound tone-deaf while customers are hurting.
DEFAULT_PAUSED_CATEGORIES = ["marketing", "announcement"]


def default_paused_categories() -> list[str]:
    return list(DEFAULT_PAUSED_CATEGORIES)


def new_feed_token() -> str:
    return secrets.token_urlsafe(16)


class Runbook(models.Model):
    """What an organisation agreed, in calm times, to do when an incident is declared.

    Who is paged, which operations responders may speak and through which official voices,
    the templates they start from, and which post categories stop at once.
    """

    organization = models.OneToOneField(
        "organizations.Organization", on_delete=models.CASCADE, related_name="runbook"
    )
    paged_people = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="+", verbose_name="paged people"
    )
    responders = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="+",
        help_text="Operations responders who may post status updates during an incident.",
    )
    official_voices = models.ManyToManyField(
        "voices.Voice",
        blank=True,
        related_name="+",
        help_text="Official voices status updates may go out through.",
    )
    paused_categories = models.JSONField(default=default_paused_categories, blank=True)
    # Templates: [{"name": ..., "text": ...}]; text may use {title}, {summary}, {organization}.
    update_templates = models.JSONField(default=list, blank=True)
    holding_statements = models.JSONField(default=list, blank=True)
    # Status updates pass the guideline check and the review policy like any post; this says,
    # for the people on call, what was agreed on top (who reviews at night, what needs legal).
    review_rules = models.TextField(
        blank=True, help_text="What reviewers and responders agreed for incidents, in words."
    )
    alert_emails = models.BooleanField(default=True)
    # A Slack or Teams incoming webhook's address is its secret: whoever has it posts in the
    # channel. Encrypted at rest like voices' credentials (``cluetrain rotate_keys``).
    slack_webhook_ciphertext = models.TextField(blank=True, editable=False)
    teams_webhook_ciphertext = models.TextField(blank=True, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Runbook of {self.organization_id}"

    def set_webhook(self, channel: str, address: str) -> None:
        """Keep ``address`` (already checked) as ``channel``'s webhook; empty removes it."""
        setattr(
            self, _ciphertext(channel), crypto.encrypt_json({"url": address}) if address else ""
        )

    def has_webhook(self, channel: str) -> bool:
        return bool(getattr(self, _ciphertext(channel)))

    def webhook(self, channel: str) -> str:
        """``channel``'s webhook address in clear, or ``""``; ``DecryptionFailed`` if its key
        is no longer configured."""
        token = getattr(self, _ciphertext(channel))
        if not token:
            return ""
        return str(crypto.decrypt_json(token).get("url", ""))

    def webhook_hint(self, channel: str) -> str:
        """Whether ``channel`` has a webhook, in words safe to show: never the whole address."""
        if not self.has_webhook(channel):
            return "not set"
        try:
            address = self.webhook(channel)
        except crypto.DecryptionFailed:
            return "set, but it cannot be decrypted with the configured keys: replace it"
        host = urlsplit(address).hostname or "?"
        return f"set — {host}, ends …{address[-4:]}"


def _ciphertext(channel: str) -> str:
    if channel not in CHANNELS:
        raise ValueError(f"{channel!r} is not a channel a runbook pages")
    return f"{channel}_webhook_ciphertext"


def webhook_ciphertexts() -> tuple[str, ...]:
    """The runbook's columns holding an encrypted webhook address (for key rotation)."""
    return tuple(_ciphertext(channel) for channel in CHANNELS)


class Severity(models.TextChoices):
    MINOR = "minor", "Minor"
    MAJOR = "major", "Major"
    CRITICAL = "critical", "Critical"


class IncidentStatus(models.TextChoices):
    OPEN = "open", "Open"
    ENDED = "ended", "Ended"


class Incident(models.Model):
    """A declared crisis: what happened, what it covers, who declared and ended it.

    Scope is the whole organisation, or the union of the departments, voices and networks
    named; a delivery is in scope when its voice, the voice's department or its network is.
    """

    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.CASCADE, related_name="incidents"
    )
    title = models.CharField(max_length=200)
    severity = models.CharField(max_length=10, choices=Severity.choices, default=Severity.MAJOR)
    whole_organization = models.BooleanField(default=True)
    departments = models.ManyToManyField(
        "organizations.Department", blank=True, related_name="incidents"
    )
    voices = models.ManyToManyField("voices.Voice", blank=True, related_name="incidents")
    networks = models.JSONField(default=list, blank=True)
    public_summary = models.TextField(blank=True)
    status = models.CharField(
        max_length=10, choices=IncidentStatus.choices, default=IncidentStatus.OPEN
    )
    declared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    declared_at = models.DateTimeField()
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    ended_at = models.DateTimeField(null=True, blank=True)
    # The public status page and Atom feed live under this unguessable token.
    feed_token = models.CharField(max_length=40, unique=True, default=new_feed_token)
    # How paging about the declaration went, per channel (as ``Alert.delivered``).
    paged = models.JSONField(default=dict, blank=True, editable=False)

    class Meta:
        ordering = ["-declared_at"]
        indexes = [models.Index(fields=["organization", "status"])]

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return self.status == IncidentStatus.OPEN


class AlertStatus(models.TextChoices):
    OPEN = "open", "Open"
    DECLARED = "declared", "Declared"
    DISMISSED = "dismissed", "Dismissed"


class Alert(models.Model):
    """A sign, read from the listening stream or raised by hand, that an incident may be starting.

    ``evidence`` keeps what the alert was based on (window, counts, baseline, shares, sample
    message ids); ``delivered`` keeps, per channel, how paging the runbook's people went
    (see ``crisis.alerts``).
    """

    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.CASCADE, related_name="crisis_alerts"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    kind = models.CharField(max_length=30)
    headline = models.CharField(max_length=300)
    topic = models.CharField(max_length=60, blank=True)
    evidence = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=10, choices=AlertStatus.choices, default=AlertStatus.OPEN)
    incident = models.ForeignKey(
        Incident, null=True, blank=True, on_delete=models.SET_NULL, related_name="alerts"
    )
    delivered = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["organization", "-created_at"])]

    def __str__(self) -> str:
        return self.headline


class WatchState(models.Model):
    """Where an organisation's incident watch has read the listening stream up to."""

    organization = models.OneToOneField(
        "organizations.Organization", on_delete=models.CASCADE, related_name="crisis_watch"
    )
    last_message_id = models.BigIntegerField(default=0)
    state = models.JSONField(default=dict, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Watch of {self.organization_id} at {self.last_message_id}"


class PauseStatus(models.TextChoices):
    PAUSED = "paused", "Paused"
    RESUMED = "resumed", "Resumed"
    RESCHEDULED = "rescheduled", "Rescheduled"
    CANCELLED = "cancelled", "Cancelled"
    # The network call had started before the declaration committed: it could not be stopped.
    SENT_BEFORE_PAUSE = "sent_before", "Sent before the pause"


class PausedDelivery(models.Model):
    """One delivery an incident stopped, and what a person later decided to do with it."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="paused")
    delivery = models.ForeignKey(
        "publishing.Delivery", on_delete=models.CASCADE, related_name="crisis_pauses"
    )
    status = models.CharField(
        max_length=12, choices=PauseStatus.choices, default=PauseStatus.PAUSED
    )
    # What the delivery was waiting in, and when it was due, before the pause.
    was_status = models.CharField(max_length=20)
    was_due_at = models.DateTimeField(null=True, blank=True)
    called_at = models.DateTimeField(null=True, blank=True)
    paused_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    new_due_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["incident", "delivery"], name="pause_once_per_incident")
        ]
        indexes = [
            models.Index(fields=["delivery"], name="pause_open", condition=Q(status="paused"))
        ]

    def __str__(self) -> str:
        return f"{self.delivery_id} ({self.status})"


class StatusUpdate(models.Model):
    """What the organisation told the public during an incident, and the post that carried it."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="updates")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = models.TextField()
    # One post per voice it went out through (each threaded under that voice's last update).
    posts = models.ManyToManyField("publishing.Post", blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return self.text[:60]


class TimelineEvent(models.Model):
    """One thing that happened during an incident: an action, update, pause, resume or alert."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="timeline")
    at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    verb = models.CharField(max_length=30)
    message = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["incident", "at"])]

    def __str__(self) -> str:
        return f"{self.verb}: {self.message[:60]}"
