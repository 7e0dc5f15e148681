"""The incident watch: every organisation's triaged messages, read in order, through the detector.

Each run reads the messages past the organisations' ``WatchState.last_message_id`` by primary
key, once for all of them (batches of ``BATCH``, at most ``MAX_PER_RUN``), feeds each
organisation's to its ``detection.Detector`` restored from ``WatchState.state``, and stores
the new cursor and state in one transaction with the alerts it raises. It reads outside that
transaction (the reading is long, SQLite's write lock must not wait for it) and writes only if
the cursor is still where it started: a second run over the same messages, at the same time or
later, stores and raises nothing.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from cluetrain.core import writers
from cluetrain.core.jobs import job, periodic
from cluetrain.crisis import detection, detector_state
from cluetrain.crisis.models import WatchState
from cluetrain.listening.models import Direction, Message
from cluetrain.organizations.models import Organization

logger = logging.getLogger(__name__)

BATCH = 2000
MAX_PER_RUN = 100_000
# A message heard but not yet triaged holds the cursor back this long (triage is usually
# seconds behind); one still untriaged after that is passed over rather than block the watch.
UNTRIAGED_WAIT = timedelta(minutes=15)
# An alert about a window that ended longer ago than this is not news (an archive imported, a
# worker that was down): the detector learns from it, nobody is paged.
ALERT_MAX_AGE = timedelta(hours=1)
# When the stream is read to its end, the clock moves to this long before now, so a quiet
# minute after a burst is judged without waiting for the next message.
SETTLE = timedelta(minutes=1)
# Message ids an alert names as examples, for the people deciding whether to declare.
SAMPLE_IDS = 20
# What the detector holds to; one place, so tests and a later setting can change it.
THRESHOLDS = detection.Thresholds()

_COLUMNS = (
    "id",
    "organization_id",
    "direction",
    "created_at",
    "received_at",
    "triaged_at",
    "topic",
    "incident",
    "complaint",
    "sentiment",
    "sentiment_label",
    "text",
)


@dataclass(frozen=True, slots=True)
class _Seen:
    pk: int
    at: float
    terms: frozenset[str]
    topic: str
    negative: bool
    troubled: bool


@dataclass
class Run:
    """What one run over one organisation did."""

    read: int = 0
    alerts: int = 0
    stale_alerts: int = 0
    stored: bool = False


@dataclass
class _Reader:
    """One organisation's part of a pass over the stream."""

    watch: WatchState
    detector: detection.Detector
    cursor: int
    held: bool = False  # stopped at a message still waiting for triage
    read: int = 0
    decisions: list[detection.AlertDecision] = field(default_factory=list)
    seen: deque[_Seen] = field(default_factory=lambda: deque(maxlen=5000))


def raise_alert(organization: Organization, decision: detection.AlertDecision) -> Any:
    """Store and deliver one alert (crisis mode's own service does both)."""
    from cluetrain.crisis.services import do_raise_alert

    return do_raise_alert(
        organization,
        kind=decision.kind,
        headline=decision.headline,
        topic=decision.topic,
        evidence=decision.evidence,
    )


def watch_organization(organization_id: int, now: datetime | None = None) -> Run:
    """Read the organisation's new triaged messages and raise what the detector finds."""
    return watch_organizations([organization_id], now)[organization_id]


def watch_organizations(
    organization_ids: Iterable[int], now: datetime | None = None
) -> dict[int, Run]:
    """The watch over several organisations in one pass over the stream: each message is read
    once, whatever the number of organisations."""
    now = now or timezone.now()
    readers: dict[int, _Reader] = {}
    for organization_id in organization_ids:
        watch, _ = WatchState.objects.get_or_create(organization_id=organization_id)
        detector = detector_state.from_state(watch.state, THRESHOLDS)
        readers[organization_id] = _Reader(watch, detector, watch.last_message_id)
    # Organisations far behind the others (new ones, reading their history) get a pass of
    # their own, so they do not hold the others' watch back while they catch up.
    top = max((r.cursor for r in readers.values()), default=0)
    leaders = {oid: r for oid, r in readers.items() if top - r.cursor <= MAX_PER_RUN}
    groups = [leaders, *({oid: r} for oid, r in readers.items() if oid not in leaders)]
    runs: dict[int, Run] = {}
    for group in groups:
        caught_up = _read(group, now)
        for organization_id, reader in group.items():
            try:
                runs[organization_id] = _store(reader, caught_up, now)
            except Exception:
                # One organisation's trouble must not blind the watch over the others; its
                # cursor has not moved, so the next run reads the same messages again.
                logger.exception("incident watch failed for organisation %s", organization_id)
                runs[organization_id] = Run(read=reader.read)
    return runs


