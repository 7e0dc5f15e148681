"""What Cluetrain hears: the sources it listens to, the people who wrote, and their messages.

Every message is stored once per organisation and network id, however many times a stream
delivers it (streams are at-least-once; the unique constraint makes storage exactly-once).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

# Longest text kept from one message; anything longer is cut at intake and marked so.
MAX_TEXT = 5000


class SourceKind(models.TextChoices):
    BLUESKY = "bluesky", "Bluesky (repository event stream)"
    MASTODON = "mastodon", "Mastodon (notifications and hashtags)"
    FEED = "feed", "RSS/Atom feed"
    IMPORT = "import", "Imported archive"


class SourceStatus(models.TextChoices):
    OK = "ok", "Listening"
    FAILING = "failing", "Failing"
    PAUSED = "paused", "Paused"


class Source(models.Model):
    """A place an organisation listens to: a Bluesky relay or PDS event stream, a Mastodon
    account's notifications and hashtag timelines, a blog or forum feed, or an imported archive.

    ``cursor`` is the stream position stored in the same transaction as the messages it
    covers, so a restarted listener resumes exactly where the last one stopped.
    """

    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.CASCADE, related_name="sources"
    )
    kind = models.CharField(max_length=20, choices=SourceKind.choices)
    name = models.CharField(max_length=120)
    url = models.CharField(
        max_length=500, blank=True, help_text="Relay/PDS, Mastodon instance or feed address."
    )
    voice = models.ForeignKey(
        "voices.Voice",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="sources",
        help_text="The account whose notifications are read (Mastodon).",
    )
    keywords = models.TextField(blank=True, help_text="Words and phrases to track, one a line.")
    hashtags = models.TextField(blank=True, help_text="Hashtags to track, one a line.")
    domains = models.TextField(blank=True, help_text="Web domains whose links to track.")
    cursor = models.CharField(max_length=255, blank=True, editable=False)
    state = models.JSONField(default=dict, blank=True, editable=False)
    enabled = models.BooleanField(default=True)
    status = models.CharField(
        max_length=10, choices=SourceStatus.choices, default=SourceStatus.OK, editable=False
    )
    last_error = models.TextField(blank=True, editable=False)
    last_polled_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_message_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["organization", "name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_kind_display()})"


class Author(models.Model):
    """Someone whose public messages the organisation heard: a customer, a journalist, a
    passer-by. One row per account on one network; the inbox shows their history from here."""

    # Indexed by author_unique, which leads with it (intake upserts authors in every batch).
    organization = models.ForeignKey(
        "organizations.Organization",
        on_delete=models.CASCADE,
        related_name="authors",
        db_index=False,
    )
    network = models.CharField(max_length=20)
    external_id = models.CharField(max_length=300, help_text="DID, account id or feed author.")
    handle = models.CharField(max_length=300, blank=True)
    display_name = models.CharField(max_length=200, blank=True)
    profile_url = models.CharField(max_length=500, blank=True)
    first_seen_at = models.DateTimeField()
    last_seen_at = models.DateTimeField()
    message_count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "network", "external_id"], name="author_unique"
            )
        ]

    def __str__(self) -> str:
        return self.display_name or self.handle or self.external_id


class Direction(models.TextChoices):
    INBOUND = "in", "Heard"
    OUTBOUND = "out", "Our reply"


class Message(models.Model):
    """One public message, normalised across networks: who wrote it, where, when, in reply to
    what; and, once triaged, what it is about and how urgent it is.

    The triage decision lives on the message itself (not in a side table) because the inbox
    filters and sorts on it for every page it shows.
    """

    # No index of their own on the keys that lead one of Meta's indexes (or are seldom
    # looked up): each index costs every one of thousands of messages a second.
    organization = models.ForeignKey(
        "organizations.Organization",
        on_delete=models.CASCADE,
        related_name="messages",
        db_index=False,
    )
    source = models.ForeignKey(
        Source, null=True, blank=True, on_delete=models.SET_NULL, related_name="messages"
    )
    network = models.CharField(max_length=20)
    external_id = models.CharField(max_length=300)
    url = models.CharField(max_length=500, blank=True)
    author = models.ForeignKey(
        Author, on_delete=models.CASCADE, related_name="messages", db_index=False
    )
    text = models.TextField()
    truncated = models.BooleanField(default=False)
    created_at = models.DateTimeField(help_text="When the network says it was written.")
    received_at = models.DateTimeField()
    reply_to_external_id = models.CharField(max_length=300, blank=True)
    root_external_id = models.CharField(max_length=300, blank=True)
    direction = models.CharField(max_length=3, choices=Direction.choices, default=Direction.INBOUND)
    conversation = models.ForeignKey(
        "inbox.Conversation",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="messages",
        db_index=False,
    )
    # Our own replies: the post that carried it and the person who wrote it.
    post = models.ForeignKey(
        "publishing.Post", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )

    # The triage decision (cluetrain.triage); null until triaged.
    triaged_at = models.DateTimeField(null=True, blank=True)
    intent = models.CharField(max_length=20, blank=True)
    complaint = models.BooleanField(default=False)
    incident = models.BooleanField(default=False)
    sentiment = models.FloatField(null=True, blank=True)
    sentiment_label = models.CharField(max_length=10, blank=True)
    language = models.CharField(max_length=8, blank=True)
    urgency = models.CharField(max_length=10, blank=True)
    topic = models.CharField(max_length=60, blank=True)
    department = models.ForeignKey(
        "organizations.Department",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    confidence = models.FloatField(null=True, blank=True)
    reason = models.CharField(max_length=300, blank=True)
    triage_model = models.CharField(max_length=60, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "network", "external_id"], name="message_unique"
            )
        ]
        indexes = [
            # The triage queue: messages heard but not yet classified.
            models.Index(
                fields=["organization", "id"],
                condition=Q(triaged_at__isnull=True),
                name="message_untriaged",
            ),
            models.Index(fields=["author", "created_at"], name="message_author_time"),
            models.Index(fields=["conversation", "created_at"], name="message_conv_time"),
        ]

    def __str__(self) -> str:
        return f"{self.author}: {self.text[:60]}"


class ReactionKind(models.TextChoices):
    LIKE = "like", "Like"
    REPOST = "repost", "Repost"
    QUOTE = "quote", "Quote"


class Reaction(models.Model):
    """Someone liked, reposted or quoted one of the organisation's posts, as the network's
    event stream told it.

    Where a network's API gives no counts (a Bluesky PDS without an App View), insights count
    these rows instead. ``record`` is the reaction's own address on the network (a like's
    at:// URI), unique per organisation, so a stream replayed after a restart stores nothing
    twice, and an unlike (the record's deletion) removes exactly the row it made.
    """

    organization = models.ForeignKey(
        "organizations.Organization",
        on_delete=models.CASCADE,
        related_name="reactions",
        db_index=False,
    )
    network = models.CharField(max_length=20)
    kind = models.CharField(max_length=10, choices=ReactionKind.choices)
    record = models.CharField(max_length=300)
    # The organisation's post reacted to (the network id of the part, e.g. its at:// URI).
    subject = models.CharField(max_length=300)
    actor = models.CharField(max_length=300)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "network", "record"], name="reaction_unique"
            )
        ]
        indexes = [models.Index(fields=["network", "subject", "kind"], name="reaction_subject")]

    def __str__(self) -> str:
        return f"{self.kind} of {self.subject} by {self.actor}"
