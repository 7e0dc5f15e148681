"""The audit log: append one event per security-relevant action, and read it back.

Reading is for an organisation's leads (directors and administrators): the log names who did
what to whom, which other people need not see.
"""

from __future__ import annotations

import csv
import getpass
import io
import os
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models import QuerySet
from django.dispatch import receiver
from django.http import HttpRequest

from cluetrain.core.models import AuditEvent
from cluetrain.core.spreadsheet import safe_cell

if TYPE_CHECKING:
    from cluetrain.organizations.models import Organization, Person

PAGE_SIZE = 50


def record(
    organization: Organization,
    actor: Person | None,
    verb: str,
    target: object = "",
    **data: Any,
) -> AuditEvent:
    """Append one event to the organisation's audit log (call inside the change's transaction)."""
    return AuditEvent.objects.create(
        organization=organization, actor=actor, verb=verb, target=str(target)[:200], data=data
    )


def os_user() -> str:
    """Who ran a command, as the operating system knows them (the CLI has no signed-in person)."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # a container's user may have no name at all
        return f"uid {os.getuid()}" if hasattr(os, "getuid") else ""


def command_line_origin() -> dict[str, str]:
    """Where a command ran, in place of a person: the OS user, and the machine, since several
    machines (web, workers, an operator's shell) may share one database."""
    return {"os_user": os_user(), "host": socket.gethostname()}


def record_everywhere(
    verb: str, target: object = "", *, using: str = "default", **data: Any
) -> int:
    """One event in every organisation, for what touched them all (a backup, a restore).

    An event always belongs to an organisation (each one's leads read their own log), so an
    installation-wide act is written once in each; with no organisation there is nobody to
    tell and nothing is written. Made by the command line, so there is no actor: where it ran
    goes in the data instead. Returns how many events were written.
    """
    from cluetrain.organizations.models import Organization

    data = {"via": "cli", **command_line_origin(), **data}
    organizations = Organization.objects.using(using).order_by("pk").values_list("pk", flat=True)
    events = AuditEvent.objects.using(using).bulk_create(
        AuditEvent(organization_id=pk, actor=None, verb=verb, target=str(target)[:200], data=data)
        for pk in organizations
    )
    return len(events)


def record_export(
    organization: Organization, actor: Person | None, what: str, *, via: str, **data: Any
) -> AuditEvent:
    """Data leaving Cluetrain: ``what`` (e.g. "insights.topics") taken out by ``actor``.

    The one helper every export calls: a file downloaded from a page, a report printed by a
    command, a bulk read through the API. ``via`` says which ("web", "api", "cli"); ``data``
    says which data (period, scope, format). ``actor`` None is the command line, whose OS user
    and machine are recorded instead. Call it once the export can no longer be refused (after
    the permission check and the building of the data), so a refused export is not recorded.
    """
    origin: dict[str, Any] = {"via": via}
    if actor is None:
        origin |= command_line_origin()
    return record(organization, actor, "data.exported", what, **origin, **data)


def _address(request: HttpRequest | None) -> str:
    return str(request.META.get("REMOTE_ADDR", "")) if request is not None else ""


def _record_for_person(person: Person, verb: str, **data: Any) -> None:
    """One event in each organisation the person belongs to: each one's leads see it."""
    from cluetrain.organizations.models import Membership

    organization_ids = Membership.objects.filter(person=person, is_active=True).values_list(
        "organization_id", flat=True
    )
    AuditEvent.objects.bulk_create(
        AuditEvent(organization_id=pk, actor=person, verb=verb, target=person.email, data=data)
        for pk in organization_ids
    )


@receiver(user_logged_in, dispatch_uid="cluetrain.audit.signed_in")
def _signed_in(sender: object, request: HttpRequest | None, user: Person, **kwargs: Any) -> None:
    _record_for_person(user, "person.signed_in", address=_address(request))


@receiver(user_logged_out, dispatch_uid="cluetrain.audit.signed_out")
def _signed_out(
    sender: object, request: HttpRequest | None, user: Person | None, **kwargs: Any
) -> None:
    if user is not None:
        _record_for_person(user, "person.signed_out", address=_address(request))


@receiver(user_login_failed, dispatch_uid="cluetrain.audit.sign_in_failed")
def _sign_in_failed(
    sender: object, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    from cluetrain.organizations.models import Person

    # Only an address that belongs to someone is recorded (in that person's organisations);
    # guesses at unknown addresses are counted by the lockout, not kept here.
    email = str(credentials.get("username") or credentials.get("email") or "")
    person = Person.objects.filter(email__iexact=email).first() if email else None
    if person is not None:
        _record_for_person(person, "person.sign_in_failed", address=_address(request))


@dataclass(frozen=True)
class AuditFilter:
    """What the audit page shows: by actor, by verb (or its prefix, "voice."), by day."""

    actor_id: int | None = None
    verb: str = ""
    since: date | None = None
    until: date | None = None


def check_can_read(person: Person, organization: Organization) -> None:
    """``NotAllowed`` unless the person may read the organisation's audit log."""
    from cluetrain.organizations.policy import Permission, require

    require(person, organization, Permission.MANAGE_ORGANIZATION)


def _filtered(organization: Organization, chosen: AuditFilter) -> QuerySet[AuditEvent]:
    events = AuditEvent.objects.filter(organization=organization)
    if chosen.actor_id is not None:
        events = events.filter(actor_id=chosen.actor_id)
    if chosen.verb:
        verb = chosen.verb.strip()
        events = (
            events.filter(verb__startswith=verb) if verb.endswith(".") else events.filter(verb=verb)
        )
    zone = ZoneInfo(organization.time_zone or "UTC")
    if chosen.since is not None:
        events = events.filter(created_at__gte=datetime.combine(chosen.since, time(), zone))
    if chosen.until is not None:
        end = datetime.combine(chosen.until + timedelta(days=1), time(), zone)
        events = events.filter(created_at__lt=end)
    return events.select_related("actor").order_by("-id")


def events_page(
    person: Person,
    organization: Organization,
    chosen: AuditFilter,
    *,
    before: int | None = None,
    size: int = PAGE_SIZE,
) -> tuple[list[AuditEvent], int | None]:
    """One page of events, newest first, and the cursor of the next page (None at the end).

    Keyset pagination on the id (ids grow with time): page 1,000 costs what page 1 does.
    """
    check_can_read(person, organization)
    events = _filtered(organization, chosen)
    if before is not None:
        events = events.filter(id__lt=before)
    rows = list(events[: size + 1])
    return rows[:size], (rows[size - 1].pk if len(rows) > size else None)


def verbs(organization: Organization) -> list[str]:
    """Every verb the organisation's log holds, for the filter's choices."""
    found = AuditEvent.objects.filter(organization=organization).values_list("verb", flat=True)
    return sorted(set(found.distinct().order_by()))


CSV_HEADER = ("time", "actor", "actor_email", "verb", "target", "data")


def export_csv(person: Person, organization: Organization, chosen: AuditFilter) -> Iterator[str]:
    """The filtered log as CSV lines, every cell safe to open in a spreadsheet.

    Checks the permission now, before the first line is asked for (the lines are streamed).
    """
    check_can_read(person, organization)
    record_export(
        organization, person, "audit_log", via="web", format="csv", filters=_described(chosen)
    )
    return _csv_lines(_filtered(organization, chosen))


def _described(chosen: AuditFilter) -> dict[str, Any]:
    """The filter as plain values for an event's data (only what was chosen)."""
    described = {
        "actor_id": chosen.actor_id,
        "verb": chosen.verb,
        "since": chosen.since.isoformat() if chosen.since else None,
        "until": chosen.until.isoformat() if chosen.until else None,
    }
    return {key: value for key, value in described.items() if value}


def _csv_lines(events: QuerySet[AuditEvent]) -> Iterator[str]:
    out = io.StringIO()
    writer = csv.writer(out)

    def line(cells: tuple[object, ...]) -> str:
        writer.writerow([safe_cell(cell) for cell in cells])
        text = out.getvalue()
        out.seek(0)
        out.truncate()
        return text

    yield line(CSV_HEADER)
    for event in events.iterator(chunk_size=1000):
        actor = event.actor
        yield line(
            (
                event.created_at.isoformat(),
                actor.full_name if actor else "",
                actor.email if actor else "",
                event.verb,
                event.target,
                event.data,
            )
        )
