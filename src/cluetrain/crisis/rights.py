"""The temporary rights an incident gives: runbook responders speak through its official voices.

They exist only while an incident of the organisation is open, and only for the people the
runbook names as responders, on the official voices the runbook names. A personal voice is never
among them: the query asks for official voices only, whatever the runbook holds.
"""

from __future__ import annotations

from django.db.models import Exists, QuerySet

from cluetrain.crisis.models import Incident, IncidentStatus, Runbook
from cluetrain.organizations.models import Organization, Person
from cluetrain.voices.models import Voice, VoiceKind


def incident_voices(person: Person, organization: Organization) -> QuerySet[Voice]:
    """The official voices ``person`` may use because an incident is open (often none)."""
    open_now = Incident.objects.filter(organization=organization, status=IncidentStatus.OPEN)
    responder = Runbook.objects.filter(organization=organization, responders=person)
    named = Runbook.official_voices.through.objects.filter(
        runbook__organization=organization
    ).values("voice_id")
    return Voice.objects.filter(
        Exists(open_now), Exists(responder), organization=organization, kind=VoiceKind.OFFICIAL
    ).filter(pk__in=named)


def may_use(person: Person, voice: Voice) -> bool:
    """Whether an open incident lets ``person`` post through ``voice``."""
    if voice.kind != VoiceKind.OFFICIAL:
        return False
    return incident_voices(person, voice.organization).filter(pk=voice.pk).exists()
