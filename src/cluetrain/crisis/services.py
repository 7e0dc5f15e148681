"""Declaring, updating and ending incidents, deciding about paused posts, raising alerts.

Pages, the API, the CLI and the incident watch all come through here; permissions are checked
here, not only in views.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from cluetrain.core import audit
from cluetrain.core.errors import ServiceError
from cluetrain.crisis import pausing, scope, timeline
from cluetrain.crisis.alerts import page_alert_in_app, page_declaration_in_app
from cluetrain.crisis.models import (
    Alert,
    AlertStatus,
    Incident,
    IncidentStatus,
    PausedDelivery,
    PauseStatus,
    Severity,
)
from cluetrain.crisis.timeline import deliveries
from cluetrain.hooks import events as hook_events
from cluetrain.organizations import policy
from cluetrain.organizations.models import Department, Organization, Person
from cluetrain.organizations.policy import Permission
from cluetrain.publishing.models import Delivery
from cluetrain.voices.models import Network, Voice

__all__ = [
    "Declaration",
    "do_decide",
    "do_declare_incident",
    "do_dismiss_alert",
    "do_end_incident",
    "do_raise_alert",
    "do_resume_by_plan",
    "do_update_incident",
    "open_incidents",
]


@dataclass
class Declaration:
    """What a person fills in to declare an incident (or to change it while it is open)."""

    title: str
    severity: str = Severity.MAJOR
    public_summary: str = ""
    whole_organization: bool = True
    departments: Sequence[Department] = ()
    voices: Sequence[Voice] = ()
    networks: Sequence[str] = field(default_factory=list)


def open_incidents(organization: Organization) -> list[Incident]:
    return list(
        Incident.objects.filter(organization=organization, status=IncidentStatus.OPEN).order_by(
            "declared_at"
        )
    )


def _check(organization: Organization, declaration: Declaration) -> Declaration:
    title = " ".join(declaration.title.split())
    if not title:
        raise ServiceError("Give the incident a title people will recognise.", code="title")
    if len(title) > 200:
        raise ServiceError("An incident's title can be at most 200 characters.", code="title")
    if declaration.severity not in Severity.values:
        raise ServiceError(f"{declaration.severity!r} is not a severity.", code="severity")
    for network in declaration.networks:
        if network not in Network.values:
            raise ServiceError(f"{network!r} is not a network.", code="networks")
    named: list[Department | Voice] = [*declaration.departments, *declaration.voices]
    for item in named:
        if item.organization_id != organization.pk:
            raise ServiceError(f"{item} does not belong to {organization.name}.", code="scope")
    whole = declaration.whole_organization
    if not whole and not (declaration.departments or declaration.voices or declaration.networks):
        raise ServiceError(
            "Name the departments, voices or networks the incident covers, "
            "or choose the whole organisation.",
            code="scope",
        )
    if len(declaration.public_summary) > 5000:
        raise ServiceError("A public summary can be at most 5,000 characters.", code="summary")
    declaration.title = title
    return declaration


def do_declare_incident(
    person: Person,
    organization: Organization,
    declaration: Declaration,
    *,
    alert: Alert | None = None,
) -> tuple[Incident, pausing.Paused]:
    """Declare an incident and pause, in the same transaction, every post it covers.

    When the transaction commits no worker can start a network call for a paused delivery; a
    call that had already started is recorded as sent before the pause.
    """
    policy.require(person, organization, Permission.DECLARE_INCIDENT)
    declaration = _check(organization, declaration)
    if alert is not None and alert.organization_id != organization.pk:
        raise ServiceError("That alert belongs to another organisation.", code="alert")
    scope.runbook_for(organization)  # created outside the lock, once
    with transaction.atomic():
        pausing.lock_organization(organization.pk, exclusive=True)
        now = timezone.now()
        incident = Incident.objects.create(
            organization=organization,
            title=declaration.title,
            severity=declaration.severity,
            public_summary=declaration.public_summary.strip(),
            whole_organization=declaration.whole_organization,
            networks=list(declaration.networks) if not declaration.whole_organization else [],
            declared_by=person,
            declared_at=now,
        )
        if not declaration.whole_organization:
            incident.departments.set(declaration.departments)
            incident.voices.set(declaration.voices)
        timeline.add(
            incident,
            "declared",
            f"{person.full_name} declared “{incident.title}” ({incident.get_severity_display()}) "
            f"covering {scope.describe(incident)}.",
            actor=person,
        )
        if alert is not None:
            Alert.objects.filter(pk=alert.pk).update(status=AlertStatus.DECLARED, incident=incident)
            timeline.add(incident, "alert", alert.headline, alert=alert.pk)
        paused = pausing.pause(
            incident, pausing.covered(incident, Delivery.objects.all()), actor=person
        )
        audit.record(
            organization,
            person,
            "incident.declared",
            incident,
            paused=paused.paused,
            sent_before=paused.sent_before,
        )
        # In the app now, with the declaration; by e-mail, Slack and Teams from a job once it
        # commits: the page that declares does not wait for a webhook.
        page_declaration_in_app(incident)
        hook_events.incident_declared(organization.pk, incident.pk)
    return incident, paused


def _open(incident: Incident) -> Incident:
    locked = Incident.objects.select_for_update().get(pk=incident.pk)
    if locked.status != IncidentStatus.OPEN:
        raise ServiceError("This incident has ended.", code="ended")
    return locked


def do_update_incident(person: Person, incident: Incident, declaration: Declaration) -> Incident:
    """Change the title, severity, summary or scope; a wider scope pauses what it adds."""
    organization = incident.organization
    policy.require(person, organization, Permission.DECLARE_INCIDENT)
    declaration = _check(organization, declaration)
    with transaction.atomic():
        pausing.lock_organization(organization.pk, exclusive=True)
        incident = _open(incident)
        before = scope.describe(incident)
        incident.title, incident.severity = declaration.title, declaration.severity
        incident.public_summary = declaration.public_summary.strip()
        incident.whole_organization = declaration.whole_organization
        incident.networks = [] if declaration.whole_organization else list(declaration.networks)
        incident.save()
        incident.departments.set([] if declaration.whole_organization else declaration.departments)
        incident.voices.set([] if declaration.whole_organization else declaration.voices)
        after = scope.describe(incident)
        change = f" Scope: {before} → {after}." if before != after else ""
        timeline.add(
            incident,
            "updated",
            f"{person.full_name} updated the incident ({incident.get_severity_display()}).{change}",
            actor=person,
        )
        # A narrower scope pauses nothing more and resumes nothing by itself: people decide.
        pausing.pause(incident, pausing.covered(incident, Delivery.objects.all()), actor=person)
        audit.record(organization, person, "incident.updated", incident)
    return incident


def do_end_incident(person: Person, incident: Incident, note: str = "") -> list[pausing.Planned]:
    """End the incident; returns the proposed resume plan. Nothing resumes by itself."""
    organization = incident.organization
    policy.require(person, organization, Permission.DECLARE_INCIDENT)
    with transaction.atomic():
        incident = _open(incident)
        incident.status = IncidentStatus.ENDED
        incident.ended_by, incident.ended_at = person, timezone.now()
        incident.save(update_fields=["status", "ended_by", "ended_at"])
        waiting = incident.paused.filter(status=PauseStatus.PAUSED).count()
        timeline.add(
            incident,
            "ended",
            f"{person.full_name} ended the incident. {note.strip()[:1000]}".strip()
            + (f" {deliveries(waiting, 'paused')} wait for a decision." if waiting else ""),
            actor=person,
        )
        audit.record(organization, person, "incident.ended", incident, still_paused=waiting)
    return pausing.resume_plan(incident)


ACTIONS = ("resume", "reschedule", "cancel")


def do_decide(
    person: Person,
    incident: Incident,
    action: str,
    pause_ids: Iterable[int] | None = None,
    *,
    at: datetime | None = None,
) -> int:
    """Resume, reschedule (to ``at``) or cancel paused deliveries: the ones named, or all."""
    policy.require(person, incident.organization, Permission.DECLARE_INCIDENT)
    if action not in ACTIONS:
        raise ServiceError(f"{action!r} is not something to do with a paused post.", code="action")
    if action == "reschedule":
        if at is None or timezone.is_naive(at):
            raise ServiceError("Say when, with a time zone, to reschedule to.", code="when")
        if at <= timezone.now():
            raise ServiceError("Reschedule to a moment in the future.", code="when")
    waiting = PausedDelivery.objects.filter(incident=incident, status=PauseStatus.PAUSED)
    if pause_ids is not None:
        waiting = waiting.filter(pk__in=list(pause_ids))
    ids = list(waiting.values_list("pk", flat=True))
    if not ids:
        raise ServiceError("Nothing paused is left to decide about.", code="nothing")
    with transaction.atomic():
        count = pausing.decide(person, incident, dict.fromkeys(ids, (action, at)))
        if count:
            timeline.add(
                incident,
                {"resume": "resumed", "reschedule": "rescheduled", "cancel": "cancelled"}[action],
                f"{person.full_name}: {action} {deliveries(count, 'paused')}"
                + (f" to {at:%Y-%m-%d %H:%M} UTC." if at else "."),
                actor=person,
                pauses=ids,
            )
    return count


def do_resume_by_plan(person: Person, incident: Incident) -> int:
    """Resume every still-paused delivery at the time the resume plan gives it (computed now)."""
    policy.require(person, incident.organization, Permission.DECLARE_INCIDENT)
    plan = pausing.resume_plan(incident)
    if not plan:
        raise ServiceError("Nothing paused is left to resume.", code="nothing")
    with transaction.atomic():
        count = pausing.decide(
            person, incident, {item.pause.pk: ("resume", item.at) for item in plan}
        )
        timeline.add(
            incident,
            "resumed",
            f"{person.full_name} resumed {deliveries(count, 'paused')} by the resume plan.",
            actor=person,
        )
    return count


# -- alerts -------------------------------------------------------------------------------------


def do_raise_alert(
    organization: Organization,
    *,
    kind: str,
    headline: str,
    topic: str = "",
    evidence: dict[str, Any] | None = None,
) -> Alert:
    """Store an alert, put it on the open incident's timeline, and page the runbook's people.

    The in-app notifications are written in the caller's transaction; e-mail, Slack and Teams
    are a job enqueued in that transaction. Paging never raises: each channel's result is kept in
    ``alert.delivered``.
    """
    kind, headline, topic = kind.strip()[:30], " ".join(headline.split())[:300], topic[:60]
    if not kind or not headline:
        raise ServiceError("An alert needs a kind and a headline.", code="alert")
    with transaction.atomic():
        alert = Alert.objects.create(
            organization=organization,
            kind=kind,
            headline=headline,
            topic=topic,
            evidence=evidence or {},
        )
        for incident in open_incidents(organization):
            timeline.add(incident, "alert", headline, alert=alert.pk, kind=kind, topic=topic)
        # No network call inside the caller's transaction (the watch's cursor moves in it), and
        # no page for an alert rolled back: only the in-app notifications go with the alert.
        page_alert_in_app(alert)
    return alert


def do_dismiss_alert(person: Person, alert: Alert) -> Alert:
    policy.require(person, alert.organization, Permission.DECLARE_INCIDENT)
    Alert.objects.filter(pk=alert.pk, status=AlertStatus.OPEN).update(status=AlertStatus.DISMISSED)
    alert.refresh_from_db()
    audit.record(alert.organization, person, "alert.dismissed", alert)
    return alert
