"""From heard to answered: classify waiting messages in batches, thread them into
conversations, start their service-level clocks and route them.

Listening stores each message once and asks for triage (``request_triage``); a worker then
takes the organisation's backlog in batches. Classifying happens outside any transaction (it is
the CPU-heavy part, and two processes may do it side by side); storing a batch's decisions,
its threading and its routing is one short transaction that re-checks each message is still
untriaged, so a batch done twice is stored once.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from cluetrain.core import bulk, writers
from cluetrain.core.jobs import job, periodic
from cluetrain.inbox import routing, threading
from cluetrain.listening import intake
from cluetrain.listening.heard import Heard
from cluetrain.listening.models import Author, Direction, Message, Source
from cluetrain.organizations.models import Department, Organization
from cluetrain.triage import classifier
from cluetrain.triage.models import Lease

logger = logging.getLogger(__name__)

BATCH = 2000
LEASE_SECONDS = 120
_HOLDER = f"{socket.gethostname()}:{os.getpid()}"


@dataclass(frozen=True, slots=True)
class Done:
    """What one batch did."""

    triaged: int
    conversations: int


def request_triage(organization_id: int) -> None:
    """Ask a worker to triage an organisation's waiting messages (after the caller commits)."""
    transaction.on_commit(lambda: triage_backlog.enqueue(organization_id))


_ROWS = f"""
    SELECT m.id, m.network, m.external_id, m.reply_to_external_id, m.root_external_id,
           m.author_id, a.handle, a.display_name, m.created_at, m.direction, m.text
    FROM {Message._meta.db_table} m JOIN {Author._meta.db_table} a ON a.id = m.author_id
    WHERE m.organization_id = %s AND m.triaged_at IS NULL {{where}}
    ORDER BY m.id
"""  # noqa: S608 - table names are the models'
_STILL = (
    f"SELECT id FROM {Message._meta.db_table} "  # noqa: S608
    "WHERE triaged_at IS NULL AND id IN ({values})"
)


def _rows(organization_id: int, ids: Sequence[int] | None, limit: int) -> list[threading.Item]:
    """The batch's messages still untriaged (plain SQL: this runs for every batch)."""
    if ids is None:
        rows = bulk.select(
            _ROWS.format(where="") + " LIMIT %s", [], before=[organization_id, limit]
        )
    else:
        where = "AND m.id IN ({values})"
        rows = bulk.select(_ROWS.format(where=where), list(ids)[:limit], before=[organization_id])
    return [
        threading.Item(
            id=r[0],
            network=r[1],
            external_id=r[2],
            reply_to=r[3],
            root=r[4],
            author_id=r[5],
            author_label=f"{r[7]} @{r[6]}".strip(),
            created_at=bulk.parse_time(r[8]),
            direction=r[9],
            text=r[10],
        )
        for r in rows
    ]


def _departments(organization_id: int) -> dict[str, int]:
    """Department ids by every name the triage may give them (slug or name, any case)."""
    found: dict[str, int] = {}
    for pk, slug, name in Department.objects.filter(organization_id=organization_id).values_list(
        "id", "slug", "name"
    ):
        found[slug.lower()] = pk
        found[name.lower()] = pk
    return found


def classify(organization_id: int, items: list[threading.Item]) -> None:
    """Fill each inbound item's decision; outbound items (our replies) are not classified."""
    inbound = [i for i in items if i.direction == Direction.INBOUND]
    if not inbound:
        return
    triager = classifier.for_organization(organization_id)
    departments = _departments(organization_id)
    for item, decision in zip(inbound, triager.classify([i.text for i in inbound]), strict=True):
        values = decision.as_dict()
        values["department_id"] = departments.get(str(values.get("department", "")).lower())
        values["model"] = triager.version
        item.decision = values


def _decided(item: threading.Item, now: dt.datetime) -> tuple[Any, ...]:
    """The values of ``intake.DECIDED`` for one item (our own replies get empty ones)."""
    return (now, *_verdict(item), item.conversation_id)


