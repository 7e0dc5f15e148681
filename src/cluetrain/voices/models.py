from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q

from cluetrain.core import crypto


class Network(models.TextChoices):
    """Where a voice publishes. Connectors for each live in ``cluetrain.networks``."""

    PRACTICE = "practice", "Practice space"
    BLUESKY = "bluesky", "Bluesky"
    MASTODON = "mastodon", "Mastodon"
    FEED = "feed", "Atom feed"
    WEBHOOK = "webhook", "Webhook"


class VoiceKind(models.TextChoices):
    """There are exactly two kinds of voice. There is no third: no personas."""

    PERSONAL = "personal", "Personal"
    OFFICIAL = "official", "Official"


class VoiceStatus(models.TextChoices):
    CONNECTED = "connected", "Connected"
    NEEDS_RECONNECT = "needs_reconnect", "Needs reconnecting"
    DISCONNECTED = "disconnected", "Disconnected"


class Voice(models.Model):
    """A connected social account through which Cluetrain publishes.

    A *personal* voice is one real person's own account: they connected it and
    only they can post from it, for as long as it exists (it cannot be handed
    to someone else). An *official* voice is the organisation's or a
    department's feed, plainly named for it, used by the people on its list.
    """

    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.CASCADE, related_name="voices"
    )
    kind = models.CharField(max_length=10, choices=VoiceKind.choices)
    network = models.CharField(max_length=20, choices=Network.choices)
    handle = models.CharField(max_length=200, help_text="The account's name on the network.")
    name = models.CharField(max_length=200, help_text="How Cluetrain shows the voice.")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="personal_voices",
    )
    department = models.ForeignKey(
        "organizations.Department",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="voices",
    )
    status = models.CharField(
        max_length=20, choices=VoiceStatus.choices, default=VoiceStatus.CONNECTED
    )
    credential_ciphertext = models.TextField(blank=True, editable=False)
    # The network asked us to wait (429 with Retry-After): nothing is sent before this.
    held_until = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["kind", "name"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(kind="personal") & Q(owner__isnull=False) & Q(department__isnull=True))
                | (Q(kind="official") & Q(owner__isnull=True)),
                name="voice_personal_has_owner_official_has_none",
            ),
            models.CheckConstraint(
                condition=Q(network__in=Network.values), name="voice_known_network"
            ),
            models.UniqueConstraint(
                fields=["organization", "network", "handle"], name="voice_handle_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_network_display()})"

    @property
    def is_personal(self) -> bool:
        return self.kind == VoiceKind.PERSONAL

    def set_credential(self, credential: dict[str, Any]) -> None:
        self.credential_ciphertext = crypto.encrypt_json(credential) if credential else ""

    def get_credential(self) -> dict[str, Any]:
        if not self.credential_ciphertext:
            return {}
        return crypto.decrypt_json(self.credential_ciphertext)


class VoiceAccess(models.Model):
    """A person on an official voice's list of people allowed to post from it."""

    voice = models.ForeignKey(Voice, on_delete=models.CASCADE, related_name="access")
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="voice_access"
    )
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    granted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "voice access"
        constraints = [
            models.UniqueConstraint(fields=["voice", "person"], name="voice_access_unique")
        ]

    def __str__(self) -> str:
        return f"{self.person} may post as {self.voice}"
