"""Likes, reposts and quotes of the organisation's Bluesky posts, read from commit frames.

A PDS without an App View has no counts to give (``app.bsky.feed.getPosts``), but its event
stream carries every like and repost record as it is created or deleted: a like's record
names its subject's at:// URI, and a deleted record is named by its own path. Quotes are
posts whose embed points at one of ours.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from cluetrain.listening.models import ReactionKind
from cluetrain.listening.reactions import HeardReaction
from cluetrain.listening.streams.base import as_dict

KINDS = {"app.bsky.feed.like": ReactionKind.LIKE, "app.bsky.feed.repost": ReactionKind.REPOST}
EMBED_RECORD = "app.bsky.embed.record"
EMBED_WITH_MEDIA = "app.bsky.embed.recordWithMedia"


def did_of(uri: str) -> str:
    """The DID an at:// URI lives under, or ''."""
    return uri[5:].split("/", 1)[0] if uri.startswith("at://") else ""


def collection_of(path: str) -> str:
    return path.split("/", 1)[0]


def record_time(value: Any, fallback: dt.datetime) -> dt.datetime:
    """A record's ``createdAt``; a time without zone is UTC, one that does not parse is
    ``fallback`` (records are written by anyone)."""
    if isinstance(value, str):
        try:
            moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
            return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
        except ValueError:
            pass
    return fallback


def quoted_uri(record: dict[str, Any]) -> str:
    """The at:// URI a post quotes, or ''."""
    embed = as_dict(record.get("embed"))
    kind = embed.get("$type") or embed.get("py_type")
    if kind == EMBED_RECORD:
        uri = as_dict(embed.get("record")).get("uri")
    elif kind == EMBED_WITH_MEDIA:
        uri = as_dict(as_dict(embed.get("record")).get("record")).get("uri")
    else:
        return ""
    return uri if isinstance(uri, str) else ""


@dataclass
class ReactionReader:
    """Collects, frame by frame, reactions to posts of the organisation's voices (``voices``
    are their DIDs) until the listener flushes them."""

    voices: set[str]
    added: list[HeardReaction] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)

    def wants(self, path: str) -> bool:
        return collection_of(path) in KINDS

    def created(self, repo: str, path: str, record: Any, now: dt.datetime) -> None:
        """A like or repost record was created in ``repo``: keep it when its subject is ours."""
        record = as_dict(record)
        subject = as_dict(record.get("subject")).get("uri")
        if not isinstance(subject, str) or did_of(subject) not in self.voices:
            return
        self.added.append(
            HeardReaction(
                network="bluesky",
                kind=KINDS[collection_of(path)],
                record=f"at://{repo}/{path}",
                subject=subject,
                actor=repo,
                created_at=record_time(record.get("createdAt"), now),
            )
        )

    def deleted(self, repo: str, path: str) -> None:
        """A like or repost was withdrawn; whether it was ours is known only once looked up."""
        self.removed.append(f"at://{repo}/{path}")

    def post(self, repo: str, rkey: str, record: dict[str, Any], now: dt.datetime) -> None:
        """A new post: a quote when it embeds one of ours (written by someone else)."""
        subject = quoted_uri(record)
        if not subject or did_of(subject) not in self.voices or repo in self.voices:
            return
        self.added.append(
            HeardReaction(
                network="bluesky",
                kind=ReactionKind.QUOTE,
                record=f"at://{repo}/app.bsky.feed.post/{rkey}",
                subject=subject,
                actor=repo,
                created_at=record_time(record.get("createdAt"), now),
            )
        )

    def take(self) -> tuple[list[HeardReaction], list[str]]:
        added, removed = self.added, self.removed
        self.added, self.removed = [], []
        return added, removed
