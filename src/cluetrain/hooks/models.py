"""Outgoing webhooks: the endpoints an organisation registers, the events, one delivery each.

A delivery is one event for one endpoint, created once (unique together), so an event is sent
to an endpoint once however many times it is emitted; its ``delivery_id`` is the header a
receiver deduplicates on when an answer was lost and the same delivery comes again.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models


class Event(models.TextChoices):
    POST_PUBLISHED = "post.published", "Post published"
    CONVERSATION_ASSIGNED = "conversation.assigned", "Conversation assigned"
    SLA_BREACHED = "sla.breached", "Service level breached"
    INCIDENT_DECLARED = "incident.declared", "Incident declared"


class Endpoint(models.Model):
    """An address that receives the organisation's chosen events, signed with its secret."""

    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.CASCADE, related_name="hook_endpoints"
    )
    url = models.URLField(max_length=500)
    description = models.CharField(max_length=200, blank=True)
    events = models.JSONField(default=list)
    # The signing secret, encrypted with the instance's keys (core.crypto); shown once.
    secret_ciphertext = models.TextField(editable=False)
    is_active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.description or self.url


class HookEvent(models.Model):
    """Something that happened, once: ``key`` names it within its kind (a post's id...)."""

    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.CASCADE, related_name="+"
    )
    event = models.CharField(max_length=40, choices=Event.choices)
    key = models.CharField(max_length=120)
    data = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "event", "key"], name="hook_event_once")
        ]

    def __str__(self) -> str:
        return f"{self.event} {self.key}"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Waiting"
    SENDING = "sending", "Sending"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Gave up"


class HookDelivery(models.Model):
    """One event for one endpoint: its attempts, the last answer, when it is tried next."""

    endpoint = models.ForeignKey(Endpoint, on_delete=models.CASCADE, related_name="deliveries")
    hook_event = models.ForeignKey(HookEvent, on_delete=models.CASCADE, related_name="deliveries")
    delivery_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    status = models.CharField(
        max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # Set while a worker sends; a worker that died leaves it behind, and it is taken over
    # only once it is older than any live attempt can be.
    claimed_at = models.DateTimeField(null=True, blank=True)
    response_code = models.PositiveIntegerField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-pk"]
        constraints = [
            models.UniqueConstraint(fields=["endpoint", "hook_event"], name="hook_delivery_once")
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="hook_delivery_due")]

    def __str__(self) -> str:
        return f"{self.hook_event} → {self.endpoint_id}"
