"""The roll-up tables of insights: day rows of counts, the facts each source row contributed,
the first day each person spoke, and the cursors of the job that keeps them current.

Keys are plain integers with 0 for "none" (not foreign keys): a unique key with NULLs in it
would not make ``INSERT … ON CONFLICT`` merge rows, and a roll-up must survive the deletion
of a department or a voice it once counted.
"""

from __future__ import annotations

from django.db import models

__all__ = ["ConversationFact", "PostFact", "RollupCursor", "RollupDay", "SpeakerFirst"]


class RollupKind(models.TextChoices):
    CONVERSATIONS = "c", "Conversations"
    POSTS = "p", "Posts"
    SPEAKERS = "s", "People who spoke"


class RollupDay(models.Model):
    """One day (in the organisation's time zone) of one kind of activity for one combination
    of department, voice and person, as a bag of named counts (``opened``, ``fr:12``: one
    first response in bucket 12; ``intent:refund``, ``likes``, ``how:33`` …)."""

    kind = models.CharField(max_length=1, choices=RollupKind.choices)
    organization_id = models.BigIntegerField()
    day = models.DateField()
    department_id = models.BigIntegerField(default=0)
    voice_id = models.BigIntegerField(default=0)
    person_id = models.BigIntegerField(default=0)
    counts = models.JSONField(default=dict)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "organization_id", "day", "department_id", "voice_id", "person_id"],
                name="rollup_day_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.organization_id} {self.day}"


class ConversationFact(models.Model):
    """What one conversation last contributed to the day rows, so a change to it is applied
    as the difference (and a conversation seen twice is counted once)."""

    conversation_id = models.BigIntegerField(primary_key=True)
    organization_id = models.BigIntegerField()
    contributions = models.JSONField(default=list)

    def __str__(self) -> str:
        return f"Conversation {self.conversation_id}"


class PostFact(models.Model):
    """One published delivery as the roll-ups last counted it: its day, voice, author and
    latest reactions (also the source of a dashboard's top posts)."""

    delivery_id = models.BigIntegerField(primary_key=True)
    organization_id = models.BigIntegerField()
    day = models.DateField()
    department_id = models.BigIntegerField(default=0)
    voice_id = models.BigIntegerField(default=0)
    person_id = models.BigIntegerField(default=0)
    post_id = models.BigIntegerField(default=0)
    voice_name = models.CharField(max_length=200, blank=True)
    author_name = models.CharField(max_length=200, blank=True)
    published_at = models.DateTimeField()
    likes = models.PositiveIntegerField(default=0)
    reposts = models.PositiveIntegerField(default=0)
    replies = models.PositiveIntegerField(default=0)
    quotes = models.PositiveIntegerField(default=0)
    engagement = models.PositiveIntegerField(default=0)
    contributions = models.JSONField(default=list)

    class Meta:
        indexes = [
            models.Index(fields=["organization_id", "day"], name="post_fact_day"),
            # A voice's name on the dashboards, found without reading its whole history.
            models.Index(fields=["voice_id", "voice_name"], name="post_fact_voice_name"),
        ]

    def __str__(self) -> str:
        return f"Delivery {self.delivery_id}"


class SpeakerFirst(models.Model):
    """The first day a person spoke for their organisation (posted or replied)."""

    organization_id = models.BigIntegerField()
    person_id = models.BigIntegerField()
    first_day = models.DateField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization_id", "person_id"], name="speaker_first_unique"
            )
        ]
        indexes = [models.Index(fields=["organization_id", "first_day"], name="speaker_first_day")]

    def __str__(self) -> str:
        return f"{self.person_id} since {self.first_day}"


class RollupCursor(models.Model):
    """How far the roll-up job has read a source (the highest id applied), saved in the same
    transaction as the counts it led to. The row named ``lock`` is the writers' turn."""

    name = models.CharField(max_length=40, primary_key=True)
    value = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.name} at {self.value}"
