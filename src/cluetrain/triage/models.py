"""What the triage learns from: people's corrections, the organisation's own topics, and the
models retrained from them. The classifier itself is ``cluetrain.triage.engine`` (no Django)."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Field(models.TextChoices):
    """The parts of a triage decision a person can correct."""

    INTENT = "intent", "Intent"
    COMPLAINT = "complaint", "Complaint"
    INCIDENT = "incident", "Incident"
    SENTIMENT_LABEL = "sentiment_label", "Sentiment"
    URGENCY = "urgency", "Urgency"
    TOPIC = "topic", "Topic"
    DEPARTMENT = "department", "Department"
    LANGUAGE = "language", "Language"


class Correction(models.Model):
    """A person changing one part of a triage decision or a routing: a labelled example the
    organisation's model learns from. The text is kept with it so the example survives the
    message being deleted."""

    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.CASCADE, related_name="corrections"
    )
    message = models.ForeignKey(
        "listening.Message",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="corrections",
    )
    text = models.TextField()
    field = models.CharField(max_length=20, choices=Field.choices)
    old_value = models.CharField(max_length=120, blank=True)
    new_value = models.CharField(max_length=120)
    made_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    made_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["organization", "made_at"], name="correction_org_time")]

    def __str__(self) -> str:
        return f"{self.field}: {self.old_value!r} → {self.new_value!r}"


class Topic(models.Model):
    """A subject an organisation sorts its messages by ("refunds", "accessibility"), the words
    that signal it, and the department that answers it."""

    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.CASCADE, related_name="topics"
    )
    slug = models.SlugField(max_length=60)
    name = models.CharField(max_length=120)
    keywords = models.TextField(blank=True, help_text="Words that signal the topic, one a line.")
    department = models.ForeignKey(
        "organizations.Department",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="topics",
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "slug"], name="topic_unique")
        ]

    def __str__(self) -> str:
        return self.name


class TrainedModel(models.Model):
    """One version of an organisation's own triage model, trained from its corrections.

    ``data`` is the engine's own serialisation (never pickle: a stored model must not be able
    to run code when loaded). The newest version is the one in use.
    """

    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.CASCADE, related_name="triage_models"
    )
    version = models.PositiveIntegerField()
    data = models.BinaryField()
    examples = models.PositiveIntegerField()
    fields = models.JSONField(default=list, help_text="The decision parts this version learned.")
    trained_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "version"], name="triage_model_version_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.organization} triage model v{self.version}"


class Lease(models.Model):
    """Which worker is triaging an organisation's waiting messages, until when.

    One worker at a time works through an organisation's backlog in batches (claimed with a
    conditional UPDATE), so two workers never classify the same messages twice; a worker that
    dies simply lets its lease run out.
    """

    organization = models.OneToOneField(
        "organizations.Organization", on_delete=models.CASCADE, related_name="triage_lease"
    )
    held_until = models.DateTimeField()
    holder = models.CharField(max_length=64, blank=True)

    def __str__(self) -> str:
        return f"triage lease of {self.organization} until {self.held_until}"
