"""Keeping the roll-ups current: read what changed since the saved cursors, work out what each
changed conversation or delivery now contributes, and apply the difference.

The change feed is made of append-only ids the product already writes:

* new conversations (``inbox_conversation.id``);
* messages (``listening_message.id``): their conversation changed, and our replies are people
  speaking; read only below the oldest inbound message still waiting for triage, because
  triage is what threads a message into its conversation;
* conversation events (``inbox_conversationevent.id``): status changes, assignments,
  re-routing, service-level alerts;
* post events (``publishing_postevent.id``: published, edited …), engagement tracks and
  samples (``insights_engagementtrack.id``, ``insights_engagementsample.id``): a delivery
  went out, or its reactions changed.

Everything a run does (the day rows, the facts, the cursors) is one transaction, entered by
taking the lock row first: a crash leaves nothing half-applied, and two workers take turns.
Applying a conversation twice changes nothing, since its fact holds what it already added.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any
from zoneinfo import ZoneInfo

from django.db import connection, transaction
from django.db.models import F

from cluetrain.core import bulk, writers
from cluetrain.insights.rollup_models import RollupCursor
from cluetrain.insights.rollups import facts

BATCH = 20000
CHUNK = 900

_CONVERSATION_SQL = (
    "SELECT " + ", ".join(facts.CONVERSATION_COLUMNS) + " FROM inbox_conversation "  # noqa: S608
    "WHERE id IN ({values})"
)
_DELIVERY_SQL = (
    "SELECT d.id, d.organization_id, d.published_at, COALESCE(v.department_id, 0), d.voice_id, "
    "COALESCE(p.author_id, 0), p.id, v.name, COALESCE(a.full_name, ''), "
    "COALESCE(t.likes, 0), COALESCE(t.reposts, 0), COALESCE(t.replies, 0), "
    "COALESCE(t.quotes, 0) "
    "FROM publishing_delivery d JOIN voices_voice v ON v.id = d.voice_id "
    "JOIN publishing_post p ON p.id = d.post_id "
    "LEFT JOIN organizations_person a ON a.id = p.author_id "
    "LEFT JOIN insights_engagementtrack t ON t.delivery_id = d.id "
    "WHERE d.status = 'published' AND d.published_at IS NOT NULL AND d.id IN ({values})"
)


class Run:
    """One application of changes: the sums of differences per organisation and day row."""

    def __init__(self) -> None:
        self.sums: dict[int, dict[facts.Key, dict[str, int]]] = {}
        self.zones: dict[int, ZoneInfo] = {}
        self.firsts: dict[tuple[int, int], str] = {}
        self.messages = 0

    def zone(self, organization_id: int) -> ZoneInfo:
        zone = self.zones.get(organization_id)
        if zone is None:
            rows = bulk.select(
                "SELECT time_zone FROM organizations_organization WHERE id = %s",
                [organization_id],
            )
            try:
                zone = ZoneInfo(rows[0][0] if rows and rows[0][0] else "UTC")
            except (ValueError, KeyError):
                zone = ZoneInfo("UTC")
            self.zones[organization_id] = zone
        return zone

    def add(self, organization_id: int, new: Iterable[Any], old: Iterable[Any]) -> None:
        new = list(new)
        facts.difference(new, old, self.sums.setdefault(organization_id, {}))
        for kind, day, _, _, person, _ in new:
            if kind == "s" and person:
                key = (organization_id, person)
                if key not in self.firsts or day < self.firsts[key]:
                    self.firsts[key] = day


def _cursors() -> dict[str, int]:
    return dict(RollupCursor.objects.values_list("name", "value"))


def _after(table: str, column: str, cursor: int, limit: int, extra: str = "") -> list[tuple]:
    return bulk.select(
        f"SELECT id, {column} FROM {table} WHERE id > %s {extra} ORDER BY id LIMIT {limit}",  # noqa: S608
        [cursor],
    )


def _lock() -> None:
    """Take the writers' turn: an UPDATE of the lock row (SQLite's write lock, PostgreSQL's
    row lock) before reading any cursor."""
    if not RollupCursor.objects.filter(name="lock").update(value=F("value") + 1):
        RollupCursor.objects.get_or_create(name="lock")
        RollupCursor.objects.filter(name="lock").update(value=F("value") + 1)


def apply_changes(limit: int = BATCH) -> dict[str, int]:
    """Apply one batch of changes (at most ``limit`` rows of each source); returns counts of
    what was read. Call again while ``more`` is 1."""
    with writers.one_at_a_time(), transaction.atomic():
        _lock()
        cursors = _cursors()
        run = Run()
        moved: dict[str, int] = {}
        more = 0

        conversation_ids: set[int] = set()
        rows = _after("inbox_conversation", "id", cursors.get("conversation", 0), limit)
        conversation_ids.update(r[0] for r in rows)
        if rows:
            moved["conversation"] = rows[-1][0]
        more |= len(rows) == limit

        waiting = bulk.select(
            "SELECT MIN(id) FROM listening_message WHERE triaged_at IS NULL AND direction = 'in'",
            [],
        )
        below = f"AND id < {int(waiting[0][0])}" if waiting and waiting[0][0] else ""
        messages = bulk.select(
            "SELECT id, organization_id, conversation_id, direction, sent_by_id, created_at "  # noqa: S608
            f"FROM listening_message WHERE id > %s {below} ORDER BY id LIMIT {limit}",
            [cursors.get("message", 0)],
        )
        run.messages = len(messages)
        conversation_ids.update(m[2] for m in messages if m[2])
        if messages:
            moved["message"] = messages[-1][0]
        more |= len(messages) == limit

        events = _after(
            "inbox_conversationevent", "conversation_id", cursors.get("event", 0), limit
        )
        conversation_ids.update(e[1] for e in events)
        if events:
            moved["event"] = events[-1][0]
        more |= len(events) == limit

        departments = _apply_conversations(run, sorted(conversation_ids))
        for _, organization_id, conversation_id, direction, sent_by, created_at in messages:
            if direction == "out" and sent_by:
                zone = run.zone(organization_id)
                department = departments.get(conversation_id, 0) if conversation_id else 0
                replies = facts.reply_contributions(
                    bulk.parse_time(created_at), zone, department, sent_by
                )
                run.add(organization_id, replies, [])

        delivery_ids: set[int] = set()
        for name, table, column, extra in (
            ("postevent", "publishing_postevent", "delivery_id", ""),
            ("track", "insights_engagementtrack", "delivery_id", ""),
            ("sample", "insights_engagementsample", "delivery_id", ""),
        ):
            found = _after(table, column, cursors.get(name, 0), limit, extra)
            delivery_ids.update(r[1] for r in found if r[1])
            if found:
                moved[name] = found[-1][0]
            more |= len(found) == limit
        _apply_deliveries(run, sorted(delivery_ids))

        _write_days(run)
        _write_firsts(run)
        for name, value in moved.items():
            if not RollupCursor.objects.filter(name=name).update(value=value):
                RollupCursor.objects.create(name=name, value=value)
    return {
        "conversations": len(conversation_ids),
        "messages": run.messages,
        "deliveries": len(delivery_ids),
        "more": int(more),
    }


def catch_up(limit: int = BATCH, rounds: int = 1000) -> dict[str, int]:
    """Apply batches until nothing is left (or ``rounds`` ran); totals of what was read."""
    totals = {"conversations": 0, "messages": 0, "deliveries": 0, "batches": 0}
    for _ in range(rounds):
        done = apply_changes(limit)
        totals["batches"] += 1
        for key in ("conversations", "messages", "deliveries"):
            totals[key] += done[key]
        if not done["more"]:
            break
    return totals


def _apply_conversations(run: Run, ids: Sequence[int]) -> dict[int, int]:
    """Apply the changed conversations; returns each one's department (0 for none)."""
    from cluetrain.inbox.sla import Policies

    departments: dict[int, int] = {}
    policies: dict[int, Any] = {}
    for chunk in bulk.chunks(ids, CHUNK):
        old = {
            pk: (organization_id, _loads(c))
            for pk, organization_id, c in bulk.select(
                "SELECT conversation_id, organization_id, contributions "
                "FROM insights_conversationfact WHERE conversation_id IN ({values})",
                chunk,
            )
        }
        written = []
        for found in bulk.select(_CONVERSATION_SQL, chunk):
            row = list(found)
            for n in (4, 5, 6, 7):
                if row[n] is not None:
                    row[n] = bulk.parse_time(row[n])
            row[11] = bool(row[11])
            pk, organization_id = row[0], row[1]
            departments[pk] = row[2] or 0
            if organization_id not in policies:
                policies[organization_id] = Policies([organization_id])
            new = facts.conversation_contributions(
                row, run.zone(organization_id), policies[organization_id]
            )
            before = old.pop(pk, (organization_id, []))[1]
            if new != before:
                run.add(organization_id, new, before)
                written.append((pk, organization_id, json.dumps(new)))
        for pk, (organization_id, before) in old.items():
            # The conversation is gone: take back what it added.
            run.add(organization_id, [], before)
            written.append((pk, organization_id, "[]"))
        _upsert(
            "insights_conversationfact",
            ("conversation_id", "organization_id", "contributions"),
            ("conversation_id",),
            written,
        )
    return departments


