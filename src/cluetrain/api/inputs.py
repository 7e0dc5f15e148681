"""Turning what a script sent (API or CLI) into the publishing service's own terms."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from cluetrain.core.errors import ServiceError
from cluetrain.organizations.models import Organization
from cluetrain.publishing import scheduling
from cluetrain.publishing.scheduling import Schedule, When
from cluetrain.voices.models import Voice


def schedule_from(
    when: str | None, at: datetime | None, time_zone: str | None, default_zone: str
) -> Schedule:
    """The schedule meant by ``when``, ``at`` and ``time_zone`` as a script gives them.

    A wall-clock ``at`` (no offset) is read in ``time_zone``. An ``at`` with an offset is an
    exact moment and is kept exactly: it is shown back in ``time_zone`` when that is possible
    without ambiguity, in UTC otherwise.
    """
    zone_name = time_zone or default_zone or "UTC"
    scheduling.zone(zone_name)  # a clear error for an unknown zone, whatever ``when`` is
    chosen = When(when) if when else (When.AT if at is not None else When.NOW)
    if chosen != When.AT:
        if at is not None:
            raise ServiceError(f"A time goes with when=at, not when={chosen}.", code="when")
        return Schedule(chosen, None, zone_name)
    if at is None:
        raise ServiceError("Say when to publish: give a date and time.", code="when")
    if at.tzinfo is None:
        return Schedule(When.AT, at, zone_name)
    moment = at.astimezone(UTC)
    local = moment.astimezone(scheduling.zone(zone_name)).replace(tzinfo=None)
    if scheduling.to_utc(local, zone_name).at == moment:
        return Schedule(When.AT, local, zone_name)
    # The second 02:30 of an autumn night: only UTC names that moment unambiguously.
    return Schedule(When.AT, moment.replace(tzinfo=None), "UTC")


def parse_at(text: str) -> datetime:
    """A date and time as a person types it: 2026-12-01 09:30, with or without an offset."""
    try:
        return datetime.fromisoformat(text.strip())
    except ValueError as exc:
        raise ServiceError(
            f"{text!r} is not a date and time; write it like 2026-12-01 09:30.", code="at"
        ) from exc


def find_voices(organization: Organization, refs: Sequence[int | str]) -> list[Voice]:
    """The organisation's voices named by id or handle, in the order given.

    Every voice of the organisation can be named (whether the caller may post through it is
    the publishing service's question, answered with a clear refusal); voices of other
    organisations are unknown here.
    """
    queryset = Voice.objects.filter(organization=organization).select_related(
        "organization", "owner"
    )
    ids = [int(ref) for ref in refs if isinstance(ref, int) or str(ref).isdigit()]
    handles = [str(ref) for ref in refs if not (isinstance(ref, int) or str(ref).isdigit())]
    by_id = {voice.pk: voice for voice in queryset.filter(pk__in=ids)} if ids else {}
    by_handle: dict[str, list[Voice]] = {}
    if handles:
        wanted = {h for handle in handles for h in (handle, "@" + handle.lstrip("@"))}
        for voice in queryset.filter(handle__in=wanted):
            by_handle.setdefault(voice.handle, []).append(voice)
    found: list[Voice] = []
    for ref in refs:
        if isinstance(ref, int) or str(ref).isdigit():
            known = by_id.get(int(ref))
            if known is None:
                raise ServiceError(f"{organization.name} has no voice {ref}.", code="voice")
            found.append(known)
            continue
        matches = by_handle.get(str(ref)) or by_handle.get("@" + str(ref).lstrip("@"), [])
        if not matches:
            raise ServiceError(f"{organization.name} has no voice {ref!r}.", code="voice")
        if len(matches) > 1:
            raise ServiceError(
                f"{ref!r} names voices on several networks; give the voice's id instead.",
                code="voice",
            )
        found.append(matches[0])
    return found