def _verdict(item: threading.Item) -> tuple[Any, ...]:
    """The values of ``intake.DECIDED`` that the decision alone gives (all but the first,
    the moment, and the last, the conversation)."""
    d = item.decision
    return (
        str(d.get("intent", "")),
        bool(d.get("complaint", False)),
        bool(d.get("incident", False)),
        d.get("sentiment"),
        str(d.get("sentiment_label", "")),
        str(d.get("language", ""))[:8],
        str(d.get("urgency", "")),
        str(d.get("topic", ""))[:60],
        d.get("department_id"),
        d.get("confidence"),
        str(d.get("reason", ""))[:300],
        str(d.get("model", ""))[:60],
    )


def _store(items: list[threading.Item], now: dt.datetime) -> None:
    """Write every decision in one executemany, only onto rows still untriaged."""
    rows = [(*_decided(item, now), item.id) for item in items]
    bulk.update_rows(Message, intake.DECIDED, rows, guard="triaged_at IS NULL")


def triage_batch(
    organization_id: int, ids: Sequence[int] | None = None, limit: int = BATCH
) -> Done:
    """Triage, thread, time and route up to ``limit`` waiting messages; safe to run twice.

    Everything that only reads (classifying, planning the threads, starting the clocks,
    choosing whom to route to) happens before the write lock is taken; under it, only the
    statements that store the batch run, so two processes overlap all but those.
    """
    items = _rows(organization_id, ids, limit)
    if not items:
        return Done(0, 0)
    classify(organization_id, items)
    planned, routes = _plan(organization_id, items)
    with writers.one_at_a_time(), transaction.atomic():
        # Another worker may have stored some of these meanwhile: keep only what still waits.
        still = {r[0] for r in bulk.select(_STILL, [i.id for i in items])}
        if len(still) != len(items):
            items = [i for i in items if i.id in still]
            if not items:
                return Done(0, 0)
            planned, routes = _plan(organization_id, items)
        threaded = threading.apply(planned)
        _store(items, timezone.now())
        routing.record_routes(_only_created(routes, threaded), assigned=True)
    return Done(len(items), len(threaded.created))


def _plan(
    organization_id: int, items: list[threading.Item]
) -> tuple[threading.Plan, list[routing.Routes]]:
    """Thread, route and time a batch's new conversations before they are stored, so each is
    inserted once, routed and with its clocks running."""
    planned = threading.plan(organization_id, items)
    routes = routing.plan_routes(planned.drafts)  # type: ignore[arg-type]
    routing.assign_before_storing(routes, timezone.now())
    threading.start_clocks(planned)
    return planned, routes


def _only_created(planned: list[routing.Routes], threaded: threading.Threaded) -> list:
    """Routes of the conversations this batch created (a thread another worker stored first
    keeps its own routing)."""
    made = {id(c) for c in threaded.created}
    kept = []
    for routes in planned:
        pairs = [
            (c, choice)
            for c, choice in zip(routes.conversations, routes.choices, strict=True)
            if id(c) in made
        ]
        kept.append(
            routing.Routes(routes.pool, [c for c, _ in pairs], [choice for _, choice in pairs])
        )
    return kept


def take_in(
    organization: Organization | int,
    heard: Sequence[Heard],
    *,
    source: Source | None = None,
    cursor: str | None = None,
) -> int:
    """Take heard messages in, triaging them as they are stored when triage keeps up.

    While the organisation has no backlog, the new messages are classified first (outside any
    lock), then stored already triaged, threaded, timed and routed in intake's own
    transaction: one write per message instead of a write and an update. With a backlog they
    are only stored, in order, and the triage worker catches up (listeners stop reading past
    the high-water mark). Returns how many messages were new.
    """
    organization_id = organization if isinstance(organization, int) else organization.pk
    if _waiting(organization_id):
        return intake.do_intake(organization_id, heard, source=source, cursor=cursor)
    # Everything that only reads happens before intake takes the write lock: cleaning, which
    # messages are new, classifying, threading, routing and clocks. New authors get stand-in
    # ids, replaced once intake has stored them.
    now = timezone.now()
    rows = intake.clean_batch(heard, now)
    expected = intake.unseen(organization_id, rows) if rows else []
    stand_in = {key: -n for n, key in enumerate({(r.network, r.author_id) for r in expected}, 1)}
    items = [_item(row, stand_in) for row in expected]
    classify(organization_id, items)
    planned, routes = _plan(organization_id, list(items))
    # The rows' values too, so that under the lock only the stored ids are filled in.
    verdicts = _verdicts(items, expected)

    def decide(
        org_id: int, new: list[intake.Row], author_ids: dict[Any, int]
    ) -> list[Sequence[Any]]:
        nonlocal items, planned, routes, verdicts
        if [(r.network, r.external_id) for r in new] != [
            (r.network, r.external_id) for r in expected
        ]:
            # Another process stored some of them meanwhile: plan again, under the lock.
            items = [_item(row, author_ids) for row in new]
            classify(org_id, items)
            planned, routes = _plan(org_id, list(items))
            verdicts = _verdicts(items, new)
        else:
            real = {stand_in[key]: pk for key, pk in author_ids.items() if key in stand_in}
            for item in items:
                item.author_id = real.get(item.author_id, item.author_id)
            threading.use_authors(planned, real)
        threaded = threading.apply(planned)
        routing.record_routes(_only_created(routes, threaded), assigned=True)
        stamp = timezone.now()
        return [(stamp, *verdict, item.conversation_id) for item, verdict in verdicts]

    return intake.do_intake(
        organization_id, heard, source=source, cursor=cursor, decide=decide, cleaned=rows, now=now
    )


