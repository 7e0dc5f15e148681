"""Saved views of the inbox and saved replies."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class SavedView(models.Model):
    """A named set of inbox filters ("my urgent complaints"), private or shared."""

    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.CASCADE, related_name="saved_views"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_views"
    )
    name = models.CharField(max_length=80)
    filters = models.JSONField(default=dict)
    shared = models.BooleanField(default=False)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class SavedReply(models.Model):
    """A reply text people reuse, with {name}-style blanks filled in before sending."""

    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.CASCADE, related_name="saved_replies"
    )
    department = models.ForeignKey(
        "organizations.Department",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="saved_replies",
    )
    name = models.CharField(max_length=80)
    text = models.TextField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
