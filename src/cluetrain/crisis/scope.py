"""Which voices, and so which deliveries, an incident covers."""

from __future__ import annotations

from django.db.models import Q

from cluetrain.crisis.models import Incident, Runbook
from cluetrain.organizations.models import Organization
from cluetrain.voices.models import Voice


def voice_ids(incident: Incident) -> set[int]:
    """The organisation's voices the incident's scope names (all of them for the whole org)."""
    voices = Voice.objects.filter(organization_id=incident.organization_id)
    if not incident.whole_organization:
        voices = voices.filter(
            Q(pk__in=incident.voices.values("pk"))
            | Q(department__in=incident.departments.values("pk"))
            | Q(network__in=list(incident.networks or []))
        )
    return set(voices.values_list("pk", flat=True))


def runbook_for(organization: Organization) -> Runbook:
    """The organisation's runbook; an untouched default (pausing marketing and announcements)
    when nobody has written one yet, so that declaring never waits for the paperwork."""
    runbook, _ = Runbook.objects.get_or_create(organization=organization)
    return runbook


def describe(incident: Incident) -> str:
    """The scope in words, for the incident page, the timeline and the CLI."""
    if incident.whole_organization:
        return "the whole organisation"
    named = [f"department {d.name}" for d in incident.departments.all()]
    named += [f"voice {v.name}" for v in incident.voices.all()]
    named += [f"network {n}" for n in incident.networks or []]
    return ", ".join(named) or "nothing"