def _verdicts(
    items: list[threading.Item], rows: list[intake.Row]
) -> list[tuple[threading.Item, tuple[Any, ...]]]:
    """Each row's item and its ``_verdict``, in the rows' order."""
    by_key = {(i.network, i.external_id): i for i in items}
    found = [by_key[(r.network, r.external_id)] for r in rows]
    return [(item, _verdict(item)) for item in found]


def _item(row: intake.Row, author_ids: dict[Any, int]) -> threading.Item:
    """A cleaned row as the threading sees it (its decision is filled by ``classify``)."""
    return threading.Item(
        id=0,
        network=row.network,
        external_id=row.external_id,
        reply_to=row.reply_to,
        root=row.root,
        author_id=author_ids[(row.network, row.author_id)],
        author_label=f"{row.name} @{row.handle}".strip(),
        created_at=row.created_at,
        direction=row.direction,
        text=row.text,
    )


def _take_lease(organization_id: int) -> bool:
    now = timezone.now()
    until = now + dt.timedelta(seconds=LEASE_SECONDS)
    Lease.objects.get_or_create(
        organization_id=organization_id, defaults={"held_until": now - dt.timedelta(seconds=1)}
    )
    taken = Lease.objects.filter(
        Q(held_until__lt=now) | Q(holder=_HOLDER), organization_id=organization_id
    ).update(held_until=until, holder=_HOLDER)
    return taken == 1


def _release_lease(organization_id: int) -> None:
    Lease.objects.filter(organization_id=organization_id, holder=_HOLDER).update(
        held_until=timezone.now() - dt.timedelta(seconds=1), holder=""
    )


def process_pending(organization_id: int, limit: int | None = None) -> int:
    """Work through an organisation's backlog while holding its lease; returns messages done.

    Returns 0 at once when another worker holds the lease: it will see the new messages too.
    """
    done = 0
    while _take_lease(organization_id):
        try:
            while limit is None or done < limit:
                batch = triage_batch(
                    organization_id, limit=BATCH if limit is None else min(BATCH, limit - done)
                )
                if not batch.triaged:
                    break
                done += batch.triaged
                _take_lease(organization_id)  # extend: we are still at it
        finally:
            _release_lease(organization_id)
        # Messages that arrived while we held the lease asked for a worker that found it
        # taken; look once more after letting go so none is left waiting.
        if (limit is not None and done >= limit) or not _waiting(organization_id):
            break
    return done


def _waiting(organization_id: int) -> bool:
    return Message.objects.filter(organization_id=organization_id, triaged_at__isnull=True).exists()


@job(max_attempts=5, backoff_seconds=10)
def triage_backlog(organization_id: int) -> int:
    """Triage an organisation's waiting messages (enqueued after each intake)."""
    return process_pending(organization_id)


@periodic(60)
@job()
def sweep_backlogs() -> int:
    """Catch messages whose triage request was lost (a worker killed before it enqueued)."""
    organizations = (
        Message.objects.filter(triaged_at__isnull=True)
        .values_list("organization_id", flat=True)
        .distinct()
    )
    return sum(process_pending(org) for org in organizations)
