"""A small known history for the insights dashboards' tests: three posts with their reactions,
three conversations with our replies, in the cast's Acme, in the first week of March 2026.

Known numbers (organisation, 2026-03-02 to 2026-03-08, UTC): posts 3, engagement
10 + 5 + 1 = 16 (5.3 per post); conversations opened 3, resolved 2; first responses after 10,
30 and 60 minutes; people who spoke 2 (the mentor and the member). Customer care (its voice,
the mentor's replies): posts 2, engagement 15.
"""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta
from typing import Any

from cluetrain.inbox.models import Conversation
from cluetrain.insights.models import EngagementTrack
from cluetrain.listening.models import Author, Direction, Message
from cluetrain.organizations.models import Organization
from cluetrain.publishing.models import Delivery, Post, PostStatus
from tests.conftest import Cast

START, END = date(2026, 3, 2), date(2026, 3, 8)
MONDAY = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
TOP_POST = "Trains to the coast run every hour"
_serial = itertools.count(1)


def post(
    organization: Organization,
    *,
    voice: Any,
    author: Any,
    at: datetime,
    text: str,
    reactions: tuple[int, int, int, int],
) -> Delivery:
    """A post published from ``voice`` at ``at`` whose latest reactions are ``reactions``."""
    item = Post.objects.create(
        organization=organization,
        author=author,
        text=text,
        status=PostStatus.PUBLISHED,
        published_at=at,
    )
    delivery = Delivery.objects.create(
        post=item,
        voice=voice,
        organization=organization,
        network=voice.network,
        status=PostStatus.PUBLISHED,
        published_at=at,
    )
    likes, reposts, replies, quotes = reactions
    EngagementTrack.objects.create(
        delivery=delivery,
        organization=organization,
        published_at=at,
        likes=likes,
        reposts=reposts,
        replies=replies,
        quotes=quotes,
    )
    return delivery


def conversation(
    organization: Organization,
    *,
    at: datetime,
    answered_after: int | None,
    resolved_after: int | None = None,
    by: Any = None,
    **fields: Any,
) -> Conversation:
    """A conversation opened at ``at``, answered by ``by`` ``answered_after`` minutes later."""
    n = next(_serial)
    who = Author.objects.create(
        organization=organization,
        network="bluesky",
        external_id=f"did:plc:insights-pages{n}",
        handle=f"rider{n}.bsky.social",
        display_name=f"Rider {n}",
        first_seen_at=at,
        last_seen_at=at,
    )
    answered = at + timedelta(minutes=answered_after) if answered_after is not None else None
    resolved = at + timedelta(minutes=resolved_after) if resolved_after else None
    item = Conversation.objects.create(
        organization=organization,
        network="bluesky",
        root_external_id=f"at://insights-pages/{n}",
        author=who,
        subject=fields.pop("subject", f"question {n}"),
        first_message_at=at,
        last_message_at=answered or at,
        first_response_at=answered,
        resolved_at=resolved,
        status="resolved" if resolved else "open",
        message_count=2 if answered else 1,
        **fields,
    )
    if answered is not None and by is not None:
        Message.objects.create(
            organization=organization,
            network="bluesky",
            external_id=f"at://insights-pages/{n}/reply",
            author=who,
            text="Thanks, we are on it.",
            created_at=answered,
            received_at=answered,
            direction=Direction.OUTBOUND,
            conversation=item,
            sent_by=by,
        )
    return item


def known_history(cast: Cast) -> None:
    """The history the module's docstring describes."""
    acme, day = cast.acme, timedelta(days=1)
    post(
        acme,
        voice=cast.care_voice,
        author=cast.mentor,
        at=MONDAY,
        text=TOP_POST,
        reactions=(6, 2, 1, 1),
    )
    post(
        acme,
        voice=cast.care_voice,
        author=cast.mentor,
        at=MONDAY + day,
        text="Engineering works on Sunday",
        reactions=(3, 1, 1, 0),
    )
    post(
        acme,
        voice=cast.member_voice,
        author=cast.member,
        at=MONDAY + 2 * day,
        text="Proud of our night crew",
        reactions=(1, 0, 0, 0),
    )
    conversation(
        acme,
        at=MONDAY,
        answered_after=10,
        resolved_after=40,
        by=cast.mentor,
        department=cast.care,
        intent="question",
        sentiment_label="neutral",
        topic="timetable",
    )
    conversation(
        acme,
        at=MONDAY + day,
        answered_after=30,
        resolved_after=120,
        by=cast.mentor,
        department=cast.care,
        intent="complaint",
        sentiment_label="negative",
        topic="delays",
    )
    conversation(
        acme,
        at=MONDAY + 3 * day,
        answered_after=60,
        by=cast.member,
        intent="complaint",
        sentiment_label="negative",
        topic="delays",
    )
    refresh_rollups()


def refresh_rollups() -> None:
    """Bring the roll-up tables up to date, as the periodic job does."""
    from cluetrain.insights.rollups.maintain import catch_up

    catch_up()