def _apply_deliveries(run: Run, ids: Sequence[int]) -> None:
    at = bulk.time_adapter()
    for chunk in bulk.chunks(ids, CHUNK):
        old = {
            pk: (organization_id, _loads(c))
            for pk, organization_id, c in bulk.select(
                "SELECT delivery_id, organization_id, contributions FROM insights_postfact "
                "WHERE delivery_id IN ({values})",
                chunk,
            )
        }
        written = []
        for row in bulk.select(_DELIVERY_SQL, chunk):
            pk, organization_id, published, department, voice, author, post, voice_name = row[:8]
            author_name, reactions = row[8], [int(n) for n in row[9:13]]
            published = bulk.parse_time(published)
            zone = run.zone(organization_id)
            new = facts.post_contributions(published, zone, department, voice, author, reactions)
            before = old.pop(pk, (organization_id, []))[1]
            if new != before:
                run.add(organization_id, new, before)
            written.append(
                (
                    pk,
                    organization_id,
                    new[0][1],
                    department,
                    voice,
                    author,
                    post,
                    str(voice_name or "")[:200],
                    str(author_name or "")[:200],
                    at(published),
                    *reactions,
                    sum(reactions),
                    json.dumps(new),
                )
            )
        for organization_id, before in old.values():
            # No longer published (or deleted): take back what it added.
            run.add(organization_id, [], before)
        if old:
            _execute(
                "DELETE FROM insights_postfact WHERE delivery_id IN ({values})",
                [str(pk) for pk in old],
            )
        _upsert(
            "insights_postfact",
            (
                "delivery_id",
                "organization_id",
                "day",
                "department_id",
                "voice_id",
                "person_id",
                "post_id",
                "voice_name",
                "author_name",
                "published_at",
                "likes",
                "reposts",
                "replies",
                "quotes",
                "engagement",
                "contributions",
            ),
            ("delivery_id",),
            written,
        )