def _store(reader: _Reader, caught_up: bool, now: datetime) -> Run:
    """Save one organisation's cursor and state and raise its alerts, unless another run
    already moved its cursor."""
    start = reader.watch.last_message_id
    run = Run(read=reader.read)
    if reader.cursor == start:
        return run
    detector, decisions = reader.detector, reader.decisions
    if caught_up and not reader.held:
        decision = detector.advance((now - SETTLE).timestamp())
        if decision is not None:
            decisions.append(decision)
    fresh = [d for d in decisions if d.at >= (now - ALERT_MAX_AGE).timestamp()]
    for decision in fresh:
        decision.evidence["message_ids"] = _examples(decision, reader.seen)
    run.stale_alerts = len(decisions) - len(fresh)
    with writers.one_at_a_time(), transaction.atomic():
        won = WatchState.objects.filter(pk=reader.watch.pk, last_message_id=start).update(
            last_message_id=reader.cursor, state=detector_state.to_state(detector), updated_at=now
        )
        if won != 1:
            # Another run read these messages first and raised what they held.
            return run
        organization = Organization.objects.get(pk=reader.watch.organization_id)
        for decision in fresh:
            raise_alert(organization, decision)
    run.alerts, run.stored = len(fresh), True
    return run


def _examples(decision: detection.AlertDecision, seen: deque[_Seen]) -> list[int]:
    """Ids of messages in the alert's window that show what it is about."""
    since = decision.at - THRESHOLDS.window_seconds
    lead = str(decision.evidence.get("lead", ""))
    topic = lead.removeprefix("topic:")

    def fits(m: _Seen) -> bool:
        if decision.kind == "term":
            return lead in m.terms
        if decision.kind == "negative_topic":
            return m.negative and m.topic == topic
        return m.troubled

    out = [m.pk for m in reversed(seen) if since <= m.at < decision.at and fits(m)]
    return sorted(out[:SAMPLE_IDS])


def _read(readers: dict[int, _Reader], now: datetime) -> bool:
    """Feed each organisation's messages past its cursor to its detector; whether the pass
    reached the end of the stream."""
    if not readers:
        return True
    position = min(r.cursor for r in readers.values())
    wait_from = now - UNTRIAGED_WAIT
    scanned = 0
    while scanned < MAX_PER_RUN:
        # By primary key alone: with the organisation in the WHERE clause, SQLite and
        # PostgreSQL both read the organisation's every message through its unique index and
        # sort them. Other organisations' rows are skipped here instead.
        rows = list(
            Message.objects.filter(id__gt=position).order_by("id").values_list(*_COLUMNS)[:BATCH]
        )
        for row in rows:
            reader = readers.get(row[1])
            if reader is not None and not reader.held and row[0] > reader.cursor:
                _feed(reader, row, wait_from)
        scanned += len(rows)
        if rows:
            position = rows[-1][0]
        for reader in readers.values():
            if not reader.held:
                # Every row up to here was read: the cursor passes other organisations' rows.
                reader.cursor = max(reader.cursor, position)
        if len(rows) < BATCH:
            return True
    return False


def _feed(reader: _Reader, row: tuple[Any, ...], wait_from: datetime) -> None:
    pk, _, direction, created, received, triaged_at, topic = row[:7]
    incident, complaint, sentiment, label, text = row[7:]
    if direction != Direction.INBOUND:
        reader.cursor = pk
        return
    if triaged_at is None:
        if received > wait_from:
            reader.held = True  # triage is on its way: wait for it
            return
        reader.cursor = pk  # never triaged: passed over
        return
    # A network's clock may run ahead of ours; the time we heard it bounds it.
    at = min(created, received)
    negative = label == "negative" or (not label and sentiment is not None and sentiment <= -0.05)
    terms = detection.salient_terms(text)
    troubled = negative or incident or complaint
    reader.seen.append(_Seen(pk, at.timestamp(), frozenset(terms), topic, negative, troubled))
    decision = reader.detector.add(at, topic, incident, complaint, negative, terms)
    if decision is not None:
        reader.decisions.append(decision)
    reader.cursor = pk
    reader.read += 1


@job(max_attempts=3, backoff_seconds=30)
def watch_one(organization_id: int) -> int:
    """Run the watch over one organisation now; the number of alerts raised."""
    return watch_organization(organization_id).alerts


@periodic(60)
@job()
def watch_streams() -> int:
    """Run the watch over every organisation; the number of alerts raised."""
    organizations = list(Organization.objects.order_by("id").values_list("id", flat=True))
    return sum(run.alerts for run in watch_organizations(organizations).values())