def _execute(sql: str, values: Sequence[Any], *, before: Sequence[Any] = ()) -> None:
    """A statement without results (``{values}`` as in ``bulk.select``)."""
    with connection.cursor() as cursor:
        cursor.execute(sql.format(values=", ".join(["%s"] * len(values))), [*before, *values])


def _loads(value: Any) -> Any:
    if isinstance(value, (list, dict)):
        return value
    return json.loads(value) if value else []


def _upsert(
    table: str, columns: Sequence[str], key: Sequence[str], rows: Sequence[Sequence[Any]]
) -> None:
    if not rows:
        return
    changed = [c for c in columns if c not in key]
    updates = ", ".join(f"{c} = excluded.{c}" for c in changed)
    with bulk.raw_cursor() as (cursor, mark):
        one = "(" + ", ".join([mark] * len(columns)) + ")"
        for chunk in bulk.chunks(rows, max(1, 900 // len(columns))):
            values = ", ".join([one] * len(chunk))
            params = [v for row in chunk for v in row]
            cursor.execute(
                f"INSERT INTO {table} ({', '.join(columns)}) VALUES {values} "  # noqa: S608
                f"ON CONFLICT ({', '.join(key)}) DO UPDATE SET {updates}",
                params,
            )


def _write_days(run: Run) -> None:
    """Merge the sums into the day rows they belong to (read, add, write back: the lock makes
    this run the only writer)."""
    for organization_id, sums in run.sums.items():
        keys = [k for k, bag in sums.items() if any(bag.values())]
        existing: dict[facts.Key, dict[str, int]] = {}
        for kind in sorted({k[0] for k in keys}):
            days = sorted({k[1] for k in keys if k[0] == kind})
            for chunk in bulk.chunks(days, CHUNK):
                for row in bulk.select(
                    "SELECT day, department_id, voice_id, person_id, counts FROM "
                    "insights_rollupday WHERE kind = %s AND organization_id = %s "
                    "AND day IN ({values})",
                    list(chunk),
                    before=[kind, organization_id],
                ):
                    day = row[0] if isinstance(row[0], str) else row[0].isoformat()
                    existing[(kind, day[:10], row[1], row[2], row[3])] = _loads(row[4]) or {}
        written = []
        for key in keys:
            bag = dict(existing.get(key, {}))
            for name, value in sums[key].items():
                total = bag.get(name, 0) + value
                if total:
                    bag[name] = total
                else:
                    bag.pop(name, None)
            kind, day, department, voice, person = key
            written.append((kind, organization_id, day, department, voice, person, json.dumps(bag)))
        _upsert(
            "insights_rollupday",
            ("kind", "organization_id", "day", "department_id", "voice_id", "person_id", "counts"),
            ("kind", "organization_id", "day", "department_id", "voice_id", "person_id"),
            written,
        )


def _write_firsts(run: Run) -> None:
    rows = [(org, person, day) for (org, person), day in run.firsts.items()]
    if not rows:
        return
    least = "MIN" if connection.vendor == "sqlite" else "LEAST"
    with bulk.raw_cursor() as (cursor, mark):
        one = f"({mark}, {mark}, {mark})"
        for chunk in bulk.chunks(rows, 300):
            cursor.execute(
                "INSERT INTO insights_speakerfirst (organization_id, person_id, first_day) "  # noqa: S608
                f"VALUES {', '.join([one] * len(chunk))} "
                "ON CONFLICT (organization_id, person_id) DO UPDATE SET first_day = "
                f"{least}(insights_speakerfirst.first_day, excluded.first_day)",
                [v for row in chunk for v in row],
            )


def rebuild(organization_id: int | None = None) -> dict[str, int]:
    """Recompute the roll-ups of one organisation (or all) from the product's tables, under
    the lock, leaving the cursors where they are: what the feed has not reached yet it will
    find already counted (the facts say so); replies past the message cursor it will add."""
    with writers.one_at_a_time(), transaction.atomic():
        _lock()
        cursors = _cursors()
        if organization_id is None:
            organizations = [
                r[0] for r in bulk.select("SELECT id FROM organizations_organization", [])
            ]
        else:
            organizations = [organization_id]
        totals = {"organizations": len(organizations), "conversations": 0, "deliveries": 0}
        for org in organizations:
            for table in (
                "insights_rollupday",
                "insights_conversationfact",
                "insights_postfact",
                "insights_speakerfirst",
            ):
                sql = f"DELETE FROM {table} WHERE organization_id = %s"  # noqa: S608
                _execute(sql, [], before=[org])
            run = Run()
            ids = [
                r[0]
                for r in bulk.select(
                    "SELECT id FROM inbox_conversation WHERE organization_id = %s", [org]
                )
            ]
            departments = _apply_conversations(run, ids)
            totals["conversations"] += len(ids)
            for _, created_at, conversation_id, sent_by in bulk.select(
                "SELECT id, created_at, conversation_id, sent_by_id FROM listening_message "
                "WHERE organization_id = %s AND direction = 'out' AND sent_by_id IS NOT NULL "
                "AND id <= %s",
                [org, cursors.get("message", 0)],
            ):
                department = departments.get(conversation_id, 0) if conversation_id else 0
                replies = facts.reply_contributions(
                    bulk.parse_time(created_at), run.zone(org), department, sent_by
                )
                run.add(org, replies, [])
            deliveries = [
                r[0]
                for r in bulk.select(
                    "SELECT id FROM publishing_delivery WHERE organization_id = %s "
                    "AND status = 'published'",
                    [org],
                )
            ]
            _apply_deliveries(run, deliveries)
            totals["deliveries"] += len(deliveries)
            _write_days(run)
            _write_firsts(run)
    return totals
